"""Details dock: follows every selection on the bus and marks items from damaged files."""

from __future__ import annotations

import pytest

from swarmview.app.selection import SelectionBus
from swarmview.app.views.details import NOTHING, DetailsPanel
from tests.app.conftest import OFFSCREEN_NOISE, load_and_verify

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"), pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)]


def _fields(panel: DetailsPanel) -> dict[str, str]:
    return {panel.tree.topLevelItem(i).text(0): panel.tree.topLevelItem(i).text(1)
            for i in range(panel.tree.topLevelItemCount())}


@pytest.fixture
def panel(qtbot):
    bus = SelectionBus()
    p = DetailsPanel(bus)
    qtbot.addWidget(p)
    return p


def test_node_span_event_dataset(panel, tmp_path) -> None:
    bundle, report = load_and_verify("rich", tmp_path)
    panel.set_bundle(bundle)
    panel.set_report(report)
    node = bundle.graph["nodes"][0]
    panel.bus.node_selected.emit(node["node_id"])
    assert panel.heading.text() == f"Node {node['node_key']}"
    assert _fields(panel)["node_id"] == node["node_id"]
    panel.bus.span_selected.emit(0)
    fields = _fields(panel)
    assert panel.heading.text().startswith("Span ") and fields["span_id"] == "e505b80a33d629e4"
    assert fields["parent_span_id"] == "—"
    panel.bus.event_selected.emit(2)
    assert panel.heading.text() == "Event scheduler/node_failed"
    key = bundle.registry[0]["asset_key"]
    panel.bus.dataset_selected.emit(key)
    assert panel.heading.text() == f"Dataset {key}"
    assert any(k.startswith("materialization #") for k in _fields(panel)) or not any(
        m["asset_key"] == key for m in bundle.materializations)
    assert panel.notice.isHidden()
    panel.clear()
    assert panel.heading.text() == NOTHING and panel.tree.topLevelItemCount() == 0


def test_span_from_truncated_file_is_marked(panel, tmp_path) -> None:
    bundle, report = load_and_verify("rich_truncated", tmp_path)
    panel.set_bundle(bundle)
    panel.bus.span_selected.emit(0)
    assert panel.notice.isHidden()  # verification not finished yet
    panel.set_report(report)  # the mark follows the report
    assert not panel.notice.isHidden()
    assert "spans.ndjson" in panel.notice.text()


def test_out_of_range_rows_are_ignored(panel, tmp_path) -> None:
    bundle, _ = load_and_verify("minimal", tmp_path)
    panel.set_bundle(bundle)
    panel.bus.span_selected.emit(5)
    panel.bus.event_selected.emit(-1)
    assert panel.heading.text() == NOTHING
