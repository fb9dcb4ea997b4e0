"""Scene items of the graph view: nodes as rounded boxes coloured by op kind, edges with arrowheads.

Unsafe nodes (§13.4: non-core trust, or an input untrusted or absent from the registry) get a red
border and an "UNSAFE" badge, the way upstream's report draws them, plus a note naming why; edges
show their asset key on hover.
"""

from __future__ import annotations

import itertools

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetrics,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsSceneHoverEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

NODE_W = 220.0
NODE_H = 62.0
X_SCALE = 260.0
Y_SCALE = 125.0
UNSAFE_RED = QColor(200, 30, 30)

#: op kinds in §7.3 order, with their legend colours (colour-blind friendly Okabe–Ito tints)
KIND_COLOURS: dict[str, QColor] = {
    "data": QColor("#9ecae9"),
    "train": QColor("#f6c28b"),
    "comms": QColor("#a8dba8"),
    "governance": QColor("#d4b9e6"),
    "system": QColor("#d9d9d9"),
}
UNKNOWN_KIND = QColor("#f2f2f2")


class NodeItem(QGraphicsItem):
    """One graph node; ``dimmed`` fades it when another node's lineage is shown or a search misses it."""

    def __init__(self, node_id: str, key: str, kind: str, op_type: str, unsafe: bool, untrusted_inputs: int) -> None:
        super().__init__()
        self.node_id = node_id
        self.key = key
        self.kind = kind
        self.op_type = op_type
        self.unsafe = unsafe
        self.untrusted_inputs = untrusted_inputs
        self.selected = False
        self.dimmed = False
        self.matched = False
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setZValue(2)

    def boundingRect(self) -> QRectF:
        return QRectF(-NODE_W / 2 - 6, -NODE_H / 2 - 6, NODE_W + 12, NODE_H + 12)

    def box(self) -> QRectF:
        return QRectF(-NODE_W / 2, -NODE_H / 2, NODE_W, NODE_H)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setOpacity(0.25 if self.dimmed else 1.0)
        fill = KIND_COLOURS.get(self.kind, UNKNOWN_KIND)
        if self.unsafe:
            pen = QPen(UNSAFE_RED, 3)
        elif self.selected:
            pen = QPen(QColor(30, 30, 30), 2.5)
        else:
            pen = QPen(fill.darker(160), 1.2)
        if self.matched:
            painter.setPen(QPen(QColor(255, 170, 0), 6))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(self.box().adjusted(-3, -3, 3, 3), 10, 10)
        painter.setPen(pen)
        painter.setBrush(QBrush(fill))
        painter.drawRoundedRect(self.box(), 8, 8)
        if self.selected and self.unsafe:
            painter.setPen(QPen(QColor(30, 30, 30), 1.5, Qt.PenStyle.DashLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(self.box().adjusted(-5, -5, 5, 5), 10, 10)
        font = QFont(painter.font())
        font.setBold(True)
        painter.setFont(font)
        fm = QFontMetrics(font)
        painter.setPen(QColor(20, 20, 20))
        text_rect = QRectF(-NODE_W / 2 + 8, -NODE_H / 2 + 3, NODE_W - 16, 19)
        painter.drawText(text_rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                         fm.elidedText(self.key, Qt.TextElideMode.ElideMiddle, int(text_rect.width())))
        font.setBold(False)
        painter.setFont(font)
        painter.setPen(QColor(60, 60, 60))
        painter.drawText(QRectF(-NODE_W / 2 + 8, -NODE_H / 2 + 21, NODE_W - 16, 17),
                         int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), f"{self.kind}:{self.op_type}")
        badges = []
        if self.unsafe:
            badges.append(("UNSAFE", UNSAFE_RED))
        if self.untrusted_inputs:  # inputs untrusted or absent from the registry
            badges.append((f"⚠ {self.untrusted_inputs} untrusted input{'s' if self.untrusted_inputs > 1 else ''}",
                           QColor(190, 110, 0)))
        x = -NODE_W / 2 + 8  # badges on the third row, inside the box (edges arrive at its top)
        small = QFont(font)
        small.setPointSizeF(max(font.pointSizeF() * 0.8, 6.5))
        small.setBold(True)
        painter.setFont(small)
        sfm = QFontMetrics(small)
        for text, colour in badges:
            w = sfm.horizontalAdvance(text) + 10
            rect = QRectF(x, NODE_H / 2 - 20, w, 16)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            painter.drawRoundedRect(rect, 7, 7)
            painter.setPen(QColor(255, 255, 255))
            painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), text)
            x += w + 4


