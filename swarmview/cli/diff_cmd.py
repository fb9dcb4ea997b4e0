"""``swarmview diff RUN_A RUN_B``: what changed between two runs (issue 11; exit codes VERIFY.md §10).

Metrics (last/min/max per shared series and the change), the graph (nodes added, removed, changed
by ``node_def_hash``/``op_hash`` with the params that differ), span statistics per name, datasets and
artifacts. Differences are the answer, not an error: exit 0 once compared; 2 when a path is not a
bundle; 3 when a run cannot be read (its root or ``run.json``: permission, I/O); 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import threading
from datetime import UTC, datetime

from swarmview.cli.common import sigint_sets
from swarmview.core.bundle import LoadCancelled
from swarmview.core.errors import NotABundleError
from swarmview.core.runs.compare import RunComparison, RunInfo, compare_runs, load_pair

NAME = "diff"
ORDER = 40
EXIT_USAGE = 2
EXIT_UNREADABLE = 3
EXIT_INTERRUPTED = 130


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        NAME, help="compare two runs: metrics, graph, spans, datasets, artifacts",
        description="Compare run A (before) with run B (after). Each path may be a bundle folder or any "
        "file inside one. Differences are reported, not treated as errors (exit 0).")
    p.add_argument("run_a", metavar="RUN_A")
    p.add_argument("run_b", metavar="RUN_B")
    p.add_argument("--json", action="store_true", help="print one JSON document (schema swarmview.diff/1)")
    p.add_argument("--all", action="store_true", help="also list what is the same")


def run(args: argparse.Namespace) -> int:
    cancel = threading.Event()
    try:
        with sigint_sets(cancel):
            a, b = load_pair(args.run_a, args.run_b, cancel=cancel)
            if cancel.is_set():
                raise LoadCancelled("interrupted")
            comparison = compare_runs(a, b)
    except NotABundleError as exc:
        print(f"swarmview diff: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (LoadCancelled, KeyboardInterrupt):
        print("swarmview diff: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    failed = False
    for side, files in comparison.unreadable.items():
        for path, error in files.items():
            print(f"swarmview diff: run {side.upper()}: {path or '.'}: cannot be read: {error}", file=sys.stderr)
            failed = failed or path in ("", "run.json")
    if failed:
        return EXIT_UNREADABLE
    text = (json.dumps(comparison.to_json(), ensure_ascii=False, indent=2) if args.json
            else format_comparison(comparison, show_same=getattr(args, "all", False)))
    sys.stdout.buffer.write(text.encode("utf-8", "backslashreplace") + b"\n")
    sys.stdout.flush()
    return 0


# --- human output -----------------------------------------------------------------------------------


def num(x: float | int | None) -> str:
    """Compact number text: 6 significant digits, ``-`` for absent, ``nan`` kept visible."""
    if x is None:
        return "-"
    if isinstance(x, int):
        return str(x)
    if math.isnan(x):
        return "nan"
    return f"{x:.6g}"


def signed(x: float | int | None) -> str:
    if x is None:
        return "-"
    if isinstance(x, float) and math.isnan(x):
        return "nan"
    return ("+" if x > 0 else "") + num(x) if x != 0 else "0"


def duration(ns: float | None) -> str:
    """Nanoseconds as a readable duration (µs/ms/s), signed input kept signed."""
    if ns is None or (isinstance(ns, float) and math.isnan(ns)):
        return "-"
    if ns == 0:
        return "0"
    sign = "-" if ns < 0 else ""
    v = abs(ns)
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if v >= scale:
            return f"{sign}{v / scale:.3g} {unit}"
    return f"{sign}{v:.0f} ns"


def signed_duration(ns: float | None) -> str:
    text = duration(ns)
    return "+" + text if ns is not None and not (isinstance(ns, float) and math.isnan(ns)) and ns > 0 else text


def table(header: tuple[str, ...], rows: list[tuple[str, ...]], left: int = 1) -> list[str]:
    """Aligned columns; the first ``left`` columns are left-aligned, numbers right-aligned."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    out = []
    for row in [header, *rows]:
        cells = [c.ljust(widths[i]) if i < left else c.rjust(widths[i]) for i, c in enumerate(row)]
        out.append("  ".join(cells).rstrip())
    return out


def _short(h: str | None) -> str:
    return "-" if h is None else h[:12]


