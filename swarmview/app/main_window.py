"""The main window: opens at once, then fills in as the run is loaded, verified and laid out.

Layout: the verification banner on top, the eight views as tabs, a details dock on the right. All the
work happens in a :class:`~swarmview.app.workers.RunSession`; this module only builds widgets, routes
results to views and remembers geometry and recent runs.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QDragEnterEvent, QDropEvent, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QStyle,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from swarmview.app.application import apply_theme
from swarmview.app.banner import VerificationBanner
from swarmview.app.selection import SelectionBus
from swarmview.app.settings import Settings
from swarmview.app.shortcuts import ShortcutOverlay, bind, view_shortcut
from swarmview.app.views import VIEW_NAMES, view_slots
from swarmview.app.views.base import PlaceholderView, RunView, damage_text, damaged_files
from swarmview.app.views.details import DetailsPanel
from swarmview.app.workers import CoreAPI, RunSession, TaskPool

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    """One window shows one run; ``open_path`` replaces it (cancelling whatever was still running)."""

    run_settled = Signal()  # no task left for the current run (loaded, verified, views prepared)

    def __init__(self, settings: Settings | None = None, core: CoreAPI | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings or Settings()
        self.core = core or CoreAPI()
        self.bus = SelectionBus(self)
        self.pool = TaskPool(parent=self)
        self.session: RunSession | None = None
        self.bundle: Any = None
        self.report: Any = None
        self._closing = False
        self.setWindowTitle("SwarmView")
        self.setAcceptDrops(True)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)

        self.banner = VerificationBanner(self)
        self.banner.cancel_requested.connect(self.cancel_verification)
        self.banner.reverify_requested.connect(self.reverify)
        self.banner.details_requested.connect(lambda: self.show_view("integrity"))
        self.load_error = QLabel(self)
        self.load_error.setObjectName("loadError")
        self.load_error.setWordWrap(True)
        self.load_error.setStyleSheet("QLabel#loadError { color: #e0605a; padding: 2px 4px; }")
        self.load_error.hide()

        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.views: dict[str, RunView] = {}
        for slot in view_slots():
            view: RunView
            if slot.cls is None:
                view = PlaceholderView(self.bus, slot.name, slot.title, slot.reason)
            else:
                try:
                    view = slot.cls(self.bus)
                except Exception as exc:  # a broken view must not take the window down
                    log.exception("view %s failed to start", slot.name)
                    view = PlaceholderView(self.bus, slot.name, slot.title, f"It failed to start: {exc}")
            self.views[slot.name] = view
            self.tabs.addTab(view, slot.title)

        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.setSpacing(4)
        layout.addWidget(self.banner)
        layout.addWidget(self.load_error)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)

        self.details = DetailsPanel(self.bus, self)
        self.details_dock = QDockWidget("Details", self)
        self.details_dock.setObjectName("detailsDock")
        self.details_dock.setWidget(self.details)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.details_dock)

        self.status_label = QLabel(self)
        self.statusBar().addPermanentWidget(self.status_label)
        self.overlay = ShortcutOverlay(self)
        self._build_menus()
        self._restore()
        self.tabs.currentChanged.connect(self._tab_changed)  # after restore: adding tabs must not save

    # -- menus -----------------------------------------------------------------------------------
    def _action(self, text: str, slot: Any, action_id: str | None = None) -> QAction:
        action = QAction(text, self)
        action.triggered.connect(slot)
        if action_id:
            bind(action, action_id)
            action.setObjectName(f"action_{action_id}")
        self.addAction(action)  # shortcuts work even with the menu bar hidden
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self._action("&Open Run Folder…", self.choose_run, "open"))
        file_menu.addAction(self._action("Open Folder of &Runs…", self.choose_runs_folder))
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self._fill_recent()
        file_menu.addSeparator()
        self.reload_action = self._action("Re&load", self.reload, "reload")
        file_menu.addAction(self.reload_action)
        file_menu.addAction(self._action("&Close Run", self.close_run, "close_run"))
        file_menu.addSeparator()
        self.export_action = self._action("&Export…", self.export_run, "export")
        file_menu.addAction(self.export_action)
        file_menu.addSeparator()
        file_menu.addAction(self._action("&Quit", self.close, "quit"))

        view_menu = bar.addMenu("&View")
        self.view_actions: dict[str, QAction] = {}
        for i, name in enumerate(self.views):
            action = self._action(self.tabs.tabText(i), lambda _=False, n=name: self.show_view(n))
            action.setShortcut(QKeySequence(view_shortcut(i)))
            action.setObjectName(f"action_view_{name}")
            view_menu.addAction(action)
            self.view_actions[name] = action
        view_menu.addSeparator()
        view_menu.addAction(self._action("&Find in View", self.focus_filter, "find"))
        view_menu.addAction(self._action("Next View", lambda: self._step_view(1), "next_view"))
        view_menu.addAction(self._action("Previous View", lambda: self._step_view(-1), "previous_view"))
        toggle = self.details_dock.toggleViewAction()
        toggle.setText("&Details Panel")
        bind(toggle, "toggle_details")
        self.addAction(toggle)
        view_menu.addAction(toggle)
        theme_menu = view_menu.addMenu("&Theme")
        group = QActionGroup(self)
        for theme in ("system", "dark", "light"):
            action = QAction({"system": "Follow System", "dark": "Dark", "light": "Light"}[theme], self)
            action.setCheckable(True)
            action.setChecked(self.settings.theme() == theme)
            action.triggered.connect(lambda _=False, t=theme: self.set_theme(t))
            group.addAction(action)
            theme_menu.addAction(action)

        verify_menu = bar.addMenu("&Verify")
        verify_menu.addAction(self._action("Verify &Again", self.reverify, "reverify"))
        verify_menu.addAction(self._action("&Cancel Verification", self.cancel_verification))
        verify_menu.addSeparator()
        self.refinalize_action = self._action("&Re-finalize Manifest…", self.refinalize_run)
        verify_menu.addAction(self.refinalize_action)
        self._update_run_actions()

        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self._action("&Keyboard Shortcuts", self.show_shortcuts, "shortcuts"))

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = self.settings.recent_runs()
        for path in recent:
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _=False, p=path: self.open_path(p))
        if recent:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear Recent", self._clear_recent)
        else:
            self.recent_menu.addAction("(none)").setEnabled(False)

    def _update_run_actions(self) -> None:
        """Export and re-finalize need a folder on disk (not an extracted archive) and their module."""
        folder = self.session is not None and self.session.root is not None and self.session.archive is None
        for action in (self.export_action, self.refinalize_action):
            action.setEnabled(folder)

    def export_run(self) -> Any:
        """File ▸ Export…: the dialog runs the exporters in this window's pool (joined on close)."""
        if self.session is None or self.session.root is None:
            return None
        try:
            from swarmview.app.export_dialog import ExportDialog
        except ImportError as exc:
            self.statusBar().showMessage(f"Export is not available in this build: {exc}")
            return None
        run_id = getattr(self.bundle, "run_id", None)
        dialog = ExportDialog(Path(self.session.root), run_id, self.pool, self)
        dialog.exported.connect(lambda path: self.statusBar().showMessage(f"Exported to {path}", 10000))
        dialog.open()
        return dialog

    def refinalize_run(self) -> Any:
        """Verify ▸ Re-finalize Manifest…: asks first (the dialog shows the diff), then verifies again."""
        if self.session is None or self.session.root is None:
            return None
        try:
            from swarmview.app.refinalize_dialog import RefinalizeDialog
        except ImportError as exc:
            self.statusBar().showMessage(f"Re-finalize is not available in this build: {exc}")
            return None
        dialog = RefinalizeDialog(Path(self.session.root), self.pool, self)
        dialog.finalized.connect(lambda _result: self.reload())
        dialog.open()
        return dialog

    def _clear_recent(self) -> None:
        self.settings.clear_recent_runs()
        self._fill_recent()

    def show_shortcuts(self) -> None:
        if self.overlay.isVisible():
            self.overlay.hide()
            return
        self.overlay.show_for(self.actions(), extra=[("Esc", "Close this sheet")])

    def set_theme(self, theme: str) -> None:
        self.settings.set_theme(theme)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, theme)

    # -- views -----------------------------------------------------------------------------------
    def show_view(self, name: str) -> bool:
        view = self.views.get(name)
        if view is None:
            return False
        self.tabs.setCurrentWidget(view)
        return True

    def focus_filter(self) -> bool:
        """Ctrl+F: put the cursor in the current view's filter or search box, if it has one."""
        view = self.tabs.currentWidget()
        for edit in view.findChildren(QLineEdit) if view is not None else []:
            if edit.isVisibleTo(view) and not edit.isReadOnly():
                edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
                edit.selectAll()
                return True
        return False

    def current_view_name(self) -> str:
        return VIEW_NAMES[self.tabs.currentIndex()] if 0 <= self.tabs.currentIndex() < len(VIEW_NAMES) else ""

    def _step_view(self, step: int) -> None:
        self.tabs.setCurrentIndex((self.tabs.currentIndex() + step) % self.tabs.count())

    def _tab_changed(self, index: int) -> None:
        if 0 <= index < len(VIEW_NAMES) and not self._closing:
            self.settings.set_last_view(list(self.views)[index])

    # -- opening runs ----------------------------------------------------------------------------
    def choose_run(self) -> None:
        start = self.settings.recent_runs()[0] if self.settings.recent_runs() else str(Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Open Run Folder", start)
        if folder:
            self.open_path(folder)

    def choose_runs_folder(self) -> None:
        """File ▸ Open Folder of Runs…: the runs browser (issue 11); opening a run there opens it here."""
        folder = QFileDialog.getExistingDirectory(self, "Open Folder of Runs", str(Path.home()))
        if folder:
            self.show_runs_browser(Path(folder))

    def show_runs_browser(self, folder: Path) -> Any:
        from swarmview.app.runs.browser import RunsWindow

        window = RunsWindow(folder, open_run=lambda root: self.open_path(root))
        self._runs_windows = [*getattr(self, "_runs_windows", []), window]  # kept alive with this window
        window.show()
        return window

    def open_paths(self, paths: list[str]) -> None:
        """QFileOpenEvent / drops / second launch: this window takes the first path."""
        if paths:
            self.open_path(paths[0])

    def open_path(self, path: str | os.PathLike[str]) -> None:
        """Show the run at or above ``path``; returns at once, the window fills in as work ends."""
        self._close_session()
        self.banner.show_message("Opening…", os.fspath(path), state="working")
        real = {name: v for name, v in self.views.items() if not isinstance(v, PlaceholderView)}
        session = RunSession(
            path, {name: type(v).prepare for name, v in real.items()}, self.pool, self.core, self,
            early=frozenset(name for name, v in real.items() if not type(v).needs_metrics),
        )
        self.session = session
        session.root_found.connect(self._on_root)
        session.open_failed.connect(self._on_open_failed)
        session.load_progress.connect(self._on_load_progress)
        session.previewed.connect(self._on_previewed)
        session.loaded.connect(self._on_loaded)
        session.rebound.connect(self._on_rebound)
        session.load_failed.connect(self._on_load_failed)
        session.verify_started.connect(self._on_verify_started)
        session.verify_progress.connect(self.banner.update_progress)
        session.verified.connect(self._on_verified)
        session.verify_failed.connect(self._on_verify_failed)
        session.prepared.connect(self._on_prepared)
        session.prepare_failed.connect(self._on_prepare_failed)
        session.idle.connect(self._on_idle)
        # after the events already queued (the first paint of a window just shown): the workers would
        # otherwise take the interpreter from it while it builds its first frame
        QTimer.singleShot(0, session, session.start)

    def reload(self) -> None:
        if self.session is not None:
            self.open_path(self.session.path if self.session.archive is not None else (self.session.root or self.session.path))

    def reverify(self) -> None:
        if self.session is not None and self.session.root is not None:
            self.session.reverify()

    def cancel_verification(self) -> None:
        if self.session is not None:
            self.session.cancel_verify()

    def close_run(self) -> None:
        self._close_session()
        self._update_run_actions()
        self.setWindowTitle("SwarmView")
        self.status_label.clear()
        self.banner.show_message("No run open", "Open a run folder (File ▸ Open Run Folder…) or drop it here.",
                                 state="cancelled")

    def _close_session(self) -> None:
        if self.session is not None:
            self.session.close()  # an extracted archive goes when its last task ends
            self.session = None
        self.bundle = None
        self.report = None
        self.load_error.hide()
        for view in self.views.values():
            view.clear()
        self.details.clear()
        self._mark_tabs({})

    def _current(self) -> bool:
        return self.sender() is self.session and not self._closing

    def _on_root(self, root: Path) -> None:
        if not self._current():
            return
        session = self.session
        archive = session.archive if session is not None else None
        name = archive.archive.name if archive is not None else Path(root).name
        self.setWindowTitle(f"{name} — SwarmView")
        self._update_run_actions()
        self.status_label.setText(session.display_root if session is not None else str(root))
        self.settings.add_recent_run(str(archive.archive) if archive is not None else str(root))

    def _on_open_failed(self, message: str) -> None:
        if not self._current():
            return
        self.banner.show_message("Not a SwarmTorch run", message)
        self.statusBar().showMessage(message)

    def _on_idle(self) -> None:
        if not self._current():
            return
        counts = getattr(self.bundle, "counts", None) or {}
        if counts:
            self.statusBar().showMessage(
                f"{counts.get('spans', 0):,} spans, {counts.get('events', 0):,} events, "
                f"{counts.get('metrics', 0):,} metric points, {counts.get('nodes', 0):,} graph nodes", 10000)
        self.run_settled.emit()

    def _on_load_progress(self, progress: Any) -> None:
        if self._current() and isinstance(progress, tuple) and len(progress) == 2 and progress[1]:
            done, total = progress
            text = f"Reading the run: {int(done) * 100 // int(total)} % of {total:,} bytes"
            if text != self.statusBar().currentMessage():  # repaint only when the figure changes
                self.statusBar().showMessage(text)

    def _on_previewed(self, bundle: Any) -> None:
        if not self._current():
            return
        self.details.set_bundle(bundle)
        self.statusBar().showMessage(f"{len(bundle.spans.line):,} spans read; reading the metrics…", 10000)

    def _on_rebound(self, name: str, bundle: Any) -> None:
        if self._current():
            self.views[name].rebind(bundle)

    def _on_loaded(self, bundle: Any) -> None:
        if not self._current():
            return
        self.bundle = bundle
        self.details.set_bundle(bundle)
        self.statusBar().showMessage("Loaded; laying out views…", 5000)

    def _on_load_failed(self, message: str) -> None:
        if not self._current():
            return
        self.load_error.setText(f"Could not load the run: {message}")
        self.load_error.show()

    def _on_prepared(self, name: str, bundle: Any, prepared: object) -> None:
        if not self._current():
            return
        try:
            self.views[name].set_data(bundle, prepared)
            if self.report is not None:
                self.views[name].set_report(self.report)
        except Exception as exc:
            log.exception("view %s failed to show the run", name)
            self._on_prepare_failed(name, str(exc))

    def _on_prepare_failed(self, name: str, message: str) -> None:
        if self._current():
            self.statusBar().showMessage(f"{name} view: {message}")

    def _on_verify_started(self) -> None:
        if not self._current() or self.session is None:
            return
        self.report = None
        self.banner.show_verifying(self.session.display_root or str(self.session.root))
        for view in self.views.values():
            view.set_report(None)
        self.details.set_report(None)
        self._mark_tabs({})

    def _on_verified(self, report: Any, digest: str | None) -> None:
        if not self._current():
            return
        self.report = report
        self.banner.show_report(report, digest)
        for name, view in self.views.items():
            try:
                view.set_report(report)
            except Exception:
                log.exception("view %s failed to take the report", name)
        self.details.set_report(report)
        self._mark_tabs(damaged_files(report))

    def _on_verify_failed(self, message: str) -> None:
        if self._current():
            self.banner.show_message("Could not verify", message, state="could_not_verify")

    def _mark_tabs(self, damaged: dict[str, str]) -> None:
        warn = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        for i, view in enumerate(self.views.values()):
            text = damage_text(type(view).source_files, damaged)
            self.tabs.setTabIcon(i, warn if text else QIcon())
            self.tabs.setTabToolTip(i, text)

    # -- drag and drop ---------------------------------------------------------------------------
    @staticmethod
    def _local_paths(event: QDragEnterEvent | QDropEvent) -> list[str]:
        mime = event.mimeData()
        if not mime.hasUrls():
            return []
        return [u.toLocalFile() for u in mime.urls() if isinstance(u, QUrl) and u.isLocalFile()]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._local_paths(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = self._local_paths(event)
        if paths:
            event.acceptProposedAction()
            self.open_path(paths[0])

    # -- state -----------------------------------------------------------------------------------
    def _restore(self) -> None:
        geometry = self.settings.geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(QSize(1280, 820))
        state = self.settings.window_state()
        if state is None or not self.restoreState(state):
            self.resizeDocks([self.details_dock], [320], Qt.Orientation.Horizontal)
        self.show_view(self.settings.last_view())

    def closeEvent(self, event: QCloseEvent) -> None:
        """Save state, cancel and join every worker: no thread outlives the window."""
        self._closing = True
        self.settings.save_window(self.saveGeometry(), self.saveState())
        self.settings.sync()
        if self.session is not None:
            self.session.close()
        self.pool.shutdown()
        if self.session is not None:
            self.session.joined()  # their queued "ended" signals will never be delivered
        for view in self.views.values():
            view.clear()
        super().closeEvent(event)
