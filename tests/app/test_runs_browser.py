"""The runs browser (issue 11 "Runs browser"): discovery, verdicts, filter, sort, open and compare."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt

from swarmview.app.runs.browser import RunsBrowser, RunsWindow
from swarmview.app.runs.runs_model import CREATED, RUN_ID, SERIES, SPANS, VERDICT
from swarmview.app.runs.summary import summarize_run
from swarmview.app.workers import TaskPool
from tests.app.runs_gui_data import (
    EXPECTED_VERDICTS,
    RUN_A,
    RUN_B,
    RUN_C,
    RUN_D,
    build_runs,
    copy_runs,
    save_screenshot,
)
from tests.helpers import copy_fixture, snapshot_tree


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("runs-template")
    build_runs(base)
    return base


@pytest.fixture
def runs(template: Path, tmp_path: Path) -> Path:
    return copy_runs(template, tmp_path / "base")


def make_browser(qtbot, folder: Path, cache=None) -> tuple[RunsBrowser, TaskPool]:
    pool = TaskPool(max_threads=4)
    browser = RunsBrowser(folder, pool, cache)
    qtbot.addWidget(browser)
    browser.resize(1280, 420)
    browser.show()
    return browser, pool


def settle(qtbot, browser: RunsBrowser, timeout: int = 60_000) -> None:
    qtbot.waitUntil(lambda: not browser.discovering and not browser.verifying()
                    and "pending" not in browser.model.counts() and "verifying" not in browser.model.counts(),
                    timeout=timeout)


def close(browser: RunsBrowser, pool: TaskPool) -> None:
    browser.shutdown()
    assert pool.shutdown()


def ids_shown(browser: RunsBrowser) -> list[str]:
    return [browser.model.summary(r).run_id or "" for r in range(browser.model.rowCount())]


def test_summary_counts_are_read_without_tables(runs: Path) -> None:
    s = summarize_run(runs / "runs" / RUN_B, runs)
    assert (s.run_id, s.nodes, s.spans, s.series, s.peers) == (RUN_B, 4, 16, 3, 2)
    assert s.duration_ns == 450_000_000  # last metric at step 9 × 50 ms after creation
    assert s.manifest and s.folder == f"runs/{RUN_B}" and s.size > 0
    unfinalized = summarize_run(runs / "runs" / RUN_D, runs)
    assert not unfinalized.manifest and "no manifest.json" in unfinalized.note


def test_large_logs_are_only_counted(runs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Above PARSE_LIMIT a log is counted and its ends read for times; series and peers are not guessed."""
    from swarmview.app.runs import summary

    monkeypatch.setattr(summary, "PARSE_LIMIT", 100)
    s = summarize_run(runs / "runs" / RUN_B, runs)
    assert (s.spans, s.series, s.peers, s.duration_ns) == (16, None, None, 450_000_000)


def test_lists_runs_with_verdicts_newest_first_and_writes_nothing(qtbot, runs: Path) -> None:
    before = snapshot_tree(runs)
    browser, pool = make_browser(qtbot, runs)
    settle(qtbot, browser)
    assert ids_shown(browser) == [RUN_D, RUN_C, RUN_B, RUN_A]  # created descending by default
    got = {browser.model.summary(r).run_id: browser.model.data(browser.model.index(r, VERDICT), Qt.ItemDataRole.UserRole)
           for r in range(4)}
    assert got == EXPECTED_VERDICTS
    words = {browser.model.summary(r).run_id: browser.model.data(browser.model.index(r, VERDICT)) for r in range(4)}
    assert words[RUN_A] == "Verified" and words[RUN_C] == "Problems"
    assert "4 runs found" in browser.status.text() and "2 problems" in browser.status.text()
    close(browser, pool)
    assert snapshot_tree(runs) == before


