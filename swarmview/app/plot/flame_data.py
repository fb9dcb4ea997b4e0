"""What the flame chart paints, computed in a worker from the bundle's span and event tables (no Qt).

Everything per row is a numpy column so the GUI thread only slices. Colours are palette indexes chosen
by a stable hash of the span name, so a name keeps its colour across runs and sessions.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson

from swarmview.core.lod import SpanLanes, build_span_lanes

PALETTE_SIZE = 20
NODE_KEY_ATTR = "swarmtorch.node_key"


@dataclass(frozen=True)
class EventTrack:
    """Events of one trace group, sorted by time (relative ns) with their rows in the event table."""

    ts: np.ndarray
    rows: np.ndarray


@dataclass(frozen=True)
class FlameData:
    """Lanes, per-row attributes and event tracks of one run, ready for painting."""

    lanes: SpanLanes
    group_labels: list[str]  # trace id per group (span groups first, then event-only traces)
    group_lanes: list[range]  # lanes of each group (empty for event-only groups)
    group_span_counts: list[int]
    events: list[EventTrack]  # one per group
    names: list[str]
    name_code: np.ndarray  # int32 per span row
    colour: np.ndarray  # int16 palette index per span row
    open_: np.ndarray  # bool per span row: no end recorded (drawn to the run end)
    origin: int  # absolute ns of offset 0
    t_min: float  # data extent (relative ns), spans and events
    t_max: float
    node_key_of_id: dict[str, str] = field(default_factory=dict)  # graph node_id -> node_key

    @property
    def span_count(self) -> int:
        return int(self.name_code.shape[0])


def name_colour(name: str) -> int:
    """Palette index of a span name: crc32, stable across processes (unlike ``hash``)."""
    return zlib.crc32(name.encode("utf-8")) % PALETTE_SIZE


def attr_column(attrs: Any, key: str, n: int) -> list[Any]:
    """Values of one attribute for every row (None when absent), via the column API when offered."""
    for method in ("column", "values_of", "get_column"):
        fn = getattr(attrs, method, None)
        if callable(fn):
            try:
                values = fn(key)
            except (KeyError, TypeError, ValueError):
                continue
            return list(values)
    get = getattr(attrs, "get", None)
    if not callable(get):
        return [None] * n
    return [(get(i) or {}).get(key) for i in range(n)]


def _run_times(bundle: Any) -> tuple[int | None, list[int], list[int]]:
    run = getattr(bundle, "run", None) or {}
    created = run.get("created_unix_nanos") if isinstance(run, dict) else None
    lows: list[int] = []
    highs: list[int] = []
    for table, col in ((bundle.spans, "start"), (bundle.events, "ts"), (getattr(bundle, "metrics", None), "ts")):
        values = getattr(table, col, None) if table is not None else None
        if values is not None and len(values):
            lows.append(int(np.min(values)))
            highs.append(int(np.max(values)))
    spans = bundle.spans
    if len(spans.start) and np.any(spans.has_end):
        highs.append(int(np.max(spans.end[spans.has_end])))
    return (int(created) if isinstance(created, int) else None), lows, highs


def build_flame_data(bundle: Any) -> FlameData:
    """Lanes, colours, event tracks and node indexes for ``bundle`` (runs in a worker)."""
    spans = bundle.spans
    created, lows, highs = _run_times(bundle)
    data_min = min(lows) if lows else (created or 0)
    origin = created if created is not None and created <= data_min else data_min
    run_end = max(highs) if highs else origin
    lanes = build_span_lanes(
        spans.trace, spans.span_id, spans.parent_id, spans.start, spans.end, spans.has_end,
        origin=origin, run_end=run_end, parent_row=getattr(spans, "parent_row", None),
    )
    trace_ids: list[str] = list(getattr(spans, "trace_ids", []))
    labels = [trace_ids[t] if 0 <= t < len(trace_ids) else f"trace #{t}" for t in lanes.groups]
    group_lanes = list(lanes.group_lanes)
    counts = [int(sum(lanes.lanes[i].rows.shape[0] for i in r)) for r in group_lanes]
    events = _event_tracks(bundle.events, labels, group_lanes, counts, origin)
    names: list[str] = list(getattr(spans, "names", []))
    name_code = np.asarray(spans.name, dtype=np.int32)
    palette_of_name = np.array([name_colour(n) for n in names] or [0], dtype=np.int16)
    colour = palette_of_name[np.clip(name_code, 0, max(len(names) - 1, 0))] if name_code.size else np.empty(0, np.int16)
    node_key_of_id: dict[str, str] = {}
    graph = getattr(bundle, "graph", None) or {}
    for node in graph.get("nodes", []) if isinstance(graph, dict) else []:
        if isinstance(node, dict) and node.get("node_id") and node.get("node_key") is not None:
            node_key_of_id[str(node["node_id"])] = str(node["node_key"])
    lows_rel = [float(t.ts[0]) for t in events if t.ts.size]
    highs_rel = [float(t.ts[-1]) for t in events if t.ts.size]
    if name_code.size:
        lows_rel.append(lanes.t_min)
        highs_rel.append(lanes.t_max)
    t_min = min(lows_rel, default=0.0)
    t_max = max(highs_rel, default=0.0)
    return FlameData(
        lanes=lanes, group_labels=labels, group_lanes=group_lanes, group_span_counts=counts, events=events,
        names=names, name_code=name_code, colour=colour, open_=~np.asarray(spans.has_end, dtype=bool),
        origin=origin, t_min=t_min, t_max=t_max, node_key_of_id=node_key_of_id,
    )


def _event_tracks(
    events: Any, labels: list[str], group_lanes: list[range], counts: list[int], origin: int
) -> list[EventTrack]:
    """Events grouped under their trace's lanes; traces with events only get their own groups."""
    n = len(events.ts)
    tracks: dict[int, list[int]] = {}
    if n:
        ev_trace_ids: list[str] = list(getattr(events, "trace_ids", []))
        index = {label: gi for gi, label in enumerate(labels)}
        codes = np.asarray(events.trace)
        for code in np.unique(codes).tolist():
            tid = ev_trace_ids[code] if 0 <= code < len(ev_trace_ids) else f"trace #{code}"
            gi = index.get(tid)
            if gi is None:
                gi = len(labels)
                labels.append(tid)
                group_lanes.append(range(0))
                counts.append(0)
                index[tid] = gi
            tracks.setdefault(gi, []).extend(np.flatnonzero(codes == code).tolist())
    ts_all = np.asarray(events.ts, dtype=np.uint64)
    o = np.uint64(origin)
    out: list[EventTrack] = []
    for gi in range(len(labels)):
        rows = np.array(sorted(tracks.get(gi, [])), dtype=np.int64)
        t = ts_all[rows]
        rel = np.where(t >= o, (t - np.minimum(t, o)).astype(np.float64), -((o - np.minimum(t, o)).astype(np.float64)))
        order = np.argsort(rel, kind="stable")
        out.append(EventTrack(rel[order], rows[order]))
    return out


def rows_with_attr(attrs: Any, key: str, value: Any, n: int, cancel: Any = None) -> np.ndarray:
    """Rows whose attributes hold ``key: value``, found in each row's compact JSON text.

    Upstream writes attrs as compact JSON, so ``"key":value`` appears verbatim; scanning bytes avoids
    decoding a million dicts. A row whose text was rewritten (non-finite overrides) is decoded instead.
    ``cancel`` (a threading.Event) stops a scan the user no longer wants.
    """
    text = getattr(attrs, "text", None)
    if not callable(text):
        return np.array([i for i, v in enumerate(attr_column(attrs, key, n)) if v == value], dtype=np.int64)
    needle = orjson.dumps(key) + b":" + orjson.dumps(value)
    first = orjson.dumps(key)[:-1]
    hits = []
    for i in range(n):
        if cancel is not None and i % 65536 == 0 and cancel.is_set():
            break
        raw = text(i)
        if needle in raw:
            hits.append(i)
        elif first in raw and b"null" in raw and attrs.get(i).get(key) == value:
            hits.append(i)
    return np.array(hits, dtype=np.int64)
