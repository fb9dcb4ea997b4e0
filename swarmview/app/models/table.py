"""A table model over any row source (numpy columns or a list of dicts), filtered by an index array.

Qt asks ``data()`` for seven roles per visible cell on every paint (VIEWER_ANCHORS b.3), so each role is
answered in O(1) and unused roles return None first. Filtering and sorting replace the index array
(numpy) instead of wrapping the model in a QSortFilterProxyModel that calls Python per comparison.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QIcon

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Column:
    """One column: its header and how to show source row ``i``."""

    title: str
    text: Callable[[int], str]
    numeric: bool = False  # right-aligned
    tooltip: Callable[[int], str] | None = None
    color: Callable[[int], QColor | None] | None = None  # this cell's text colour (over the row's)


class ColumnTableModel(QAbstractTableModel):
    """Rows ``0..n-1`` of a source, shown through ``self.rows`` (a permutation or subset)."""

    def __init__(
        self,
        columns: list[Column],
        row_count: int = 0,
        *,
        icon: Callable[[int], QIcon | None] | None = None,
        foreground: Callable[[int], QColor | None] | None = None,
        background: Callable[[int], QColor | None] | None = None,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self.columns = columns
        self._icon = icon
        self._foreground = foreground
        self._background = background
        self.source_count = row_count
        self.rows: np.ndarray = np.arange(row_count, dtype=np.int64)

    # -- content ---------------------------------------------------------------------------------
    def reset(self, row_count: int, *, icon: Callable[[int], QIcon | None] | None = None,
              foreground: Callable[[int], QColor | None] | None = None,
              background: Callable[[int], QColor | None] | None = None,
              columns: list[Column] | None = None) -> None:
        self.beginResetModel()
        if columns is not None:
            self.columns = columns
        self._icon = icon if icon is not None else self._icon
        self._foreground = foreground if foreground is not None else self._foreground
        self._background = background if background is not None else self._background
        self.source_count = row_count
        self.rows = np.arange(row_count, dtype=np.int64)
        self.endResetModel()

    def set_rows(self, rows: np.ndarray | None) -> None:
        """Show only ``rows`` (source indices, in this order); None shows all."""
        self.beginResetModel()
        self.rows = np.arange(self.source_count, dtype=np.int64) if rows is None else np.asarray(rows, np.int64)
        self.endResetModel()

    def refresh(self) -> None:
        """Colours or texts changed (e.g. a report arrived) but not the rows."""
        if self.rowCount() and self.columnCount():
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1))

    def source_row(self, view_row: int) -> int:
        return int(self.rows[view_row])

    def view_row(self, source_row: int) -> int | None:
        hits = np.flatnonzero(self.rows == source_row)
        return int(hits[0]) if hits.size else None

    # -- Qt API ----------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else int(self.rows.shape[0])

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self.columns[section].title if 0 <= section < len(self.columns) else None
        return str(section + 1)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r = int(self.rows[index.row()])
        col = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return col.text(r)
        if role == Qt.ItemDataRole.DecorationRole:
            return self._icon(r) if (self._icon is not None and index.column() == 0) else None
        if role == Qt.ItemDataRole.ForegroundRole:
            color = col.color(r) if col.color is not None else None
            if color is None and self._foreground is not None:
                color = self._foreground(r)
            return QBrush(color) if color is not None else None
        if role == Qt.ItemDataRole.BackgroundRole:
            color = self._background(r) if self._background is not None else None
            return QBrush(color) if color is not None else None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if col.numeric:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            return col.tooltip(r) if col.tooltip is not None else col.text(r)
        return None
