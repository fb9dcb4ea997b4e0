"""Parent of every span: the row holding its ``parent_span_id`` in the same trace (F-30, nesting).

One lookup serves the reader's UNKNOWN_PARENT_SPAN check and the timeline's nesting; the reader keeps
its result in ``SpanTable.parent_row`` so the timeline does not look the parents up again.
"""

from __future__ import annotations

import numpy as np

__all__ = ["KERNEL_MIN_SPANS", "parent_rows"]

#: from this many spans the compiled kernel's hash join does the lookup, when numba is installed
KERNEL_MIN_SPANS = 50_000


def parent_rows(trace: np.ndarray, span_id: np.ndarray, parent_id: np.ndarray) -> np.ndarray:
    """int64 row of each span's parent within its trace; -1 when it has none (id 0) or it is unknown.
    A duplicate span id resolves to its first row, which is what a reader can see first."""
    n = int(trace.shape[0])
    trace64 = np.ascontiguousarray(trace, dtype=np.int64)
    sid = np.ascontiguousarray(span_id, dtype=np.uint64)
    pid = np.ascontiguousarray(parent_id, dtype=np.uint64)
    has_parent = pid != 0
    if not n or not has_parent.any():
        return np.full(n, -1, dtype=np.int64)
    if n >= KERNEL_MIN_SPANS:
        from .kernelpath import kernel_module

        kernel = kernel_module()
        if kernel is not None:  # a hash join: one pass, no sort
            return kernel.parent_rows(trace64, sid, pid)
    return _sorted_lookup(trace64, sid, pid, has_parent)


def _sorted_lookup(trace64: np.ndarray, sid: np.ndarray, pid: np.ndarray, has_parent: np.ndarray) -> np.ndarray:
    """One uint64 key per (trace, id): the id mixed with the trace code, one sort and one
    ``searchsorted``. Matches are verified on both columns, so a key collision can only send a lookup
    to the exact (slow) path, never mislink it."""
    n = len(sid)
    parent_row = np.full(n, -1, dtype=np.int64)
    mix = np.uint64(0x9E3779B97F4A7C15)
    t64 = trace64.astype(np.uint64)
    with np.errstate(over="ignore"):
        key_span = sid ^ (t64 * mix)
        key_parent = pid ^ (t64 * mix)
    order = np.argsort(key_span, kind="stable")  # stable: a duplicate id resolves to its first row
    sorted_keys = key_span[order]
    q = np.flatnonzero(has_parent)
    q_order = np.argsort(key_parent[q])  # sorted queries: searchsorted walks memory in order
    pos = np.empty(len(q), np.int64)
    pos[q_order] = np.searchsorted(sorted_keys, key_parent[q][q_order], side="left")
    np.minimum(pos, n - 1, out=pos)
    cand = order[pos]
    same_key = sorted_keys[pos] == key_parent[q]
    found = same_key & (sid[cand] == pid[q]) & (trace64[cand] == trace64[q])
    parent_row[q[found]] = cand[found]
    clash = np.flatnonzero(same_key & ~found)
    if clash.size:  # rare: another (trace, id) shares the key; look the exact pair up
        exact: dict[tuple[int, int], int] = {}
        for r in reversed(range(n)):
            exact[(int(trace64[r]), int(sid[r]))] = r
        for i in clash.tolist():
            row = int(q[i])
            parent_row[row] = exact.get((int(trace64[row]), int(pid[row])), -1)
    return parent_row
