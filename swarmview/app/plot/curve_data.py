"""What a metric curve needs for drawing, computed in a worker: pyramids, markers, restart segments.

numpy only (no pyqtgraph), so ``prepare`` can run off the GUI thread without importing the plotting
library, which the metrics view loads only when it first shows a plot.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from swarmview.core.records.pyramid import MinMaxPyramid, minmax_pyramid


@dataclass(frozen=True)
class CurveData:
    """One series prepared off the GUI thread (pyramids over the point index, independent of x)."""

    y: np.ndarray  # float64, non-finite kept as in the file
    y_draw: np.ndarray  # ±inf replaced by NaN (a gap), what is drawn
    smooth: np.ndarray
    smooth_draw: np.ndarray  # smooth with non-finite as NaN
    raw_pyramid: MinMaxPyramid
    smooth_pyramid: MinMaxPyramid
    nonfinite: np.ndarray  # int64 indexes of NaN/±inf points
    marker_y: np.ndarray  # where to draw each non-finite marker


def prepare_curve(y: np.ndarray, smooth: np.ndarray) -> CurveData:
    """Pyramids of the raw and smoothed values and the non-finite markers (runs in a worker)."""
    y = np.asarray(y, dtype=np.float64)
    finite = np.isfinite(y)
    y_draw = y if not np.isinf(y).any() else np.where(finite, y, np.nan)  # NaN already is a gap
    bad = np.flatnonzero(~finite)
    marker_y = np.zeros(bad.shape[0])
    if bad.size:
        idx = np.arange(y.shape[0])
        prev = np.maximum.accumulate(np.where(finite, idx, -1))
        nxt = np.minimum.accumulate(np.where(finite, idx, y.shape[0])[::-1])[::-1]
        src = np.where(prev[bad] >= 0, prev[bad], nxt[bad])
        marker_y = np.where(src < y.shape[0], y[np.minimum(src, y.shape[0] - 1)], 0.0)
    s_draw = smooth if not np.isinf(smooth).any() else np.where(np.isfinite(smooth), smooth, np.nan)
    index = np.arange(y.shape[0], dtype=np.int64)
    return CurveData(y, y_draw, smooth, s_draw, minmax_pyramid(index, y_draw), minmax_pyramid(index, s_draw),
                     bad, marker_y)


def reduce_indices(p: MinMaxPyramid, i0: int, i1: int, max_points: int) -> np.ndarray:
    """Indexes of the points to draw for ``[i0, i1)``: all of them when few, else each bucket's argmin and
    argmax from the level giving at most ``max_points / 2`` buckets, raw scans for partial edge buckets
    (the index-range twin of ``core.records.pyramid.decimate_for_view``, usable per restart segment)."""
    n = i1 - i0
    if n <= max_points or not p.levels:
        return np.arange(i0, i1, dtype=np.int64)
    k = 1
    while k < len(p.levels) and n / (1 << k) > max_points / 2:
        k += 1
    size = 1 << k
    full0, full1 = -(-i0 // size), i1 // size
    lo, hi = p.levels[k - 1]
    parts = [_edge(p.y, i0, min(i1, full0 * size))]
    if full1 > full0:
        inner = np.stack([lo[full0:full1], hi[full0:full1]], axis=1)
        inner.sort(axis=1)
        parts.append(inner.ravel())
    parts.append(_edge(p.y, max(i0, full1 * size), i1))
    flat = np.concatenate(parts)
    if flat.size > 1:
        flat = flat[np.concatenate(([True], np.diff(flat) != 0))]
    return flat


def _edge(y: np.ndarray, a: int, b: int) -> np.ndarray:
    if b <= a:
        return np.zeros(0, dtype=np.int64)
    seg = y[a:b]
    if np.all(np.isnan(seg)):
        return np.array([a], dtype=np.int64)
    return np.sort(np.array([a + int(np.nanargmin(seg)), a + int(np.nanargmax(seg))], dtype=np.int64))


def segments(x: np.ndarray) -> list[tuple[int, int]]:
    """Index ranges where x does not decrease: a smaller x starts a new segment (VERIFY.md §11)."""
    if x.shape[0] == 0:
        return []
    cuts = np.flatnonzero(np.diff(x) < 0) + 1
    bounds = np.concatenate(([0], cuts, [x.shape[0]]))
    return [(int(a), int(b)) for a, b in pairwise(bounds.tolist())]
