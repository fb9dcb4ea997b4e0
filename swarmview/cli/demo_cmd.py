"""``swarmview demo DIR``: write a demo run bundle (VERIFY.md §10 exit codes).

0: written, its path printed on stdout; 1: the run folder exists (``run artifact bundle already
exists``); 2: usage, including an all-zero ``--run-id`` (``run_id must be non-zero``); 3: I/O error.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

NAME = "demo"
ORDER = 70

EXIT_EXISTS = 1
EXIT_USAGE = 2
EXIT_IO = 3


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        NAME,
        help="write a demo run bundle to look at (DIR/runs/<run_id>/)",
        description="Write a realistic demo run through swarmview's upstream-identical writer "
        "and print its path.",
    )
    parser.add_argument("dir", type=Path, metavar="DIR", help="base folder; the run goes to DIR/runs/<run_id>/")
    parser.add_argument(
        "--size",
        choices=("small", "large"),
        default="small",
        help="small (default: a few thousand records) or large (~1M spans, ~10M metric points, ~2.5 GB)",
    )
    parser.add_argument("--run-id", metavar="HEX", help="32 hex digits (default: a fresh random non-zero id)")


def run(args: argparse.Namespace) -> int:
    from swarmview.core.demo import build_demo
    from swarmview.core.errors import BundleWriteError
    from swarmview.core.writer import run_id_hex

    run_id = None
    if args.run_id is not None:
        try:
            run_id = run_id_hex(args.run_id)
        except BundleWriteError as exc:
            print(f"swarmview demo: {exc.message}", file=sys.stderr)
            return EXIT_USAGE
    started = time.monotonic()
    try:
        root = build_demo(args.dir, args.size, run_id)
    except BundleWriteError as exc:
        print(f"swarmview demo: {exc.message}", file=sys.stderr)
        exists = (exc.kind, exc.message) == ("AlreadyExists", "run artifact bundle already exists")
        return EXIT_EXISTS if exists else EXIT_IO
    except OSError as exc:
        print(f"swarmview demo: {exc}", file=sys.stderr)
        return EXIT_IO
    if args.size == "large":
        print(f"swarmview demo: written in {time.monotonic() - started:.1f} s", file=sys.stderr)
    print(root)
    return 0
