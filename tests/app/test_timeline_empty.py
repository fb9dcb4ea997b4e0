"""The three heavy views on runs with nothing to show, or with damaged content, never fail."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QImage

from swarmview.app.selection import SelectionBus
from swarmview.app.views.graph import GraphView
from swarmview.app.views.metrics import MetricsView
from swarmview.app.views.timeline import TimelineView
from tests.app.heavy_views_data import load_for_views
from tests.helpers import copy_fixture

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]


@pytest.mark.parametrize("fixture", ["minimal", "rich_truncated", "crashed_midrun", "midrun_always"])
@pytest.mark.parametrize("view_cls", [TimelineView, MetricsView, GraphView])
def test_views_fill_and_clear_on_sparse_or_damaged_runs(qtbot, tmp_path, fixture, view_cls) -> None:
    bundle = load_for_views(copy_fixture(fixture, tmp_path))
    bus = SelectionBus()
    view = view_cls(bus)
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.set_data(bundle, view_cls.prepare(bundle))
    view.set_report({"files": [{"path": view_cls.source_files[0], "status": "hash_mismatch"}], "findings": []})
    assert view.damage.isVisibleTo(view)
    bus.span_selected.emit(0)
    bus.node_selected.emit("0" * 32)
    bus.time_range_selected.emit(1, 2)
    bus.time_range_selected.emit(None, None)
    image = QImage(view.size(), QImage.Format.Format_ARGB32)
    view.render(image)
    view.set_report(None)
    assert not view.damage.isVisibleTo(view)
    view.clear()
    view.render(image)
