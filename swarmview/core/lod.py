"""Level of detail for the timeline: span nesting, lanes, culling and sub-pixel merging (numpy only).

A run can hold millions of spans while a screen is ~2 000 pixels wide, so the timeline never draws
spans one by one. Lanes (one per trace and nesting depth) are built once in a worker; each frame culls a
lane to the visible range with ``searchsorted`` and merges every run of spans narrower than a pixel into
one block that keeps the true count and the exact extent (VIEWER_ANCHORS §a.6: counts never lie).
Times here are float64 nanoseconds relative to an origin (exact up to ~104 days of run).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

from swarmview.core.records.parents import parent_rows

MAX_DEPTH = 256  # deeper chains (or parent cycles) stop here and are marked as orphans


@dataclass(frozen=True)
class Nesting:
    """Per-row nesting facts derived from ``parent_span_id`` within each trace."""

    depth: np.ndarray  # int32, 0 for roots and for spans whose parent is unknown
    parent_row: np.ndarray  # int64 row of the parent span, -1 when none or unknown
    orphan: np.ndarray  # bool: parent id set but not found in the same trace (or a parent cycle)


def span_nesting(trace: np.ndarray, span_id: np.ndarray, parent_id: np.ndarray,
                 parent_row: np.ndarray | None = None) -> Nesting:  # fmt: skip
    """Depth of every span from its parent chain, looked up within its own trace.

    Parents come from ``parent_row`` when the reader already found them (``SpanTable.parent_row``),
    else from :func:`records.parents.parent_rows`; depth is then found by walking all chains one level
    per numpy step, so the cost is O(n * max depth) after the lookup.
    """
    n = int(trace.shape[0])
    has_parent = parent_id != 0
    parent_row = (parent_rows(trace, span_id, parent_id) if parent_row is None
                  else np.array(parent_row, dtype=np.int64))  # a copy: cycles are cut below  # fmt: skip
    orphan = has_parent & (parent_row < 0)
    depth = np.zeros(n, dtype=np.int32)
    cur = parent_row.copy()
    live = np.flatnonzero(cur >= 0)
    steps = 0
    while live.size and steps < MAX_DEPTH:
        depth[live] += 1
        cur[live] = parent_row[cur[live]]
        live = live[cur[live] >= 0]
        steps += 1
    if live.size:  # a cycle or an absurdly deep chain: show it flat and marked
        depth[live] = 0
        orphan[live] = True
        parent_row[live] = -1
    return Nesting(depth=depth, parent_row=parent_row, orphan=orphan)


@dataclass(frozen=True)
class Lane:
    """Spans of one (trace, depth) lane, sorted by start; times relative to the layout origin."""

    group: int  # index into SpanLanes.groups
    depth: int
    rows: np.ndarray  # int64 rows of the span table
    start: np.ndarray  # float64, sorted
    end: np.ndarray  # float64, open spans end at the run end
    max_end: np.ndarray  # running maximum of ``end``: lets ``searchsorted`` find the first visible span
    sub: int = 0  # 0, or the extra row that overlapping spans of this depth were stacked into


@dataclass(frozen=True)
class SpanLanes:
    """Everything the timeline needs to paint spans, computed once off the GUI thread."""

    origin: int  # absolute ns of time 0 (run start)
    t_min: float  # extent of the data, relative ns
    t_max: float
    groups: list[int]  # trace codes in display order (first start first)
    group_lanes: list[range]  # lane indexes of each group
    lanes: list[Lane]
    nesting: Nesting
    rel_start: np.ndarray  # float64 per row
    rel_end: np.ndarray  # float64 per row (run end for open spans)
    lane_of_row: np.ndarray  # int32 lane index per row


def build_span_lanes(
    trace: np.ndarray,
    span_id: np.ndarray,
    parent_id: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    has_end: np.ndarray,
    *,
    origin: int,
    run_end: int,
    parent_row: np.ndarray | None = None,
) -> SpanLanes:
    """Group spans into lanes per trace and depth; open spans are drawn up to ``run_end``.

    ``start``/``end`` are absolute uint64 nanoseconds; subtraction happens in integers before the
    conversion to float so nanosecond offsets survive. ``parent_row``: the parents, when known.
    """
    n = int(trace.shape[0])
    nest = span_nesting(trace, span_id, parent_id, parent_row)
    o = np.uint64(origin)
    rel_start = _rel(start.astype(np.uint64, copy=False), o)
    end_abs = np.where(has_end, end.astype(np.uint64, copy=False), np.uint64(max(run_end, 0)))
    rel_end = np.maximum(_rel(end_abs, o), rel_start)  # negative durations drawn as zero-width
    lane_of_row = np.zeros(n, dtype=np.int32)
    lanes: list[Lane] = []
    groups: list[int] = []
    group_lanes: list[range] = []
    if n:
        trace64 = trace.astype(np.int64, copy=False)
        first_start: dict[int, float] = {}
        order = np.lexsort((rel_start, nest.depth, trace64))
        s_trace = trace64[order]
        bounds = np.flatnonzero(np.diff(s_trace)) + 1
        tstarts = np.concatenate(([0], bounds))
        tends = np.concatenate((bounds, [n]))
        for a, b in zip(tstarts.tolist(), tends.tolist(), strict=True):
            first_start[int(s_trace[a])] = float(rel_start[order[a:b]].min())
        trace_order = sorted(first_start, key=lambda t: (first_start[t], t))
        block_of = {int(s_trace[a]): (a, b) for a, b in zip(tstarts.tolist(), tends.tolist(), strict=True)}
        for gi, t in enumerate(trace_order):
            a, b = block_of[t]
            rows_t = order[a:b]
            d = nest.depth[rows_t]
            dbounds = np.flatnonzero(np.diff(d)) + 1
            first_lane = len(lanes)
            max_depth = int(d[-1])
            # every depth up to the deepest gets a lane, so lanes sit at a fixed depth below the header
            by_depth = dict.fromkeys(range(max_depth + 1), np.empty(0, dtype=np.int64))
            for da, db in zip(
                np.concatenate(([0], dbounds)).tolist(), np.concatenate((dbounds, [b - a])).tolist(), strict=True
            ):
                by_depth[int(d[da])] = rows_t[da:db].astype(np.int64)
            for depth, rows_d in by_depth.items():
                sub = stack_overlaps(rel_start[rows_d], rel_end[rows_d])
                for k in range(int(sub.max()) + 1 if sub.size else 1):
                    rows = rows_d[sub == k]
                    s = rel_start[rows]
                    e = rel_end[rows]
                    lane_of_row[rows] = len(lanes)
                    max_end = np.maximum.accumulate(e) if e.size else e
                    lanes.append(Lane(gi, depth, rows, s, e, max_end, sub=k))
            groups.append(t)
            group_lanes.append(range(first_lane, len(lanes)))
    t_min = float(rel_start.min()) if n else 0.0
    t_max = float(rel_end.max()) if n else 0.0
    return SpanLanes(origin, t_min, t_max, groups, group_lanes, lanes, nest, rel_start, rel_end, lane_of_row)


def stack_overlaps(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Row (0, 1, …) for each start-sorted span so that spans sharing a row never overlap.

    Roots of one trace, or concurrent siblings, share a depth; drawn in one row they would hide each
    other (Perfetto stacks them too). Lanes without overlap, the common case, cost one vectorised test;
    others are packed greedily (first free row), O(n log rows).
    """
    n = int(start.shape[0])
    rows = np.zeros(n, dtype=np.int32)
    if n < 2 or not np.any(start[1:] < np.maximum.accumulate(end)[:-1]):
        return rows
    busy: list[tuple[float, int]] = []  # (end, row) of rows in use
    free: list[int] = []
    count = 0
    for i, (s, e) in enumerate(zip(start.tolist(), end.tolist(), strict=True)):
        while busy and busy[0][0] <= s:
            heapq.heappush(free, heapq.heappop(busy)[1])
        if free:
            r = heapq.heappop(free)
        else:
            r = count
            count += 1
        rows[i] = r
        heapq.heappush(busy, (max(e, s), r))
    return rows