def test_reopening_answers_from_the_cache(qtbot, runs: Path, tmp_path: Path) -> None:
    from swarmview.core.runs.cache import VerifyCache

    cache = VerifyCache(tmp_path / "cache")
    first, pool = make_browser(qtbot, runs, cache)
    settle(qtbot, first)
    close(first, pool)
    again, pool = make_browser(qtbot, runs, cache)
    qtbot.waitUntil(lambda: not again.discovering, timeout=30_000)
    report = again.model.report_of(runs / "runs" / RUN_A)
    assert report is not None and report.cached  # the verdict came with the listing, nothing re-hashed
    settle(qtbot, again)
    close(again, pool)


def test_filter_and_sort(qtbot, runs: Path) -> None:
    browser, pool = make_browser(qtbot, runs)
    settle(qtbot, browser)
    browser.filter.setText("problems")
    assert sorted(ids_shown(browser)) == [RUN_C, RUN_D]
    browser.filter.setText("b1")
    assert ids_shown(browser) == [RUN_B]
    browser.filter.setText("")
    browser.table.sortByColumn(RUN_ID, Qt.SortOrder.AscendingOrder)
    assert ids_shown(browser) == [RUN_A, RUN_B, RUN_C, RUN_D]
    browser.table.sortByColumn(SPANS, Qt.SortOrder.DescendingOrder)
    assert ids_shown(browser)[0] == RUN_B  # 16 spans against 11
    browser.table.sortByColumn(VERDICT, Qt.SortOrder.AscendingOrder)
    assert sorted(ids_shown(browser)[:2]) == [RUN_C, RUN_D]  # problems first
    row_b = ids_shown(browser).index(RUN_B)
    assert browser.model.data(browser.model.index(row_b, SERIES)) == "3"
    close(browser, pool)


def test_open_and_compare_signals(qtbot, runs: Path) -> None:
    browser, pool = make_browser(qtbot, runs)
    qtbot.waitUntil(lambda: browser.model.rowCount() == 4, timeout=30_000)
    browser.table.sortByColumn(CREATED, Qt.SortOrder.AscendingOrder)  # A, B, C, D
    assert not browser.compare_button.isEnabled()
    with qtbot.waitSignal(browser.open_requested) as opened:
        browser.table.doubleClicked.emit(browser.model.index(1, RUN_ID))
    assert opened.args == [runs / "runs" / RUN_B]
    browser.table.setCurrentIndex(browser.model.index(0, RUN_ID))
    with qtbot.waitSignal(browser.open_requested) as opened:
        qtbot.keyClick(browser.table, Qt.Key.Key_Return)
    assert opened.args == [runs / "runs" / RUN_A]
    sel = browser.table.selectionModel()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    sel.select(browser.model.index(1, 0), flags)
    assert browser.compare_button.isEnabled() and browser.compare_button.text() == "Compare 2 runs"
    with qtbot.waitSignal(browser.compare_requested) as compared:
        browser.compare_button.click()
    assert compared.args == [[runs / "runs" / RUN_A, runs / "runs" / RUN_B]]
    settle(qtbot, browser)
    close(browser, pool)


def test_fifo_and_link_loop_are_not_followed(qtbot, runs: Path) -> None:
    os.mkfifo(runs / "pipe")
    os.symlink("..", runs / "runs" / "loop")
    os.mkfifo(runs / "runs" / RUN_A / "artifacts" / "fifo")  # inside a run: never opened while listing
    browser, pool = make_browser(qtbot, runs)
    qtbot.waitUntil(lambda: not browser.discovering, timeout=30_000)
    assert sorted(ids_shown(browser)) == sorted(EXPECTED_VERDICTS)
    settle(qtbot, browser)
    close(browser, pool)


def test_runs_window_closes_cleanly(qtbot, runs: Path) -> None:
    window = RunsWindow(runs, cache=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.model.rowCount() == 4, timeout=30_000)
    compare = window.open_compare([runs / "runs" / RUN_A, runs / "runs" / RUN_B])
    qtbot.waitUntil(lambda: compare.is_ready, timeout=60_000)
    window.close()  # closes its compare windows too, joining every worker
    assert window.pool.active_thread_count() == 0 and compare.pool.active_thread_count() == 0
    assert not window.compare_windows or not compare.isVisible()


FIXTURE_RUNS = ("rich", "rich_byte_flip", "legacy_alpha6", "crashed_midrun", "unfinalized", "midrun_always",
                "minimal", "nonfinite")


