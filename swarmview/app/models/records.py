"""Row access over the core's columnar tables (docs/internal-api.md, "records"), as plain dicts.

The tables are numpy columns plus interned string lists; the details panel and tooltips want one row
as readable fields. Access is tolerant (``getattr`` with defaults) because a damaged run may come with
partial tables.
"""

from __future__ import annotations

from typing import Any

from swarmview.app.models.format import attrs_text, duration, utc_time


def table_len(table: Any) -> int:
    """Rows in a SpanTable/EventTable/MetricTable (0 for None)."""
    if table is None:
        return 0
    try:
        return len(table)
    except TypeError:
        pass
    for col in ("ts", "start", "span_id", "line"):
        arr = getattr(table, col, None)
        if arr is not None:
            return len(arr)
    return 0


def _code(table: Any, column: str, names: str, i: int) -> str | None:
    codes = getattr(table, column, None)
    values = getattr(table, names, None)
    if codes is None or values is None:
        return None
    c = int(codes[i])
    return values[c] if 0 <= c < len(values) else None


def span_hex(v: Any) -> str | None:
    """uint64 span id → 16 hex digits; 0 means "none" (contract)."""
    if v is None:
        return None
    n = int(v)
    return f"{n:016x}" if n else None


def attrs_of(table: Any, i: int) -> dict[str, Any]:
    column = getattr(table, "attrs", None)
    if column is None:
        return {}
    try:
        return dict(column.get(i))
    except (IndexError, KeyError, TypeError, AttributeError):
        return {}


def event_name(table: Any, i: int) -> str:
    return _code(table, "name", "names", i) or ""


def event_fields(table: Any, i: int) -> dict[str, Any]:
    ts = int(table.ts[i])
    return {
        "name": event_name(table, i),
        "time": utc_time(ts),
        "ts_unix_nanos": ts,
        "trace_id": _code(table, "trace", "trace_ids", i),
        "span_id": span_hex(table.span_id[i]) if getattr(table, "span_id", None) is not None else None,
        "line": int(table.line[i]) if getattr(table, "line", None) is not None else None,
        "attrs": attrs_of(table, i),
    }


def span_fields(table: Any, i: int) -> dict[str, Any]:
    start = int(table.start[i])
    has_end = bool(table.has_end[i]) if getattr(table, "has_end", None) is not None else True
    end = int(table.end[i]) if has_end else None
    return {
        "name": _code(table, "name", "names", i) or "",
        "start": utc_time(start),
        "end": utc_time(end) if end is not None else "unfinished",
        "duration": duration(end - start) if end is not None else "unfinished",
        "trace_id": _code(table, "trace", "trace_ids", i),
        "span_id": span_hex(table.span_id[i]),
        "parent_span_id": span_hex(table.parent_id[i]) if getattr(table, "parent_id", None) is not None else None,
        "line": int(table.line[i]) if getattr(table, "line", None) is not None else None,
        "attrs": attrs_of(table, i),
    }


def find_span_row(spans: Any, trace_id: str | None, span_id: str | None) -> int | None:
    """Row of the span with these ids (events point at their span), or None."""
    if spans is None or not span_id:
        return None
    try:
        target = int(span_id, 16)
    except ValueError:
        return None
    ids = getattr(spans, "span_id", None)
    if ids is None:
        return None
    import numpy as np

    rows = np.flatnonzero(np.asarray(ids) == np.uint64(target))
    for r in rows:
        if trace_id is None or _code(spans, "trace", "trace_ids", int(r)) == trace_id:
            return int(r)
    return None


def describe_attrs(attrs: dict[str, Any]) -> str:
    return attrs_text(attrs)
