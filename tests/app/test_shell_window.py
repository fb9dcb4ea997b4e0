"""The shell: opening runs, menus, settings, drag and drop, file-open events, shortcuts, threads."""

from __future__ import annotations

import os
import threading
import time

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QFileOpenEvent
from PySide6.QtWidgets import QApplication

from swarmview.app.application import APP_ID, FileOpenFilter, configure_application
from swarmview.app.settings import Settings
from swarmview.app.views import VIEW_NAMES
from swarmview.app.views.base import PlaceholderView, RunView
from tests.app.conftest import OFFSCREEN_NOISE, open_and_settle, slow_bundle
from tests.helpers import copy_fixture, snapshot_tree

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"), pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)]


def test_application_identity(qapp) -> None:
    configure_application(qapp)
    assert qapp.desktopFileName() == APP_ID
    assert qapp.organizationName() == "swarmview"
    assert qapp.applicationName() == "SwarmView"
    assert qapp.style().name().lower() == "fusion"
    assert not qapp.windowIcon().isNull()


def test_window_has_eight_tabs_and_a_details_dock(window) -> None:
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == [
        "Overview", "Integrity", "Graph", "Timeline", "Metrics", "Events", "Datasets", "Artifacts"]
    assert list(window.views) == list(VIEW_NAMES)
    for view in window.views.values():
        assert isinstance(view, RunView)
    assert window.details_dock.widget() is window.details
    # our own views are real, not placeholders
    for name in ("overview", "integrity", "events", "datasets", "artifacts"):
        assert not isinstance(window.views[name], PlaceholderView)


def test_missing_view_module_becomes_placeholder(monkeypatch, qtbot) -> None:
    import swarmview.app.views as views

    real = views.importlib.import_module

    def fake(name: str, *a, **k):
        if name.endswith(".graph"):
            raise ImportError("no graph here")
        return real(name, *a, **k)

    monkeypatch.setattr(views.importlib, "import_module", fake)
    slots = {s.name: s for s in views.view_slots()}
    assert slots["graph"].cls is None and "not installed" in slots["graph"].reason
    from swarmview.app.main_window import MainWindow

    w = MainWindow(Settings())
    qtbot.addWidget(w)
    assert isinstance(w.views["graph"], PlaceholderView)
    w.close()


def test_open_rich_verifies_and_remembers_recent(qtbot, window, rich_copy) -> None:
    open_and_settle(qtbot, window, rich_copy)
    assert window.banner.state == "verified_with_warnings"  # VERIFY.md §13: STORED_HASH_MISMATCH
    assert window.banner.headline.text().startswith("Verified with warnings")
    assert window.windowTitle().startswith("rich")
    assert window.settings.recent_runs()[0] == str(rich_copy)
    assert window.session is not None and window.session.root == rich_copy


def test_open_file_inside_bundle_finds_root(qtbot, window, rich_copy) -> None:
    open_and_settle(qtbot, window, rich_copy / "artifacts" / "notes.md")
    assert window.session.root == rich_copy


def test_not_a_bundle_shows_a_clear_message(qtbot, window, tmp_path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    open_and_settle(qtbot, window, empty)
    assert window.banner.state == "error"
    assert window.banner.headline.text() == "Not a SwarmTorch run"
    assert "not a bundle" in window.banner.detail.text()


def test_opening_never_writes_into_the_bundle(qtbot, window, rich_copy) -> None:
    before = snapshot_tree(rich_copy)
    open_and_settle(qtbot, window, rich_copy)
    for name in window.views:
        window.show_view(name)
        qtbot.wait(5)
    window.reload()
    with qtbot.waitSignal(window.run_settled, timeout=60_000):
        pass
    assert snapshot_tree(rich_copy) == before


def test_settings_persist_geometry_and_recent(qtbot, rich_copy) -> None:
    from swarmview.app.main_window import MainWindow

    w = MainWindow(Settings())
    qtbot.addWidget(w)
    w.resize(1000, 700)
    w.show()
    open_and_settle(qtbot, w, rich_copy)
    w.show_view("events")
    w.close()
    again = MainWindow(Settings())
    qtbot.addWidget(again)
    assert again.current_view_name() == "events"
    assert again.settings.recent_runs() == [str(rich_copy)]
    actions = [a.text() for a in again.recent_menu.actions()]
    assert str(rich_copy) in actions
    again.close()


def test_settings_use_the_temporary_folder(_private_settings) -> None:
    s = Settings()
    assert s.qsettings.fileName().startswith(str(_private_settings))


def test_drop_a_run_json_opens_its_run(qtbot, window, rich_copy) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(rich_copy / "run.json"))])
    enter = QDragEnterEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    window.dragEnterEvent(enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.run_settled, timeout=60_000):
        window.dropEvent(drop)
    assert window.session.root == rich_copy


