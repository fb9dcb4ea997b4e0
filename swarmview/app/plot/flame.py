"""The flame chart widget: one lane group per trace, one lane per nesting depth, events on top.

Painting reads the lanes prepared in a worker, culls and merges them per frame (core.lod) and writes
the span area as one numpy image (raster.py); text, outlines and marks are drawn on top with QPainter
only for what is visible. Mouse and keys live in flame_input.py; this module holds the view state
(time range, vertical scroll, selection, search/highlight masks), painting and hit testing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFontMetrics,
    QImage,
    QLinearGradient,
    QPainter,
    QPaintEvent,
    QPen,
    QPolygonF,
    QResizeEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from swarmview.app.plot import raster
from swarmview.app.plot.flame_data import PALETTE_SIZE, FlameData
from swarmview.app.plot.time_axis import AXIS_HEIGHT, paint_time_axis
from swarmview.core.lod import Blocks, lane_blocks, point_columns

LANE_H = 18
HEADER_H = 20
EVENT_H = 12
GROUP_GAP = 6
CLICK_SLOP = 5  # a press that moves less than this is a click (speedscope's rule)
MIN_SPAN_NS = 20.0  # deepest zoom: 20 ns across the widget
LABEL_MIN_PX = 28
MAX_DECORATIONS = 2_000  # per frame cap on per-span QPainter work (labels, marks, outlines)


def palette_colours(dark: bool) -> list[QColor]:
    """PALETTE_SIZE distinguishable hues; neighbouring indexes are far apart on the wheel."""
    out = []
    for i in range(PALETTE_SIZE):
        hue = (i * 7 % PALETTE_SIZE) / PALETTE_SIZE
        out.append(QColor.fromHslF(hue, 0.55, 0.42 if dark else 0.68))
    return out


@dataclass
class _LaneFrame:
    """What one lane showed in the last frame, kept for hit testing."""

    lane: int
    blocks: Blocks
    x0: np.ndarray
    x1: np.ndarray
    top: int


class FlameChart(QWidget):
    """Paints a FlameData and turns mouse/keys into view changes and selections (relative ns)."""

    span_clicked = Signal(int)
    event_clicked = Signal(int)
    range_selected = Signal(object, object)  # relative ns floats, or (None, None) when cleared
    view_changed = Signal(float, float)
    content_height_changed = Signal(int)
    scroll_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(200, 120)
        self.data: FlameData | None = None
        self.t0, self.t1 = 0.0, 1.0
        self.scroll_y = 0
        self.selected_span: int | None = None
        self.selected_event: int | None = None
        self.range: tuple[float, float] | None = None
        self.match: np.ndarray | None = None  # bool per span row; None = no search active
        self.highlight: np.ndarray | None = None  # bool per span row (e.g. spans of the selected node)
        self.hover_name: int | None = None  # name code under the pointer: same-name spans get outlined
        self.describe_span: Callable[[int], str] = lambda row: f"span row {row}"
        self.describe_event: Callable[[int], str] = lambda row: f"event row {row}"
        self._group_top: list[int] = []
        self._event_top: list[int | None] = []
        self._lane_top = np.zeros(0, dtype=np.int64)
        self._content_h = 0
        self._frames: list[_LaneFrame] = []
        self._event_frames: list[tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self._match_cum: list[np.ndarray] = []
        self._hl_cum: list[np.ndarray] = []
        self._press: QPoint | None = None
        self._press_view: tuple[float, float, int] = (0.0, 1.0, 0)
        self._drag_mode = ""
        self._hatch = raster.hatch_pattern(LANE_H, 64)
        self._name_width: dict[int, int] = {}
        self._titles: dict[int, str] = {}
        self._apply_theme()

    # ----- data and geometry -------------------------------------------------------------------
    def _apply_theme(self) -> None:
        bg = self.palette().base().color()
        self.dark = bg.lightness() < 128
        self.bg = bg
        self.fg = self.palette().text().color()
        colours = palette_colours(self.dark)
        dim = [_blend(c, bg, 0.22) for c in colours]
        self._table = np.array([raster.argb(c) for c in colours + dim], dtype=np.uint32)
        self._bg_argb = raster.argb(bg)
        self._border = self._bg_argb  # a background-coloured gap separates touching spans
        self._header_argb = raster.argb(_blend(self.fg, bg, 0.07))
        self._hatch_argb = raster.argb(_blend(QColor(40, 40, 40), bg, 0.55))
        self._event_argb = raster.argb(QColor(0xC0, 0x6A, 0x00) if not self.dark else QColor(0xFF, 0xB3, 0x47))

    def set_flame_data(self, data: FlameData | None) -> None:
        """Show ``data`` (None clears) fitted to the whole run."""
        self.data = data
        self._titles = {}
        self._name_width = {}
        self.selected_span = None
        self.selected_event = None
        self.range = None
        self.match = None
        self.highlight = None
        self._match_cum = []
        self._hl_cum = []
        self._layout()
        self.scroll_y = 0
        self.fit()

    def _layout(self) -> None:
        self._group_top = []
        self._event_top = []
        lane_top: list[int] = []
        y = 0
        data = self.data
        if data is not None:
            for gi, lanes in enumerate(data.group_lanes):
                self._group_top.append(y)
                y += HEADER_H
                if data.events[gi].ts.size:
                    self._event_top.append(y)
                    y += EVENT_H
                else:
                    self._event_top.append(None)
                for _ in lanes:
                    lane_top.append(y)
                    y += LANE_H
                y += GROUP_GAP
        self._lane_top = np.array(lane_top, dtype=np.int64)
        self._content_h = y
        self.content_height_changed.emit(y)

    @property
    def content_height(self) -> int:
        return self._content_h

    def viewport_height(self) -> int:
        return max(self.height() - AXIS_HEIGHT, 1)

    # ----- view range ---------------------------------------------------------------------------
    def full_range(self) -> tuple[float, float]:
        if self.data is None or self.data.t_max <= self.data.t_min:
            base = self.data.t_min if self.data is not None else 0.0
            return base - 500.0, base + 500.0
        pad = (self.data.t_max - self.data.t_min) * 0.02
        return self.data.t_min - pad, self.data.t_max + pad

    def set_view(self, t0: float, t1: float) -> None:
        """Show ``[t0, t1]`` (relative ns), clamped between 20 ns and 3× the run."""
        lo, hi = self.full_range()
        full = hi - lo
        width = min(max(t1 - t0, MIN_SPAN_NS), full * 3)
        centre = (t0 + t1) / 2
        centre = min(max(centre, lo - full), hi + full)
        self.t0, self.t1 = centre - width / 2, centre + width / 2
        self.update()
        self.view_changed.emit(self.t0, self.t1)

    def fit(self) -> None:
        self.set_view(*self.full_range())

    def zoom(self, factor: float, anchor_px: float | None = None) -> None:
        """Zoom by ``factor`` (>1 zooms in) keeping the time under ``anchor_px`` in place."""
        w = max(self.width(), 1)
        ax = w / 2 if anchor_px is None else min(max(anchor_px, 0.0), w)
        anchor_t = self.t0 + (self.t1 - self.t0) * ax / w
        new_w = (self.t1 - self.t0) / factor
        lo, hi = self.full_range()
        new_w = min(max(new_w, MIN_SPAN_NS), (hi - lo) * 3)
        t0 = anchor_t - new_w * ax / w
        self.set_view(t0, t0 + new_w)

    def pan_fraction(self, frac: float) -> None:
        d = (self.t1 - self.t0) * frac
        self.set_view(self.t0 + d, self.t1 + d)

    def set_scroll(self, y: int) -> None:
        y = int(min(max(y, 0), max(self._content_h - self.viewport_height(), 0)))
        if y != self.scroll_y:
            self.scroll_y = y
            self.update()
            self.scroll_changed.emit(y)

    def ns_per_px(self) -> float:
        return (self.t1 - self.t0) / max(self.width(), 1)

    def x_of(self, t: float) -> float:
        return (t - self.t0) * max(self.width(), 1) / (self.t1 - self.t0)

    def t_of(self, x: float) -> float:
        return self.t0 + x * (self.t1 - self.t0) / max(self.width(), 1)

    # ----- selection, search, highlight -----------------------------------------------------------
    def set_match_mask(self, mask: np.ndarray | None) -> None:
        self.match = mask
        self._match_cum = self._lane_cumsums(mask)
        self.update()

    def set_highlight(self, mask: np.ndarray | None) -> None:
        self.highlight = mask
        self._hl_cum = self._lane_cumsums(mask)
        self.update()

    def set_hover_name(self, code: int | None) -> None:
        """Outline every visible span sharing the hovered span's name (Perfetto PR #5501)."""
        if code != self.hover_name:
            self.hover_name = code
            self.update()

    def _lane_cumsums(self, mask: np.ndarray | None) -> list[np.ndarray]:
        """Per lane, a prefix count of flagged spans so a merged block asks "any flagged?" in O(1)."""
        if mask is None or self.data is None:
            return []
        return [np.concatenate(([0], np.cumsum(mask[lane.rows], dtype=np.int64))) for lane in self.data.lanes.lanes]

    def lane_top_of_row(self, row: int) -> int | None:
        if self.data is None or not 0 <= row < self.data.span_count:
            return None
        return int(self._lane_top[self.data.lanes.lane_of_row[row]])

    def select_span(self, row: int | None, reveal: bool = True) -> None:
        """Outline ``row``; when it is off-screen, scroll and pan (keeping the zoom if it fits)."""
        self.selected_span = row
        if row is not None and reveal and self.data is not None and 0 <= row < self.data.span_count:
            s = float(self.data.lanes.rel_start[row])
            e = float(self.data.lanes.rel_end[row])
            if s > self.t1 or e < self.t0:
                w = self.t1 - self.t0
                if e - s > w:
                    self.set_view(s - (e - s) * 0.1, e + (e - s) * 0.1)
                else:
                    self.set_view((s + e) / 2 - w / 2, (s + e) / 2 + w / 2)
            top = self.lane_top_of_row(row)
            if top is not None and not (self.scroll_y <= top <= self.scroll_y + self.viewport_height() - LANE_H):
                self.set_scroll(top - self.viewport_height() // 3)
        self.update()

    def select_event(self, row: int | None) -> None:
        self.selected_event = row
        if row is not None and self.data is not None:
            for gi, track in enumerate(self.data.events):
                hit = np.flatnonzero(track.rows == row)
                if hit.size:
                    t = float(track.ts[hit[0]])
                    if not self.t0 <= t <= self.t1:
                        w = self.t1 - self.t0
                        self.set_view(t - w / 2, t + w / 2)
                    self.set_scroll(self._group_top[gi] - self.viewport_height() // 3)
                    break
        self.update()

    def set_range(self, r0: float | None, r1: float | None) -> None:
        self.range = None if r0 is None or r1 is None else (min(r0, r1), max(r0, r1))
        self.update()

    def fit_selection(self) -> None:
        """F: fit the selected span, else the measured range, else the run."""
        if self.selected_span is not None and self.data is not None:
            s = float(self.data.lanes.rel_start[self.selected_span])
            e = float(self.data.lanes.rel_end[self.selected_span])
            pad = max((e - s) * 0.1, MIN_SPAN_NS)
            self.set_view(s - pad, e + pad)
        elif self.range is not None:
            self.set_view(*self.range)
        else:
            self.fit()

    # ----- painting -----------------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._hatch = raster.hatch_pattern(LANE_H, max(self.width(), 1))
        self.set_scroll(self.scroll_y)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            self.paint_into(painter)
        finally:
            painter.end()

    def paint_into(self, painter: QPainter) -> None:
        w, h = self.width(), self.height()
        vh = max(h - AXIS_HEIGHT, 0)
        painter.fillRect(0, 0, w, h, self.bg)
        self._frames = []
        self._event_frames = []
        data = self.data
        if data is None or w <= 0 or vh <= 0:
            painter.setPen(self.fg)
            painter.drawText(QRectF(0, 0, w, h), int(Qt.AlignmentFlag.AlignCenter), "No spans or events in this run.")
            return
        image = np.full((vh, w), self._bg_argb, dtype=np.uint32)
        y0 = self.scroll_y
        px_ns = self.ns_per_px()
        scale = 1.0 / px_ns
        labels: list[tuple[QRectF, int]] = []
        headers: list[tuple[int, int]] = []
        for gi, lanes in enumerate(data.group_lanes):
            top = self._group_top[gi] - y0
            bottom = top + HEADER_H + (EVENT_H if self._event_top[gi] is not None else 0) + LANE_H * len(lanes)
            if bottom < 0 or top > vh:
                continue
            if top + HEADER_H > 0:
                image[max(top, 0) : max(min(top + HEADER_H - 2, vh), 0)] = self._header_argb
                headers.append((gi, top))
            et = self._event_top[gi]
            if et is not None and -EVENT_H < et - y0 < vh:
                self._paint_events(image, gi, et - y0, px_ns, scale)
            for li in lanes:
                lt = int(self._lane_top[li]) - y0
                if lt + LANE_H < 0 or lt > vh:
                    continue
                self._collect_lane(li, lt, px_ns, scale, labels, w)
        self._raster_lanes(image)
        qimage = QImage(image.data, w, vh, w * 4, QImage.Format.Format_ARGB32_Premultiplied)
        painter.drawImage(0, AXIS_HEIGHT, qimage)
        painter.save()
        painter.setClipRect(0, AXIS_HEIGHT, w, vh)
        painter.translate(0, AXIS_HEIGHT)
        self._paint_decorations(painter, labels, headers)
        painter.restore()
        painter.fillRect(0, 0, w, AXIS_HEIGHT, self.bg)
        paint_time_axis(painter, QRectF(0, 0, w, AXIS_HEIGHT), self.t0, self.t1, self.fg, grid_bottom=None)
        if self.range is not None:
            self._paint_range(painter, h)

    def _collect_lane(self, li: int, top: int, px_ns: float, scale: float,
                      labels: list[tuple[QRectF, int]], w: int) -> None:
        """Cull and merge one lane; the pixels are written later for all lanes at once."""
        data = self.data
        assert data is not None
        lane = data.lanes.lanes[li]
        blocks, _ = lane_blocks(lane, self.t0, self.t1, px_ns)
        if blocks.start.size == 0:
            return
        x0 = (blocks.start - self.t0) * scale
        x1 = (blocks.end - self.t0) * scale
        self._frames.append(_LaneFrame(li, blocks, x0, x1, top))
        wide = np.flatnonzero((blocks.count == 1) & (x1 - x0 >= LABEL_MIN_PX))
        if wide.size and len(labels) < MAX_DECORATIONS:
            rows = lane.rows[blocks.first]
            for b in wide[: MAX_DECORATIONS - len(labels)].tolist():
                a = max(float(x0[b]), 0.0)
                z = min(float(x1[b]), float(w))
                if z - a >= LABEL_MIN_PX:
                    code = int(data.name_code[rows[b]])
                    if self.match is not None and not self.match[rows[b]]:
                        code = -1 - code  # negative: a dimmed (non-matching) span's label
                    labels.append((QRectF(a + 3, top + 1, z - a - 6, LANE_H - 2), code))

    def _raster_lanes(self, image: np.ndarray) -> None:
        """Write every collected lane into ``image``: one owner/colour pass, then a copy per lane."""
        frames = self._frames
        if not frames or self.data is None:
            return
        data = self.data
        w = image.shape[1]
        sizes = np.array([f.blocks.start.size for f in frames])
        x0 = np.concatenate([f.x0 for f in frames])
        x1 = np.concatenate([f.x1 for f in frames])
        k = np.repeat(np.arange(len(frames)), sizes)
        rows = np.concatenate([data.lanes.lanes[f.lane].rows[f.blocks.first] for f in frames])
        cls = data.colour[rows].astype(np.int64)
        if self._match_cum:
            hit = np.concatenate([
                (self._match_cum[f.lane][f.blocks.last + 1] - self._match_cum[f.lane][f.blocks.first]) > 0
                for f in frames
            ])
            cls = np.where(hit, cls, cls + PALETTE_SIZE)
        merged = np.concatenate([f.blocks.count for f in frames]) > 1
        owner = raster.owner_rows(x0, x1, k, len(frames), w)
        colours = raster.colour_row(owner, cls, self._table, self._bg_argb, self._border)
        merged_px = ((owner >= 0) & merged[np.maximum(owner, 0)]) if merged.any() else None
        for i, f in enumerate(frames):
            mp = merged_px[i] if merged_px is not None and merged_px[i].any() else None
            raster.fill_lane(image, f.top + 1, LANE_H - 2, colours[i], mp, self._hatch, self._hatch_argb)

    def _paint_events(self, image: np.ndarray, gi: int, top: int, px_ns: float, scale: float) -> None:
        assert self.data is not None
        track = self.data.events[gi]
        ts, counts, first = point_columns(track.ts, self.t0, self.t1, px_ns)
        if ts.size == 0:
            return
        xs = np.floor((ts - self.t0) * scale).astype(np.int64)
        w = image.shape[1]
        y_a, y_b = max(top + 2, 0), min(top + EVENT_H - 1, image.shape[0])
        if y_b > y_a:
            for dx in (-1, 0, 1):
                cols = np.clip(xs + dx, 0, w - 1)
                image[y_a:y_b, cols] = self._event_argb
        self._event_frames.append((gi, xs, counts, track.rows[first], ts))

    def _paint_decorations(self, painter: QPainter, labels: list[tuple[QRectF, int]], headers: list[tuple[int, int]]) -> None:
        data = self.data
        assert data is not None
        fm = QFontMetrics(painter.font())
        text = QColor(20, 20, 20) if not self.dark else QColor(235, 235, 235)
        painter.setPen(text)
        widths = self._name_width
        names = data.names
        dim_text = _blend(text, self.bg, 0.35)
        for rect, signed in labels:
            code = signed if signed >= 0 else -1 - signed
            painter.setPen(text if signed >= 0 else dim_text)
            name = names[code] if 0 <= code < len(names) else "?"
            width = widths.get(code)
            if width is None:
                width = widths[code] = fm.horizontalAdvance(name)
            if width <= rect.width():
                painter.drawText(rect, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), name)
            elif rect.width() >= LABEL_MIN_PX:
                painter.drawText(rect, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
                                 fm.elidedText(name, Qt.TextElideMode.ElideRight, int(rect.width())))
        painter.setPen(self.fg)
        for gi, top in headers:
            painter.drawText(QRectF(6, top, self.width() - 12, HEADER_H - 2),
                             int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), self.group_title(gi))
        self._paint_marks(painter)

    def group_title(self, gi: int) -> str:
        """Header text: trace id, span count and the marks a reader must not miss (cached per run)."""
        cached = self._titles.get(gi)
        if cached is None:
            cached = self._titles[gi] = self._make_title(gi)
        return cached

    def _make_title(self, gi: int) -> str:
        assert self.data is not None
        d = self.data
        label = d.group_labels[gi]
        parts = [f"trace {label}", f"{d.group_span_counts[gi]:,} spans"]
        lanes = d.group_lanes[gi]
        if lanes:
            rows = np.concatenate([d.lanes.lanes[i].rows for i in lanes])
            n_open = int(d.open_[rows].sum())
            n_orphan = int(d.lanes.nesting.orphan[rows].sum())
            if n_open:
                parts.append(f"{n_open} unfinished")
            if n_orphan:
                parts.append(f"{n_orphan} with unknown parent")
        n_ev = int(d.events[gi].ts.size)
        if n_ev:
            parts.append(f"{n_ev:,} events")
        return "  ·  ".join(parts)

    def _paint_marks(self, painter: QPainter) -> None:
        """Open ends, unknown parents, highlights, hover and selection over the raster."""
        data = self.data
        assert data is not None
        budget = MAX_DECORATIONS
        hl_pen = QPen(QColor(255, 200, 0) if self.dark else QColor(220, 120, 0), 2)
        orphan_brush = QColor(200, 30, 30)
        for frame in self._frames:
            if budget <= 0:
                break
            blocks = frame.blocks
            rows = data.lanes.lanes[frame.lane].rows[blocks.first]
            single = blocks.count == 1
            for b in np.flatnonzero(single & data.open_[rows])[:budget].tolist():
                budget -= 1
                self._paint_open_end(painter, float(frame.x0[b]), float(frame.x1[b]), frame.top)
            for b in np.flatnonzero(single & data.lanes.nesting.orphan[rows])[:budget].tolist():
                budget -= 1
                x = max(float(frame.x0[b]), 0.0)
                tri = QPolygonF([QPointF(x, frame.top + 1), QPointF(x + 7, frame.top + 1), QPointF(x, frame.top + 8)])
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(orphan_brush)
                painter.drawPolygon(tri)
            if self.hover_name is not None and budget > 0:
                same = np.flatnonzero(single & (data.name_code[rows] == self.hover_name))[:budget]
                budget -= same.size
                painter.setPen(QPen(self.fg, 1, Qt.PenStyle.DotLine))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                for b in same.tolist():
                    painter.drawRect(self._block_rect(frame, b))
            if self._hl_cum:
                cum = self._hl_cum[frame.lane]
                hit = np.flatnonzero((cum[blocks.last + 1] - cum[blocks.first]) > 0)[:budget]
                budget -= hit.size
                painter.setPen(hl_pen)
                painter.setBrush(Qt.BrushStyle.NoBrush)
                for b in hit.tolist():
                    painter.drawRect(self._block_rect(frame, b))
        if self.selected_span is not None:
            top = self.lane_top_of_row(self.selected_span)
            if top is not None:
                x0 = self.x_of(float(data.lanes.rel_start[self.selected_span]))
                x1 = max(self.x_of(float(data.lanes.rel_end[self.selected_span])), x0 + 2)
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.setPen(QPen(self.fg, 2))
                painter.drawRect(QRectF(max(x0, -3), top - self.scroll_y + 0.5, min(x1, self.width() + 3) - max(x0, -3), LANE_H - 1))
        if self.selected_event is not None:
            for gi, xs, _counts, rows, _ts in self._event_frames:
                hit = np.flatnonzero(rows == self.selected_event)
                et = self._event_top[gi]
                if hit.size and et is not None:
                    painter.setPen(QPen(self.fg, 2))
                    painter.setBrush(Qt.BrushStyle.NoBrush)
                    painter.drawRect(QRectF(float(xs[hit[0]]) - 3, et - self.scroll_y + 1, 7, EVENT_H - 2))

    def _block_rect(self, frame: _LaneFrame, b: int) -> QRectF:
        x0 = max(float(frame.x0[b]), -2.0)
        x1 = min(max(float(frame.x1[b]), x0 + 1), self.width() + 2.0)
        return QRectF(x0, frame.top + 1, x1 - x0, LANE_H - 2)

    def _paint_open_end(self, painter: QPainter, x0: float, x1: float, top: int) -> None:
        """Unfinished span: fade the tail and draw an open arrow at the run end."""
        x1c = min(x1, self.width() + 2.0)
        fade = min(60.0, (x1c - x0) * 0.5)
        if fade >= 3:
            grad = QLinearGradient(x1c - fade, 0, x1c, 0)
            clear = QColor(self.bg)
            clear.setAlpha(0)
            grad.setColorAt(0.0, clear)
            grad.setColorAt(1.0, self.bg)
            painter.fillRect(QRectF(x1c - fade, top + 1, fade, LANE_H - 2), grad)
        if x1 <= self.width() + 1:
            painter.setPen(QPen(self.fg, 1, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(x1, top + 1), QPointF(x1, top + LANE_H - 1))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(self.fg)
            mid = top + LANE_H / 2
            painter.drawPolygon(QPolygonF([QPointF(x1 - 6, mid - 4), QPointF(x1, mid), QPointF(x1 - 6, mid + 4)]))

    def _paint_range(self, painter: QPainter, h: int) -> None:
        assert self.range is not None
        a, b = self.x_of(self.range[0]), self.x_of(self.range[1])
        shade = QColor(70, 130, 220, 45)
        painter.fillRect(QRectF(a, AXIS_HEIGHT, b - a, h - AXIS_HEIGHT), shade)
        painter.setPen(QPen(QColor(50, 110, 210), 1))
        painter.drawLine(QPointF(a, 0), QPointF(a, h))
        painter.drawLine(QPointF(b, 0), QPointF(b, h))

    # ----- hit testing --------------------------------------------------------------------------
    def span_at(self, pos: QPointF) -> tuple[int, int] | None:
        """(span row, count) of the block under ``pos`` in the last frame; count > 1 for merged blocks."""
        y = pos.y() - AXIS_HEIGHT
        for frame in reversed(self._frames):
            if frame.top <= y < frame.top + LANE_H:
                x = pos.x()
                hit = np.flatnonzero((frame.x0 - 1 <= x) & (x <= np.maximum(frame.x1, frame.x0 + 1) + 1))
                if hit.size:
                    b = int(hit[-1])
                    assert self.data is not None
                    return int(self.data.lanes.lanes[frame.lane].rows[frame.blocks.first[b]]), int(frame.blocks.count[b])
        return None

    def block_at(self, pos: QPointF) -> tuple[_LaneFrame, int] | None:
        y = pos.y() - AXIS_HEIGHT
        for frame in reversed(self._frames):
            if frame.top <= y < frame.top + LANE_H:
                hit = np.flatnonzero((frame.x0 - 1 <= pos.x()) & (pos.x() <= np.maximum(frame.x1, frame.x0 + 1) + 1))
                if hit.size:
                    return frame, int(hit[-1])
        return None

    def event_at(self, pos: QPointF) -> tuple[int, int] | None:
        y = pos.y() - AXIS_HEIGHT + self.scroll_y
        for gi, xs, counts, rows, _ts in self._event_frames:
            et = self._event_top[gi]
            if et is not None and et <= y < et + EVENT_H:
                hit = np.flatnonzero(np.abs(xs - pos.x()) <= 3)
                if hit.size:
                    return int(rows[hit[0]]), int(counts[hit[0]])
        return None


def _blend(a: QColor, b: QColor, t: float) -> QColor:
    """``t`` of ``a`` over ``1 - t`` of ``b``."""
    return QColor(
        int(a.red() * t + b.red() * (1 - t)),
        int(a.green() * t + b.green() * (1 - t)),
        int(a.blue() * t + b.blue() * (1 - t)),
    )