def _rel(values: np.ndarray, origin: np.uint64) -> np.ndarray:
    """``values - origin`` as float64, correct for values on either side of the origin."""
    ahead = values >= origin
    out = np.empty(values.shape[0], dtype=np.float64)
    out[ahead] = (values[ahead] - origin).astype(np.float64)
    out[~ahead] = -((origin - values[~ahead]).astype(np.float64))
    return out


def cull(start: np.ndarray, max_end: np.ndarray, t0: float, t1: float) -> tuple[int, int]:
    """Index range ``[lo, hi)`` of a start-sorted lane that may intersect ``[t0, t1]``.

    Every span before ``lo`` ends before ``t0`` (running max of ends) and every span from ``hi`` on
    starts after ``t1``; spans inside the range that end before ``t0`` are harmless (drawn off-screen).
    """
    lo = int(np.searchsorted(max_end, t0, side="left"))
    hi = int(np.searchsorted(start, t1, side="right"))
    return lo, max(lo, hi)


@dataclass(frozen=True)
class Blocks:
    """What to draw for one lane: single spans (count 1) and merged runs of sub-pixel spans."""

    start: np.ndarray  # float64
    end: np.ndarray  # float64
    count: np.ndarray  # int64 spans represented by each block
    first: np.ndarray  # int64 index (into the lane arrays) of the block's first span
    last: np.ndarray  # int64 index of its last span (== first for single spans)


