"""Graph view on the real ``rich`` fixture: layout, §13.4 trust marks, lineage, search, bus links."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage

from swarmview.app.selection import SelectionBus
from swarmview.app.views.graph import GraphView, reachable, unsafe_reasons
from tests.app.heavy_views_data import rich_bundle
from tests.helpers import VERDICTS

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]


@pytest.fixture
def view(qtbot, tmp_path):
    bus = SelectionBus()
    v = GraphView(bus)
    qtbot.addWidget(v)
    v.resize(1300, 900)
    bundle = rich_bundle(tmp_path)
    v.set_data(bundle, GraphView.prepare(bundle))
    v.show()
    qtbot.waitExposed(v)
    return v


def key_id(view, key: str) -> str:
    return next(nid for nid, item in view.node_items.items() if item.key == key)


def test_fills_from_rich(view) -> None:
    assert len(view.node_items) == 13
    assert len(view.edge_items) == 14
    assert "13 nodes, 14 edges, 10 unsafe" in view.status.text()
    image = QImage(view.size(), QImage.Format.Format_ARGB32)
    view.render(image)


def test_unsafe_nodes_match_upstream_report(view) -> None:
    """B-143: the nodes marked unsafe are exactly the ones upstream's report lists (verdicts/rich.json)."""
    verdict = json.loads((VERDICTS / "rich.json").read_text())
    expected = set(verdict["load_report"]["unsafe_nodes"])
    marked = {item.key for item in view.node_items.values() if item.unsafe}
    assert marked == expected
    audit = view.node_items[key_id(view, "governance/audit")]
    assert audit.untrusted_inputs == 1


def test_unsafe_reasons_words() -> None:
    registry = {"a": {"trust": "trusted"}, "b": {"trust": "untrusted"}}
    node = {"execution_trust": "sandboxed_extension", "inputs": [{"asset_key": "a"}, {"asset_key": "b"}, {"asset_key": "c"}]}
    reasons, bad = unsafe_reasons(node, registry)
    assert bad == ["b", "c"]
    assert reasons[0] == "execution_trust is sandboxed_extension"
    assert "not in the registry" in reasons[2]
    assert unsafe_reasons({"inputs": []}, {}) == ([], [])


def test_click_selects_emits_and_lights_lineage(view, qtbot) -> None:
    nid = key_id(view, "comms/gossip")
    item = view.node_items[nid]
    view.canvas.centerOn(item)
    pos = view.canvas.mapFromScene(item.scenePos())
    with qtbot.waitSignal(view.bus.node_selected, timeout=1000) as blocker:
        qtbot.mouseClick(view.canvas.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert blocker.args == [nid]
    assert view.selected == nid
    up = {view.node_items[n].key for n in view.upstream(nid)}
    down = {view.node_items[n].key for n in view.downstream(nid)}
    assert "train/fallback_round" in up and "ingest/raw_telemetry" in up
    assert "feature/shard" not in up
    assert down == {"governance/robust_aggregate", "governance/audit", "system/checkpoint", "system/report"}
    assert view.node_items[key_id(view, "feature/shard")].dimmed
    assert not view.node_items[key_id(view, "system/report")].dimmed
    assert "comms/gossip" in view.details.toPlainText()
    # empty space clears
    qtbot.mouseClick(view.canvas.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(3, 3))
    assert view.selected is None
    assert not any(i.dimmed for i in view.node_items.values())


def test_node_selected_from_bus(view) -> None:
    nid = key_id(view, "system/checkpoint")
    view.bus.node_selected.emit(nid)
    assert view.selected == nid
    assert view.node_items[nid].selected
    assert "UNSAFE" in view.details.toPlainText()


def test_span_selected_selects_its_node(view) -> None:
    spans = view.bundle.spans
    row = next(i for i in range(len(spans)) if spans.attrs.get(i).get("swarmtorch.node_key") == "prep/clean")
    view.bus.span_selected.emit(row)
    assert view.node_items[view.selected].key == "prep/clean"


def test_search_marks_and_enter_goes_to_match(view, qtbot) -> None:
    view.search.setText("governance")
    assert {view.node_items[n].key for n in view.node_items if view.node_items[n].matched} == {
        "governance/robust_aggregate", "governance/audit"}
    with qtbot.waitSignal(view.bus.node_selected, timeout=1000):
        qtbot.keyClick(view.search, Qt.Key.Key_Return)
    assert view.node_items[view.selected].key.startswith("governance/")
    view.search.setText("dataset://swarm/shards")  # assets are searchable too
    assert {view.node_items[n].key for n in view.node_items if view.node_items[n].matched} == {
        "feature/shard", "train/local_round"}


def test_zoom_and_fit(view, qtbot) -> None:
    canvas = view.canvas
    canvas.fit()
    scale = canvas.transform().m11()
    canvas.zoom_by(2.0)
    assert canvas.transform().m11() == pytest.approx(scale * 2.0)
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_0)
    assert canvas.transform().m11() == pytest.approx(scale)


def test_edges_have_asset_tooltips(view) -> None:
    assets = {e.asset_key for e in view.edge_items}
    assert "dataset://swarm/raw_telemetry" in assets
    assert all(e.toolTip().startswith("asset: ") for e in view.edge_items)


def test_reachable_handles_cycles() -> None:
    adj = {"a": ["b"], "b": ["c"], "c": ["a"], "d": []}
    assert reachable("a", adj) == {"a", "b", "c"}
    assert reachable("d", adj) == set()