class EdgeItem(QGraphicsPathItem):
    """A polyline through the layout's dummy points, smoothed, with an arrowhead at the target."""

    def __init__(self, points: list[QPointF], asset_key: str | None, from_id: str, to_id: str,
                 reversed_edge: bool) -> None:
        super().__init__()
        self._hover = False
        self.from_id = from_id
        self.to_id = to_id
        self.asset_key = asset_key
        self.emphasis = False
        self.dimmed = False
        path = QPainterPath(points[0])
        for a, b in itertools.pairwise(points):
            mid_y = (a.y() + b.y()) / 2
            path.cubicTo(QPointF(a.x(), mid_y), QPointF(b.x(), mid_y), b)
        self.setPath(path)
        self.tip = points[-1]
        self.tip_from = path.pointAtPercent(0.97)
        tip = "asset: " + (asset_key or "(none)")
        if reversed_edge:
            tip += "<br>part of a cycle: drawn against the layering"
        self.setToolTip(tip)
        self.setAcceptHoverEvents(True)
        self.setZValue(1)
        self._apply_pen()

    def _apply_pen(self) -> None:
        colour = QColor(40, 40, 40) if self.emphasis or self._hover else QColor(120, 120, 120)
        if self.dimmed and not self.emphasis:
            colour.setAlpha(50)
        self.setPen(QPen(colour, 2.4 if self.emphasis or self._hover else 1.3))

    def set_state(self, emphasis: bool, dimmed: bool) -> None:
        self.emphasis, self.dimmed = emphasis, dimmed
        self._apply_pen()
        self.update()

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(10)
        return stroker.createStroke(self.path())

    def _label_rect(self) -> QRectF | None:
        if not self.asset_key:
            return None
        mid = self.path().pointAtPercent(0.5)
        w = QFontMetrics(QFont()).horizontalAdvance(self.asset_key) + 14
        return QRectF(mid.x() + 6, mid.y() - 9, w, 18)

    def boundingRect(self) -> QRectF:
        rect = super().boundingRect().adjusted(-8, -8, 8, 8)
        label = self._label_rect() if self._hover else None
        return rect.united(label) if label is not None else rect

    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self.prepareGeometryChange()
        self._hover = True
        self._apply_pen()
        self.update()

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self.prepareGeometryChange()
        self._hover = False
        self._apply_pen()
        self.update()

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(self.pen())
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path())
        # arrowhead along the last tangent
        d = self.tip - self.tip_from
        length = max((d.x() ** 2 + d.y() ** 2) ** 0.5, 1e-6)
        ux, uy = d.x() / length, d.y() / length
        size = 9.0
        base = QPointF(self.tip.x() - ux * size, self.tip.y() - uy * size)
        left = QPointF(base.x() - uy * size * 0.5, base.y() + ux * size * 0.5)
        right = QPointF(base.x() + uy * size * 0.5, base.y() - ux * size * 0.5)
        painter.setBrush(self.pen().color())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawPolygon(QPolygonF([self.tip, left, right]))
        rect = self._label_rect() if self._hover else None
        if rect is not None and self.asset_key:
            painter.setFont(QFont())
            painter.setBrush(QColor(255, 255, 225))
            painter.setPen(QPen(QColor(120, 120, 120), 1))
            painter.drawRoundedRect(rect, 4, 4)
            painter.setPen(QColor(20, 20, 20))
            painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), self.asset_key)
