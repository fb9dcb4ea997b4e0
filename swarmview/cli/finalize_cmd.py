"""``swarmview finalize PATH``: re-finalize a bundle the way upstream would, refusing unsafe cases (VERIFY.md §9).

The old manifest is backed up outside the bundle, in swarmview's user data folder (resolved here with
platformdirs, or ``$SWARMVIEW_DATA_DIR``), because a backup inside would be listed by the next
finalize or flagged as unlisted.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from swarmview.core.errors import NotABundleError
from swarmview.core.verify.engine import find_root
from swarmview.core.verify.finalize import FinalizeRefused, apply_finalize, plan_finalize

NAME = "finalize"
ORDER = 30
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        NAME,
        help="rewrite manifest.json as upstream's finalize would (old one backed up)",
        description="Write the manifest upstream's finalize_manifest would write for this bundle, refusing "
        "links, special files, non-UTF-8 or non-canonical names and files that change while hashed. "
        "The previous manifest.json is backed up outside the bundle.",
    )
    p.add_argument("path", metavar="PATH", help="bundle folder, its run.json, or any file inside it")
    p.add_argument("--dry-run", action="store_true", help="print the differences; write nothing")
    p.add_argument("--skip-links", action="store_true", help="leave symbolic links unlisted, as upstream does")
    p.add_argument("--backup-dir", metavar="DIR", help="put the backup under DIR/<run_id>/ instead")


def data_dir() -> Path:
    """swarmview's user data folder: ``$SWARMVIEW_DATA_DIR`` (tests) or platformdirs' user_data_dir."""
    env = os.environ.get("SWARMVIEW_DATA_DIR")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("swarmview", appauthor=False))


def run(args: argparse.Namespace) -> int:
    try:
        root = find_root(args.path)
    except NotABundleError as exc:
        print(f"swarmview finalize: {exc}", file=sys.stderr)
        return EXIT_USAGE
    interrupted = threading.Event()
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGINT, lambda signum, frame: interrupted.set())
    try:
        try:
            plan = plan_finalize(root, skip_links=args.skip_links)
        except FinalizeRefused as exc:
            print(f"swarmview finalize: refused: {exc}", file=sys.stderr)
            return exc.exit_code
        if interrupted.is_set():
            print("swarmview finalize: interrupted; nothing written", file=sys.stderr)
            return EXIT_INTERRUPTED
        for link in plan.skipped_links:
            print(f"swarmview finalize: {link}: symbolic link left unlisted (--skip-links)", file=sys.stderr)
        if args.dry_run:
            print("\n".join(plan.diff))
            return 0
        backups = Path(args.backup_dir) if args.backup_dir else data_dir() / "manifest-backups"
        try:
            result = apply_finalize(plan, backups)
        except FinalizeRefused as exc:
            print(f"swarmview finalize: {exc}; the previous manifest is intact", file=sys.stderr)
            return exc.exit_code
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    if result.backup is not None:
        print(f"backed up the previous manifest to {result.backup}")
    print(f"wrote {plan.root}/manifest.json ({result.entries} entries)")
    return 0