def merge_subpixel(start: np.ndarray, end: np.ndarray, px: float, count: np.ndarray | None = None) -> Blocks:
    """Merge runs of spans narrower than ``px`` whose gaps are under ``px`` into one block each.

    Inputs are sorted by start. Spans at least ``px`` wide pass through unchanged. A merged block spans
    exactly from its first start to its last end and counts every span in it, so no span is lost and no
    extent is invented; merged blocks are separated by more than a pixel, so a lane yields O(pixels)
    blocks whatever its size. Output is sorted by start.
    """
    n = int(start.shape[0])
    cnt = np.ones(n, dtype=np.int64) if count is None else count.astype(np.int64, copy=False)
    if n == 0:
        return Blocks(start, end, cnt, np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))
    narrow = (end - start) < px
    if not narrow.any():
        idx = np.arange(n, dtype=np.int64)
        return Blocks(start, end, cnt, idx, idx)
    wide_idx = np.flatnonzero(~narrow)
    nar_idx = np.flatnonzero(narrow)
    ns = start[nar_idx]
    ne = end[nar_idx]
    reach = np.maximum.accumulate(ne)
    new = np.empty(nar_idx.shape[0], dtype=bool)
    new[0] = True
    new[1:] = ns[1:] > reach[:-1] + px
    heads = np.flatnonzero(new)
    m_start = ns[heads]
    m_end = np.maximum.reduceat(ne, heads)
    m_count = np.add.reduceat(cnt[nar_idx], heads)
    m_first = nar_idx[heads]
    m_last = nar_idx[np.concatenate((heads[1:], [nar_idx.shape[0]])) - 1]
    if wide_idx.size == 0:
        return Blocks(m_start, m_end, m_count, m_first, m_last)
    all_start = np.concatenate((start[wide_idx], m_start))
    order = np.argsort(all_start, kind="stable")
    return Blocks(
        all_start[order],
        np.concatenate((end[wide_idx], m_end))[order],
        np.concatenate((cnt[wide_idx], m_count))[order],
        np.concatenate((wide_idx, m_first))[order],
        np.concatenate((wide_idx, m_last))[order],
    )


def lane_blocks(lane: Lane, t0: float, t1: float, px: float) -> tuple[Blocks, int]:
    """Cull ``lane`` to ``[t0, t1]`` and merge sub-pixel spans; returns blocks (``first`` indexes the
    lane arrays) and the number of spans culled in, which equals ``blocks.count.sum()``."""
    lo, hi = cull(lane.start, lane.max_end, t0, t1)
    blocks = merge_subpixel(lane.start[lo:hi], lane.end[lo:hi], px)
    return Blocks(blocks.start, blocks.end, blocks.count, blocks.first + lo, blocks.last + lo), hi - lo


def point_columns(ts: np.ndarray, t0: float, t1: float, px: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Events sorted by time, culled to ``[t0, t1]`` and reduced to one marker per pixel column.

    Returns (time of the first event of each column, count per column, index of that first event).
    """
    lo = int(np.searchsorted(ts, t0, side="left"))
    hi = int(np.searchsorted(ts, t1, side="right"))
    seg = ts[lo:hi]
    if seg.size == 0:
        empty = np.empty(0, dtype=np.int64)
        return seg, empty, empty
    col = np.floor((seg - t0) / px).astype(np.int64)
    heads = np.flatnonzero(np.concatenate(([True], col[1:] != col[:-1])))
    counts = np.diff(np.concatenate((heads, [seg.size])))
    return seg[heads], counts, heads + lo

