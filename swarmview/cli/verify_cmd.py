"""``swarmview verify PATH``: is this bundle intact, and what would upstream say (VERIFY.md §2, §8, §10).

stdout carries only the report (text, or one JSON document with ``--json``); progress and diagnostics
go to stderr. Ctrl-C stops hashing between buffers and still prints the partial report (exit 130).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

from swarmview.cli.common import sigint_sets, verify_options
from swarmview.cli.progress import ProgressBar
from swarmview.core.errors import NotABundleError, SwarmviewError
from swarmview.core.verify.engine import find_root, verify
from swarmview.core.verify.report import Report, format_human

NAME = "verify"
ORDER = 10
EXIT_USAGE = 2
EXIT_COULD_NOT_VERIFY = 3
EXIT_INTERRUPTED = 130


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        NAME,
        help="check a bundle against its manifest and say what upstream would say",
        description="Verify a SwarmTorch run bundle: every listed file hashed, every content file parsed, "
        "the tree compared with the manifest, and upstream's own verdict emulated. PATH may be the bundle, "
        "any file inside it, a folder of runs (batch) or an exported archive.",
    )
    p.add_argument("path", metavar="PATH")
    p.add_argument("--json", action="store_true", help="print one JSON document (schema swarmview.verify/1)")
    p.add_argument("--fast", action="store_true", help="paths, structure and sizes only; no hashing")
    p.add_argument("--profile", choices=("default", "upstream", "strict"), default=None)
    p.add_argument("--strict", action="store_true", help="same as --profile strict: warnings are errors")
    p.add_argument("--verbose", action="store_true", help="also list info findings")
    p.add_argument("--timeout", type=float, metavar="SECONDS", help="stop after this much wall-clock time (exit 3)")
    p.add_argument("--max-parse-bytes", type=int, metavar="N", help="hash but do not parse larger files")
    p.add_argument("--max-line-bytes", type=int, metavar="N", default=64 << 20, help="longest NDJSON line parsed")
    p.add_argument("--no-cache", action="store_true", help="do not use cached results (batches)")


def _usage(message: str) -> int:
    print(f"swarmview verify: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _drive(path: str, bar: ProgressBar | None, **kwargs: Any) -> Report:
    gen = verify(path, **kwargs)
    try:
        while True:
            progress = next(gen)
            if bar is not None:
                bar.update(progress)
    except StopIteration as stop:
        report: Report = stop.value
        return report
    finally:
        if bar is not None:
            bar.close()


def _emit(doc: dict[str, Any]) -> None:
    text = json.dumps(doc, ensure_ascii=False, indent=2)
    sys.stdout.buffer.write(text.encode("utf-8", "backslashreplace") + b"\n")
    sys.stdout.flush()


def _print_human(report: Report, verbose: bool) -> None:
    text = format_human(report, verbose)
    sys.stdout.buffer.write(text.encode("utf-8", "backslashreplace") + b"\n")
    sys.stdout.flush()


def run(args: argparse.Namespace) -> int:
    options = verify_options(args)
    if isinstance(options, str):
        return _usage(options)
    profile, tier = options
    kwargs: dict[str, Any] = dict(profile=profile, tier=tier, timeout=args.timeout,
                                  max_parse_bytes=args.max_parse_bytes, max_line_bytes=args.max_line_bytes)
    path: str = args.path
    cancel = threading.Event()
    kwargs["cancel"] = cancel
    try:
        from swarmview.core.archive_input import is_archive_path
    except ImportError:  # pragma: no cover - archive support is part of the package
        is_archive_path = None  # type: ignore[assignment]
    with sigint_sets(cancel):
        if is_archive_path is not None and os.path.isfile(path) and is_archive_path(Path(path)):
            return _run_archive(path, args, kwargs)
        try:
            find_root(path)
        except NotABundleError as exc:
            if os.path.isdir(path):
                return _run_batch(path, args, kwargs, str(exc))
            print(f"swarmview verify: {exc}", file=sys.stderr)
            return EXIT_USAGE
        report = _drive(path, ProgressBar(), **kwargs)
    _output(report, args)
    return report.exit_code


def _output(report: Report, args: argparse.Namespace) -> None:
    for err in report.internal_errors:
        print(f"swarmview verify: internal: {err}", file=sys.stderr)
    if args.json:
        _emit(report.to_json())
    else:
        _print_human(report, args.verbose)


def _run_archive(path: str, args: argparse.Namespace, kwargs: dict[str, Any]) -> int:
    from swarmview.core.archive_input import ArchiveDamagedError, extract_archive

    try:
        extracted = extract_archive(Path(path))
    except ArchiveDamagedError as exc:
        print(f"swarmview verify: {exc}", file=sys.stderr)
        return EXIT_COULD_NOT_VERIFY
    except (NotABundleError, SwarmviewError) as exc:
        print(f"swarmview verify: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        report = _drive(str(extracted.root), ProgressBar(), extra_findings=extracted.findings,
                        shown_root=extracted.display_root, **kwargs)
    finally:
        extracted.cleanup()
    doc_report = _with_path(report, path)
    _output(doc_report, args)
    return doc_report.exit_code


def _with_path(report: Report, path: str) -> Report:
    from dataclasses import replace

    return replace(report, path=path)


def _run_batch(path: str, args: argparse.Namespace, kwargs: dict[str, Any], not_found: str) -> int:
    """A folder holding bundles below it (§2 "Batches"): ``cli.batch`` prints the table or the batch
    document; scheduling and the cache are ``core.runs``, shared with the GUI's runs browser."""
    from swarmview.cli.batch import run_batch

    return run_batch(args)
