"""Level of detail for the timeline: nesting, lanes, culling and merging never lose a span."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from swarmview.core.lod import (
    build_span_lanes,
    cull,
    lane_blocks,
    merge_subpixel,
    point_columns,
    span_nesting,
    stack_overlaps,
)


def test_nesting_depths_orphans_and_cycles() -> None:
    trace = np.array([0, 0, 0, 1, 1, 0, 0, 0], dtype=np.int32)
    span = np.array([1, 2, 3, 2, 4, 9, 10, 11], dtype=np.uint64)
    # row1 -> row0, row2 -> row1 (depth 2); row3 in trace 1 has parent 1 which only exists in trace 0
    # (orphan); row4 -> row3; row5 parent 77 unknown; rows 6/7 form a cycle.
    parent = np.array([0, 1, 2, 1, 2, 77, 11, 10], dtype=np.uint64)
    nest = span_nesting(trace, span, parent)
    assert nest.depth.tolist() == [0, 1, 2, 0, 1, 0, 0, 0]
    assert nest.orphan.tolist() == [False, False, False, True, False, True, True, True]
    assert nest.parent_row.tolist() == [-1, 0, 1, -1, 3, -1, -1, -1]


def test_lanes_group_per_trace_and_open_spans_reach_run_end() -> None:
    trace = np.array([1, 1, 0], dtype=np.int32)
    span = np.array([1, 2, 3], dtype=np.uint64)
    parent = np.array([0, 1, 0], dtype=np.uint64)
    start = np.array([1_000, 1_100, 1_500], dtype=np.uint64)
    end = np.array([1_400, 0, 1_600], dtype=np.uint64)
    has_end = np.array([True, False, True])
    lanes = build_span_lanes(trace, span, parent, start, end, has_end, origin=900, run_end=2_000)
    assert lanes.groups == [1, 0]  # the trace that starts first comes first
    assert [len(r) for r in lanes.group_lanes] == [2, 1]
    assert lanes.rel_end[1] == 1_100.0  # open span drawn to the run end
    assert lanes.t_min == 100.0 and lanes.t_max == 1_100.0
    assert lanes.lane_of_row.tolist() == [0, 1, 2]


def test_origin_after_some_spans_gives_negative_offsets() -> None:
    lanes = build_span_lanes(
        np.zeros(1, np.int32), np.ones(1, np.uint64), np.zeros(1, np.uint64),
        np.array([5], np.uint64), np.array([20], np.uint64), np.array([True]), origin=10, run_end=20,
    )
    assert lanes.rel_start.tolist() == [-5.0] and lanes.rel_end.tolist() == [10.0]


def test_cull_uses_running_max_of_ends() -> None:
    start = np.array([0.0, 1.0, 2.0, 50.0, 90.0])
    end = np.array([100.0, 1.5, 3.0, 60.0, 95.0])
    lo, hi = cull(start, np.maximum.accumulate(end), 70.0, 80.0)
    assert (lo, hi) == (0, 4)  # the first span is still open across the view
    lo, hi = cull(start[1:], np.maximum.accumulate(end[1:]), 70.0, 80.0)
    assert (lo, hi) == (3, 3)  # nothing intersects


def test_merge_keeps_wide_spans_and_merges_narrow_runs() -> None:
    start = np.array([0.0, 0.2, 0.4, 10.0, 20.0])
    end = np.array([0.1, 0.3, 0.5, 15.0, 20.5])
    blocks = merge_subpixel(start, end, px=1.0)
    assert blocks.start.tolist() == [0.0, 10.0, 20.0]
    assert blocks.end.tolist() == [0.5, 15.0, 20.5]
    assert blocks.count.tolist() == [3, 1, 1]
    assert blocks.first.tolist() == [0, 3, 4]
    assert blocks.last.tolist() == [2, 3, 4]


def test_point_columns_one_marker_per_pixel() -> None:
    ts = np.array([0.0, 0.1, 0.9, 1.2, 5.0, 11.0])
    t, counts, first = point_columns(ts, 0.0, 10.0, 1.0)
    assert t.tolist() == [0.0, 1.2, 5.0]
    assert counts.tolist() == [3, 1, 1]
    assert first.tolist() == [0, 3, 4]


spans_strategy = st.lists(
    st.tuples(st.floats(0, 1_000, allow_nan=False), st.floats(0, 50, allow_nan=False)), min_size=0, max_size=200
)


@settings(max_examples=300, deadline=None)
@given(spans=spans_strategy, px=st.floats(0.001, 100, allow_nan=False),
       window=st.tuples(st.floats(-10, 1_100), st.floats(0, 1_200)))
def test_merged_blocks_cover_exactly_the_culled_spans(spans, px, window) -> None:
    """No span is lost: every culled span lies inside exactly one block, counts add up and each block's
    extent is exactly the min start / max end of the spans it represents."""
    spans = sorted(spans)
    start = np.array([s for s, _ in spans], dtype=np.float64)
    end = start + np.array([d for _, d in spans], dtype=np.float64)
    t0, t1 = min(window), max(window)
    lo, hi = cull(start, np.maximum.accumulate(end) if end.size else end, t0, t1)
    # culling keeps every span that intersects the window
    intersects = np.flatnonzero((start <= t1) & (end >= t0))
    assert np.all((intersects >= lo) & (intersects < hi))
    s, e = start[lo:hi], end[lo:hi]
    blocks = merge_subpixel(s, e, px)
    assert int(blocks.count.sum()) == hi - lo
    assert np.all(np.diff(blocks.start) >= 0)
    if s.size == 0:
        assert blocks.start.size == 0
        return
    # the union of blocks has exactly the extent of the culled spans; nothing is invented
    assert blocks.start.min() == s.min() and blocks.end.max() == e.max()
    assert set(blocks.start.tolist()) <= set(s.tolist())
    assert set(blocks.end.tolist()) <= set(e.tolist())
    # every culled span lies inside some block
    inside = (blocks.start[None, :] <= s[:, None]) & (e[:, None] <= blocks.end[None, :])
    assert inside.any(axis=1).all()
    # single blocks are their span; merged blocks hold that many sub-pixel spans and stand apart
    first = blocks.first
    single = blocks.count == 1
    assert np.array_equal(s[first[single]], blocks.start[single])
    assert np.array_equal(e[first[single]], blocks.end[single])
    narrow = (e - s) < px
    for b in np.flatnonzero(~single):
        held = narrow & (s >= blocks.start[b]) & (e <= blocks.end[b])
        assert int(held.sum()) >= int(blocks.count[b])
    merged = np.flatnonzero(narrow[first])
    if merged.size > 1:
        assert np.all(blocks.start[merged][1:] > blocks.end[merged][:-1])
    assert int(blocks.count[narrow[first]].sum()) == int(narrow.sum())
    assert np.all(blocks.last >= blocks.first)
    assert np.array_equal(blocks.last[single], blocks.first[single])
    assert np.all(s[blocks.last] <= blocks.end)


@settings(max_examples=100, deadline=None)
@given(spans=spans_strategy, px=st.floats(0.01, 20, allow_nan=False))
def test_lane_blocks_count_equals_culled(spans, px) -> None:
    trace = np.zeros(len(spans), np.int32)
    ids = np.arange(1, len(spans) + 1, dtype=np.uint64)
    start = np.array([int(s * 1000) for s, _ in spans], np.uint64)
    end = start + np.array([int(d * 1000) for _, d in spans], np.uint64)
    lanes = build_span_lanes(trace, ids, np.zeros_like(ids), start, end, np.ones(len(spans), bool),
                             origin=0, run_end=2_000_000)
    total = 0
    for lane in lanes.lanes:
        blocks, n = lane_blocks(lane, 0.0, 2e6, px * 1000)
        assert int(blocks.count.sum()) == n
        total += n
    assert total == len(spans)


def test_overlapping_spans_of_one_depth_are_stacked() -> None:
    """Roots of one trace that overlap (a run span and scheduler op spans in ``rich``) get their own rows."""
    start = np.array([0.0, 1.0, 2.0, 5.0, 10.0, 10.0])
    end = np.array([20.0, 3.0, 4.0, 6.0, 12.0, 10.0])
    rows = stack_overlaps(start, end)
    assert rows.tolist() == [0, 1, 2, 1, 1, 2]
    for r in set(rows.tolist()):
        s, e = start[rows == r], end[rows == r]
        assert np.all(s[1:] >= e[:-1])
    assert stack_overlaps(np.array([0.0, 1.0, 2.0]), np.array([1.0, 2.0, 3.0])).tolist() == [0, 0, 0]


@settings(max_examples=200, deadline=None)
@given(spans=spans_strategy)
def test_stacking_never_overlaps_and_keeps_every_span(spans) -> None:
    spans = sorted(spans)
    start = np.array([s for s, _ in spans], dtype=np.float64)
    end = start + np.array([d for _, d in spans], dtype=np.float64)
    rows = stack_overlaps(start, end)
    assert rows.shape == start.shape
    for r in set(rows.tolist()):
        s, e = start[rows == r], end[rows == r]
        assert np.all(s[1:] >= e[:-1])


def test_parent_lookup_survives_key_collisions() -> None:
    """Two (trace, id) pairs with the same mixed key: the exact path still finds the right parent."""
    mix = 0x9E3779B97F4A7C15
    trace = np.array([0, 1, 1], dtype=np.int32)
    span = np.array([5, 5 ^ mix, 7], dtype=np.uint64)
    parent = np.array([0, 0, 5 ^ mix], dtype=np.uint64)
    nest = span_nesting(trace, span, parent)
    assert nest.parent_row.tolist() == [-1, -1, 1]
    assert nest.depth.tolist() == [0, 0, 1]
    assert not nest.orphan.any()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 12), st.integers(0, 12)), max_size=80))
def test_kernel_and_numpy_parent_lookups_agree(rows) -> None:
    """The compiled hash join gives the parents of the numpy sort-and-search, duplicates, cycles,
    orphans and all (span id 0 means none)."""
    from swarmview.core import lod
    from swarmview.core.records import kernelpath, parents

    if not kernelpath.available():
        pytest.skip("numba not installed")
    trace = np.array([t for t, _, _ in rows], np.int32)
    sid = np.array([s for _, s, _ in rows], np.uint64)
    pid = np.array([p for _, _, p in rows], np.uint64)
    saved = parents.KERNEL_MIN_SPANS
    try:
        parents.KERNEL_MIN_SPANS = 1 << 62
        a = lod.span_nesting(trace, sid, pid)
        parents.KERNEL_MIN_SPANS = 0
        b = lod.span_nesting(trace, sid, pid)
    finally:
        parents.KERNEL_MIN_SPANS = saved
    assert a.parent_row.tolist() == b.parent_row.tolist()
    assert a.depth.tolist() == b.depth.tolist() and a.orphan.tolist() == b.orphan.tolist()
