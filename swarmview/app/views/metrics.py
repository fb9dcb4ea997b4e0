"""Metrics view: a searchable list of plots (VERIFY.md §11 series) drawn as small multiples or overlaid.

Series are grouped by their ``group_key`` (series differing only in ``swarmtorch.peer_id`` or
``swarmtorch.node_key`` share a plot, one line per value). Smoothing is TensorBoard's debiased EMA on
the full-resolution series, computed before any reduction; drawing reads min/max pyramids so a 10 M
point series pans at pixel cost. Plots are created only for the groups the user shows.
"""

from __future__ import annotations

import html
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSlider,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from swarmview.app.plot.crosshair_text import value_row
from swarmview.app.plot.curve_data import CurveData, prepare_curve
from swarmview.app.selection import SelectionBus
from swarmview.app.views.base import DamageNotice, RunView, damaged_files
from swarmview.core.records.ema import ema_segments

if TYPE_CHECKING:  # pyqtgraph is imported on first use: it costs ~0.5 s of every launch otherwise
    import pyqtgraph as pg

    from swarmview.app.plot.crosshair import Crosshair
    from swarmview.app.plot.curves import DecimatedCurve

DEFAULT_SMOOTHING = 0.6
GROUP_KEYS = ("swarmtorch.peer_id", "swarmtorch.node_key")
MAX_GRID = 16
DEFAULT_SHOWN = 6
X_MODES = ("auto", "step", "time", "index")
LINE_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                "#bcbd22", "#17becf")


@dataclass(frozen=True)
class Line:
    """One series of a plot, with everything drawing needs (computed in the worker)."""

    key: str  # Series.key, what series_selected carries
    name: str  # the grouping value (peer-0) or the series label
    x_kind: str
    x_own: np.ndarray  # the series' own x (step, ns time or index)
    x_time: np.ndarray  # seconds since the run start
    ts: np.ndarray  # uint64 timestamps (ns), to map a time range onto steps
    curve: CurveData
    segments: np.ndarray  # restart offsets of the series' own x (smoothing runs per segment)


@dataclass(frozen=True)
class PlotGroup:
    key: str
    title: str
    lines: list[Line]
    attrs_text: str

    @property
    def points(self) -> int:
        return sum(int(line.curve.y.shape[0]) for line in self.lines)


@dataclass(frozen=True)
class MetricsPrepared:
    groups: list[PlotGroup]
    origin: int


def _series_key(series: Any) -> str:
    key = getattr(series, "key", None)
    if isinstance(key, str):
        return key
    attrs = getattr(series, "attrs", {}) or {}
    return series.name + "|" + ",".join(f"{k}={attrs[k]!r}" for k in sorted(attrs))


def _line_name(series: Any) -> str:
    label = getattr(series, "group_label", None)
    if isinstance(label, str) and label:
        return label.split("=", 1)[1] if label.count("=") == 1 else label
    attrs = getattr(series, "attrs", {}) or {}
    values = [str(attrs[k]) for k in GROUP_KEYS if k in attrs]
    return " ".join(values) if values else str(series.label)


def _origin(bundle: Any) -> int:
    run = getattr(bundle, "run", None) or {}
    created = run.get("created_unix_nanos") if isinstance(run, dict) else None
    ts = bundle.metrics.ts
    low = int(ts.min()) if len(ts) else 0
    return int(created) if isinstance(created, int) and (not len(ts) or created <= low) else low


def build_groups(bundle: Any, smoothing: float = DEFAULT_SMOOTHING) -> MetricsPrepared:
    """Series grouped into plots, with smoothed values and pyramids (runs in a worker)."""
    from swarmview.core.records.series import metric_series

    table = bundle.metrics
    origin = _origin(bundle)
    o = np.uint64(origin)
    by_group: dict[str, list[Any]] = {}
    for s in metric_series(table):
        by_group.setdefault(str(s.group_key), []).append(s)
    groups: list[PlotGroup] = []
    for gkey, members in by_group.items():
        lines = []
        for s in members:
            rows = np.asarray(s.rows, dtype=np.int64)
            ts = np.asarray(table.ts, dtype=np.uint64)[rows]
            x_time = np.where(ts >= o, (ts - np.minimum(ts, o)).astype(np.float64), 0.0) / 1e9
            y = np.asarray(s.y, dtype=np.float64)
            x_own = np.asarray(s.x, dtype=np.float64)
            if s.x_kind == "time":
                x_own = x_time
            segs = np.asarray(getattr(s, "segments", np.zeros(1, np.int64)), dtype=np.int64)
            lines.append(Line(_series_key(s), _line_name(s), str(s.x_kind), x_own, x_time, ts,
                              prepare_curve(y, ema_segments(y, segs, smoothing)), segs))
        first = members[0]
        attrs = {k: v for k, v in (getattr(first, "attrs", {}) or {}).items() if k not in GROUP_KEYS}
        attrs_text = ", ".join(f"{k}={v!r}" for k, v in sorted(attrs.items()))
        groups.append(PlotGroup(gkey, str(first.label), lines, attrs_text))
    return MetricsPrepared(groups, origin)


