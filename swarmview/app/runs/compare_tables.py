"""The table every compare tab uses: rows of pre-formatted text with a status colour per row.

Diff rows are computed once per pair of runs in a worker and formatted there, so ``data()`` only indexes
lists (VIEWER_ANCHORS b.3). A status (added / removed / changed) tints its row and is also spelled out
in a column, so colour is never the only signal; single cells can carry their own colour (the up/down
changes of the span statistics).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

Index = QModelIndex | QPersistentModelIndex

#: status → row tint (light, readable under dark text and under the dark palette's light text alike)
STATUS_TINT = {"added": QColor(46, 160, 67, 55), "removed": QColor(218, 54, 51, 55),
               "changed": QColor(210, 153, 34, 55)}
UP = QColor("#c0392b")     # slower / more: red
DOWN = QColor("#1e8449")   # faster / fewer: green


@dataclass(frozen=True)
class DiffRow:
    cells: tuple[str, ...]
    status: str = ""                         # "added" | "removed" | "changed" | "" (no tint)
    colours: dict[int, str] = field(default_factory=dict)   # column → text colour (hex)
    bold: bool = False                       # a node/dataset heading row
    tooltip: str = ""


class DiffTableModel(QAbstractTableModel):
    def __init__(self, headers: list[str], numeric: set[int] | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self.headers = headers
        self.numeric = numeric or set()
        self.rows: list[DiffRow] = []
        self._bold = QFont()
        self._bold.setBold(True)

    def set_rows(self, rows: list[DiffRow], headers: list[str] | None = None, numeric: set[int] | None = None) -> None:
        self.beginResetModel()
        if headers is not None:
            self.headers = headers
        if numeric is not None:
            self.numeric = numeric
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        c = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return row.cells[c] if c < len(row.cells) else ""
        if role == Qt.ItemDataRole.BackgroundRole:
            return STATUS_TINT.get(row.status)
        if role == Qt.ItemDataRole.ForegroundRole:
            colour = row.colours.get(c)
            return QColor(colour) if colour else None
        if role == Qt.ItemDataRole.FontRole:
            return self._bold if row.bold or c in row.colours else None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            horizontal = Qt.AlignmentFlag.AlignRight if c in self.numeric else Qt.AlignmentFlag.AlignLeft
            return int(horizontal | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            text = row.cells[c] if c < len(row.cells) else ""
            return row.tooltip or (text if len(text) > 30 else None)
        return None


def diff_table(model: DiffTableModel, parent: QWidget | None = None) -> QTableView:
    """A read-only, row-selecting table with fixed row heights over ``model``."""
    table = QTableView(parent)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    table.verticalHeader().setDefaultSectionSize(22)
    table.horizontalHeader().setStretchLastSection(True)
    table.setWordWrap(False)
    table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
    return table
