"""A vertical crosshair with a value readout, synced across the plots that share an x axis kind.

Aim users asked for hover synced across charts (#2612): one mouse position shows every curve's value
at that x in every plot of the same kind, so peers can be compared point by point.
"""

from __future__ import annotations

from collections.abc import Callable

import pyqtgraph as pg
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor

from swarmview.app.plot.crosshair_text import value_row

__all__ = ["Crosshair", "value_row"]  # value_row lives in crosshair_text (no pyqtgraph); re-exported


class Crosshair:
    """Line + label on one plot; ``describe(x)`` returns the HTML rows for the label."""

    def __init__(self, plot: pg.PlotItem, describe: Callable[[float], list[str]]) -> None:
        self.plot = plot
        self.describe = describe
        self.line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(QColor(128, 128, 128), width=1))
        self.label = pg.TextItem(anchor=(0, 0), fill=pg.mkBrush(255, 255, 255, 215), color=QColor(20, 20, 20))
        self.line.setZValue(50)
        self.label.setZValue(51)
        plot.addItem(self.line, ignoreBounds=True)
        plot.addItem(self.label, ignoreBounds=True)
        self.hide()

    def hide(self) -> None:
        self.line.hide()
        self.label.hide()

    def show_at(self, x: float) -> None:
        rows = self.describe(x)
        if not rows:
            self.hide()
            return
        self.line.setPos(x)
        self.line.show()
        (x0, x1), (_y0, y1) = self.plot.vb.viewRange()
        # pinned to the corner away from the line, so a wide readout is never cut by the plot edge
        right_half = x > (x0 + x1) / 2
        self.label.setAnchor((0, 0) if right_half else (1, 0))
        self.label.setHtml("<br>".join(rows))
        self.label.setPos(QPointF(x0 if right_half else x1, y1))
        self.label.show()
