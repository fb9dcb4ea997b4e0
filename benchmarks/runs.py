"""Benchmark: a folder of runs (issue 11) — batch verification and reopening with a warm cache.

Builds, in a temporary folder, 1,000 small runs (metrics, spans, a small artifact; each a distinct run
id with its own run.json and an upstream-identical manifest) and 10 runs of ~200 MB (each mostly four
checkpoint-like artifact files, as a checkpointed model leaves). Then, with a warm page cache, times in
the same run:

1. baseline: one thread, hashlib.sha256, 1 MiB reads, every regular file of every run;
2. batch: ``verify_batch`` (full tier, no cache): discovery, hashing, content checks, upstream emulation;
3. the same batch storing into an empty cache, then reopening the folder with that warm cache.

Targets (issue 11): batch ≤ 0.70 × baseline; warm reopen ≤ 2 s. The small and big parts are also timed
alone, since their costs differ in kind (small runs: parsing in Python; big runs: hashing).

    .venv/bin/python benchmarks/runs.py --scale 0.1          # quick: 100 small runs, 1 big run
    .venv/bin/python benchmarks/runs.py                      # full size (≈2 GB on disk)
    .venv/bin/python benchmarks/runs.py --record             # also append to benchmarks/RESULTS.md
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from swarmview.core.jsontext import types  # noqa: E402
from swarmview.core.jsontext.encode import dumps_pretty  # noqa: E402
from swarmview.core.runs.batch import BatchResult, verify_batch  # noqa: E402
from swarmview.core.runs.cache import VerifyCache  # noqa: E402
from swarmview.core.verify.manifest_build import build_upstream_manifest  # noqa: E402
from swarmview.core.writer import BundleWriter  # noqa: E402

CLOCK = 1_775_476_800_000_000_000
TRACE = "be4c00000000000000000000000000aa"
MiB = 1 << 20


def small_template(base: Path) -> Path:
    """One small run through the writer: 200 metric points, 40 spans, a 4 KiB artifact."""
    with BundleWriter.create(base, "be4c0000000000000000000000000000", clock_ns=CLOCK) as w:
        w.append_metrics({"ts_unix_nanos": CLOCK + i * MiB, "trace_id": TRACE, "name": "train/loss",
                          "value": 1.0 / (i + 1), "attrs": {"step": i}} for i in range(200))
        w.append_spans({"trace_id": TRACE, "span_id": f"{i + 1:016x}", "name": "train/step",
                        "start_unix_nanos": CLOCK + i * 10 * MiB, "end_unix_nanos": CLOCK + i * 10 * MiB + 5 * MiB}
                       for i in range(40))
        (w.root / "artifacts" / "notes.md").write_bytes(b"# run\n" + os.urandom(4090))
        w.finalize_manifest()
        return w.root


def clone_run(template: Path, runs: Path, index: int) -> Path:
    """A copy of the template with its own run id, run.json and manifest (as upstream would write them)."""
    run_id = f"be4c{index + 1:028x}"
    root = runs / run_id
    shutil.copytree(template, root)
    run_file = {"schema_version": 1, "run_id": run_id, "created_unix_nanos": CLOCK + index * 10**9,
                "swarmtorch_version": "0.1.0"}
    (root / "run.json").write_bytes(dumps_pretty(run_file, types.RUN_FILE_V1))
    (root / "manifest.json").write_bytes(build_upstream_manifest(root, run_id))
    return root


def big_run(base: Path, index: int, megabytes: int, files: int = 4) -> Path:
    """A run of ``megabytes`` MB: ``files`` checkpoint artifacts (random bytes) and a few records."""
    rng = np.random.default_rng(index)
    run_id = f"b19c{index + 1:028x}"
    with BundleWriter.create(base, run_id, clock_ns=CLOCK + index) as w:
        w.append_metrics({"ts_unix_nanos": CLOCK + i, "trace_id": TRACE, "name": "train/loss", "value": 1.0 / (i + 1),
                          "attrs": {"step": i}} for i in range(1000))
        model = w.root / "artifacts" / "model"
        model.mkdir(parents=True)
        per_file = megabytes * 1_000_000 // files
        for f in range(files):
            with open(model / f"checkpoint-{f:04d}.bin", "wb") as fh:
                left = per_file
                while left > 0:
                    n = min(left, 16 * MiB)
                    fh.write(rng.bytes(n))
                    left -= n
        w.finalize_manifest()
        return w.root


def all_files(roots: list[Path]) -> list[str]:
    out = []
    for root in roots:
        for dirpath, _dirs, names in os.walk(root):
            out.extend(os.path.join(dirpath, n) for n in names)
    return out


def one_thread_hashlib(paths: list[str]) -> tuple[float, int]:
    """The baseline: every file hashed in turn by one thread, 1 MiB reads."""
    return _one_thread_hashlib(paths)[::2]


def _one_thread_hashlib(paths: list[str]) -> tuple[float, float, int]:
    started = time.perf_counter()
    cpu = time.process_time()
    total = 0
    buf = bytearray(MiB)
    view = memoryview(buf)
    for p in paths:
        h = hashlib.sha256()
        with open(p, "rb", buffering=0) as fh:
            while n := fh.readinto(buf):
                h.update(view[:n])
                total += n
    return time.perf_counter() - started, time.process_time() - cpu, total


def timed_batch(folder: Path, **kwargs: Any) -> tuple[float, BatchResult]:
    return _timed_batch(folder, **kwargs)[::2]


def _timed_batch(folder: Path, **kwargs: Any) -> tuple[float, float, BatchResult]:
    """Wall time, CPU time of this process (all threads) and the result of one batch."""
    started = time.perf_counter()
    cpu = time.process_time()
    gen = verify_batch(folder, **kwargs)
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            return time.perf_counter() - started, time.process_time() - cpu, stop.value


def warm(paths: list[str]) -> None:
    """Read everything once so both contenders start from the same (warm) page cache."""
    one_thread_hashlib(paths)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0, help="multiply the run counts (1.0 = 1,000 + 10)")
    ap.add_argument("--big-mb", type=int, default=200, help="size of each big run in MB")
    ap.add_argument("--workers", type=int, default=None, help="batch threads (default: the cores)")
    ap.add_argument("--dir", type=Path, default=None, help="build here instead of a temporary folder")
    ap.add_argument("--record", action="store_true", help="append the figures to benchmarks/RESULTS.md")
    ns = ap.parse_args()
    n_small = max(1, round(1000 * ns.scale))
    n_big = max(1, math.ceil(10 * ns.scale))
    tmp = Path(tempfile.mkdtemp(prefix="swarmview-runs-", dir=ns.dir))
    try:
        return run(ns, tmp, n_small, n_big)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(ns: argparse.Namespace, tmp: Path, n_small: int, n_big: int) -> int:
    lines: list[str] = []

    def say(text: str) -> None:
        print(text, flush=True)
        lines.append(text)

    base = tmp / "base"
    t = time.perf_counter()
    template = small_template(tmp / "template")
    small_roots = [clone_run(template, base / "small" / "runs", i) for i in range(n_small)]
    big_roots = [big_run(base / "big", i, ns.big_mb) for i in range(n_big)]
    time.sleep(0.2)  # let the newest change age past the cache's racy-timestamp window
    build_s = time.perf_counter() - t
    paths = all_files(small_roots + big_roots)
    warm(paths)
    say(f"built {n_small} small + {n_big} big runs ({ns.big_mb} MB each), {len(paths)} files, in {build_s:.1f} s")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    say(f"machine: {platform.machine()}, {os.cpu_count()} cores, load average {load:.1f} at start, "
        f"Python {platform.python_version()}")

    def compare(label: str, folder: Path, files: list[str]) -> tuple[float, float]:
        base_s, base_cpu, nbytes = _one_thread_hashlib(files)
        batch_s, batch_cpu, result = _timed_batch(folder, cache=None, workers=ns.workers)
        assert result.summary()["verified"] == len(result.reports), result.summary()
        say(f"{label:<11} {nbytes / 1e6:8.1f} MB  wall: hashlib {base_s:6.2f} s, batch {batch_s:6.2f} s = "
            f"{batch_s / base_s:5.2f}x   cpu: hashlib {base_cpu:6.2f} s, batch {batch_cpu:6.2f} s = "
            f"{batch_cpu / base_cpu:5.2f}x   ({len(result.reports)} runs, "
            f"{1000 * batch_cpu / len(result.reports):.1f} ms cpu per run)")
        return base_s, batch_s

    small_files = all_files(small_roots)
    big_files = all_files(big_roots)
    compare("small runs", base / "small", small_files)
    compare("big runs", base / "big", big_files)
    base_s, batch_s = compare("all runs", base, paths)
    cache = VerifyCache(tmp / "cache")
    cold_s, _cold = timed_batch(base, cache=cache, workers=ns.workers)
    reopen: list[float] = []
    reopen_cpu: list[float] = []
    for _ in range(3):
        warm_s, warm_cpu, again = _timed_batch(base, cache=cache, workers=ns.workers)
        assert all(r.cached for r in again.reports) and len(again.reports) == n_small + n_big
        reopen.append(warm_s)
        reopen_cpu.append(warm_cpu)
    say(f"cache       first pass (verify + store) {cold_s:.2f} s; reopen with a warm cache "
        f"{min(reopen):.2f} s (best of 3; {', '.join(f'{x:.2f}' for x in reopen)}; cpu "
        f"{', '.join(f'{x:.2f}' for x in reopen_cpu)}) for {len(again.reports)} runs")
    target_batch = "met" if batch_s <= 0.70 * base_s else "NOT met"
    target_reopen = "met" if min(reopen) <= 2.0 else "NOT met"
    say(f"targets     batch ≤ 0.70x one-thread hashlib: {batch_s / base_s:.2f}x ({target_batch}); "
        f"warm reopen ≤ 2 s: {min(reopen):.2f} s ({target_reopen})")
    end_load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    say(f"load average at the end: {end_load[0]:.1f} {end_load[1]:.1f} {end_load[2]:.1f} "
        f"(cpu = this process, all threads; wall ratios depend on what else runs on the cores)")
    if ns.record:
        _record(ns, lines)
    return 0


def _record(ns: argparse.Namespace, lines: list[str]) -> None:
    cmd = ".venv/bin/python benchmarks/runs.py" + (f" --scale {ns.scale:g}" if ns.scale != 1.0 else "") + \
        (f" --big-mb {ns.big_mb}" if ns.big_mb != 200 else "") + (f" --workers {ns.workers}" if ns.workers else "")
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    text = "\n".join([f"\n## runs: batch verification and warm reopen ({stamp})\n", f"`{cmd} --record`\n", "```",
                      *lines, "```", ""])
    with open(REPO / "benchmarks" / "RESULTS.md", "a", encoding="utf-8") as fh:
        fh.write(text)


if __name__ == "__main__":
    raise SystemExit(main())


