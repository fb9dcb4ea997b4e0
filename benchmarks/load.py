"""Benchmark: loading spans.ndjson into columns vs a plain orjson baseline.

Generates (in a temporary folder) a ``spans.ndjson`` in upstream's exact compact format — several
traces, spans nested 3 deep, native-runner and training attributes, some unfinished spans — then,
with the file in the page cache, runs each contender in its own child process (so neither pollutes
the other's heap) and prints wall time and peak RSS growth side by side:

- baseline: ``[orjson.loads(line) for line in f]``, keeping the dicts;
- records: ``swarmview.core.records.load_records`` (columns, findings, upstream verdict), with its
  compiled kernel loaded first and timed apart (a one-time cost per process), and again without the
  kernel (``SWARMVIEW_NO_KERNEL=1``: the typed and orjson paths).

Usage: ``.venv/bin/python benchmarks/load.py [--spans 1000000] [--repeat 3] [--keep DIR]``
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

OPS = ["filter_rows", "union", "join", "map_batches", "train_step", "aggregate", "shard", "dedupe"]


def generate(path: Path, n: int, seed: int = 1) -> None:
    """Upstream-exact spans: key order of §4.1, sorted attrs, parents written after children like the
    native runner and the trainer do (a span is appended when it ends)."""
    rnd = random.Random(seed)
    traces = [f"{rnd.getrandbits(128):032x}" for _ in range(6)]
    t0 = 1_775_476_801_000_000_000
    out: list[bytes] = []
    with open(path, "wb") as f:
        i = 0
        while i < n:
            trace = traces[(i // 64) % len(traces)]
            root = f"{rnd.getrandbits(64) | 1:016x}"
            step = i // 16
            peer = f"peer-{(i // 4) % 4}"
            start = t0 + i * 5_000
            # 1 root (train/step), 3 children (forward/backward/optimizer), each child with 1 op span
            kids = []
            for j, kname in enumerate(("train/forward", "train/backward", "train/optimizer")):
                kid = f"{rnd.getrandbits(64) | 1:016x}"
                kids.append(kid)
                op = OPS[(i + j) % len(OPS)]
                leaf = {
                    "schema_version": 1, "trace_id": trace, "span_id": f"{rnd.getrandbits(64) | 1:016x}",
                    "parent_span_id": kid, "name": f"op/{op}", "start_unix_nanos": start + 100 + j * 1000,
                    "end_unix_nanos": start + 600 + j * 1000,
                    "attrs": {"swarmtorch.input_count": 1 + j, "swarmtorch.node_key": f"prep/{op}_{i % 97}",
                              "swarmtorch.op_type": op, "swarmtorch.output_count": 1},
                }  # fmt: skip
                child = {
                    "schema_version": 1, "trace_id": trace, "span_id": kid, "parent_span_id": root, "name": kname,
                    "start_unix_nanos": start + j * 1000, "end_unix_nanos": start + 900 + j * 1000,
                    "attrs": {"batch": i % 64, "swarmtorch.peer_id": peer},
                }  # fmt: skip
                out.append(orjson.dumps(leaf))
                out.append(orjson.dumps(child))
            unfinished = i % 9973 == 0
            rootrec = {
                "schema_version": 1, "trace_id": trace, "span_id": root, "parent_span_id": None, "name": "train/step",
                "start_unix_nanos": start, "end_unix_nanos": None if unfinished else start + 4_000 + rnd.randrange(999),
                "attrs": {"grad_clipped": rnd.random() < 0.1, "lr": 0.001 * rnd.random(), "step": step,
                          "swarmtorch.peer_id": peer},
            }  # fmt: skip
            out.append(orjson.dumps(rootrec))
            i += 7
            if len(out) >= 20_000:
                f.write(b"\n".join(out) + b"\n")
                out = []
        if out:
            f.write(b"\n".join(out) + b"\n")


def _rss_kib() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def child(which: str, path: str) -> None:
    """Runs in a fresh interpreter: one load, then prints time, peak RSS growth and a count.

    ``records`` first loads the compiled kernel (numba) and times that separately: it is a one-time
    cost per process (reading numba's cache), reported next to the load. ``records-nokernel`` is the
    same loader without it (typed and orjson paths), for reference."""
    import gc

    if which.startswith("records"):
        if which == "records-nokernel":
            os.environ["SWARMVIEW_NO_KERNEL"] = "1"
        from swarmview.core.records import kernelpath, load_records
    gc.collect()
    before = _rss_kib()
    kernel_s = 0.0
    if which == "records":
        t = time.perf_counter()
        assert kernelpath.available(), "numba is not installed: pip install -e .[dev]"
        kernel_s = time.perf_counter() - t
    after_kernel = _rss_kib()
    cpu0 = time.process_time()
    t = time.perf_counter()
    if which == "baseline":
        with open(path, "rb") as f:
            rows = [orjson.loads(line) for line in f]
        count = len(rows)
    else:
        res = load_records("spans", path, "spans.ndjson")
        count = len(res.table)
        rows = res
    elapsed = time.perf_counter() - t
    cpu = time.process_time() - cpu0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    extra = {}
    if which.startswith("records"):
        extra = {"findings": len(res.findings), "slow_lines": res.slow_lines, "upstream_error": res.upstream_error}
    print(json.dumps({"which": which, "seconds": elapsed, "cpu": cpu, "peak_kib": peak - after_kernel,
                      "kernel_s": kernel_s, "kernel_kib": after_kernel - before, "count": count,
                      **extra}))  # fmt: skip
    del rows


def run_child(which: str, path: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    out = subprocess.run([sys.executable, __file__, "--child", which, str(path)], capture_output=True, text=True,
                         env=env, check=True)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spans", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3, help="runs per contender; the best time is kept")
    ap.add_argument("--keep", type=Path, help="generate into this folder and keep the file")
    ap.add_argument("--child", nargs=2, metavar=("WHICH", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "spans.ndjson"
        t = time.perf_counter()
        generate(path, args.spans)
        size = path.stat().st_size
        print(f"generated {path} ({size / 1e6:.1f} MB) in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        path.read_bytes()  # warm the page cache
        results: dict[str, dict] = {}
        contenders = ("baseline", "records", "records-nokernel")
        for _ in range(args.repeat):
            for which in contenders:
                r = run_child(which, path)
                best = results.get(which)
                if best is None:
                    results[which] = r
                else:  # best of each figure
                    for k in ("seconds", "cpu", "peak_kib", "kernel_s", "kernel_kib"):
                        best[k] = min(best[k], r[k])
        b, r, nk = (results[w] for w in contenders)
        assert b["count"] == r["count"] == nk["count"], (b, r, nk)
        print(f"spans.ndjson: {b['count']:,} spans, {size / 1e6:.1f} MB, best of {args.repeat}")
        print(f"{'':34}{'wall (s)':>10}{'cpu (s)':>10}{'peak RSS (MiB)':>16}")
        rows = (("baseline orjson dicts", b), ("records: load", r),
                ("records: kernel load (once)", {"seconds": r["kernel_s"], "cpu": r["kernel_s"],
                                                 "peak_kib": r["kernel_kib"]}),
                ("records: load + kernel load", {"seconds": r["seconds"] + r["kernel_s"],
                                                 "cpu": r["cpu"] + r["kernel_s"],
                                                 "peak_kib": r["peak_kib"] + r["kernel_kib"]}),
                ("records without the kernel", nk))  # fmt: skip
        for name, x in rows:
            print(f"{name:34}{x['seconds']:>10.2f}{x['cpu']:>10.2f}{x['peak_kib'] / 1024:>16.0f}")
        total = r["seconds"] + r["kernel_s"]
        print(f"{'ratio load/baseline':34}{r['seconds'] / b['seconds']:>10.2f}{r['cpu'] / b['cpu']:>10.2f}"
              f"{r['peak_kib'] / b['peak_kib']:>16.2f}")  # fmt: skip
        print(f"{'ratio (load + kernel load)/baseline':34}{total / b['seconds']:>10.2f}"
              f"{(r['cpu'] + r['kernel_s']) / b['cpu']:>10.2f}"
              f"{(r['peak_kib'] + r['kernel_kib']) / b['peak_kib']:>16.2f}")  # fmt: skip
        print(f"{'ratio without the kernel':34}{nk['seconds'] / b['seconds']:>10.2f}{nk['cpu'] / b['cpu']:>10.2f}"
              f"{nk['peak_kib'] / b['peak_kib']:>16.2f}")  # fmt: skip
        print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        print(f"records: {r['findings']} findings, {r['slow_lines']} lines through the strict decoder, "
              f"upstream_error={r['upstream_error']}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
