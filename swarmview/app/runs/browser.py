"""The runs browser: every run below a folder, its integrity at a glance, and a way to compare them.

Discovery (``core.bundle.discover_bundles``, VERIFY.md §2) and the cheap per-run summary run in one
worker and stream rows in batches as they are found; runs whose cached verification is still valid get
their verdict at once. The runs the filter leaves visible are then verified in the background, newest
first, and the hidden ones after them (:class:`~swarmview.app.runs.verify_queue.VerifyScheduler`). Nothing is written into any run:
the cache lives in the user cache folder.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from swarmview.app.runs.runs_model import CREATED, STATE_WORDS, VERDICT, BadgeDelegate, RunsModel
from swarmview.app.runs.summary import RunSummary, summarize_run
from swarmview.app.runs.verify_queue import VerifyScheduler, emit_safely, user_cache_dir
from swarmview.app.workers import Task, TaskPool
from swarmview.core.bundle import discover_bundles
from swarmview.core.runs.cache import VerifyCache

#: rows are handed to the GUI at most this often (or when this many are waiting)
BATCH_S = 0.05
BATCH_ROWS = 200


def _summary_or_note(root: Path, folder: Path, cache: VerifyCache | None) -> RunSummary:
    """The row of ``root``; a run that cannot even be summarised is still listed, with the reason."""
    try:
        return summarize_run(root, folder, cache)
    except Exception as exc:  # one odd run (vanished, unreadable) must not end the listing
        try:
            rel = os.path.relpath(root, folder)
        except ValueError:
            rel = str(root)
        return RunSummary(root, rel, None, None, None, None, None, None, None, None, 0, False,
                          note=f"could not be read: {type(exc).__name__}: {exc}")


class RunsBrowser(QWidget):
    """Runs below ``folder`` in a sortable, filterable table; verification runs in ``pool``.

    ``cache``: a :class:`VerifyCache`, ``None`` for the user cache folder (``$SWARMVIEW_CACHE_DIR``
    first) or ``False`` to verify without a cache.
    """

    open_requested = Signal(object)      # Path of the run to open in the single-run window
    compare_requested = Signal(object)   # list[Path], two or more runs
    discovery_finished = Signal(int)     # runs found
    settled = Signal()                   # discovery done and nothing left to verify

    _found = Signal(object)              # list[RunSummary], from the discovery worker

    def __init__(self, folder: str | Path, pool: TaskPool, cache: VerifyCache | bool | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder = Path(folder).absolute()
        self.pool = pool
        if cache is None or cache is True:
            cache = VerifyCache(user_cache_dir())
        self.cache: VerifyCache | None = cache or None
        self.model = RunsModel(self)
        self.scheduler = VerifyScheduler(pool, self.cache, parent=self)
        self.discovering = False
        self.discovery_errors: list[tuple[str, str]] = []
        self._discovery: Task | None = None
        self._closed = False

        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText("Filter runs: id, folder, version or verdict (e.g. problems)…")
        self.filter.setClearButtonEnabled(True)
        self.open_button = QPushButton("Open", self)
        self.open_button.setToolTip("Open the selected run (Enter or double-click)")
        self.compare_button = QPushButton("Compare", self)
        self.compare_button.setToolTip("Select two or more runs to compare them side by side")
        top = QHBoxLayout()
        top.addWidget(self.filter, 1)
        top.addWidget(self.open_button)
        top.addWidget(self.compare_button)

        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(VERDICT, BadgeDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(CREATED, Qt.SortOrder.DescendingOrder)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        for col, width in enumerate((170, 255, 140, 75, 55, 60, 55, 50, 75, 85)):
            header.resizeSection(col, width)
        self.table.installEventFilter(self)
        self.status = QLabel("", self)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)

        self._order_timer = QTimer(self)
        self._order_timer.setSingleShot(True)
        self._order_timer.setInterval(150)
        self._order_timer.timeout.connect(self._schedule)
        QShortcut(QKeySequence.StandardKey.Find, self, activated=self.filter.setFocus)
        self.filter.textChanged.connect(self._on_filter)
        self.table.doubleClicked.connect(lambda index: self._open_row(index.row()))
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.model.rowsInserted.connect(lambda *_: self._update_buttons())
        self.model.modelReset.connect(self._update_buttons)
        self.open_button.clicked.connect(self._open_current)
        self.compare_button.clicked.connect(self._compare_selected)
        self._found.connect(self._on_found)
        self.scheduler.started.connect(lambda root: self._set_state(root, "verifying"))
        self.scheduler.finished.connect(lambda root, report: self._set_state(root, report.verdict, report))
        self.scheduler.failed.connect(lambda root, message: self._set_state(root, "error", None, message))
        self.scheduler.idle.connect(self._check_settled)
        self._update_buttons()
        self.start()

    # -- discovery -------------------------------------------------------------------------------
    def start(self) -> None:
        """Discover the runs below the folder (called once by the constructor)."""
        self.discovering = True
        self._update_status()
        folder, cache = self.folder, self.cache

        def discover(cancel: threading.Event) -> int:  # worker thread
            batch: list[RunSummary] = []
            last = time.monotonic()
            found = 0
            for root in discover_bundles(folder, errors=self.discovery_errors):
                if cancel.is_set():
                    break
                batch.append(_summary_or_note(root, folder, cache))
                found += 1
                now = time.monotonic()
                if len(batch) >= BATCH_ROWS or now - last >= BATCH_S:
                    emit_safely(self._found, batch)
                    batch, last = [], now
            if batch:
                emit_safely(self._found, batch)
            return found

        task = Task("discover runs", discover)
        task.signals.done.connect(self._on_discovered)
        task.signals.failed.connect(self._on_discovery_failed)
        self._discovery = self.pool.start(task)

    def _on_found(self, batch: list[RunSummary]) -> None:
        if self._closed:
            return
        self.model.add(batch)
        self._order_timer.start()
        self._update_status()

    def _on_discovered(self, found: int) -> None:
        if self._closed:
            return
        self.discovering = False
        self._order_timer.start()
        self._update_status()
        self.discovery_finished.emit(found)
        self._check_settled()

    def _on_discovery_failed(self, message: str) -> None:
        self.discovering = False
        self.discovery_errors.append((str(self.folder), message))
        self._update_status()
        self.discovery_finished.emit(len(self.model.runs))
        self._check_settled()

    # -- verification ----------------------------------------------------------------------------
    def _schedule(self) -> None:
        if self._closed:
            return
        todo = [r for r in self.model.verification_order() if self.model.state_of(r) == "pending"]
        self.scheduler.set_order(todo)
        self._check_settled()

    def _set_state(self, root: Path, state: str, report: Any = None, message: str = "") -> None:
        if self._closed:
            return
        self.model.set_state(root, state, report, message)
        self._update_status()

    def _check_settled(self) -> None:
        if not self.discovering and not self._order_timer.isActive() and not self.scheduler.busy():
            self._update_status()
            self.settled.emit()

    def verifying(self) -> bool:
        return self.scheduler.busy()

    # -- user actions ----------------------------------------------------------------------------
    def _on_filter(self, text: str) -> None:
        self.model.set_filter(text)
        self._order_timer.start()
        self._update_status()

    def selected_roots(self) -> list[Path]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.model.summary(r).root for r in rows]

    def _update_buttons(self) -> None:
        n = len(self.table.selectionModel().selectedRows()) if self.table.selectionModel() else 0
        self.open_button.setEnabled(n == 1)
        self.compare_button.setEnabled(n >= 2)
        self.compare_button.setText(f"Compare {n} runs" if n >= 2 else "Compare")

    def _open_row(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            self.open_requested.emit(self.model.summary(row).root)

    def _open_current(self) -> None:
        index = self.table.currentIndex()
        if index.isValid():
            self._open_row(index.row())

    def _compare_selected(self) -> None:
        roots = self.selected_roots()
        if len(roots) >= 2:
            self.compare_requested.emit(roots)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table and event.type() == QEvent.Type.KeyPress:
            if isinstance(event, QKeyEvent) and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._open_current()
                return True
        return super().eventFilter(watched, event)

    # -- status ----------------------------------------------------------------------------------
    def _update_status(self) -> None:
        counts = self.model.counts()
        total = len(self.model.runs)
        parts = [f"{total:,} run{'s' if total != 1 else ''} found" + (" so far…" if self.discovering else "")]
        if self.model.rowCount() != total:
            parts.append(f"{self.model.rowCount():,} shown")
        for state in ("verified", "verified_with_warnings", "problems", "could_not_verify", "cancelled", "error"):
            if counts.get(state):
                parts.append(f"{counts[state]:,} {STATE_WORDS[state].lower()}")
        waiting = counts.get("pending", 0) + counts.get("verifying", 0)
        if waiting:
            parts.append(f"{waiting:,} not verified yet")
        if self.discovery_errors:
            parts.append(f"{len(self.discovery_errors)} folder(s) could not be read")
        if not self.discovering and total == 0:
            parts = [f"No runs found below {self.folder} (a run is a folder holding run.json, at most 8 levels down)"]
        self.status.setText(" · ".join(parts))

    def shutdown(self) -> None:
        """Stop discovery and verification (the owner of ``pool`` joins it)."""
        self._closed = True
        self._order_timer.stop()
        if self._discovery is not None:
            self._discovery.cancel()
        self.scheduler.close()


class RunsWindow(QMainWindow):
    """A top-level window around :class:`RunsBrowser` (``swarmview open DIR``) with its own pool.

    Double-click opens a run through ``open_run`` (the lead passes a callable that shows it in the
    single-run window); Compare opens a :class:`~swarmview.app.runs.compare_window.CompareWindow`.
    """

    def __init__(self, folder: str | Path, open_run: Any = None, cache: VerifyCache | bool | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pool = TaskPool(max_threads=4, parent=self)
        self.browser = RunsBrowser(folder, self.pool, cache, self)
        self.setCentralWidget(self.browser)
        self.setWindowTitle(f"Runs in {self.browser.folder} — SwarmView")
        self.resize(1280, 720)
        self.compare_windows: list[QMainWindow] = []
        if open_run is not None:
            self.browser.open_requested.connect(open_run)
        self.browser.compare_requested.connect(self.open_compare)

    def open_compare(self, roots: list[Path]) -> QMainWindow:
        from swarmview.app.runs.compare_window import CompareWindow

        window = CompareWindow(roots)
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.compare_windows.append(window)
        window.destroyed.connect(lambda *_: self.compare_windows.remove(window) if window in self.compare_windows else None)
        window.show()
        return window

    def closeEvent(self, event: QCloseEvent) -> None:
        self.browser.shutdown()
        for window in list(self.compare_windows):
            window.close()
        self.pool.shutdown()
        super().closeEvent(event)

    # for tests and the lead's `open` command
    def shutdown(self) -> None:
        self.browser.shutdown()
        self.pool.shutdown()

    @property
    def model(self) -> RunsModel:
        return self.browser.model

