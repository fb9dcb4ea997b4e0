"""``swarmview info PATH``: what a run is, at a glance, without hashing (VERIFY.md §10).

Prints run id, versions, times, record counts, file sizes, the graph's op kinds and every finding
above info. A damaged bundle still prints (exit 0); only an unreadable root or ``run.json`` is exit 3,
because then there is nothing trustworthy to describe.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from datetime import UTC, datetime
from typing import Any

NAME = "info"
ORDER = 20

EXIT_OK = 0
EXIT_NOT_A_BUNDLE = 2
EXIT_UNREADABLE = 3
SCHEMA = "swarmview.info/1"
SEVERITIES = ("error", "unverified", "warning", "info")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        NAME,
        help="describe a run: ids, times, counts, sizes, warnings (no hashing)",
        description="Describe a run bundle without verifying it: run id, versions, times, record counts, "
        "file sizes, graph summary and load warnings. PATH may be the bundle folder or any file inside it.",
    )
    parser.add_argument("path", metavar="PATH", help="bundle folder, its run.json, or any file inside it")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of text")


def utc_text(ns: int | None) -> str | None:
    """ISO 8601 UTC with nanoseconds when there are any (``2026-04-06T12:00:00Z``)."""
    if ns is None:
        return None
    seconds, frac = divmod(int(ns), 1_000_000_000)
    try:
        text = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    except (OverflowError, OSError, ValueError):
        return None
    if frac:
        text += "." + f"{frac:09d}".rstrip("0")
    return text + "Z"


def duration_text(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.3f} s"
    minutes, sec = divmod(seconds, 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours} h {minutes:02d} min {sec:06.3f} s" if hours else f"{minutes} min {sec:06.3f} s"


def _series_counts(metrics: Any) -> tuple[int | None, int]:
    points = len(metrics.line)
    try:
        from swarmview.core.records.series import metric_series
    except ImportError:
        return None, points
    return len(metric_series(metrics)), points


def describe(bundle: Any, path: str) -> dict[str, Any]:
    """The ``--json`` document; the text output is rendered from it."""
    run = bundle.run or {}
    series, points = _series_counts(bundle.metrics)
    counts = dict(bundle.counts)
    counts["metric_series"] = series
    counts["metric_points"] = points
    op_kinds = Counter(n.get("op_kind") for n in (bundle.graph or {}).get("nodes") or [])
    time_range = None
    if bundle.time_range is not None:
        start, end = bundle.time_range
        time_range = {
            "start_unix_nanos": start,
            "end_unix_nanos": end,
            "start": utc_text(start),
            "end": utc_text(end),
            "duration_s": (end - start) / 1e9,
        }
    created = run.get("created_unix_nanos")
    warnings = [f.to_json() for f in bundle.findings if f.severity != "info"]
    return {
        "schema": SCHEMA,
        "path": path,
        "root": str(bundle.root),
        "run_id": bundle.run_id,
        "swarmtorch_version": run.get("swarmtorch_version"),
        "created_unix_nanos": created,
        "created": utc_text(created) if isinstance(created, int) else None,
        "counts": counts,
        "files": dict(sorted(bundle.file_sizes.items())),
        "artifacts_bytes": sum(size for _, size in bundle.artifacts),
        "time_range": time_range,
        "graph": {"op_kinds": dict(sorted((str(k), v) for k, v in op_kinds.items()))},
        "upstream_load": bundle.upstream_load,
        "warnings": warnings,
        "findings": {sev: sum(1 for f in bundle.findings if f.severity == sev) for sev in SEVERITIES},
        "unreadable": dict(bundle.unreadable),
    }


def render_text(doc: dict[str, Any]) -> str:
    c = doc["counts"]
    lines = [
        f"run {doc['run_id'] or '(unknown run id)'}  {doc['root']}",
        f"  SwarmTorch {doc['swarmtorch_version'] or '?'}; created {doc['created'] or '?'}",
    ]
    tr = doc["time_range"]
    if tr is not None:
        lines.append(f"  wall clock {tr['start']} → {tr['end']} ({duration_text(tr['duration_s'])})")
    else:
        lines.append("  wall clock: no timestamped records")
    series = "?" if c["metric_series"] is None else c["metric_series"]
    kinds = ", ".join(f"{k} {v}" for k, v in doc["graph"]["op_kinds"].items())
    lines += [
        f"  graph: {c['nodes']} nodes, {c['edges']} edges" + (f"; op kinds {kinds}" if kinds else ""),
        f"  spans: {c['spans']} in {c['traces']} traces ({c['unfinished_spans']} unfinished); events: {c['events']}",
        f"  metrics: {series} series, {c['metric_points']} points",
        f"  datasets: {c['datasets']}, lineage edges: {c['lineage_edges']}, "
        f"materializations: {c['materializations']}",
        f"  artifacts: {c['artifacts']} files, {doc['artifacts_bytes']} bytes",
        "  files: " + ", ".join(f"{p} {n} B" for p, n in doc["files"].items()),
    ]
    up = doc["upstream_load"]
    if up is not None:
        if up.get("ok"):
            lines.append("  upstream report tool: content loads (manifest not checked here)")
        else:
            where = f"{up['file']}: " if up.get("file") else ""
            lines.append(f"  upstream report tool cannot load the run: {where}{up.get('message')}")
    f = doc["findings"]
    lines.append(
        f"  findings: {f['error']} errors, {f['unverified']} unverified, {f['warning']} warnings, {f['info']} info"
        " (swarmview verify checks integrity)"
    )
    for w in doc["warnings"]:
        lines.append(f"  {w['severity']}: {w['code']}: {w['message']}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from swarmview.core.bundle import discover_bundles, find_bundle_root, load_bundle
    from swarmview.core.errors import NotABundleError

    try:
        root = find_bundle_root(args.path)
    except NotABundleError as exc:
        print(f"swarmview info: {exc}", file=sys.stderr)
        below = next(discover_bundles(args.path), None) if os.path.isdir(args.path) else None
        if below is not None:
            print(
                f"swarmview info: it holds runs below it, e.g. {below}; describe one at a time",
                file=sys.stderr,
            )
        return EXIT_NOT_A_BUNDLE
    bundle = load_bundle(root)
    doc = describe(bundle, args.path)
    if args.json:
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    else:
        print(render_text(doc))
    unreadable = {p: m for p, m in bundle.unreadable.items() if p in ("", "run.json")}
    if unreadable:
        for p, m in unreadable.items():
            print(f"swarmview info: {p or bundle.root}: cannot be read: {m}", file=sys.stderr)
        return EXIT_UNREADABLE
    return EXIT_OK
