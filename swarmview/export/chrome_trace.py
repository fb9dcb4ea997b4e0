"""Perfetto / Chrome trace export (``--format chrome-trace``), Trace Event Format JSON.

Spans become complete events (``ph: "X"``) in one process per trace, on threads where they nest
strictly; events become instant events on their span's thread (process-wide without a span);
metrics become counter tracks. Timestamps are microseconds relative to the run's first timestamp
(three decimals keep nanoseconds; absolute epoch microseconds would lose them in a double); the
origin is in ``otherData``. Every attribute goes into ``args``.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from swarmview import __version__
from swarmview.core.bundle import Bundle, load_bundle
from swarmview.core.records.tables import span_hex
from swarmview.export.output import atomic_output
from swarmview.export.trace_common import TraceClock, assign_lanes, span_ends, trace_clock


def _us(ns: int, origin: int) -> float:
    return round((ns - origin) / 1000.0, 3)


def chrome_trace_document(bundle: Bundle) -> dict[str, Any]:
    """The whole trace as a JSON-ready dict (``traceEvents`` plus metadata)."""
    clock = trace_clock(bundle)
    events: list[dict[str, Any]] = []
    spans = bundle.spans
    n_traces = max(len(spans.trace_ids), len(bundle.events.trace_ids), len(bundle.metrics.trace_ids))
    pid_of: dict[str, int] = {}

    def pid(trace_id: str) -> int:
        if trace_id not in pid_of:
            pid_of[trace_id] = len(pid_of) + 1
            events.append({"ph": "M", "name": "process_name", "pid": pid_of[trace_id], "tid": 0,
                           "args": {"name": f"trace {trace_id}"}})
        return pid_of[trace_id]

    lane_of_span: dict[tuple[str, int], int] = {}
    ends = span_ends(bundle, clock)
    attrs = spans.attrs.all() if len(spans) else []
    for code, trace_id in enumerate(spans.trace_ids):
        rows = np.flatnonzero(spans.trace == code)
        if not len(rows):
            continue
        p = pid(trace_id)
        lanes = assign_lanes(spans.start[rows], ends[rows], spans.parent_id[rows], spans.span_id[rows])
        for lane in sorted(set(lanes.tolist())):
            events.append({"ph": "M", "name": "thread_name", "pid": p, "tid": lane + 1,
                           "args": {"name": f"lane {lane + 1}"}})
        for row, lane in zip(rows.tolist(), lanes.tolist(), strict=True):
            lane_of_span[(trace_id, int(spans.span_id[row]))] = lane + 1
            args: dict[str, Any] = dict(attrs[row])
            args["span_id"] = span_hex(spans.span_id[row])
            parent = span_hex(spans.parent_id[row])
            if parent:
                args["parent_span_id"] = parent
            if not spans.has_end[row]:
                args["swarmview.unfinished"] = True
            args["swarmview.line"] = int(spans.line[row])
            start = int(spans.start[row])
            events.append({"ph": "X", "cat": "span", "name": spans.name_of(row), "pid": p, "tid": lane + 1,
                           "ts": _us(start, clock.origin), "dur": round((int(ends[row]) - start) / 1000.0, 3),
                           "args": args})
    _add_events(bundle, clock, events, pid, lane_of_span)
    skipped = _add_counters(bundle, clock, events, pid)
    return {
        "traceEvents": events,
        "displayTimeUnit": "ms",
        "otherData": {
            "generator": f"swarmview {__version__}",
            "run_id": bundle.run_id,
            "origin_unix_nanos": clock.origin,
            "traces": n_traces,
            "nonfinite_metric_points_omitted": skipped,
        },
    }


def _add_events(bundle: Bundle, clock: TraceClock, out: list[dict[str, Any]], pid: Callable[[str], int],
                lane_of_span: dict[tuple[str, int], int]) -> None:
    table = bundle.events
    attrs = table.attrs.all() if len(table) else []
    for row in range(len(table)):
        trace_id = table.trace_of(row)
        span = int(table.span_id[row])
        args: dict[str, Any] = dict(attrs[row])
        args["swarmview.line"] = int(table.line[row])
        event: dict[str, Any] = {"ph": "i", "cat": "event", "name": table.name_of(row), "pid": pid(trace_id),
                                 "ts": _us(int(table.ts[row]), clock.origin), "args": args}
        lane = lane_of_span.get((trace_id, span)) if span else None
        if lane is not None:
            event.update(tid=lane, s="t")
            args["span_id"] = span_hex(span)
        else:
            event.update(tid=0, s="p")
            if span:
                args["span_id"] = span_hex(span)
        out.append(event)


def series_label(name: str, attrs: dict[str, Any]) -> str:
    """A counter track per metric name and attribute set (peer, direction, …) but not per step."""
    rest = {k: v for k, v in sorted(attrs.items()) if k != "step"}
    if not rest:
        return name
    return name + " {" + ", ".join(f"{k}={v}" for k, v in rest.items()) + "}"


def _add_counters(bundle: Bundle, clock: TraceClock, out: list[dict[str, Any]], pid: Callable[[str], int]) -> int:
    """Counter events; returns how many non-finite points were left out (JSON has no NaN)."""
    table = bundle.metrics
    attrs = table.attrs.all() if len(table) else []
    skipped = 0
    for row in range(len(table)):
        value = float(table.value[row])
        if not math.isfinite(value):
            skipped += 1
            continue
        out.append({"ph": "C", "cat": "metric", "name": series_label(table.name_of(row), attrs[row]),
                    "pid": pid(table.trace_of(row)), "tid": 0, "ts": _us(int(table.ts[row]), clock.origin),
                    "args": {"value": value}})
    return skipped


def export_chrome_trace(root: Path, out: Path, *, cancel: threading.Event | None = None,
                        **_options: object) -> dict[str, Any]:
    """``--format chrome-trace``: load the run and write the trace atomically."""
    bundle = load_bundle(root, cancel=cancel)
    document = chrome_trace_document(bundle)
    with atomic_output(Path(out)) as tmp:
        tmp.write_bytes(orjson.dumps(document))
    return document
