"""``swarmview export PATH --format F -o OUT``: take a verified run anywhere (VERIFY.md §10 exit codes)."""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

NAME = "export"
ORDER = 40


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    from swarmview.export.formats import FORMATS

    lines = "\n".join(f"  {f.name:<13} {f.summary}" for f in FORMATS.values())
    parser = subparsers.add_parser(
        NAME,
        help="export a run (archives, Perfetto trace, OTLP, CSV/Parquet, HTML, redacted copy)",
        description=f"Export a run.\n\nformats:\n{lines}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("path", metavar="PATH", help="a bundle folder or any path inside one")
    parser.add_argument("--format", "-f", required=True, dest="format", metavar="F", help="output format (see above)")
    parser.add_argument("-o", "--output", required=True, type=Path, metavar="OUT", help="output file or folder")
    parser.add_argument("--redact", metavar="PRESETS", default="",
                        help="bundle format: comma-separated presets (credentials, emails, ips, home-paths)")
    parser.add_argument("--redact-rules", type=Path, metavar="FILE", help="bundle format: TOML redaction rules")
    parser.add_argument("--drop-artifacts", action="store_true", help="bundle format: leave artifacts/ out")


def run(args: argparse.Namespace) -> int:
    from swarmview.core.bundle import find_bundle_root
    from swarmview.core.errors import NotABundleError, SwarmviewError
    from swarmview.export.formats import FORMATS

    fmt = FORMATS.get(args.format)
    if fmt is None:
        print(f"swarmview: unknown export format {args.format!r} (choose from {', '.join(FORMATS)})", file=sys.stderr)
        return 2
    try:
        root = find_bundle_root(Path(args.path))
    except NotABundleError as exc:
        print(f"swarmview: {exc}", file=sys.stderr)
        return 2
    try:
        exporter = fmt.load()
    except ImportError as exc:
        hint = f" (pip install 'swarmview[{fmt.extra}]')" if fmt.extra else ""
        print(f"swarmview: the {fmt.name} format needs an optional package: {exc.name or exc}{hint}", file=sys.stderr)
        return 2
    cancel = threading.Event()
    progress = _progress_printer() if sys.stderr.isatty() else None
    options = {"progress": progress, "cancel": cancel, "redact": args.redact, "redact_rules": args.redact_rules,
               "drop_artifacts": args.drop_artifacts}
    try:
        exporter(root, args.output, **options)
    except KeyboardInterrupt:
        cancel.set()
        print("\nswarmview: export interrupted; nothing was written", file=sys.stderr)
        return 130
    except ImportError as exc:
        hint = f" (pip install 'swarmview[{fmt.extra}]')" if fmt.extra else ""
        print(f"swarmview: the {fmt.name} format needs an optional package: {exc.name or exc}{hint}", file=sys.stderr)
        return 2
    except SwarmviewError as exc:
        print(f"swarmview: {exc}", file=sys.stderr)
        return _exit_code(exc)
    except OSError as exc:
        print(f"swarmview: {exc.filename or args.output}: {exc.strerror or exc}", file=sys.stderr)
        return 3
    if progress is not None:
        print(file=sys.stderr)
    print(f"wrote {args.output}")
    return 0


def _exit_code(exc: Exception) -> int:
    from swarmview.core.errors import UsageError
    from swarmview.export.archive import ExportCancelled, ExportMismatchError

    if isinstance(exc, UsageError):
        return 2
    if isinstance(exc, ExportCancelled):
        return 130
    if isinstance(exc, ExportMismatchError):
        return 1
    return 3


def _progress_printer():  # noqa: ANN202 - a small closure
    def show(done: int, total: int) -> None:
        pct = 100 * done // total if total else 100
        print(f"\rexporting… {pct:3d}% ({done >> 20} / {total >> 20} MiB)", end="", file=sys.stderr, flush=True)

    return show
