"""Qt item models over core data: no per-row objects, rows addressed through an index array."""

from swarmview.app.models.table import Column, ColumnTableModel

__all__ = ["Column", "ColumnTableModel"]