def test_file_open_events_are_queued_until_a_window_exists(qapp, qtbot, window, rich_copy) -> None:
    file_filter = FileOpenFilter()
    qapp.installEventFilter(file_filter)
    try:
        QApplication.sendEvent(qapp, QFileOpenEvent(str(rich_copy / "run.json")))
        assert file_filter.pending == [str(rich_copy / "run.json")]
        with qtbot.waitSignal(window.run_settled, timeout=60_000):
            file_filter.set_handler(window.open_paths)
        assert file_filter.pending == []
        assert window.session.root == rich_copy
    finally:
        qapp.removeEventFilter(file_filter)


def test_view_shortcuts_and_overlay(qtbot, window) -> None:
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.current_view_name() == "graph"
    window.show_shortcuts()
    assert window.overlay.isVisible()
    text = window.overlay.label.text()
    for expected in ("Open Run Folder", "Reload", "Ctrl+1", "Keyboard Shortcuts", "Details Panel"):
        assert expected in text
    qtbot.keyClick(window.overlay, Qt.Key.Key_Escape)
    assert not window.overlay.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_F1)
    assert window.overlay.isVisible()
    qtbot.keyClick(window.overlay, Qt.Key.Key_Question)
    assert not window.overlay.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_Question)  # the `?` key itself
    assert window.overlay.isVisible()


def test_ctrl_f_focuses_the_views_filter(qtbot, window, rich_copy) -> None:
    open_and_settle(qtbot, window, rich_copy)
    window.show_view("events")
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.views["events"].filter.hasFocus(), timeout=2_000)
    window.show_view("overview")
    assert window.focus_filter() is False  # nothing to search there