def _run_line(side: str, info: RunInfo) -> str:
    created = "?"
    if info.created_unix_nanos is not None:
        created = datetime.fromtimestamp(info.created_unix_nanos / 1e9, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return (f"{side}: {info.root}\n   run {info.run_id or '?'}, created {created}, "
            f"SwarmTorch {info.swarmtorch_version or '?'}")


def format_comparison(c: RunComparison, show_same: bool = False) -> str:
    lines = [_run_line("A", c.a), _run_line("B", c.b), ""]
    shown = [s for s in c.series if show_same or s.status != "same"]
    shared = sum(1 for s in c.series if s.a is not None and s.b is not None)
    only_a = sum(1 for s in c.series if s.b is None)
    only_b = sum(1 for s in c.series if s.a is None)
    lines.append(f"Metrics: {shared} series in both, {only_a} only in A, {only_b} only in B")
    if shown:
        rows = [((s.label + " " + s.attrs).rstrip(),
                 num(s.a.last if s.a else None), num(s.b.last if s.b else None), signed(s.change),
                 num(s.a.min if s.a else None), num(s.b.min if s.b else None),
                 num(s.a.max if s.a else None), num(s.b.max if s.b else None),
                 num(s.a.points if s.a else None), num(s.b.points if s.b else None)) for s in shown]
        lines += ["  " + x for x in table(("SERIES", "A LAST", "B LAST", "CHANGE", "A MIN", "B MIN", "A MAX", "B MAX",
                                           "A N", "B N"), rows)]
    g = c.graph
    lines += ["", f"Graph: {g.count('added')} nodes added, {g.count('removed')} removed, {g.count('changed')} changed, "
              f"{g.unchanged} unchanged; {len(g.edges_added)} edges added, {len(g.edges_removed)} removed"]
    for n in g.nodes:
        mark = {"added": "+", "removed": "-", "changed": "~"}.get(n.status, " ")
        lines.append(f"  {mark} {n.node_key} ({n.op})")
        if n.status == "changed":
            if n.node_def_hash[0] != n.node_def_hash[1]:
                lines.append(f"      node_def_hash {_short(n.node_def_hash[0])} -> {_short(n.node_def_hash[1])}")
            if n.op_hash[0] != n.op_hash[1]:
                lines.append(f"      op_hash {_short(n.op_hash[0])} -> {_short(n.op_hash[1])}")
            for d in n.params:
                lines.append(f"      param {d.path}: {d.a if d.a is not None else '(absent)'} -> "
                             f"{d.b if d.b is not None else '(absent)'}")
            for d in n.fields:
                lines.append(f"      {d.path}: {d.a if d.a is not None else '(absent)'} -> "
                             f"{d.b if d.b is not None else '(absent)'}")
    for src, dst, asset in g.edges_added:
        lines.append(f"  + edge {src} -> {dst}" + (f" ({asset})" if asset else ""))
    for src, dst, asset in g.edges_removed:
        lines.append(f"  - edge {src} -> {dst}" + (f" ({asset})" if asset else ""))
    lines += ["", f"Spans: {len(c.spans)} names"]
    if c.spans:
        rows = [(s.name, num(s.a.count if s.a else None), num(s.b.count if s.b else None),
                 duration(s.a.total_ns if s.a else None), duration(s.b.total_ns if s.b else None),
                 signed_duration(s.change_total_ns), duration(s.a.p50_ns if s.a else None),
                 duration(s.b.p50_ns if s.b else None), duration(s.a.p95_ns if s.a else None),
                 duration(s.b.p95_ns if s.b else None)) for s in c.spans]
        lines += ["  " + x for x in table(("NAME", "A N", "B N", "A TOTAL", "B TOTAL", "CHANGE", "A P50", "B P50",
                                           "A P95", "B P95"), rows)]
    changed_ds = [d for d in c.datasets if show_same or d.status != "same"]
    lines += ["", f"Datasets: {len(c.datasets)} keys, {sum(1 for d in c.datasets if d.status != 'same')} differ"]
    for d in changed_ds:
        mark = {"added": "+", "removed": "-", "changed": "~"}.get(d.status, " ")
        counts = f" ({d.materializations[0]} -> {d.materializations[1]} materializations)" \
            if d.materializations[0] != d.materializations[1] else ""
        lines.append(f"  {mark} {d.asset_key}{counts}")
        for f in d.fields:
            lines.append(f"      {f.path}: {_short_value(f.a)} -> {_short_value(f.b)}")
    changed_art = [x for x in c.artifacts if show_same or x.status != "same"]
    lines += ["", f"Artifacts: {len(c.artifacts)} files, {sum(1 for x in c.artifacts if x.status != 'same')} differ"]
    for x in changed_art:
        mark = {"added": "+", "removed": "-", "changed": "~"}.get(x.status, " ")
        sizes = f"{num(x.bytes[0])} -> {num(x.bytes[1])} bytes"
        digests = f", sha256 {_short(x.sha256[0])} -> {_short(x.sha256[1])}" if x.sha256[0] != x.sha256[1] else ""
        lines.append(f"  {mark} {x.path}: {sizes}{digests}")
    return "\n".join(lines)


def _short_value(text: str | None) -> str:
    if text is None:
        return "(absent)"
    if len(text) == 66 and text.startswith('"'):  # a quoted 64-hex digest
        return text[1:13] + "…"
    return text if len(text) <= 80 else text[:79] + "…"
