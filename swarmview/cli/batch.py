"""``swarmview verify DIR`` on a folder of runs: one progress bar, a table, a summary (VERIFY.md §2).

``verify_cmd`` hands over here (``run_batch(args)``) when PATH is a folder that is not inside a bundle.
stdout carries the table and summary, or the batch document with ``--json``; the progress bar and
diagnostics go to stderr. Ctrl-C stops the runs in flight and still prints every report made (exit
130). The cache (user cache folder, or ``$SWARMVIEW_CACHE_DIR``) is used unless ``--no-cache``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import stat
import sys
import threading
import time
from datetime import UTC, datetime
from typing import Any, TextIO

import orjson

from swarmview.cli.common import cache_dir, sigint_sets, verify_options
from swarmview.core.errors import NotABundleError
from swarmview.core.runs.batch import BatchProgress, BatchResult, verify_batch
from swarmview.core.verify.report import Report, format_human

EXIT_USAGE = 2
SUMMARY_WORDS = (("verified", "verified"), ("verified_with_warnings", "verified with warnings"),
                 ("problems", "with problems"), ("could_not_verify", "could not be verified"),
                 ("cancelled", "cancelled"))
_RUN_JSON_MAX = 1 << 20
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


class BatchBar:
    """One line on stderr for the whole batch, only on a terminal; ``close()`` erases it."""

    def __init__(self, stream: TextIO | None = None, enabled: bool | None = None, rate: float = 10.0) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.interval = 1.0 / rate
        self._last = 0.0
        self._drawn = False

    def update(self, p: BatchProgress) -> None:
        now = time.monotonic()
        if not self.enabled or now - self._last < self.interval:
            return
        self._last = now
        width = shutil.get_terminal_size((80, 20)).columns
        frac = p.bytes_done / p.bytes_total if p.bytes_total else (p.runs_done / p.runs_total if p.runs_total else 0.0)
        frac = min(max(frac, 0.0), 1.0)
        text = f" {frac * 100:3.0f}% {p.runs_done}/{p.runs_total} runs {human_size(p.bytes_done)}/{human_size(p.bytes_total)}"
        bar = max(10, min(40, width - len(text) - 4))
        line = f"[{'#' * int(bar * frac)}{'.' * (bar - int(bar * frac))}]{text}"
        if p.current and width - len(line) > 10:
            room = width - len(line) - 2
            line += " " + (p.current if len(p.current) <= room else "…" + p.current[-(room - 1):])
        self.stream.write("\r" + line[: width - 1].ljust(width - 1))
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self.enabled and self._drawn:
            width = shutil.get_terminal_size((80, 20)).columns
            self.stream.write("\r" + " " * (width - 1) + "\r")
            self.stream.flush()
            self._drawn = False


def human_size(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


def run_json_facts(root: str) -> tuple[str, str]:
    """(created as UTC text, swarmtorch_version) from ``run.json``, "?" where unreadable; never blocks."""
    path = os.path.join(root, "run.json")
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size > _RUN_JSON_MAX:
            return "?", "?"
        fd = os.open(path, _OPEN_FLAGS)
        try:
            data = os.read(fd, _RUN_JSON_MAX)
        finally:
            os.close(fd)
        doc = orjson.loads(data)
    except (OSError, orjson.JSONDecodeError):
        return "?", "?"
    if not isinstance(doc, dict):
        return "?", "?"
    created = doc.get("created_unix_nanos")
    when = "?"
    if type(created) is int and 0 <= created < 1 << 63:
        when = datetime.fromtimestamp(created / 1e9, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
    version = doc.get("swarmtorch_version")
    return when, version if isinstance(version, str) and version else "?"


def run_size(report: Report) -> int:
    return sum(f.bytes or 0 for f in report.files)


def format_table(result: BatchResult) -> str:
    """One line per run: run id, created (UTC), SwarmTorch version, verdict, findings, size, root."""
    header = ("RUN ID", "CREATED (UTC)", "SWARMTORCH", "VERDICT", "E", "W", "I", "U", "SIZE", "ROOT")
    rows: list[tuple[str, ...]] = []
    for r in result.reports:
        created, version = run_json_facts(r.root)
        c = r.counts
        verdict = r.verdict + (" (cached)" if r.cached else "")
        rows.append((r.run_id or "?", created, version, verdict, str(c.get("error", 0)), str(c.get("warning", 0)),
                     str(c.get("info", 0)), str(c.get("unverified", 0)), human_size(run_size(r)),
                     _shown(r.root, result.path)))
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    right = {4, 5, 6, 7, 8}
    lines = []
    for row in [header, *rows]:
        cells = [cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _shown(root: str, base: str) -> str:
    try:
        rel = os.path.relpath(root, os.path.abspath(base))
    except ValueError:
        return root
    return root if rel.startswith("..") else rel


def format_summary(result: BatchResult) -> str:
    s = result.summary()
    parts = [f"{s[k]} {words}" for k, words in SUMMARY_WORDS if s[k]]
    cached = sum(1 for r in result.reports if r.cached)
    text = f"{s['runs']} run{'s' if s['runs'] != 1 else ''}: " + (", ".join(parts) or "none verified")
    text += f"; {human_size(s['bytes_hashed'])} hashed in {s['elapsed_s']:.2f} s"
    if cached:
        text += f"; {cached} answered from the cache"
    if result.interrupted:
        missing = result.runs_found - len(result.reports)
        text += f"; interrupted ({missing} of {result.runs_found} runs not reported)"
    return text


def _write(text: str) -> None:
    sys.stdout.buffer.write(text.encode("utf-8", "backslashreplace") + b"\n")
    sys.stdout.flush()


def drive(gen: Any, bar: BatchBar | None) -> BatchResult:
    try:
        while True:
            p = next(gen)
            if bar is not None:
                bar.update(p)
    except StopIteration as stop:
        result: BatchResult = stop.value
        return result
    finally:
        if bar is not None:
            bar.close()


def run_batch(args: argparse.Namespace) -> int:
    """Verify every run below ``args.path``; print the table (or ``--json`` document); the worst exit code."""
    chosen = verify_options(args)
    if isinstance(chosen, str):
        print(f"swarmview verify: error: {chosen}", file=sys.stderr)
        return EXIT_USAGE
    profile, tier = chosen
    cache = None
    if not getattr(args, "no_cache", False) and tier == "full":
        from swarmview.core.runs.cache import VerifyCache

        cache = VerifyCache(cache_dir())
    cancel = threading.Event()
    gen = verify_batch(args.path, profile=profile, tier=tier, cancel=cancel, cache=cache,
                       timeout=getattr(args, "timeout", None), max_parse_bytes=getattr(args, "max_parse_bytes", None),
                       max_line_bytes=getattr(args, "max_line_bytes", None) or 64 << 20)
    with sigint_sets(cancel):
        try:
            result = drive(gen, BatchBar())
        except NotABundleError as exc:
            print(f"swarmview verify: {exc}", file=sys.stderr)
            return EXIT_USAGE
    for where, message in result.errors:
        print(f"swarmview verify: {where}: {message}", file=sys.stderr)
    for report in result.reports:
        for err in report.internal_errors:
            print(f"swarmview verify: {report.root}: internal: {err}", file=sys.stderr)
    if getattr(args, "json", False):
        _write(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        if getattr(args, "verbose", False):
            for report in result.reports:
                _write(format_human(report, True) + "\n")
        _write(format_table(result))
        _write(format_summary(result))
    return result.exit_code


def main(argv: list[str] | None = None) -> int:
    """``python -m swarmview.cli.batch DIR [options]``: the batch alone (tests; before verify routes here)."""
    p = argparse.ArgumentParser(prog="swarmview-batch", description="verify every run below a folder")
    p.add_argument("path", metavar="DIR")
    p.add_argument("--json", action="store_true")
    p.add_argument("--fast", action="store_true")
    p.add_argument("--profile", choices=("default", "upstream", "strict"), default=None)
    p.add_argument("--strict", action="store_true")
    p.add_argument("--verbose", action="store_true")
    p.add_argument("--timeout", type=float)
    p.add_argument("--max-parse-bytes", type=int)
    p.add_argument("--max-line-bytes", type=int, default=64 << 20)
    p.add_argument("--no-cache", action="store_true")
    try:
        args = p.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    return run_batch(args)


if __name__ == "__main__":
    sys.exit(main())
