"""Metrics overlay: the same series from every run on one plot, one colour per run, one smoothing.

TensorBoard/W&B users compare runs by overlaying a series (VIEWER_ANCHORS a.2): x aligned by step or by
time since each run's start, the same debiased EMA for every run so curves stay comparable, and a
searchable list because runs carry hundreds of series. Smoothing is recomputed in a worker on the
full-resolution series; drawing reuses the decimated curves of the single-run Metrics view.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import orjson
import pyqtgraph as pg
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

from swarmview.app.plot.crosshair import Crosshair, value_row
from swarmview.app.plot.curves import CurveData, DecimatedCurve
from swarmview.app.runs.compare_data import CompareData, smooth_overlay
from swarmview.app.runs.verify_queue import emit_safely
from swarmview.app.workers import Task, TaskPool
from swarmview.core.runs.compare import OverlaySeries

DEFAULT_SMOOTHING = 0.6
DEFAULT_SHOWN = 4
MAX_PLOTS = 9


def series_title(s: OverlaySeries) -> str:
    """The label plus the identity attrs (``train/acc  peer_id=peer-0``): same-name series must differ."""
    attrs = s.key[len(s.name):] if s.key.startswith(s.name) else ""
    try:
        values = orjson.loads(attrs) if attrs else {}
    except orjson.JSONDecodeError:
        values = {}
    if not isinstance(values, dict) or not values:
        return s.label
    words = [f"{k.removeprefix('swarmtorch.')}={v}" for k, v in values.items()]
    return f"{s.label}  " + ", ".join(words)


class MetricsOverlay(QWidget):
    """A series list on the left, one plot per selected series on the right (all runs overlaid)."""

    redrawn = Signal()                   # plots rebuilt with the current smoothing (tests wait for it)
    _smoothed = Signal(int, object)      # generation, {(key, run): CurveData}

    def __init__(self, pool: TaskPool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pool = pool
        self.data: CompareData | None = None
        self.curves: list[tuple[pg.PlotItem, list[DecimatedCurve]]] = []
        self.crosshairs: list[tuple[pg.PlotItem, str, Crosshair]] = []   # plot, x label, crosshair
        self.curve_data: dict[tuple[str, int], CurveData] = {}
        self._gen = 0

        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search series…")
        self.search.setClearButtonEnabled(True)
        self.list = QListWidget(self)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        left = QWidget(self)
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.search)
        ll.addWidget(self.list, 1)
        hint = QLabel("Ctrl/Shift-click to show several plots", left)
        hint.setEnabled(False)
        ll.addWidget(hint)

        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setRange(0, 990)
        self.slider.setValue(int(DEFAULT_SMOOTHING * 1000))
        self.slider.setFixedWidth(150)
        self.slider.setToolTip("TensorBoard-compatible debiased EMA, the same weight for every run")
        self.smooth_label = QLabel(f"{DEFAULT_SMOOTHING:.2f}", self)
        self.align = QComboBox(self)
        self.align.addItems(["x: step", "x: time since run start (s)"])
        self.align.setToolTip("Step keeps each series' own x (step, else time or index, VERIFY.md §11)")
        self.show_raw = QCheckBox("raw", self)
        self.show_raw.setChecked(True)
        self.show_raw.setToolTip("Draw the unsmoothed values faintly behind each curve")
        self.log_y = QCheckBox("log y", self)
        self.legend = QLabel("", self)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Smoothing", self))
        controls.addWidget(self.slider)
        controls.addWidget(self.smooth_label)
        controls.addWidget(self.align)
        controls.addWidget(self.show_raw)
        controls.addWidget(self.log_y)
        controls.addStretch(1)
        controls.addWidget(self.legend)

        self.canvas = pg.GraphicsLayoutWidget(self)
        self.canvas.setBackground(self.palette().base().color())
        self.canvas.ci.layout.setVerticalSpacing(16)
        self.empty = QLabel("", self)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.hide()
        right = QWidget(self)
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addLayout(controls)
        rl.addWidget(self.empty)
        rl.addWidget(self.canvas, 1)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setSizes([260, 1000])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(split)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(120)
        self._timer.timeout.connect(self.resmooth)
        self.slider.valueChanged.connect(self._on_slider)
        self.search.textChanged.connect(self._filter)
        self.list.itemSelectionChanged.connect(self._timer.start)
        self.align.currentIndexChanged.connect(lambda _i: self.resmooth())
        self.show_raw.toggled.connect(lambda _b: self._draw())
        self.log_y.toggled.connect(lambda _b: self._draw())
        self._smoothed.connect(self._on_smoothed)
        self._mouse = pg.SignalProxy(self.canvas.scene().sigMouseMoved, rateLimit=60, slot=self._on_mouse)

    # -- data ------------------------------------------------------------------------------------
    def set_data(self, data: CompareData) -> None:
        self.data = data
        self.legend.setText("  ".join(f'<span style="color:{r.colour}; font-weight:bold">━━ {r.letter}</span> '
                                      f'{(r.run_id or r.root.name)[:12]}' for r in data.runs))
        self.list.blockSignals(True)
        self.list.clear()
        for s in data.by_step:
            present = sum(1 for y in s.y if y is not None)
            item = QListWidgetItem(series_title(s) + (f"  [{present}/{len(data.runs)} runs]" if present < len(data.runs) else ""))
            item.setData(Qt.ItemDataRole.UserRole, s.key)
            item.setToolTip(s.key)
            self.list.addItem(item)
        for row in range(min(DEFAULT_SHOWN, self.list.count())):
            self.list.item(row).setSelected(True)
        self.list.blockSignals(False)
        if not data.by_step:
            self.empty.setText("None of these runs has metrics.")
            self.empty.show()
        self.resmooth()

    @property
    def weight(self) -> float:
        return self.slider.value() / 1000

    def aligned(self) -> list[OverlaySeries]:
        if self.data is None:
            return []
        return self.data.by_time if self.align.currentIndex() == 1 else self.data.by_step

    def selected_series(self) -> list[OverlaySeries]:
        keys = [item.data(Qt.ItemDataRole.UserRole) for item in self.list.selectedItems() if not item.isHidden()]
        by_key = {s.key: s for s in self.aligned()}
        order = {s.key: i for i, s in enumerate(self.aligned())}
        return [by_key[k] for k in sorted(keys, key=lambda k: order.get(k, 0)) if k in by_key][:MAX_PLOTS]

    # -- smoothing (worker) ----------------------------------------------------------------------
    def _on_slider(self, value: int) -> None:
        self.smooth_label.setText(f"{value / 1000:.2f}")
        self._timer.start()

    def resmooth(self) -> None:
        self._gen += 1
        gen, series, weight = self._gen, self.selected_series(), self.weight

        def work(_cancel: threading.Event) -> None:  # worker thread
            emit_safely(self._smoothed, gen, smooth_overlay(series, weight))

        self.pool.start(Task("smooth overlay", work))

    def _on_smoothed(self, gen: int, data: dict[tuple[str, int], CurveData]) -> None:
        if gen != self._gen:
            return
        self.curve_data = data
        self._draw()

    # -- drawing ---------------------------------------------------------------------------------
    def _draw(self) -> None:
        self.canvas.clear()
        self.curves = []
        self.crosshairs = []
        series = self.selected_series()
        if self.data is None:
            return
        cols = 1 if len(series) <= 1 else 2 if len(series) <= 4 else 3
        for n, s in enumerate(series):
            plot = self.canvas.addPlot(row=n // cols, col=n % cols)
            plot.setTitle(series_title(s), size="10pt")
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.setLabel("bottom", s.x_label)
            plot.setLogMode(y=self.log_y.isChecked())
            items = []
            for i, run in enumerate(self.data.runs):
                cd = self.curve_data.get((s.key, i))
                x = s.x[i]
                if cd is None or x is None:
                    continue
                items.append(DecimatedCurve(plot, x, cd, QColor(run.colour), run.letter, self.show_raw.isChecked()))
            self.curves.append((plot, items))
            self.crosshairs.append((plot, s.x_label, Crosshair(plot, self._describer(items))))
            plot.sigXRangeChanged.connect(self._refresher(plot, items))
            self._refresh(plot, items)
            plot.enableAutoRange()
        self.redrawn.emit()

    def _describer(self, items: list[DecimatedCurve]) -> Callable[[float], list[str]]:
        colours = {run.letter: QColor(run.colour) for run in self.data.runs} if self.data else {}

        def describe(x: float) -> list[str]:
            rows = []
            for curve in items:
                hit = curve.nearest(x)
                if hit is not None:
                    rows.append(value_row(colours.get(curve.name, QColor("gray")), curve.name, hit[0], hit[1], hit[2],
                                          self.weight > 0))
            return rows

        return describe

    def _on_mouse(self, event: Any) -> None:
        """One crosshair position in every plot with the same x axis: runs compared point by point."""
        pos = event[0] if isinstance(event, tuple) else event
        hit: tuple[float, str] | None = None
        for plot, x_label, _cross in self.crosshairs:
            if plot.vb.sceneBoundingRect().contains(pos):
                hit = (plot.vb.mapSceneToView(QPointF(pos)).x(), x_label)
                break
        for _plot, x_label, cross in self.crosshairs:
            if hit is not None and x_label == hit[1]:
                cross.show_at(hit[0])
            else:
                cross.hide()

    def _refresher(self, plot: pg.PlotItem, items: list[DecimatedCurve]) -> Callable[..., None]:
        return lambda *_a: self._refresh(plot, items)

    def _refresh(self, plot: pg.PlotItem, items: list[DecimatedCurve]) -> None:
        (x0, x1), _ = plot.viewRange()
        extents = [e for e in (c.x_extent() for c in items) if e is not None]
        if extents and plot.getViewBox().autoRangeEnabled()[0]:
            x0, x1 = min(e[0] for e in extents), max(e[1] for e in extents)
        width = max(plot.getViewBox().width(), 200.0)
        for curve in items:
            curve.refresh(x0, x1, width, self.log_y.isChecked())

    def curve_count(self) -> int:
        """Smoothed curves drawn (one per run per shown series that run has)."""
        return sum(len(items) for _, items in self.curves)

    def _filter(self, text: str) -> None:
        words = text.lower().split()
        for row in range(self.list.count()):
            item = self.list.item(row)
            hay = f"{item.text()} {item.toolTip()}".lower()
            item.setHidden(not all(w in hay for w in words))

    def clear(self) -> None:
        self._gen += 1
        self.canvas.clear()
        self.curves = []
        self.crosshairs = []
        self.list.clear()
        self.data = None

    def extra(self) -> dict[str, Any]:
        return {"plots": len(self.curves), "curves": self.curve_count()}
