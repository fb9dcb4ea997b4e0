"""Benchmark: verified archive export against a plain ``tarfile`` copy of the same files.

Builds a bundle in a temporary folder with ``benchmarks/verify.py``'s builder (default ≈1 GB: four
artifacts as a checkpointed model leaves, spans, metrics), then, warm cache, times in the same run:

1. baseline: ``tarfile.open(out, "w:gz", compresslevel=6)`` adding the listed files and the manifest;
2. swarmview: ``write_archive(root, out, "tar.gz")`` — the same compression, plus hashing every file
   against the manifest, fixed member metadata and an atomic rename.

Target: swarmview ≤ 1.2 × baseline. Prints both times and the ratio (ratios, not absolute times,
compare on this shared, noisy machine).

    .venv/bin/python benchmarks/export.py --size-mb 300
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from verify import build_bundle  # noqa: E402

from swarmview.export.archive import GZIP_LEVEL, write_archive  # noqa: E402


def plain_tar(root: Path, out: Path) -> float:
    entries = [e["path"] for e in json.loads((root / "manifest.json").read_bytes())["entries"]]
    start = time.perf_counter()
    with tarfile.open(out, "w:gz", compresslevel=GZIP_LEVEL) as tar:
        tar.add(root / "manifest.json", arcname="run/manifest.json")
        for path in entries:
            tar.add(root / path, arcname=f"run/{path}")
    return time.perf_counter() - start


def ours(root: Path, out: Path) -> float:
    start = time.perf_counter()
    write_archive(root, out, "tar.gz")
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=2, help="best of N for each side")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="swarmview-bench-export-"))
    try:
        root = build_bundle(tmp, args.size_mb)
        size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
        plain_tar(root, tmp / "warm.tar.gz")  # warm the page cache
        base = min(plain_tar(root, tmp / "plain.tar.gz") for _ in range(args.repeat))
        mine = min(ours(root, tmp / "ours.tar.gz") for _ in range(args.repeat))
        ratio = mine / base
        print(f"bundle: {size / 1e9:.2f} GB in {sum(1 for p in root.rglob('*') if p.is_file())} files")
        print(f"plain tarfile (gzip {GZIP_LEVEL}): {base:7.2f} s  ({size / base / 1e6:6.0f} MB/s)   baseline")
        print(f"swarmview verified tar.gz:       {mine:7.2f} s  ({size / mine / 1e6:6.0f} MB/s)   "
              f"ratio {ratio:.2f} (target ≤ 1.20) {'PASS' if ratio <= 1.2 else 'FAIL'}")
        return 0 if ratio <= 1.2 else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
