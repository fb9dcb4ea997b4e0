"""Rasterising lanes: every visible block gets a pixel, later blocks win, touching blocks get a gap."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from swarmview.app.plot.raster import colour_row, hatch_pattern, owner_rows


def test_owner_rows_basic() -> None:
    x0 = np.array([0.2, 3.0, 3.5, -5.0, 8.0])
    x1 = np.array([0.4, 6.0, 4.0, -1.0, 30.0])
    lane = np.array([0, 0, 0, 1, 1])
    owner = owner_rows(x0, x1, lane, 2, 10)
    assert owner[0].tolist() == [0, -1, -1, 2, 1, 1, -1, -1, -1, -1]  # sub-pixel block: 1 px, on top
    assert owner[1].tolist() == [-1] * 8 + [4, 4]  # a block ending left of the view paints nothing


def test_colour_row_gap_between_touching_blocks() -> None:
    owner = np.array([[0, 0, 1, 1, -1]])
    table = np.array([10, 20], dtype=np.uint32)
    row = colour_row(owner, np.array([0, 1]), table, 0, 99)
    assert row.tolist() == [[10, 10, 99, 20, 0]]
    assert hatch_pattern(4, 6).shape == (4, 6)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(-50, 250), st.floats(0, 80)), min_size=1, max_size=60))
def test_every_visible_block_owns_a_pixel_unless_covered_later(blocks) -> None:
    x0 = np.array([a for a, _ in blocks])
    x1 = x0 + np.array([w for _, w in blocks])
    owner = owner_rows(x0, x1, np.zeros(len(blocks), np.int64), 1, 200)[0]
    for i in range(len(blocks)):
        if x1[i] < 0 or x0[i] >= 200:  # pixels cover [0, 200): a block starting at 200 is off-screen
            continue
        lo = int(min(max(np.floor(x0[i]), 0), 199))
        hi = int(min(max(np.ceil(x1[i]), lo + 1), 200))
        seen = set(owner[lo:hi].tolist())
        assert i in seen or any(j > i for j in seen)  # painted, or painted over by a later block
