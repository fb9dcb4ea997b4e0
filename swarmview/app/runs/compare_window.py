"""The compare window: two or more runs side by side (issue 11 "Compare").

Each run is loaded in its own worker (``core.bundle.load_bundle``); runs are then ordered oldest first
and lettered A, B, C… (A is the baseline), the overlays and span statistics are computed in a worker,
and the pair picked at the top (A against B by default) is diffed in a worker too: graph, datasets and
artifacts. The GUI thread only builds widgets and hands them finished rows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QMainWindow, QTabWidget, QVBoxLayout, QWidget

from swarmview.app.runs.compare_data import CompareData, PairData, prepare_compare, prepare_pair
from swarmview.app.runs.compare_files import FilesDiffView
from swarmview.app.runs.compare_graph import GraphDiffView
from swarmview.app.runs.compare_metrics import MetricsOverlay
from swarmview.app.runs.compare_spans import SpanStatsView
from swarmview.app.workers import Task, TaskPool
from swarmview.core.bundle import Bundle, load_bundle


class CompareWindow(QMainWindow):
    """Compare the runs at ``roots`` (bundle roots). ``pool``: a shared TaskPool, else a private one."""

    ready = Signal()          # every run loaded, overlays, span statistics and the first pair shown
    pair_ready = Signal()     # the graph/datasets/artifacts diff of the chosen pair is shown
    failed = Signal(str)

    TABS = ("metrics", "graph", "spans", "files")

    def __init__(self, roots: Sequence[str | Path], pool: TaskPool | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.roots = [Path(r) for r in roots]
        self._own_pool = pool is None
        self.pool = pool if pool is not None else TaskPool(max_threads=4, parent=self)
        self.bundles: list[Bundle | None] = [None] * len(self.roots)
        self.errors: list[str] = []
        self.data: CompareData | None = None
        self.ordered: list[Bundle] = []
        self.pairs: dict[tuple[int, int], PairData] = {}
        self._tasks: set[Task] = set()
        self._closed = False
        self.is_ready = False

        self.setWindowTitle(f"Compare {len(self.roots)} runs — SwarmView")
        self.status = QLabel(f"Loading {len(self.roots)} runs…", self)
        self.combo_a = QComboBox(self)
        self.combo_b = QComboBox(self)
        for combo, tip in ((self.combo_a, "Baseline run (A)"), (self.combo_b, "Run compared with the baseline (B)")):
            combo.setToolTip(tip)
            combo.setMinimumWidth(260)
            combo.setEnabled(False)
        top = QHBoxLayout()
        top.addWidget(QLabel("Baseline A:", self))
        top.addWidget(self.combo_a)
        top.addWidget(QLabel("compared with B:", self))
        top.addWidget(self.combo_b)
        top.addSpacing(12)
        top.addWidget(self.status, 1)

        self.metrics = MetricsOverlay(self.pool, self)
        self.graph = GraphDiffView(self)
        self.spans = SpanStatsView(self)
        self.files = FilesDiffView(self)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.metrics, "Metrics overlay")
        self.tabs.addTab(self.graph, "Graph diff")
        self.tabs.addTab(self.spans, "Span statistics")
        self.tabs.addTab(self.files, "Datasets && artifacts")
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.resize(1300, 820)
        self.combo_a.currentIndexChanged.connect(lambda _i: self._pair_changed())
        self.combo_b.currentIndexChanged.connect(lambda _i: self._pair_changed())
        for i, root in enumerate(self.roots):
            self._run(f"load {root.name}", lambda ev, r=root: load_bundle(r, cancel=ev),
                      lambda bundle, i=i: self._loaded(i, bundle), lambda msg, i=i: self._load_failed(i, msg))

    def show_tab(self, name: str) -> None:
        self.tabs.setCurrentIndex(self.TABS.index(name))

    # -- plumbing --------------------------------------------------------------------------------
    def _run(self, name: str, fn: Callable[[threading.Event], Any], on_done: Callable[[Any], None],
             on_fail: Callable[[str], None]) -> None:
        task = Task(name, fn)
        self._tasks.add(task)

        def done(result: Any, t: Task = task) -> None:
            if not self._closed and not t.cancelled:
                on_done(result)

        def fail(message: str, t: Task = task) -> None:
            if not self._closed:
                on_fail(message)

        task.signals.done.connect(done)
        task.signals.failed.connect(fail)
        task.signals.ended.connect(lambda t=task: self._tasks.discard(t))
        self.pool.start(task)

    def busy(self) -> bool:
        return bool(self._tasks)

    # -- loading ---------------------------------------------------------------------------------
    def _loaded(self, i: int, bundle: Bundle) -> None:
        self.bundles[i] = bundle
        self._maybe_prepare()

    def _load_failed(self, i: int, message: str) -> None:
        self.errors.append(f"{self.roots[i]}: {message}")
        self._maybe_prepare()

    def _maybe_prepare(self) -> None:
        done = sum(1 for b in self.bundles if b is not None) + len(self.errors)
        self.status.setText(f"Loaded {done} of {len(self.roots)} runs…")
        if done < len(self.roots):
            return
        loaded = [b for b in self.bundles if b is not None]
        if len(loaded) < 2:
            message = "Need at least two readable runs to compare. " + " ".join(self.errors)
            self.status.setText(message)
            self.failed.emit(message)
            return

        def created(b: Bundle) -> int:
            value = (b.run or {}).get("created_unix_nanos")
            return value if isinstance(value, int) else (b.time_range[0] if b.time_range else 0)

        self.ordered = sorted(loaded, key=created)
        bundles = list(self.ordered)
        self.status.setText("Comparing…")
        self._run("compare runs", lambda _ev: prepare_compare(bundles), self._prepared, self._fail)

    def _fail(self, message: str) -> None:
        self.status.setText(message)
        self.failed.emit(message)

    def _prepared(self, data: CompareData) -> None:
        self.data = data
        for combo in (self.combo_a, self.combo_b):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems([r.text for r in data.runs])
            combo.setEnabled(True)
            combo.blockSignals(False)
        self.combo_a.setCurrentIndex(0)
        self.combo_b.setCurrentIndex(1)
        text = f"{len(data.runs)} runs, oldest first; A is the baseline."
        if self.errors:
            text += f" {len(self.errors)} could not be loaded: " + "; ".join(self.errors)
        self.status.setText(text)
        self.metrics.set_data(data)
        self._pair_changed()

    # -- the chosen pair -------------------------------------------------------------------------
    def pair(self) -> tuple[int, int]:
        return self.combo_a.currentIndex(), self.combo_b.currentIndex()

    def _pair_changed(self) -> None:
        if self.data is None:
            return
        a, b = self.pair()
        if a < 0 or b < 0:
            return
        self.spans.set_data(self.data, a, b)
        cached = self.pairs.get((a, b))
        if cached is not None:
            self._show_pair(cached)
            return
        bundles = list(self.ordered)
        self._run(f"diff {a}/{b}", lambda _ev: prepare_pair(bundles, a, b), self._pair_done, self._fail)

    def _pair_done(self, pair: PairData) -> None:
        self.pairs[(pair.a, pair.b)] = pair
        if (pair.a, pair.b) == self.pair():
            self._show_pair(pair)

    def _show_pair(self, pair: PairData) -> None:
        assert self.data is not None
        self.graph.set_pair(pair, self.data.runs)
        self.files.set_pair(pair, self.data.runs)
        self.pair_ready.emit()
        if not self.is_ready:
            self.is_ready = True
            self.ready.emit()

    # -- closing ---------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Cancel this window's tasks; a private pool is also joined."""
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        if self._own_pool:
            self.pool.shutdown()