class MetricsView(RunView):
    """Plots of metric series with smoothing, log-y, crosshair and links to the timeline's range."""

    view_name: ClassVar[str] = "metrics"
    title: ClassVar[str] = "Metrics"
    source_files: ClassVar[tuple[str, ...]] = ("metrics.ndjson",)

    _smoothed = Signal(int, object)  # generation, {line key: CurveData} from a worker thread

    def __init__(self, bus: SelectionBus, parent: QWidget | None = None) -> None:
        super().__init__(bus, parent)
        self.prepared: MetricsPrepared | None = None
        self.curve_data: dict[str, CurveData] = {}
        self.plots: list[tuple[pg.PlotItem, PlotGroup | None, list[tuple[DecimatedCurve, Line]], Crosshair]] = []
        self._smooth_gen = 0
        self._time_range: tuple[int, int] | None = None

        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Filter series…")
        self.search.setClearButtonEnabled(True)
        self.list = QListWidget(self)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        left = QWidget(self)
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.search)
        ll.addWidget(self.list, 1)

        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setRange(0, 990)
        self.slider.setValue(int(DEFAULT_SMOOTHING * 1000))
        self.slider.setFixedWidth(160)
        self.slider.setToolTip("TensorBoard-compatible debiased EMA, on the full-resolution series")
        self.smooth_label = QLabel(f"{DEFAULT_SMOOTHING:.3f}", self)
        self.log_y = QCheckBox("log y", self)
        self.x_mode = QComboBox(self)
        self.x_mode.addItems(["x: auto", "x: step", "x: time (s)", "x: index"])
        self.layout_mode = QComboBox(self)
        self.layout_mode.addItems(["small multiples", "one plot"])
        self.status = QLabel("", self)
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Smoothing", self))
        controls.addWidget(self.slider)
        controls.addWidget(self.smooth_label)
        controls.addWidget(self.log_y)
        controls.addWidget(self.x_mode)
        controls.addWidget(self.layout_mode)
        controls.addStretch(1)
        controls.addWidget(self.status)

        self.damage = DamageNotice(self)
        self.canvas: Any = None  # pg.GraphicsLayoutWidget, built on first use (see _ensure_canvas)
        self._mouse_proxy: Any = None
        self._stale = False
        right = QWidget(self)
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addLayout(controls)
        rl.addWidget(self.damage)
        self._right_layout = rl
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setSizes([300, 900])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(split)

        self._smooth_timer = QTimer(self)
        self._smooth_timer.setSingleShot(True)
        self._smooth_timer.setInterval(120)
        self._smooth_timer.timeout.connect(self._resmooth)
        self.slider.valueChanged.connect(self._on_slider)
        self.search.textChanged.connect(self._filter_list)
        self.list.itemSelectionChanged.connect(self._on_list_selection)
        self.list.currentItemChanged.connect(self._on_current_item)
        self.log_y.toggled.connect(lambda _b: self.rebuild_plots())
        self.x_mode.currentIndexChanged.connect(lambda _i: self.rebuild_plots())
        self.layout_mode.currentIndexChanged.connect(lambda _i: self.rebuild_plots())
        self._smoothed.connect(self._apply_smoothed)
        bus.time_range_selected.connect(self._on_time_range)
        bus.series_selected.connect(self._on_series_selected)

    # ----- RunView contract -----------------------------------------------------------------------
    @staticmethod
    def prepare(bundle: Any) -> MetricsPrepared:
        return build_groups(bundle)

    def set_data(self, bundle: Any, prepared: object) -> None:
        assert isinstance(prepared, MetricsPrepared)
        self.prepared = prepared
        self.curve_data = {line.key: line.curve for g in prepared.groups for line in g.lines}
        self._time_range = None
        self.list.blockSignals(True)
        self.list.clear()
        for gi, group in enumerate(prepared.groups):
            n = len(group.lines)
            text = group.title + (f"  ({n} lines)" if n > 1 else "")
            if group.attrs_text:
                text += f"  [{group.attrs_text}]"
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, gi)
            item.setToolTip(f"{group.title}<br>{html.escape(group.attrs_text)}<br>{group.points:,} points")
            self.list.addItem(item)
            item.setSelected(gi < DEFAULT_SHOWN)
        self.list.blockSignals(False)
        self.rebuild_plots()

    def set_report(self, report: Any | None) -> None:
        self.damage.show_damage(self.source_files, damaged_files(report))

    def clear(self) -> None:
        self.prepared = None
        self.curve_data = {}
        self.list.clear()
        self._clear_plots()

    def _ensure_canvas(self) -> Any:
        """Import pyqtgraph and build the plot canvas the first time plots are needed."""
        if self.canvas is None:
            import pyqtgraph as pg

            self.canvas = pg.GraphicsLayoutWidget(self)
            self.canvas.setBackground(self.palette().base().color())
            self._right_layout.addWidget(self.canvas, 1)
            self._mouse_proxy = pg.SignalProxy(self.canvas.scene().sigMouseMoved, rateLimit=60, slot=self._on_mouse)
        return self.canvas

    # ----- building plots -------------------------------------------------------------------------
    def selected_groups(self) -> list[PlotGroup]:
        if self.prepared is None:
            return []
        rows = sorted(int(i.data(Qt.ItemDataRole.UserRole)) for i in self.list.selectedItems() if not i.isHidden())
        return [self.prepared.groups[r] for r in rows][:MAX_GRID]

    def x_of(self, line: Line) -> tuple[np.ndarray, str]:
        """The x values under the chosen mode and what they are ("step", "time", "index")."""
        mode = X_MODES[self.x_mode.currentIndex()]
        if mode == "time" or (mode == "auto" and line.x_kind == "time"):
            return line.x_time, "time"
        if mode == "index" or (mode == "auto" and line.x_kind == "index") or (mode == "step" and line.x_kind != "step"):
            return np.arange(line.x_own.shape[0], dtype=np.float64), "index"
        return line.x_own, line.x_kind

    def _clear_plots(self) -> None:
        for plot, _g, curves, _c in self.plots:
            plot.vb.sigXRangeChanged.disconnect()
            for curve, _line in curves:
                curve.remove()
        self.plots = []
        if self.canvas is not None:
            self.canvas.clear()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self._stale:
            self.rebuild_plots()

    def rebuild_plots(self) -> None:
        """Create plots for the selected groups (grid) or one plot holding all their lines.

        While the tab is hidden this only marks the plots stale: pyqtgraph is imported and plots are
        built when the user first looks, not while the run loads.
        """
        if not self.isVisible():
            self._stale = True
            return
        self._stale = False
        self._clear_plots()
        groups = self.selected_groups()
        if not groups:
            self.status.setText("Select series on the left." if self.prepared and self.prepared.groups else
                                "No metrics in this run.")
            return
        import pyqtgraph as pg

        from swarmview.app.plot.crosshair import Crosshair
        from swarmview.app.plot.curves import DecimatedCurve

        self._ensure_canvas()
        overlay = self.layout_mode.currentIndex() == 1
        cols = 1 if overlay or len(groups) == 1 else (2 if len(groups) <= 4 else 3)
        if overlay:  # one plot per kind of x: steps and seconds on one axis would be meaningless
            by_kind: dict[str, list[Line]] = {}
            for g in groups:
                for line in g.lines:
                    by_kind.setdefault(self.x_of(line)[1], []).append(line)
            sets: list[tuple[PlotGroup | None, list[Line]]] = [(None, lines) for lines in by_kind.values()]
        else:
            sets = [(g, g.lines) for g in groups]
        owner_of = {line.key: g for g in groups for line in g.lines}
        total = 0
        nonfinite = 0
        for i, (group, lines) in enumerate(sets):
            plot = self.canvas.addPlot(row=i // cols, col=i % cols)
            if group is not None:
                title = group.title + (f"  [{group.attrs_text}]" if group.attrs_text else "")
            elif len(groups) == 1:
                title = groups[0].title
            else:
                title = f"{len(lines)} series overlaid"
            plot.setTitle(html.escape(title), size="9pt")
            for axis in ("bottom", "left"):
                plot.getAxis(axis).enableAutoSIPrefix(False)
            plot.setLogMode(y=self.log_y.isChecked())
            if len(lines) > 1:
                plot.addLegend(offset=(-4, 4), labelTextSize="8pt", brush=pg.mkBrush(255, 255, 255, 190))
            curves = []
            kinds = set()
            for j, line in enumerate(lines):
                x, kind = self.x_of(line)
                kinds.add(kind)
                colour = QColor(LINE_COLOURS[j % len(LINE_COLOURS)])
                name = line.name
                if group is None and len(groups) > 1:  # overlaid plots: say which metric each line is
                    owner = owner_of[line.key]
                    name = f"{owner.title} {line.name}" if line.name != owner.title else owner.title
                    if owner.attrs_text:
                        name += f" [{owner.attrs_text}]"
                curve = DecimatedCurve(plot, x, self.curve_data[line.key], colour, name,
                                       show_raw=self.slider.value() > 0)
                curves.append((curve, line))
                total += int(line.curve.y.shape[0])
                nonfinite += int(line.curve.nonfinite.size)
            plot.setLabel("bottom", {"time": "seconds since run start", "step": "step", "index": "index"}.get(
                kinds.pop() if len(kinds) == 1 else "", "mixed x"))
            if self.log_y.isChecked() and not any((line.curve.y > 0).any() for line in lines):
                note = pg.TextItem("no positive values: nothing to draw on a log scale", color=(150, 150, 150))
                plot.addItem(note, ignoreBounds=True)
            cross = Crosshair(plot, self._describer(curves))
            self.plots.append((plot, group, curves, cross))
            self._fit_x(plot, curves)
            plot.vb.sigXRangeChanged.connect(self._on_range_changed)
            plot.vb.sigResized.connect(self._on_range_changed)
            self._refresh_plot(len(self.plots) - 1)
        text = f"{len(self.plots)} plot{'s' if len(self.plots) != 1 else ''}, {total:,} points"
        if nonfinite:
            text += f", {nonfinite:,} non-finite (✕)"
        self.status.setText(text)
        if self._time_range is not None:
            self._apply_time_range(*self._time_range)

    @staticmethod
    def _fit_x(plot: pg.PlotItem, curves: list[tuple[DecimatedCurve, Line]]) -> None:
        """Whole series in x, y auto: pyqtgraph only sees the reduced points, so x is set here."""
        import pyqtgraph as pg

        extents = [e for c, _l in curves if (e := c.x_extent()) is not None]
        if extents:
            lo, hi = min(e[0] for e in extents), max(e[1] for e in extents)
            if hi <= lo:
                lo, hi = lo - 0.5, hi + 0.5
            plot.setXRange(lo, hi, padding=0.02)
        plot.enableAutoRange(axis=pg.ViewBox.YAxis)

    def _describer(self, curves: list[tuple[DecimatedCurve, Line]]) -> Any:
        def describe(x: float) -> list[str]:
            rows = []
            smoothing = self.slider.value() > 0
            for j, (curve, _line) in enumerate(curves[:12]):
                hit = curve.nearest(x)
                if hit is not None:
                    colour = QColor(LINE_COLOURS[j % len(LINE_COLOURS)])
                    rows.append(value_row(colour, curve.name, hit[0], hit[1], hit[2], smoothing))
            return rows

        return describe

    def _refresh_plot(self, index: int) -> None:
        plot, _g, curves, _c = self.plots[index]
        (x0, x1), _ = plot.vb.viewRange()
        width = max(plot.vb.width(), 100.0)
        for curve, _line in curves:
            curve.refresh(x0, x1, width, self.log_y.isChecked())

    def _on_range_changed(self, *args: Any) -> None:
        vb = self.sender()
        for i, (plot, _g, _c, _x) in enumerate(self.plots):
            if plot.vb is vb:
                self._refresh_plot(i)

    def refresh_all(self) -> None:
        for i in range(len(self.plots)):
            self._refresh_plot(i)

    # ----- interaction ----------------------------------------------------------------------------
    def _filter_list(self, text: str) -> None:
        needle = text.strip().lower()
        for i in range(self.list.count()):
            item = self.list.item(i)
            item.setHidden(bool(needle) and needle not in item.text().lower())

    def _on_list_selection(self) -> None:
        self.rebuild_plots()

    def _on_current_item(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if current is not None and self.prepared is not None:
            group = self.prepared.groups[int(current.data(Qt.ItemDataRole.UserRole))]
            self.bus.series_selected.emit(group.lines[0].key)

    def _on_series_selected(self, key: str) -> None:
        if self.prepared is None:
            return
        for gi, group in enumerate(self.prepared.groups):
            if any(line.key == key for line in group.lines):
                item = self.list.item(gi)
                if not item.isSelected():
                    self.list.blockSignals(True)
                    item.setSelected(True)
                    self.list.blockSignals(False)
                    self.rebuild_plots()
                self.list.scrollToItem(item)
                return

    def _on_mouse(self, event: Any) -> None:
        pos = event[0] if isinstance(event, tuple) else event
        hit_kind: str | None = None
        x_hit: float | None = None
        for plot, _g, curves, _cross in self.plots:
            if plot.sceneBoundingRect().contains(pos) and plot.vb.sceneBoundingRect().contains(pos):
                x_hit = plot.vb.mapSceneToView(QPointF(pos)).x()
                hit_kind = self._plot_kind(curves)
                break
        for _plot, _g, curves, cross in self.plots:
            if x_hit is not None and self._plot_kind(curves) == hit_kind:
                cross.show_at(x_hit)
            else:
                cross.hide()

    def _plot_kind(self, curves: list[tuple[DecimatedCurve, Line]]) -> str:
        kinds = {self.x_of(line)[1] for _c, line in curves}
        return kinds.pop() if len(kinds) == 1 else "mixed"

    def _on_slider(self, value: int) -> None:
        self.smooth_label.setText(f"{value / 1000:.3f}")
        self._smooth_timer.start()

    def _resmooth(self) -> None:
        """Recompute the EMA on full-resolution series; big runs do it in a worker thread."""
        if self.prepared is None:
            return
        self._smooth_gen += 1
        gen = self._smooth_gen
        weight = self.slider.value() / 1000
        lines = [line for g in self.prepared.groups for line in g.lines]

        def work() -> None:
            out = {}
            for line in lines:
                if gen != self._smooth_gen:
                    return
                out[line.key] = prepare_curve(line.curve.y, ema_segments(line.curve.y, line.segments, weight))
            self._smoothed.emit(gen, out)

        if sum(int(line.curve.y.shape[0]) for line in lines) < 200_000:
            work()
        else:
            threading.Thread(target=work, name="metrics-smoothing", daemon=True).start()

    def _apply_smoothed(self, gen: int, data: object) -> None:
        if gen != self._smooth_gen or not isinstance(data, dict):
            return
        self.curve_data.update(data)
        show_raw = self.slider.value() > 0
        for _plot, _g, curves, _c in self.plots:
            for curve, line in curves:
                curve.set_smooth(self.curve_data[line.key])
                curve.raw_item.setVisible(show_raw)
        self.refresh_all()

    # ----- time range from the timeline -----------------------------------------------------------
    def _on_time_range(self, t0: object, t1: object) -> None:
        if t0 is None or t1 is None:
            self._time_range = None
            for plot, _g, curves, _x in self.plots:
                self._fit_x(plot, curves)
            return
        self._time_range = (int(t0), int(t1))  # type: ignore[call-overload]
        self._apply_time_range(*self._time_range)

    def _apply_time_range(self, t0: int, t1: int) -> None:
        """Time plots show exactly the range; step plots show the steps logged inside it."""
        if self.prepared is None:
            return
        origin = self.prepared.origin
        for plot, _g, curves, _x in self.plots:
            kind = self._plot_kind(curves)
            if kind == "time":
                plot.setXRange((t0 - origin) / 1e9, (t1 - origin) / 1e9, padding=0)
            elif kind in ("step", "index"):
                lows, highs = [], []
                for curve, line in curves:
                    inside = np.flatnonzero((line.ts >= np.uint64(max(t0, 0))) & (line.ts <= np.uint64(max(t1, 0))))
                    if inside.size:
                        lows.append(float(curve.x[inside].min()))
                        highs.append(float(curve.x[inside].max()))
                if lows:
                    plot.setXRange(min(lows), max(max(highs), min(lows) + 1), padding=0.02)