def _os_threads() -> int:
    """Native threads of this process (QThreadPool threads are invisible to ``threading``)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:  # not Linux: Python threads only
        return threading.active_count()


def _python_threads() -> set[threading.Thread]:
    # Qt's pool threads show up as _DummyThread once Python ran in them, and are never removed from
    # threading's table; they are native threads, counted by _os_threads instead
    return {t for t in threading.enumerate() if type(t).__name__ != "_DummyThread"}


def test_close_during_verification_leaves_no_thread(qtbot, tmp_path) -> None:
    """Closing while verifying cancels and joins every worker (and the verifier's own threads)."""
    from swarmview.app.main_window import MainWindow

    big = slow_bundle(tmp_path)
    w = MainWindow(Settings())
    qtbot.addWidget(w)
    w.show()
    open_and_settle(qtbot, w, copy_fixture("minimal", tmp_path))  # Qt starts its own helpers on first use
    assert w.pool.shutdown()  # joins the warm-up's idle pool threads (the pool stays usable)
    before_os, before_py = _os_threads(), _python_threads()
    w.open_path(str(big))
    qtbot.waitUntil(lambda: w.session is not None and w.session.verifying(), timeout=10_000)
    qtbot.wait(200)  # hashing is under way
    assert _os_threads() > before_os
    w.close()
    assert w.pool.active_thread_count() == 0
    qtbot.waitUntil(lambda: _python_threads() <= before_py and _os_threads() <= before_os, timeout=5_000)


def test_cancel_verification_says_cancelled(qtbot, window, tmp_path) -> None:
    big = slow_bundle(tmp_path)
    window.open_path(str(big))
    qtbot.waitUntil(lambda: window.session.verifying(), timeout=10_000)
    assert window.banner.cancel_button.isVisible()
    with qtbot.waitSignal(window.session.verified, timeout=30_000):
        window.banner.cancel_button.click()
    assert window.banner.state == "cancelled"
    assert "cancelled" in window.banner.headline.text().lower()


def test_verify_again_restarts(qtbot, window, rich_copy) -> None:
    open_and_settle(qtbot, window, rich_copy)
    with qtbot.waitSignal(window.session.verified, timeout=60_000):
        window.banner.reverify_button.click()
    assert window.banner.state == "verified_with_warnings"


def test_event_queue_stays_responsive_while_verifying(qtbot, window, tmp_path) -> None:
    """The GUI thread never blocks on hashing: a timer keeps firing while 1 GiB is verified."""
    big = slow_bundle(tmp_path, gib=1)
    ticks: list[int] = []
    from PySide6.QtCore import QTimer

    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(20)
    open_and_settle(qtbot, window, big)
    timer.stop()
    assert len(ticks) >= 10
    assert window.banner.state == "problems"  # the fake digest of big.bin


def test_open_an_archive_extracts_privately_and_cleans_up(qtbot, tmp_path) -> None:
    import tarfile

    from swarmview.app.main_window import MainWindow

    root = copy_fixture("minimal", tmp_path)
    archive = tmp_path / "minimal.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(root, arcname="minimal")
    w = MainWindow(Settings())
    qtbot.addWidget(w)
    w.show()
    open_and_settle(qtbot, w, archive)
    assert w.windowTitle().startswith("minimal.tar.gz")
    assert w.banner.state in ("verified", "verified_with_warnings")
    assert w.status_label.text().startswith(f"{archive}!/")
    extracted = w.session.archive.folder
    assert extracted.is_dir()
    w.close()
    assert not extracted.exists()


def test_opening_another_run_mid_verification_drops_stale_results(qtbot, window, tmp_path) -> None:
    slow = slow_bundle(tmp_path / "a")
    window.open_path(str(slow))
    qtbot.waitUntil(lambda: window.session.verifying(), timeout=10_000)
    rich = copy_fixture("rich", tmp_path / "b")
    verdicts: list[str] = []
    open_and_settle(qtbot, window, rich)
    window.session.verified.connect(lambda r, _d: verdicts.append(r.verdict))
    qtbot.wait(300)  # the cancelled verification of the first run ends meanwhile; it must not show
    assert window.session.root == rich
    assert window.banner.state == "verified_with_warnings"
    assert window.views["overview"].fields["Folder"].text() == str(rich)
    assert verdicts == []


def test_export_and_refinalize_open_from_the_window(qtbot, window, rich_copy) -> None:
    assert not window.export_action.isEnabled() and not window.refinalize_action.isEnabled()
    open_and_settle(qtbot, window, rich_copy)
    assert window.export_action.isEnabled() and window.refinalize_action.isEnabled()
    dialog = window.export_run()
    qtbot.waitExposed(dialog)
    assert dialog.root == rich_copy
    dialog.reject()
    dialog = window.refinalize_run()
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(lambda: dialog._plan is not None, timeout=20_000)  # planned in the window's pool
    dialog.reject()
    window.close_run()
    assert not window.export_action.isEnabled()


def test_views_without_metrics_fill_from_the_preview_and_keep_it(qtbot, window, rich_copy, monkeypatch) -> None:
    """Timeline, graph, datasets and artifacts are filled from the run read without its metrics;
    when the full run arrives they keep what they show (and the user's zoom); the others are filled
    from the full run only."""
    calls: dict[str, list[tuple[str, bool]]] = {}
    for name, view in window.views.items():
        orig_set, orig_rebind = view.set_data, view.rebind

        def set_data(bundle, prepared, _n=name, _o=orig_set) -> None:
            calls.setdefault(_n, []).append(("set_data", bool(bundle.partial)))
            _o(bundle, prepared)

        def rebind(bundle, _n=name, _o=orig_rebind) -> None:
            calls.setdefault(_n, []).append(("rebind", bool(bundle.partial)))
            _o(bundle)

        monkeypatch.setattr(view, "set_data", set_data)
        monkeypatch.setattr(view, "rebind", rebind)
    real_load = window.core.load_bundle

    def slow_metrics_load(root, **kw):  # the metrics take a while, as in a big run
        preview = kw.pop("preview")

        def late(bundle) -> None:
            preview(bundle)
            time.sleep(1.0)

        return real_load(root, preview=late, **kw)

    monkeypatch.setattr(window.core, "load_bundle", slow_metrics_load)
    open_and_settle(qtbot, window, rich_copy)
    early = {n for n, v in window.views.items() if not type(v).needs_metrics}
    assert early == {"timeline", "graph", "datasets", "artifacts"}
    for name in window.views:
        if name in early:
            assert calls[name] == [("set_data", True), ("rebind", False)], name
            if hasattr(window.views[name], "bundle"):
                assert window.views[name].bundle is window.bundle, name
        else:
            assert calls[name] == [("set_data", False)], name
    assert not window.bundle.partial and window.session.preview.partial
    assert window.views["timeline"].bundle.spans is window.session.preview.spans


def test_a_full_run_arriving_before_the_preview_views_is_shown_once(qtbot, window, rich_copy, monkeypatch) -> None:
    """Without a delay the order of preview and full run is up to the threads; either way each view
    gets one set_data, and every view ends bound to the full run."""
    counts: dict[str, int] = {}
    for name, view in window.views.items():
        orig = view.set_data

        def set_data(bundle, prepared, _n=name, _o=orig) -> None:
            counts[_n] = counts.get(_n, 0) + 1
            _o(bundle, prepared)

        monkeypatch.setattr(view, "set_data", set_data)
    for _ in range(3):
        counts.clear()
        open_and_settle(qtbot, window, rich_copy)
        assert counts == dict.fromkeys(window.views, 1)
        for name, view in window.views.items():
            if hasattr(view, "bundle"):
                assert view.bundle is window.bundle, name


def test_screenshot_wait_covers_the_queued_start(qtbot, window, rich_copy) -> None:
    """open_path queues the run's start after the first paint; waiting for the run (what --screenshot
    does) must not return before that start, the full load and verification."""
    from swarmview.app.screenshot import wait_until_settled

    window.open_path(str(rich_copy))
    assert window.session.busy()  # not started yet, but work is pending
    assert wait_until_settled(window, 60)
    assert window.bundle is not None and not window.bundle.partial
    assert window.report is not None
