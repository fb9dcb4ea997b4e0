"""Metric curves that stay fast at 10 M points: pyramids when zoomed out, raw points when zoomed in.

pyqtgraph re-reduces all visible samples on every view change (180 ms per frame at 10 M points), so
each curve hands it at most ~2 real points per pixel picked from a precomputed min/max pyramid
(core.records.pyramid: per-bucket argmin/argmax over the point index, so one pyramid serves every x
mode and every restart segment), with pyqtgraph's own downsampling off. The raw series is drawn faint behind the smoothed one; non-finite points are gaps
marked with a red cross at the last finite value (or the next one), never silently dropped.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

from swarmview.app.plot.curve_data import CurveData, prepare_curve, reduce_indices, segments
from swarmview.core.records.pyramid import MinMaxPyramid

# CurveData and prepare_curve moved to curve_data (numpy only); re-exported for existing importers.
__all__ = ["CurveData", "DecimatedCurve", "prepare_curve", "reduce_indices", "segments"]

POINTS_PER_PIXEL = 2
MAX_MARKERS = 5_000


class DecimatedCurve:
    """The pyqtgraph items of one series on one plot, refreshed for the visible x range."""

    def __init__(self, plot: pg.PlotItem, x: np.ndarray, data: CurveData, colour: QColor, name: str,
                 show_raw: bool = True) -> None:
        self.plot = plot
        self.x = np.asarray(x, dtype=np.float64)
        self.data = data
        self.name = name
        self.segs = segments(self.x)
        faint = QColor(colour)
        faint.setAlpha(70)
        self.raw_item = pg.PlotDataItem(pen=pg.mkPen(faint, width=1), connect="finite")
        self.smooth_item = pg.PlotDataItem(pen=pg.mkPen(colour, width=1.6), connect="finite", name=name)
        for item in (self.raw_item, self.smooth_item):
            item.setDownsampling(auto=False)
            item.setClipToView(False)
        if self.x.shape[0] <= 60:  # a handful of points: show each one, a lone point has no line
            self.smooth_item.setSymbol("o")
            self.smooth_item.setSymbolSize(5)
            self.smooth_item.setSymbolBrush(colour)
            self.smooth_item.setSymbolPen(None)
        plot.addItem(self.raw_item)
        plot.addItem(self.smooth_item)
        self.raw_item.setVisible(show_raw)
        self.marker_item: pg.PlotDataItem | None = None
        if data.nonfinite.size:
            keep = data.nonfinite[:MAX_MARKERS]
            self.marker_item = pg.PlotDataItem(
                self.x[keep], data.marker_y[: keep.size], pen=None, symbol="x", symbolSize=9,
                symbolPen=pg.mkPen(QColor(210, 40, 40), width=2), symbolBrush=None,
            )
            plot.addItem(self.marker_item)
        self.last_points = 0

    def set_smooth(self, data: CurveData) -> None:
        self.data = data

    def visible_ranges(self, x0: float, x1: float) -> list[tuple[int, int]]:
        """Index ranges of each segment inside ``[x0, x1]``, one point of margin on each side."""
        out = []
        for a, b in self.segs:
            seg = self.x[a:b]
            lo = max(int(np.searchsorted(seg, x0, side="left")) - 1, 0)
            hi = min(int(np.searchsorted(seg, x1, side="right")) + 1, b - a)
            if hi > lo:
                out.append((a + lo, a + hi))
        return out

    def _reduced(self, y: np.ndarray, pyramid: MinMaxPyramid, ranges: list[tuple[int, int]],
                 max_points: int) -> tuple[np.ndarray, np.ndarray]:
        xs: list[np.ndarray] = []
        ys: list[np.ndarray] = []
        for lo, hi in ranges:
            idx = reduce_indices(pyramid, lo, hi, max_points)
            rx, ry = self.x[idx], y[idx]
            if xs:  # a NaN between segments: restarts are drawn apart, never joined
                xs.append(np.array([np.nan]))
                ys.append(np.array([np.nan]))
            xs.append(rx)
            ys.append(ry)
        # The first and last points, apart (NaN-separated, no symbol): pyqtgraph's auto-range reads the
        # item's bounds, which must span the whole series, not only the visible part.
        n = self.x.shape[0]
        if n:
            xs = [self.x[:1], np.array([np.nan]), *xs, np.array([np.nan]), self.x[-1:]]
            ys = [y[:1], np.array([np.nan]), *ys, np.array([np.nan]), y[-1:]]
        if not xs:
            return np.zeros(0), np.zeros(0)
        return np.concatenate(xs), np.concatenate(ys)

    def refresh(self, x0: float, x1: float, width_px: float, log_y: bool) -> None:
        ranges = self.visible_ranges(x0, x1)
        max_points = max(int(width_px * POINTS_PER_PIXEL), 64)
        for item, y, pyr in ((self.raw_item, self.data.y_draw, self.data.raw_pyramid),
                             (self.smooth_item, self.data.smooth_draw, self.data.smooth_pyramid)):
            if item is self.raw_item and not item.isVisible():
                continue
            xs, ys = self._reduced(y, pyr, ranges, max_points)
            if log_y:
                ys = np.where(ys > 0, ys, np.nan)
            if not np.isfinite(ys).any():  # nothing drawable (e.g. log of values <= 0): no NaN-only data
                xs, ys = np.zeros(0), np.zeros(0)
            item.setData(xs, ys, connect="finite")
            self.last_points = int(xs.shape[0])

    def x_extent(self) -> tuple[float, float] | None:
        finite = self.x[np.isfinite(self.x)]
        return (float(finite.min()), float(finite.max())) if finite.size else None

    def nearest(self, x: float) -> tuple[float, float, float] | None:
        """(x, raw y, smoothed y) of the point nearest ``x`` (for the crosshair)."""
        if self.x.shape[0] == 0:
            return None
        best: tuple[float, int] | None = None
        for a, b in self.segs:
            seg = self.x[a:b]
            i = int(np.clip(np.searchsorted(seg, x), 0, b - a - 1))
            for j in (i - 1, i):
                if 0 <= j < b - a:
                    d = abs(seg[j] - x)
                    if best is None or d < best[0]:
                        best = (d, a + j)
        assert best is not None
        k = best[1]
        return float(self.x[k]), float(self.data.y[k]), float(self.data.smooth[k])

    def remove(self) -> None:
        for item in (self.raw_item, self.smooth_item, self.marker_item):
            if item is not None:
                self.plot.removeItem(item)
