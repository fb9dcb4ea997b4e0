"""Timeline view on the real ``rich`` fixture: lanes, marks, navigation, selection both ways, search."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage

from swarmview.app.plot.flame import AXIS_HEIGHT, LANE_H
from swarmview.app.plot.time_axis import format_duration, format_offset, nice_step, ticks
from swarmview.app.selection import SelectionBus
from swarmview.app.views.timeline import TimelineView, range_stats
from tests.app.heavy_views_data import rich_bundle

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    # offscreen platform limits (window hints; raising tooltip windows), not warnings of ours
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints", "This plugin does not support raise"),
]


@pytest.fixture
def view(qtbot, tmp_path):
    bus = SelectionBus()
    v = TimelineView(bus)
    qtbot.addWidget(v)
    v.resize(1400, 800)
    bundle = rich_bundle(tmp_path)
    v.set_data(bundle, TimelineView.prepare(bundle))
    v.show()
    qtbot.waitExposed(v)
    return v


def render(widget) -> QImage:
    image = QImage(widget.size(), QImage.Format.Format_ARGB32)
    image.fill(0)
    widget.render(image)
    return image


def test_fills_from_rich(view) -> None:
    flame = view.flame
    assert flame.span_count == 226
    assert len([g for g in flame.group_lanes if len(g)]) == 6  # 6 traces with spans
    assert int(flame.open_.sum()) == 4  # 4 unfinished spans, drawn to the run end
    assert sum(flame.group_span_counts) == 226
    assert sum(t.ts.size for t in flame.events) == 15
    assert flame.lanes.rel_end[flame.open_].max() == pytest.approx(flame.lanes.t_max)
    titles = [view.chart.group_title(i) for i in range(len(flame.group_labels))]
    assert sum("unfinished" in t for t in titles) >= 2
    render(view)
    drawn = sum(int(f.blocks.count.sum()) for f in view.chart._frames)
    assert drawn == 226  # whole run visible and tall enough: every span is in some block


def test_lod_counts_match_when_zoomed(view) -> None:
    chart = view.chart
    chart.zoom(40.0, 100.0)
    render(view)
    for f in chart._frames:
        lane = chart.data.lanes.lanes[f.lane]
        visible = np.flatnonzero((lane.start <= chart.t1) & (lane.end >= chart.t0))
        assert int(f.blocks.count.sum()) >= visible.size


def test_zoom_about_cursor_and_pan(view, qtbot) -> None:
    chart = view.chart
    t0, t1 = chart.t0, chart.t1
    anchor = chart.t_of(300.0)
    chart.zoom(2.0, 300.0)
    assert chart.t1 - chart.t0 == pytest.approx((t1 - t0) / 2)
    assert chart.t_of(300.0) == pytest.approx(anchor)
    w = chart.t1 - chart.t0
    chart.pan_fraction(0.2)
    assert chart.t1 - chart.t0 == pytest.approx(w)
    chart.setFocus()
    before = chart.t1 - chart.t0
    qtbot.keyClick(chart, Qt.Key.Key_W)
    assert chart.t1 - chart.t0 < before
    qtbot.keyClick(chart, Qt.Key.Key_S)
    assert chart.t1 - chart.t0 == pytest.approx(before)
    start = chart.t0
    qtbot.keyClick(chart, Qt.Key.Key_D)
    assert chart.t0 > start
    qtbot.keyClick(chart, Qt.Key.Key_A)
    assert chart.t0 == pytest.approx(start)
    qtbot.keyClick(chart, Qt.Key.Key_0)
    assert (chart.t0, chart.t1) == pytest.approx(chart.full_range())


def test_drag_pans(view, qtbot) -> None:
    chart = view.chart
    chart.zoom(4.0, 700.0)
    t0 = chart.t0
    ns_px = chart.ns_per_px()
    qtbot.mousePress(chart, Qt.MouseButton.LeftButton, pos=QPoint(600, 300))
    qtbot.mouseMove(chart, QPoint(500, 300))
    qtbot.mouseRelease(chart, Qt.MouseButton.LeftButton, pos=QPoint(500, 300))
    assert chart.t0 == pytest.approx(t0 + 100 * ns_px)


def _single_block_point(chart) -> tuple[QPoint, int]:
    render(chart)
    for f in chart._frames:
        wide = np.flatnonzero((f.blocks.count == 1) & (f.x1 - f.x0 > 12) & (f.x0 > 0))
        if wide.size:
            b = int(wide[0])
            row = int(chart.data.lanes.lanes[f.lane].rows[f.blocks.first[b]])
            x = int((max(f.x0[b], 0) + min(f.x1[b], chart.width())) / 2)
            return QPoint(x, AXIS_HEIGHT + f.top + LANE_H // 2), row
    raise AssertionError("no wide single block on screen")


def test_click_emits_span_selected(view, qtbot) -> None:
    pos, row = _single_block_point(view.chart)
    with qtbot.waitSignal(view.bus.span_selected, timeout=1000) as blocker:
        qtbot.mouseClick(view.chart, Qt.MouseButton.LeftButton, pos=pos)
    assert blocker.args == [row]
    assert view.chart.selected_span == row
    assert view.describe_span(row).startswith("<b>")


def test_bus_span_selected_reveals_span(view) -> None:
    chart = view.chart
    chart.set_view(chart.full_range()[1] - 1000, chart.full_range()[1])  # far from the early spans
    view.bus.span_selected.emit(2)
    assert chart.selected_span == 2
    s, e = chart.data.lanes.rel_start[2], chart.data.lanes.rel_end[2]
    assert chart.t0 <= e and s <= chart.t1


def test_shift_drag_measures_and_emits_range(view, qtbot) -> None:
    chart = view.chart
    with qtbot.waitSignal(view.bus.time_range_selected, timeout=1000) as blocker:
        qtbot.mousePress(chart, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier, QPoint(20, 200))
        qtbot.mouseMove(chart, QPoint(200, 200))
        qtbot.mouseRelease(chart, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier, QPoint(200, 200))
    a, b = blocker.args
    assert isinstance(a, int) and isinstance(b, int) and a < b
    flame = view.flame
    assert a == pytest.approx(flame.origin + chart.t_of(20), abs=2)
    assert view.stats_box.isVisibleTo(view)
    assert view.stats.rowCount() > 0
    names = {view.stats.item(i, 0).text() for i in range(view.stats.rowCount())}
    assert "train/step" in names


def test_range_stats_counts_and_percentiles(view) -> None:
    flame = view.flame
    stats = range_stats(flame, flame.t_min - 1, flame.t_max + 1)
    assert sum(s.count for s in stats) == 226
    assert sum(s.unfinished for s in stats) == 4
    for s in stats:
        if s.count > s.unfinished:
            assert s.p50 <= s.p95 + 1e-9
            assert s.total >= s.mean


def test_bus_time_range_sets_overlay(view) -> None:
    flame = view.flame
    t0 = flame.origin + int(flame.t_min)
    view.bus.time_range_selected.emit(t0, t0 + 100_000_000)
    assert view.chart.range == pytest.approx((flame.t_min, flame.t_min + 1e8))
    view.bus.time_range_selected.emit(None, None)
    assert view.chart.range is None


def test_node_selected_highlights_its_spans(view) -> None:
    flame = view.flame
    node_id = next(i for i, k in flame.node_key_of_id.items() if k == "prep/clean")
    view.bus.node_selected.emit(node_id)
    hl = view.chart.highlight
    assert hl is not None and hl.any()
    for row in np.flatnonzero(hl).tolist():
        assert view.bundle.spans.attrs.get(row)["swarmtorch.node_key"] == "prep/clean"
    render(view)


def test_search_by_name_and_attribute(view, qtbot) -> None:
    view.search.setText("train/step")
    view._run_search()
    mask = view.chart.match
    assert mask is not None
    names = view.flame.names
    expected = np.array(["train/step" in names[c] for c in view.flame.name_code])
    qtbot.waitUntil(lambda: "…" not in view.match_label.text(), timeout=3000)
    assert np.array_equal(view.chart.match, expected)
    view.search.setText("swarmtorch.peer_id=peer-1")
    view._run_search()
    qtbot.waitUntil(lambda: "…" not in view.match_label.text(), timeout=3000)
    rows = np.flatnonzero(view.chart.match)
    assert rows.size > 0
    for r in rows.tolist():
        assert view.bundle.spans.attrs.get(r).get("swarmtorch.peer_id") == "peer-1"
    render(view)  # dimmed frame paints


def test_hover_tooltip_for_merged_and_single(view, qtbot) -> None:
    pos, row = _single_block_point(view.chart)
    assert view.chart.span_at(QPointF(pos)) == (row, 1)


def test_time_axis_units() -> None:
    assert nice_step(1e9, 10) == 1e8
    step, pos = ticks(0, 2.5e6, 6)
    assert [format_offset(p, step, 2.5e6) for p in pos[:3]] == ["0.0 ms", "0.5 ms", "1.0 ms"]
    assert format_offset(90e9, 30e9) == "1 min 30 s"
    assert format_duration(1_250_000) == "1.25 ms"
    assert format_duration(250) == "250 ns"


def test_attribute_search_is_exact() -> None:
    from swarmview.app.views.timeline import attr_pattern

    key, values = attr_pattern("swarmtorch.peer_id", "peer-1")
    raw = b'{"step":3,"swarmtorch.peer_id":"peer-10"}'
    at = raw.find(key)
    assert not raw.lower().startswith(values, at + len(key))
    raw = b'{"swarmtorch.peer_id":"Peer-1","x":1}'
    at = raw.find(key)
    assert raw.lower().startswith(values, at + len(key))
    key, values = attr_pattern("step", "3")
    raw = b'{"step":3}'
    assert raw.startswith(values, raw.find(key) + len(key))


def test_hover_outlines_same_name_spans(view, qtbot) -> None:
    pos, row = _single_block_point(view.chart)
    qtbot.mouseMove(view.chart, pos)
    assert view.chart.hover_name == int(view.flame.name_code[row])
    render(view)
    view.chart.set_hover_name(None)
    assert view.chart.hover_name is None


def test_vertical_scroll_follows_keys_and_scrollbar(view, qtbot) -> None:
    view.resize(1400, 300)  # shorter than the six groups
    qtbot.wait(10)
    chart = view.chart
    assert chart.content_height > chart.viewport_height()
    chart.setFocus()
    qtbot.keyClick(chart, Qt.Key.Key_Down)
    assert chart.scroll_y > 0
    assert view.scrollbar.value() == chart.scroll_y
    view.scrollbar.setValue(0)
    assert chart.scroll_y == 0
