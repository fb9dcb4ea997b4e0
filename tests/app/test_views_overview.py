"""Overview view on real fixtures."""

from __future__ import annotations

import pytest

from swarmview.app.views.overview import OverviewView
from tests.app.conftest import OFFSCREEN_NOISE, load_and_verify, make_view

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"), pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)]


def test_overview_fills_from_rich(qtbot, tmp_path) -> None:
    bundle, report = load_and_verify("rich", tmp_path)
    view, _ = make_view(qtbot, OverviewView, bundle, report)
    f = view.fields
    assert f["Run id"].text() == "5eed0000c0ffee00a11ce0000000b0b0"
    assert f["SwarmTorch version"].text() == "0.1.0"
    assert f["Created"].text().startswith("2026-04-06 12:00:00")
    assert f["First record"].text() != "—" and f["Wall-clock span"].text() != "—"
    c = view.counts
    assert c["Spans"].text() == "226 (4 unfinished)"
    assert c["Traces"].text() == "6"
    assert c["Events"].text() == "15"
    assert c["Metric points"].text() == "2,009"
    assert c["Graph nodes"].text() == "13"
    assert c["Graph edges"].text() == "14"
    assert c["Artifacts"].text() == "3"
    assert c["Manifest entries"].text() == "14"
    assert view.warnings.rowCount() == len(bundle.findings)
    assert not view.notice.isVisible()


def test_overview_of_unfinalized_marks_missing_manifest(qtbot, tmp_path) -> None:
    bundle, report = load_and_verify("unfinalized", tmp_path)
    view, _ = make_view(qtbot, OverviewView, bundle, report)
    assert view.counts["Manifest entries"].text() == "no manifest"
    assert view.notice.isVisible()
    assert "manifest.json" in view.notice.text()
    codes = [view.warnings.finding(i).get("code") for i in range(view.warnings.rowCount())]
    assert "MANIFEST_MISSING" in codes


def test_clicking_a_load_warning_selects_its_file(qtbot, tmp_path) -> None:
    bundle, report = load_and_verify("unfinalized", tmp_path)
    view, bus = make_view(qtbot, OverviewView, bundle, report)
    row = next(i for i in range(view.warnings.rowCount()) if view.warnings.finding(i).get("path"))
    with qtbot.waitSignal(bus.file_selected) as sig:
        view.warnings_table.clicked.emit(view.warnings.index(row, 0))
    assert sig.args == [view.warnings.finding(row)["path"]]


def test_counts_from_damaged_files_are_marked(qtbot, tmp_path) -> None:
    bundle, report = load_and_verify("rich_truncated", tmp_path)
    view, _ = make_view(qtbot, OverviewView, bundle, report)
    assert view.counts["Spans"].text().startswith("89")
    assert "⚠ spans.ndjson: wrong size" in view.counts["Spans"].text()
    assert "⚠" in view.counts["Traces"].text()
    assert view.counts["Events"].text() == "15"  # events.ndjson is intact
    view.set_report(None)  # verification restarted: marks go until the new verdict
    assert view.counts["Spans"].text() == "89"
