"""Mouse and keyboard for the flame chart (Perfetto/Tracy conventions) and its hover tooltips.

Wheel zooms about the pointer (Ctrl finer, Shift pans, Alt scrolls lanes), drag pans both axes,
Shift+drag measures a range, a click (< 5 px of movement, speedscope's rule) selects a span or event,
a click on a merged block zooms until its spans separate, double-click fits a span; W/S zoom about
the pointer, A/D and arrows pan 20 %, 0/Home fits the run, F fits the selection, Esc clears.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QToolTip

from swarmview.app.plot.flame import CLICK_SLOP, LANE_H, MIN_SPAN_NS, FlameChart
from swarmview.app.plot.time_axis import format_duration, format_offset


class InteractiveFlameChart(FlameChart):
    """The flame chart the timeline shows: FlameChart plus navigation, selection and tooltips."""

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta().y() or event.angleDelta().x()
        if not delta:
            return
        mods = event.modifiers()
        if mods & Qt.KeyboardModifier.ShiftModifier:
            self.pan_fraction(-delta / 120 * 0.1)
        elif mods & Qt.KeyboardModifier.AltModifier:
            self.set_scroll(self.scroll_y - delta // 2)
        else:
            step = 1.05 if mods & Qt.KeyboardModifier.ControlModifier else 1.25
            self.zoom(step ** (delta / 120), event.position().x())
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        self.setFocus()
        self._press = event.position().toPoint()
        self._press_view = (self.t0, self.t1, self.scroll_y)
        self._drag_mode = "range" if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else "pan"
        if self._drag_mode == "range":
            t = self.t_of(event.position().x())
            self.range = (t, t)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if self._press is not None and event.buttons() & Qt.MouseButton.LeftButton:
            dx = pos.x() - self._press.x()
            dy = pos.y() - self._press.y()
            if self._drag_mode == "range":
                a = self.t_of(self._press.x())
                self.range = (min(a, self.t_of(pos.x())), max(a, self.t_of(pos.x())))
                self.update()
            elif abs(dx) + abs(dy) >= CLICK_SLOP:
                t0, t1, sy = self._press_view
                d = dx * (t1 - t0) / max(self.width(), 1)
                self.set_view(t0 - d, t1 - d)
                self.set_scroll(int(sy - dy))
            return
        self._show_tooltip(pos, event.globalPosition().toPoint())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._press is None or event.button() != Qt.MouseButton.LeftButton:
            return
        moved = (event.position().toPoint() - self._press).manhattanLength()
        mode, self._press = self._drag_mode, None
        if mode == "range":
            if moved >= CLICK_SLOP and self.range is not None:
                self.range_selected.emit(self.range[0], self.range[1])
            else:
                self.range = None
                self.range_selected.emit(None, None)
            self.update()
        elif moved < CLICK_SLOP:
            self._click(event.position())

    def _click(self, pos: QPointF) -> None:
        ev = self.event_at(pos)
        if ev is not None:
            self.selected_event = ev[0]
            self.update()
            self.event_clicked.emit(ev[0])
            return
        found = self.block_at(pos)
        if found is None:
            self.selected_span = None
            self.update()
            return
        frame, b = found
        if frame.blocks.count[b] > 1:  # a merged block: zoom until its spans separate
            s, e = float(frame.blocks.start[b]), float(frame.blocks.end[b])
            pad = max((e - s) * 0.1, MIN_SPAN_NS)
            self.set_view(s - pad, e + pad)
            return
        assert self.data is not None
        row = int(self.data.lanes.lanes[frame.lane].rows[frame.blocks.first[b]])
        self.selected_span = row
        self.update()
        self.span_clicked.emit(row)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        hit = self.span_at(event.position())
        if hit is not None and self.data is not None:
            self.selected_span = hit[0]
            self.fit_selection()

    def _show_tooltip(self, pos: QPointF, global_pos: QPoint) -> None:
        ev = self.event_at(pos)
        if ev is not None:
            extra = f"<br><i>{ev[1]} events in this pixel: zoom in to separate</i>" if ev[1] > 1 else ""
            QToolTip.showText(global_pos, self.describe_event(ev[0]) + extra, self)
            return
        found = self.block_at(pos)
        if found is None:
            QToolTip.hideText()
            self.set_hover_name(None)
            return
        frame, b = found
        assert self.data is not None
        row = int(self.data.lanes.lanes[frame.lane].rows[frame.blocks.first[b]])
        self.set_hover_name(int(self.data.name_code[row]) if frame.blocks.count[b] == 1 else None)
        count = int(frame.blocks.count[b])
        if count > 1:
            s, e = float(frame.blocks.start[b]), float(frame.blocks.end[b])
            QToolTip.showText(
                global_pos,
                f"<b>{count:,} spans merged</b> (each narrower than a pixel)<br>"
                f"from {format_offset(s)} to {format_offset(e)} ({format_duration(e - s)})<br>"
                "<i>click or zoom in to separate them</i>",
                self,
            )
        else:
            QToolTip.showText(global_pos, self.describe_span(row), self)

    def leaveEvent(self, event: object) -> None:
        self.set_hover_name(None)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        inside = self.rect().contains(self.mapFromGlobal(self.cursor().pos()))
        anchor = float(self.mapFromGlobal(self.cursor().pos()).x()) if inside else None
        k = Qt.Key
        if key == k.Key_W:
            self.zoom(1.5, anchor)
        elif key == k.Key_S:
            self.zoom(1 / 1.5, anchor)
        elif key in (k.Key_A, k.Key_Left):
            self.pan_fraction(-0.2)
        elif key in (k.Key_D, k.Key_Right):
            self.pan_fraction(0.2)
        elif key == k.Key_Up:
            self.set_scroll(self.scroll_y - LANE_H * 3)
        elif key == k.Key_Down:
            self.set_scroll(self.scroll_y + LANE_H * 3)
        elif key in (k.Key_0, k.Key_Home):
            self.fit()
        elif key == k.Key_F:
            self.fit_selection()
        elif key == k.Key_Escape:
            self.selected_span = None
            if self.range is not None:
                self.range = None
                self.range_selected.emit(None, None)
            self.update()
        else:
            super().keyPressEvent(event)
