"""Small shell parts: palettes, settings, the task pool, the selection bus, the table model."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QPalette

from swarmview.app.application import apply_theme, configure_application, is_dark
from swarmview.app.models.format import duration, size, utc_time
from swarmview.app.models.table import Column, ColumnTableModel
from swarmview.app.selection import SelectionBus
from swarmview.app.settings import MAX_RECENT, Settings
from swarmview.app.workers import Task, TaskPool
from tests.app.conftest import OFFSCREEN_NOISE

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"), pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)]


def test_dark_and_light_palettes(qapp) -> None:
    configure_application(qapp)
    apply_theme(qapp, "dark")
    assert qapp.palette().color(QPalette.ColorRole.Window).lightness() < 80
    apply_theme(qapp, "light")
    assert qapp.palette().color(QPalette.ColorRole.Window).lightness() > 180
    system_dark = QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark
    assert is_dark("system") == system_dark
    apply_theme(qapp, "system")


def test_recent_runs_are_capped_and_deduplicated(tmp_path) -> None:
    s = Settings(tmp_path)
    for i in range(MAX_RECENT + 3):
        s.add_recent_run(f"/runs/{i}")
    s.add_recent_run("/runs/5")
    runs = Settings(tmp_path).recent_runs()
    assert len(runs) == MAX_RECENT and runs[0] == "/runs/5" and runs.count("/runs/5") == 1
    s.set_theme("bogus")
    assert s.theme() == "system"


def test_task_forwards_progress_result_and_cancel(qtbot) -> None:
    pool = TaskPool(max_threads=2)

    def gen(cancel: threading.Event):
        for i in range(1000):
            if cancel.is_set():
                return "cancelled"
            yield i
        return "done"

    progress: list[int] = []
    task = Task("count", gen)
    task.signals.progress.connect(progress.append)
    with qtbot.waitSignal(task.signals.done) as sig:
        pool.start(task)
    assert sig.args == ["done"]
    assert progress and progress[-1] == 999  # the last value always arrives

    gate = threading.Event()

    def blocked(cancel: threading.Event) -> str:
        gate.set()
        cancel.wait(10)
        return "stopped" if cancel.is_set() else "timeout"

    task = Task("blocked", blocked)
    with qtbot.waitSignal(task.signals.done) as sig:
        pool.start(task)
        assert gate.wait(5)
        assert pool.shutdown(5000)
    assert sig.args == ["stopped"]
    assert pool.active_thread_count() == 0


def test_task_failure_is_reported(qtbot) -> None:
    pool = TaskPool()

    def boom(_cancel: threading.Event) -> None:
        raise ValueError("bad input")

    task = Task("boom", boom)
    with qtbot.waitSignal(task.signals.failed) as sig:
        pool.start(task)
    assert sig.args == ["boom: bad input"]
    pool.shutdown()


def test_selection_bus_signals(qtbot) -> None:
    bus = SelectionBus()
    with qtbot.waitSignal(bus.time_range_selected) as sig:
        bus.time_range_selected.emit(None, None)
    assert sig.args == [None, None]
    with qtbot.waitSignal(bus.time_range_selected) as sig:
        bus.time_range_selected.emit(1 << 62, (1 << 62) + 5)  # ns values beyond 32 bits survive
    assert sig.args == [1 << 62, (1 << 62) + 5]


def test_table_model_filters_by_index_array(qtbot) -> None:
    values = np.arange(1_000_000)
    model = ColumnTableModel([Column("v", lambda i: str(values[i]), numeric=True)], len(values))
    assert model.rowCount() == 1_000_000
    model.set_rows(np.flatnonzero(values % 250_000 == 0))
    assert [model.data(model.index(r, 0)) for r in range(model.rowCount())] == ["0", "250000", "500000", "750000"]
    assert model.view_row(500_000) == 2 and model.view_row(3) is None
    assert model.data(model.index(0, 0), Qt.ItemDataRole.TextAlignmentRole) is not None


def test_formatting() -> None:
    assert utc_time(1775476800000000000) == "2026-04-06 12:00:00.000000 UTC"
    assert duration(1_250_000) == "1.25 ms" and duration(None) == "—"
    assert size(2048) == "2,048 B" and size(67124) == "67.1 kB"


def test_error_dialog_offers_details(qtbot) -> None:
    from swarmview.app.application import show_error_dialog

    box = show_error_dialog("SwarmView: unexpected error", "ValueError: boom", "Traceback …\nValueError: boom")
    qtbot.waitExposed(box)
    assert box.text() == "ValueError: boom"
    assert "Traceback" in box.detailedText()
    box.close()