def test_fixture_runs_get_the_verifiers_verdict(qtbot, tmp_path: Path) -> None:
    """Upstream-written runs side by side: each badge says what ``verify()`` says for that run."""
    from swarmview.core.verify.engine import run_verify

    base = tmp_path / "experiments"
    for name in FIXTURE_RUNS:
        copy_fixture(name, base / "runs")
    expected = {name: run_verify(base / "runs" / name).verdict for name in FIXTURE_RUNS}
    assert len(set(expected.values())) >= 3  # the screenshot shows several kinds of badge
    before = snapshot_tree(base)
    browser, pool = make_browser(qtbot, base)
    settle(qtbot, browser)
    got = {browser.model.summary(r).root.name: browser.model.state_of(browser.model.summary(r).root)
           for r in range(browser.model.rowCount())}
    assert got == expected
    rich = browser.model.summary([browser.model.summary(r).root.name for r in range(8)].index("rich"))
    assert (rich.nodes, rich.spans, rich.series, rich.peers) == (13, 226, 23, 4)
    browser.resize(1280, 330)
    browser.table.selectRow(0)
    save_screenshot(browser, "runs-browser", tmp_path)
    close(browser, pool)
    assert snapshot_tree(base) == before


def test_visible_runs_are_verified_first_newest_first(qtbot, runs: Path) -> None:
    pool = TaskPool(max_threads=4)
    browser = RunsBrowser(runs, pool, cache=False)
    qtbot.addWidget(browser)
    browser.scheduler.parallel = 1  # one loop: the order of starts is the order of the queue
    browser.scheduler.pause()       # until every run is listed, so the order does not depend on timing
    started: list[str] = []
    browser.scheduler.started.connect(lambda root: started.append(root.name))
    browser.filter.setText("runs/")  # every run, through the same path the user takes
    qtbot.waitUntil(lambda: not browser.discovering, timeout=30_000)
    browser.scheduler.resume()
    settle(qtbot, browser)
    assert started == [RUN_D, RUN_C, RUN_B, RUN_A]
    close(browser, pool)

    pool = TaskPool(max_threads=4)
    browser = RunsBrowser(runs, pool, cache=False)
    qtbot.addWidget(browser)
    browser.scheduler.parallel = 1
    browser.scheduler.pause()
    started.clear()
    browser.scheduler.started.connect(lambda root: started.append(root.name))
    browser.filter.setText("b1b1")  # only B is visible: it goes first, the hidden runs after it
    qtbot.waitUntil(lambda: not browser.discovering, timeout=30_000)
    browser.scheduler.resume()
    settle(qtbot, browser)
    assert started == [RUN_B, RUN_D, RUN_C, RUN_A]
    assert browser.model.rowCount() == 1
    browser.filter.setText("problems")  # a verdict filter follows verdicts as they arrive
    assert sorted(ids_shown(browser)) == [RUN_C, RUN_D]
    browser.model.set_state(runs / "runs" / RUN_C, "verified")
    assert ids_shown(browser) == [RUN_D]
    browser.model.set_state(runs / "runs" / RUN_A, "problems")
    assert sorted(ids_shown(browser)) == [RUN_A, RUN_D]
    close(browser, pool)


def test_main_window_opens_a_runs_browser_that_opens_runs_in_it(qtbot, tmp_path) -> None:
    """File ▸ Open Folder of Runs… → runs browser; opening a run there shows it in the main window."""
    from swarmview.app.main_window import MainWindow
    from tests.helpers import copy_fixture

    copy_fixture("minimal", tmp_path / "runs")
    window = MainWindow()
    qtbot.addWidget(window)
    browser = window.show_runs_browser(tmp_path)
    qtbot.waitUntil(lambda: browser.browser.model.rowCount() == 1, timeout=30000)
    browser.browser.open_requested.emit(tmp_path / "runs" / "minimal")
    qtbot.waitUntil(lambda: window.session is not None and window.session.root is not None, timeout=30000)
    assert window.session.root.name == "minimal"
    browser.close()
    window.close()
