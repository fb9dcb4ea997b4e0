"""Benchmark: verification speed against a single-threaded hashlib pass over the same files.

Builds a bundle in a temporary folder (default ≈1.5 GB: four 256 MiB artifacts, 200k spans, 2M metric
points, NDJSON written directly in upstream's format), finalizes it with swarmview's upstream-identical
manifest builder, then, with a warm page cache, times in the same run:

1. baseline: one thread, hashlib.sha256, 1 MiB reads, every listed file;
2. integrity: ``verify(content=False)`` (hashing, fstat checks, upstream emulation);
3. full: ``verify()`` (plus the content stage: every NDJSON line parsed);
4. NDJSON parse alone (``records.load_records``), when the records module is available.

Targets: integrity ≤ 0.70 × baseline; full ≤ integrity + parse. A single-large-file variant (one
artifact of the whole size) is timed the same way. ``--record`` appends the figures to RESULTS.md.

    .venv/bin/python benchmarks/verify.py --size-mb 300
    .venv/bin/python benchmarks/verify.py --record
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from swarmview.core.verify.engine import run_verify  # noqa: E402
from swarmview.core.verify.manifest_build import build_upstream_manifest  # noqa: E402

RUN_ID = "be4c0000000000000000000000000001"
TRACE = "be4c00000000000000000000000000aa"
DEFAULT_MB = 1536
MiB = 1 << 20
_CPU: list[float] = []            # CPU seconds (all threads) of the hashlib passes
_CPU_INTEGRITY: list[float] = []  # ... and of the integrity runs: shows overhead apart from scheduling


def _write_lines(path: Path, lines_iter: object) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for block in lines_iter:  # type: ignore[attr-defined]
            fh.write(block)


def _spans(n: int, chunk: int = 50_000) -> object:
    for start in range(0, n, chunk):
        yield "".join(
            f'{{"schema_version":1,"trace_id":"{TRACE}","span_id":"{i + 1:016x}","parent_span_id":null,'
            f'"name":"op/step","start_unix_nanos":{1775476800000000000 + i * 1000},'
            f'"end_unix_nanos":{1775476800000000500 + i * 1000},"attrs":{{"swarmtorch.node_key":"train/step",'
            f'"swarmtorch.op_type":"map","i":{i}}}}}\n'
            for i in range(start, min(n, start + chunk))
        )


def _metrics(n: int, chunk: int = 100_000) -> object:
    names = ("train/loss", "train/accuracy", "train/grad_norm", "swarm/throughput")
    for start in range(0, n, chunk):
        yield "".join(
            f'{{"schema_version":1,"ts_unix_nanos":{1775476800000000000 + i},"trace_id":"{TRACE}","span_id":null,'
            f'"name":"{names[i % 4]}","value":{1.0 + (i % 9973) / 7.0!r},"unit":null,'
            f'"attrs":{{"step":{i // 4},"swarmtorch.peer_id":"peer-{i % 4}"}}}}\n'
            for i in range(start, min(n, start + chunk))
        )


def _artifact(path: Path, size: int) -> None:
    block = bytearray(os.urandom(MiB))
    with open(path, "wb") as fh:
        written = 0
        counter = 0
        while written < size:
            block[:8] = counter.to_bytes(8, "little")
            n = min(MiB, size - written)
            fh.write(block[:n])
            written += n
            counter += 1


def build_bundle(parent: Path, size_mb: int, single_file: bool = False) -> Path:
    """A finalized bundle of about ``size_mb`` MB (upstream's file layout and record format)."""
    root = parent / ("single" if single_file else "bundle") / "runs" / RUN_ID
    (root / "datasets").mkdir(parents=True)
    (root / "artifacts").mkdir()
    (root / "run.json").write_text(
        f'{{\n  "schema_version": 1,\n  "run_id": "{RUN_ID}",\n  "created_unix_nanos": 1775476800000000000,\n'
        '  "swarmtorch_version": "0.1.0"\n}')
    (root / "graph.json").write_text(
        f'{{\n  "schema_version": 1,\n  "graph_id": "{RUN_ID}",\n  "nodes": [],\n  "edges": []\n}}')
    (root / "datasets" / "registry.json").write_text('{\n  "schema_version": 1,\n  "datasets": []\n}')
    (root / "datasets" / "lineage.json").write_text('{\n  "schema_version": 1,\n  "edges": []\n}')
    for name in ("events.ndjson", "datasets/materializations.ndjson", "datasets/registry_updates.ndjson",
                 "datasets/lineage_edges.ndjson"):
        (root / name).write_bytes(b"")
    scale = size_mb / DEFAULT_MB
    if single_file:
        (root / "spans.ndjson").write_bytes(b"")
        (root / "metrics.ndjson").write_bytes(b"")
        _artifact(root / "artifacts" / "model.bin", size_mb * MiB)
    else:
        _write_lines(root / "spans.ndjson", _spans(max(1, int(200_000 * scale))))
        _write_lines(root / "metrics.ndjson", _metrics(max(1, int(2_000_000 * scale))))
        for i in range(4):
            _artifact(root / "artifacts" / f"checkpoint-{i}.bin", max(MiB, int(256 * MiB * scale)))
    (root / "manifest.json").write_bytes(build_upstream_manifest(root, RUN_ID))
    return root


def listed_files(root: Path) -> list[Path]:
    doc = json.loads((root / "manifest.json").read_bytes())
    return [root / e["path"] for e in doc["entries"]]


def hashlib_pass(files: list[Path]) -> tuple[float, int]:
    """The baseline: one thread, 1 MiB reads, SHA-256 of every listed file."""
    _CPU.append(time.process_time())
    t0 = time.perf_counter()
    total = 0
    buf = bytearray(MiB)
    view = memoryview(buf)
    for path in files:
        h = hashlib.sha256()
        with open(path, "rb", buffering=0) as fh:
            while n := fh.readinto(buf):
                h.update(view[:n])
                total += n
    _CPU.append(time.process_time() - _CPU.pop())
    return time.perf_counter() - t0, total


def parse_pass(root: Path) -> float | None:
    """NDJSON parse time of the three telemetry logs with swarmview's records reader (if present)."""
    try:
        from swarmview.core.records import load_records
    except ImportError:
        return None
    t0 = time.perf_counter()
    for kind in ("spans", "events", "metrics"):
        load_records(kind, root / f"{kind}.ndjson", f"{kind}.ndjson")
    return time.perf_counter() - t0


def timed_verify(root: Path, content: bool) -> tuple[float, object]:
    c0 = time.process_time()
    t0 = time.perf_counter()
    report = run_verify(root, content=content)
    wall = time.perf_counter() - t0
    if not content:
        _CPU_INTEGRITY.append(time.process_time() - c0)
    return wall, report


def measure(root: Path, repeat: int) -> dict[str, object]:
    files = listed_files(root)
    hashlib_pass(files)  # warm the page cache
    _CPU.clear()
    _CPU_INTEGRITY.clear()
    total = sum(p.stat().st_size for p in files)
    bases: list[float] = []
    integs: list[tuple[float, object]] = []
    for _ in range(repeat):  # alternate, so a busy moment does not favour one side
        bases.append(hashlib_pass(files)[0])
        integs.append(timed_verify(root, False))
    base = min(bases)
    integ, report = min(integs, key=lambda x: x[0])
    assert report.verdict in ("verified", "verified_with_warnings"), report.to_json()["findings"][:3]  # type: ignore[attr-defined]
    full, full_report = min((timed_verify(root, True) for _ in range(repeat)), key=lambda x: x[0])
    parse = parse_pass(root)
    out: dict[str, object] = {
        "bytes": total, "files": len(files), "hashlib_s": base, "integrity_s": integ, "full_s": full,
        "parse_s": parse, "integrity_ratio": integ / base,
        "full_vs_integrity_plus_parse": (full / (integ + parse)) if parse else None,
        "content_stage": full_report.upstream["load_report"] is not None,  # type: ignore[attr-defined]
        "hashlib_cpu_s": min(_CPU), "integrity_cpu_s": min(_CPU_INTEGRITY),
    }
    return out


def _fmt(name: str, m: dict[str, object]) -> str:
    gbps = m["bytes"] / m["hashlib_s"] / 1e9  # type: ignore[operator]
    parse = f"{m['parse_s']:.2f} s" if m["parse_s"] is not None else "n/a (records module missing)"
    ratio2 = f"{m['full_vs_integrity_plus_parse']:.2f}" if m["full_vs_integrity_plus_parse"] else "n/a"
    return (f"{name}: {m['bytes'] / 1e9:.2f} GB in {m['files']} files\n"
            f"  hashlib single-thread pass : {m['hashlib_s']:.2f} s ({gbps:.2f} GB/s)\n"
            f"  integrity stage            : {m['integrity_s']:.2f} s  ratio {m['integrity_ratio']:.2f} (target ≤ 0.70)\n"
            f"  CPU time hashlib/integrity : {m['hashlib_cpu_s']:.2f} s / {m['integrity_cpu_s']:.2f} s (all threads)\n"
            f"  full verification          : {m['full_s']:.2f} s  (content stage {'on' if m['content_stage'] else 'absent'})\n"
            f"  NDJSON parse alone         : {parse}\n"
            f"  full / (integrity + parse) : {ratio2} (target ≤ 1.00)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mb", type=int, default=DEFAULT_MB, help="bundle size in MB (default 1536)")
    ap.add_argument("--dir", type=Path, default=None, help="parent folder for the temporary bundles")
    ap.add_argument("--repeat", type=int, default=2, help="timed runs per measurement (best is kept)")
    ap.add_argument("--no-single", action="store_true", help="skip the single-large-file variant")
    ap.add_argument("--record", action="store_true", help="append the results to benchmarks/RESULTS.md")
    args = ap.parse_args(argv)
    parent = Path(tempfile.mkdtemp(prefix="swarmview-bench-", dir=args.dir))
    try:
        t0 = time.perf_counter()
        root = build_bundle(parent, args.size_mb)
        print(f"built {root} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        texts = [_fmt("many files", measure(root, args.repeat))]
        shutil.rmtree(root.parents[1])
        if not args.no_single:
            single = build_bundle(parent, args.size_mb, single_file=True)
            texts.append(_fmt("single large file", measure(single, args.repeat)))
    finally:
        shutil.rmtree(parent, ignore_errors=True)
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    texts.append(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
                 f"(other processes share the {os.cpu_count()} cores)")
    report = "\n".join(texts)
    print(report)
    if args.record:
        cmd = "python benchmarks/verify.py " + " ".join(argv if argv is not None else sys.argv[1:])
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        with open(REPO / "benchmarks" / "RESULTS.md", "a", encoding="utf-8") as fh:
            fh.write(f"\n## verify ({stamp})\n\nCommand: `{cmd.strip()}` — {machine}, warm page cache.\n\n"
                     f"```text\n{report}\n```\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
