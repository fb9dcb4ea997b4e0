"""Concatenate accepted batches into one immutable table, and the checks that need every row."""

from __future__ import annotations

import numpy as np

from .fastpath import FileState, Prepared
from .notes import FileNotes
from .tables import AttrColumn, EventTable, MetricTable, SpanTable, Table, empty_table

__all__ = ["build_table", "check_parents"]


def _cat(parts: list[Prepared], key: str, dtype: type) -> np.ndarray:
    return np.concatenate([p.cols[key] for p in parts]).astype(dtype, copy=False)


def _attrs(parts: list[Prepared], st: FileState) -> AttrColumn:
    """One blob for the file: the batches' blobs joined by "," and their row offsets shifted."""
    starts = np.empty(sum(len(p) for p in parts) + 1, np.int64)
    base, row = 0, 0
    for p in parts:
        starts[row : row + len(p)] = p.starts[:-1] + base
        base += len(p.blob) + 1
        row += len(p)
    starts[row] = base
    blob = b",".join(p.blob for p in parts)
    overrides: dict[int, dict] = {}
    row = 0
    for p in parts:
        for i, o in p.overrides.items():
            overrides[row + i] = o
        row += len(p)
    return AttrColumn(blob, starts, overrides, sorted(st.attr_keys))


def build_table(kind: str, parts: list[Prepared], st: FileState) -> Table:
    parts = [p for p in parts if len(p)]
    if not parts:
        t = empty_table(kind)
        return t
    line = np.concatenate([p.lines for p in parts]).astype(np.int32)
    trace = _cat(parts, "trace", np.int32)
    name = _cat(parts, "name", np.int32)
    attrs = _attrs(parts, st)
    span_id = _cat(parts, "span_id", np.uint64)
    if kind == "spans":
        return SpanTable(trace, list(st.traces.values), span_id, _cat(parts, "parent_id", np.uint64), name,
                         list(st.names.values), _cat(parts, "start", np.uint64), _cat(parts, "end", np.uint64),
                         _cat(parts, "has_end", np.bool_), line, attrs)  # fmt: skip
    ts = _cat(parts, "ts", np.uint64)
    if kind == "events":
        return EventTable(ts, trace, list(st.traces.values), span_id, name, list(st.names.values), line, attrs)
    return MetricTable(ts, trace, list(st.traces.values), span_id, name, list(st.names.values),
                       _cat(parts, "value", np.float64), _cat(parts, "unit", np.int32), list(st.units.values),
                       line, attrs)  # fmt: skip


def check_parents(t: SpanTable, notes: FileNotes) -> None:
    """UNKNOWN_PARENT_SPAN (F-30): a parent id that matches no span of the same trace. Vectorized:
    spans sorted by id, each parent looked up with one ``searchsorted``, then its trace compared."""
    has_parent = np.flatnonzero(t.parent_id != 0)
    if not len(has_parent):
        return
    order = np.argsort(t.span_id, kind="stable")
    sid = t.span_id[order]
    q_sid, q_trc = t.parent_id[has_parent], t.trace[has_parent]
    pos = np.minimum(np.searchsorted(sid, q_sid, side="left"), len(sid) - 1)
    hit = sid[pos] == q_sid
    found = hit & (t.trace[order[pos]] == q_trc)
    # the same span id in several traces: the first match may be another trace's; look further
    for k in np.flatnonzero(hit & ~found).tolist():
        j = int(pos[k])
        while j < len(sid) and sid[j] == q_sid[k]:
            if t.trace[order[j]] == q_trc[k]:
                found[k] = True
                break
            j += 1
    for k in np.flatnonzero(~found).tolist():
        row = int(has_parent[k])
        pid = f"{int(t.parent_id[row]):016x}"
        notes.add("UNKNOWN_PARENT_SPAN", int(t.line[row]),
                  f"parent_span_id {pid} matches no span of trace {t.trace_ids[int(t.trace[row])]}")  # fmt: skip
