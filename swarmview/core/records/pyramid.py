"""Min/max pyramid of a series for wide plot views (VIEWER_ANCHORS §a.6, W&B "full fidelity").

Drawing 10M points fully zoomed out costs pyqtgraph ~180 ms a frame; instead a pyramid of per-bucket
argmin/argmax (buckets of 2^k consecutive points) is built once in a worker, and each view reads the
level just finer than a pixel: at most 2 points per pixel, every visible extreme kept, only real data
points returned (so hover and export stay truthful). NaN points are gaps: ignored by min/max.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["MinMaxPyramid", "decimate_for_view", "minmax_pyramid"]


@dataclass(frozen=True, eq=False)
class MinMaxPyramid:
    x: np.ndarray  # non-decreasing (one segment)
    y: np.ndarray  # float64
    levels: list[tuple[np.ndarray, np.ndarray]]  # level k+1: (argmin, argmax) per bucket of 2^(k+1) points

    def __len__(self) -> int:
        return len(self.x)


def _pick(y: np.ndarray, a: np.ndarray, b: np.ndarray, take_min: bool) -> np.ndarray:
    """Per pair, the index whose value wins (NaN loses to a number)."""
    ya, yb = y[a], y[b]
    better = (yb < ya) if take_min else (yb > ya)
    better |= np.isnan(ya) & ~np.isnan(yb)
    return np.where(better, b, a)


def minmax_pyramid(x: np.ndarray, y: np.ndarray) -> MinMaxPyramid:
    """Build every level (total memory about 2× the index count of the series)."""
    x = np.asarray(x)
    y = np.asarray(y, np.float64)
    if len(x) != len(y):
        raise ValueError("x and y differ in length")
    levels: list[tuple[np.ndarray, np.ndarray]] = []
    lo = hi = np.arange(len(y), dtype=np.int64)
    while len(lo) > 1:
        if len(lo) % 2:
            lo, hi = np.append(lo, lo[-1]), np.append(hi, hi[-1])
        lo = _pick(y, lo[0::2], lo[1::2], True)
        hi = _pick(y, hi[0::2], hi[1::2], False)
        levels.append((lo, hi))
    return MinMaxPyramid(x, y, levels)


def _edge(y: np.ndarray, a: int, b: int) -> list[int]:
    if b <= a:
        return []
    seg = y[a:b]
    if np.all(np.isnan(seg)):
        return [a]
    return [a + int(np.nanargmin(seg)), a + int(np.nanargmax(seg))]


def decimate_for_view(p: MinMaxPyramid, x0: float, x1: float, pixels: int) -> tuple[np.ndarray, np.ndarray]:
    """Points to draw for the x range [x0, x1] on ``pixels`` columns: the raw points when there are
    at most 2×pixels of them, else per bucket its min and max (in x order), at most 2×pixels points."""
    pixels = max(1, int(pixels))
    i0 = int(np.searchsorted(p.x, x0, side="left"))
    i1 = int(np.searchsorted(p.x, x1, side="right"))
    n = i1 - i0
    if n <= 2 * pixels:
        return p.x[i0:i1], p.y[i0:i1]
    # level k: buckets of 2^k points; partial edge buckets are scanned raw so no visible extreme is lost
    k = 1
    while True:
        size = 1 << k
        full0, full1 = -(-i0 // size), i1 // size  # whole buckets inside [i0, i1)
        nb = max(0, full1 - full0) + (i0 < full0 * size) + (full1 * size < i1)
        if nb <= pixels or k >= len(p.levels):
            break
        k += 1
    lo, hi = p.levels[k - 1]
    idx = [_edge(p.y, i0, min(i1, full0 * size))]
    inner = np.stack([lo[full0:full1], hi[full0:full1]], axis=1)
    inner.sort(axis=1)
    idx.append(inner.ravel().tolist())
    idx.append(_edge(p.y, max(i0, full1 * size), i1))
    flat = np.array([i for part in idx for i in sorted(part)], np.int64)
    if len(flat) > 1:
        flat = flat[np.concatenate([[True], np.diff(flat) != 0])]
    return p.x[flat], p.y[flat]
