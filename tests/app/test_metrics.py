"""Metrics view on the real ``rich`` fixture: grouping, smoothing, pyramids, log-y, bus links."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QImage

from swarmview.app.plot.curve_data import prepare_curve, reduce_indices, segments
from swarmview.app.plot.curves import DecimatedCurve
from swarmview.app.selection import SelectionBus
from swarmview.app.views.metrics import MetricsView
from swarmview.core.records.ema import ema, ema_segments
from swarmview.core.records.pyramid import minmax_pyramid
from tests.app.heavy_views_data import rich_bundle

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]


@pytest.fixture
def view(qtbot, tmp_path):
    bus = SelectionBus()
    v = MetricsView(bus)
    qtbot.addWidget(v)
    v.resize(1300, 850)
    bundle = rich_bundle(tmp_path)
    v.set_data(bundle, MetricsView.prepare(bundle))
    v.show()
    qtbot.waitExposed(v)
    return v


def render(widget) -> QImage:
    image = QImage(widget.size(), QImage.Format.Format_ARGB32)
    image.fill(0)
    widget.render(image)
    return image


def test_pyqtgraph_is_imported_only_when_plots_are_needed() -> None:
    """The metrics module must not import pyqtgraph: it would cost every launch ~0.5 s."""
    import subprocess
    import sys

    code = ("import sys; import swarmview.app.views.metrics, swarmview.app.views.timeline, "
            "swarmview.app.views.graph; print('pyqtgraph' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_groups_from_rich(view) -> None:
    groups = view.prepared.groups
    assert sum(len(g.lines) for g in groups) == 23  # VERIFY.md §11: 23 series
    by_title = {g.title: g for g in groups}
    assert len(by_title["train/loss"].lines) == 4  # one plot, one line per peer
    assert sorted(line.name for line in by_title["train/loss"].lines) == ["peer-0", "peer-1", "peer-2", "peer-3"]
    assert by_title["train/loss"].lines[0].x_kind == "step"
    assert by_title["swarm/throughput [samples/s]"].lines[0].x_kind == "time"
    assert sum(1 for g in groups if g.title == "debug/edge_values") == 9  # `i` is not a grouping key
    assert len(view.plots) == 6  # the first six plots are shown
    render(view)


def test_selecting_a_series_emits_and_filters(view, qtbot) -> None:
    item = view.list.item(1)
    with qtbot.waitSignal(view.bus.series_selected, timeout=1000) as blocker:
        view.list.setCurrentItem(item)
    group = view.prepared.groups[1]
    assert blocker.args == [group.lines[0].key]
    view.search.setText("edge")
    hidden = [view.list.item(i).isHidden() for i in range(view.list.count())]
    assert sum(not h for h in hidden) == 9


def test_series_selected_from_bus_shows_its_plot(view) -> None:
    view.list.clearSelection()
    target = view.prepared.groups[-1]
    view.bus.series_selected.emit(target.lines[0].key)
    assert any(g is target for _p, g, _c, _x in view.plots)


def test_overlay_and_log_y(view) -> None:
    view.layout_mode.setCurrentIndex(1)
    kinds = {view.x_of(line)[1] for g in view.selected_groups() for line in g.lines}
    assert len(view.plots) == len(kinds) == 2  # steps and seconds never share an x axis
    assert sum(len(p[2]) for p in view.plots) == sum(len(g.lines) for g in view.selected_groups())
    names = [c.name for c, _l in view.plots[0][2]]
    assert "train/loss peer-0" in names  # overlaid lines say which metric they are
    view.log_y.setChecked(True)
    render(view)
    for curve, _line in view.plots[0][2]:
        ys = curve.smooth_item.yData
        if ys is not None and ys.size:
            assert np.all(np.isnan(ys) | np.isfinite(ys))


def test_smoothing_slider_recomputes(view, qtbot) -> None:
    line = view.prepared.groups[0].lines[0]
    before = view.curve_data[line.key].smooth.copy()
    view.slider.setValue(0)
    view._resmooth()
    after = view.curve_data[line.key].smooth
    assert np.array_equal(after, line.curve.y)  # weight 0: the raw series
    assert not np.array_equal(before, after)


def test_time_range_links_time_and_step_plots(view) -> None:
    origin = view.prepared.origin
    throughput = next(g for g in view.prepared.groups if g.title.startswith("swarm/throughput"))
    t = throughput.lines[0].ts
    t0, t1 = int(t[5]), int(t[10])
    view.bus.time_range_selected.emit(t0, t1)
    for plot, group, curves, _x in view.plots:
        (x0, x1), _ = plot.vb.viewRange()
        if group is throughput:
            assert x0 == pytest.approx((t0 - origin) / 1e9) and x1 == pytest.approx((t1 - origin) / 1e9)
        elif group is not None and group.title == "train/loss":
            full = curves[0][0].x_extent()
            assert x1 - x0 < full[1] - full[0]  # narrowed to the steps logged in the range
    view.bus.time_range_selected.emit(None, None)
    plot = next(p for p, g, _c, _x in view.plots if g is throughput)
    (x0, x1), _ = plot.vb.viewRange()
    assert x0 <= throughput.lines[0].x_time.min()


def test_crosshair_reads_values(view) -> None:
    plot, _group, curves, cross = view.plots[0]
    x = float(curves[0][0].x[10])
    cross.show_at(x)
    assert cross.label.isVisible()
    hit = curves[0][0].nearest(x)
    assert hit[1] == curves[0][1].curve.y[10]
    scene_pos = plot.vb.mapViewToScene(QPointF(x, 1.0))
    view._on_mouse((scene_pos,))
    assert cross.line.isVisible()


def test_smoothing_is_tensorboard_ema_per_segment(view) -> None:
    """The drawn smooth line is the records EMA of the full-resolution series (default 0.6)."""
    for group in view.prepared.groups:
        for line in group.lines:
            assert np.array_equal(line.curve.smooth, ema_segments(line.curve.y, line.segments, 0.6), equal_nan=True)


def test_pyramid_reduction_keeps_extremes_and_real_points() -> None:
    rng = np.random.default_rng(4)
    y = rng.normal(size=100_003)
    y[777] = 50.0
    y[1234] = np.nan
    p = minmax_pyramid(np.arange(y.size), y)
    idx = reduce_indices(p, 0, y.size, 2000)
    assert idx.size <= 2000 + 4
    assert np.all(np.diff(idx) > 0)
    assert np.nanmax(y[idx]) == 50.0 and np.nanmin(y[idx]) == np.nanmin(y)
    idx = reduce_indices(p, 100_000, 100_003, 2000)
    assert idx.tolist() == [100_000, 100_001, 100_002]
    idx = reduce_indices(p, 37, 90_011, 500)  # unaligned edges are scanned raw
    assert np.nanmax(y[idx]) == np.nanmax(y[37:90_011])
    assert np.nanmin(y[idx]) == np.nanmin(y[37:90_011])


def test_curve_segments_restart_and_nonfinite(qtbot) -> None:
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    x = np.array([0, 1, 2, 3, 1, 2, 3], dtype=np.float64)
    y = np.array([1.0, np.nan, 3.0, np.inf, 2.0, 2.5, -np.inf])
    assert segments(x) == [(0, 4), (4, 7)]
    data = prepare_curve(y, ema(y, 0.6))
    assert data.nonfinite.tolist() == [1, 3, 6]
    assert data.marker_y.tolist() == [1.0, 3.0, 2.5]
    curve = DecimatedCurve(widget.getPlotItem(), x, data, pg.mkColor("b"), "s")
    curve.refresh(-1, 4, 500, log_y=False)
    xs = curve.smooth_item.xData
    assert np.isnan(xs).sum() >= 1  # the restart is a gap, not a line back in time
    assert curve.marker_item is not None


def test_nonfinite_fixture_points_are_gaps_with_markers(qtbot, tmp_path) -> None:
    """``nonfinite``: NaN/±inf written as null read back as NaN gaps, counted and marked, never drawn."""
    from tests.app.heavy_views_data import load_for_views
    from tests.helpers import copy_fixture

    bundle = load_for_views(copy_fixture("nonfinite", tmp_path))
    view = MetricsView(SelectionBus())
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.set_data(bundle, MetricsView.prepare(bundle))
    assert view.plots == []  # hidden: plots wait until the tab is shown
    view.show()
    qtbot.waitExposed(view)
    curves = [c for _p, _g, cs, _x in view.plots for c, _l in cs]
    assert curves
    assert sum(c.data.nonfinite.size for c in curves) >= 3
    assert any(c.marker_item is not None for c in curves)
    assert "non-finite" in view.status.text()
    for c in curves:
        ys = c.smooth_item.yData
        assert ys is None or not np.isinf(ys).any()
    render(view)
