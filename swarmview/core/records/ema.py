"""TensorBoard-compatible smoothing (VIEWER_ANCHORS §a.2, ``classicSmoothing``), vectorized.

Users compare curves with TensorBoard, so the recurrence is the same: weight clamped to [0, 1]
(non-finite → 0), constant series returned unchanged, non-finite points passed through without
advancing the debias count, ``last = w·last + (1−w)·y``, output ``last / (1 − wⁿ)`` (÷1 when w = 1),
x spacing ignored. Computed on the full series, segment by segment (restarts smooth separately,
VERIFY.md §11), never on a decimated one.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

__all__ = ["DEFAULT_WEIGHT", "ema", "ema_segments"]

DEFAULT_WEIGHT = 0.6


def _clamp(weight: float) -> float:
    if not math.isfinite(weight):
        return 0.0
    return min(1.0, max(0.0, float(weight)))


def _ema_finite(y: np.ndarray, w: float) -> np.ndarray:
    """``last_k`` of the recurrence over finite values, blockwise with cumulative sums.

    Inside a block ``last_k = w^(k+1)·carry + (1−w)·w^k·Σ_{j≤k} w^(−j)·y_j`` (k from the block start);
    the block length keeps ``w^(−k)`` far from overflow.
    """
    n = len(y)
    out = np.empty(n, np.float64)
    if w == 0.0:
        out[:] = y
        return out
    if w == 1.0:
        out[:] = 0.0
        return out
    block = max(1, min(4096, int(250.0 / -math.log10(w))))
    k = np.arange(block, dtype=np.float64)
    wk = w**k  # w^k
    winv = w ** (-k)  # w^-k
    carry = 0.0
    for a in range(0, n, block):
        seg = y[a : a + block]
        m = len(seg)
        s = np.cumsum(seg * winv[:m])
        last = (1.0 - w) * wk[:m] * s + w * wk[:m] * carry
        out[a : a + m] = last
        carry = float(last[-1])
    return out


def ema(y: np.ndarray, weight: float = DEFAULT_WEIGHT) -> np.ndarray:
    """Smoothed copy of ``y`` (one segment)."""
    y = np.asarray(y, np.float64)
    if len(y) == 0 or np.all(y == y[0]):
        return y.copy()
    w = _clamp(weight)
    finite = np.isfinite(y)
    out = y.copy()
    vals = y[finite]
    if len(vals) == 0:
        return out
    last = _ema_finite(vals, w)
    if w == 1.0:
        out[finite] = last
        return out
    # The debias term 1 − wⁿ is exactly 1.0 once wⁿ < 2⁻⁵³; computing wⁿ beyond that only walks
    # into denormals (slow on most CPUs), so it is evaluated for the first few points alone.
    head = len(vals) if w == 0.0 else min(len(vals), math.ceil(54 * math.log(2) / -math.log(w)) + 1)
    debias = np.ones(len(vals), np.float64)
    debias[:head] = 1.0 - w ** np.arange(1, head + 1, dtype=np.float64)
    out[finite] = last / debias
    return out


def ema_segments(y: np.ndarray, segments: np.ndarray, weight: float = DEFAULT_WEIGHT) -> np.ndarray:
    """``ema`` applied to each run ``y[segments[i]:segments[i+1]]`` separately."""
    y = np.asarray(y, np.float64)
    bounds = [*(int(s) for s in segments), len(y)]
    if not bounds or bounds[0] != 0:
        bounds.insert(0, 0)
    out = np.empty_like(y)
    for a, b in itertools.pairwise(bounds):
        out[a:b] = ema(y[a:b], weight)
    return out
