"""Concatenate accepted batches into one immutable table, and the checks that need every row."""

from __future__ import annotations

import numpy as np

from .fastpath import FileState, Prepared
from .notes import FileNotes
from .parents import parent_rows
from .tables import AttrColumn, EventTable, MetricTable, SpanTable, Table, empty_table

__all__ = ["build_table", "check_parents"]


def _cat(parts: list[Prepared], key: str, dtype: type) -> np.ndarray:
    """One column, the parts' arrays released as they are copied (peak: one column, not the table)."""
    out = np.empty(sum(len(p.lines) for p in parts), dtype)
    row = 0
    for p in parts:
        out[row : row + len(p)] = p.cols.pop(key)
        row += len(p)
    return out


def _attrs(parts: list[Prepared], st: FileState) -> AttrColumn:
    """The parts' text chunks as they are (no copy), their row offsets gathered."""
    n = sum(len(p) for p in parts)
    first = np.zeros(len(parts) + 1, np.int64)
    starts = np.empty(n, np.int32 if max((len(p.blob) for p in parts), default=0) < 2**31 else np.int64)
    overrides: dict[int, dict] = {}
    row = 0
    for c, p in enumerate(parts):
        first[c] = row
        starts[row : row + len(p)] = p.starts[:-1]
        for i, o in p.overrides.items():
            overrides[row + i] = o
        row += len(p)
    first[-1] = row
    return AttrColumn([p.blob for p in parts], first, starts, overrides, sorted(st.attr_keys))


def _first_seen(codes: np.ndarray, values: list[str]) -> tuple[np.ndarray, list[str]]:
    """Renumber interned codes by first appearance in file order, dropping strings no row uses, so a
    table does not depend on the order lines were processed in (fast and strict paths interleave)."""
    valid = codes >= 0
    seen = codes[valid]
    if not len(seen):
        return codes, []
    run = np.maximum.accumulate(seen)
    if seen[0] == 0 and int(run[-1]) == len(values) - 1 and not np.any(np.diff(run) > 1):
        return codes, list(values)  # already numbered by first appearance (the usual case)
    used, first = np.unique(codes[valid], return_index=True)
    order = used[np.argsort(first, kind="stable")]
    remap = np.full(len(values) + 1, -1, np.int32)  # last slot: -1 stays -1 (unit none)
    remap[order] = np.arange(len(order), dtype=np.int32)
    return remap[codes], [values[int(c)] for c in order]


def build_table(kind: str, parts: list[Prepared], st: FileState) -> Table:
    parts = [p for p in parts if len(p)]
    if not parts:
        t = empty_table(kind)
        return t
    line = np.empty(sum(len(p) for p in parts), np.int32)
    row = 0
    for p in parts:
        line[row : row + len(p)] = p.lines
        row += len(p)
    trace, traces = _first_seen(_cat(parts, "trace", np.int32), st.traces.values)
    name, names = _first_seen(_cat(parts, "name", np.int32), st.names.values)
    attrs = _attrs(parts, st)
    span_id = _cat(parts, "span_id", np.uint64)
    if kind == "spans":
        parent_id = _cat(parts, "parent_id", np.uint64)
        return SpanTable(trace, traces, span_id, parent_id, name, names, _cat(parts, "start", np.uint64),
                         _cat(parts, "end", np.uint64), _cat(parts, "has_end", np.bool_), line, attrs,
                         parent_rows(trace, span_id, parent_id))  # fmt: skip
    ts = _cat(parts, "ts", np.uint64)
    if kind == "events":
        return EventTable(ts, trace, traces, span_id, name, names, line, attrs)
    unit, units = _first_seen(_cat(parts, "unit", np.int32), st.units.values)
    return MetricTable(ts, trace, traces, span_id, name, names, _cat(parts, "value", np.float64), unit, units,
                       line, attrs)  # fmt: skip


def check_parents(t: SpanTable, notes: FileNotes) -> None:
    """UNKNOWN_PARENT_SPAN (F-30): a parent id that matches no span of the same trace."""
    rows = t.parent_row if t.parent_row is not None else parent_rows(t.trace, t.span_id, t.parent_id)
    for row in np.flatnonzero((t.parent_id != 0) & (rows < 0)).tolist():
        pid = f"{int(t.parent_id[row]):016x}"
        notes.add("UNKNOWN_PARENT_SPAN", int(t.line[row]),
                  f"parent_span_id {pid} matches no span of trace {t.trace_ids[int(t.trace[row])]}")  # fmt: skip
