"""The selection bus: the only link between views (docs/internal-api.md, "app").

Views never call each other; each one emits what the user picked here and listens for what the others
picked. Keeping one QObject with typed signals makes every link testable with ``qtbot.waitSignal``.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class SelectionBus(QObject):
    """Typed selection signals shared by every view of one window."""

    node_selected = Signal(str)  # node_id (32 hex)
    span_selected = Signal(int)  # row in bundle.spans
    event_selected = Signal(int)  # row in bundle.events
    series_selected = Signal(str)  # Series.key
    dataset_selected = Signal(str)  # asset_key
    time_range_selected = Signal(object, object)  # (t0_ns, t1_ns) ints, or (None, None) to clear
    file_selected = Signal(str)  # bundle-relative path
