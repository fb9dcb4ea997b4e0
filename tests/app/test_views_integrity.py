"""Integrity view: file statuses in plain words, filter, findings that select their file."""

from __future__ import annotations

import pytest

from swarmview.app.views.details import DetailsPanel
from swarmview.app.views.integrity import IntegrityView
from tests.app.conftest import OFFSCREEN_NOISE, load_and_verify, make_view

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"), pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)]


def _col(view: IntegrityView, name: str) -> int:
    return [c.title for c in view.files.columns].index(name)


def _texts(view: IntegrityView, column: str) -> list[str]:
    c = _col(view, column)
    return [view.files.data(view.files.index(r, c)) for r in range(view.files.rowCount())]


def test_manifest_entries_show_while_verifying_then_statuses(qtbot, tmp_path) -> None:
    bundle, report = load_and_verify("rich", tmp_path)
    view, _ = make_view(qtbot, IntegrityView, bundle, None)
    assert view.files.rowCount() == 14
    assert set(_texts(view, "Status")) == {"verifying…"}
    view.set_report(report)
    assert view.files.rowCount() == 14
    assert set(_texts(view, "Status")) == {"intact"}
    assert "14 files listed, 14 intact" in view.summary.text()
    view.filter.setText("events")
    assert _texts(view, "Path") == ["events.ndjson"]
    view.filter.clear()
    view.problems_only.setChecked(True)
    assert view.files.rowCount() == 0


def test_truncated_spans_in_plain_words(qtbot, tmp_path) -> None:
    bundle, report = load_and_verify("rich_truncated", tmp_path)
    view, _ = make_view(qtbot, IntegrityView, bundle, report)
    view.problems_only.setChecked(True)
    assert _texts(view, "Path") == ["spans.ndjson"]
    assert _texts(view, "Status") == ["wrong size"]
    assert _texts(view, "Size") == ["26.8 kB"] and _texts(view, "Manifest size") == ["67.1 kB"]
    assert not view.files.data(view.files.index(0, 0), 1).isNull()  # severity icon


def test_clicking_a_finding_selects_its_file_and_details_follow(qtbot, tmp_path) -> None:
    bundle, report = load_and_verify("rich_missing_artifact", tmp_path)
    view, bus = make_view(qtbot, IntegrityView, bundle, report)
    details = DetailsPanel(bus)
    qtbot.addWidget(details)
    details.set_bundle(bundle)
    details.set_report(report)
    row = next(i for i in range(view.findings.rowCount()) if view.findings.finding(i)["code"] == "FILE_MISSING")
    with qtbot.waitSignal(bus.file_selected) as sig:
        view.findings_table.clicked.emit(view.findings.index(row, 0))
    assert sig.args == ["artifacts/model/checkpoint-0003.bin"]
    current = view.files_table.currentIndex()
    assert view.files.files[view.files.source_row(current.row())]["path"] == "artifacts/model/checkpoint-0003.bin"
    assert details.heading.text() == "File artifacts/model/checkpoint-0003.bin"
    values = {details.tree.topLevelItem(i).text(0): details.tree.topLevelItem(i).text(1)
              for i in range(details.tree.topLevelItemCount())}
    assert values["status"] == "missing"
    assert not details.notice.isHidden()


def test_findings_sorted_with_icons(qtbot, tmp_path) -> None:
    bundle, report = load_and_verify("rich_truncated", tmp_path)
    view, _ = make_view(qtbot, IntegrityView, bundle, report)
    severities = [view.findings.finding(i)["severity"] for i in range(view.findings.rowCount())]
    assert severities[0] == "error"
    assert severities == sorted(severities, key=["error", "unverified", "warning", "info"].index)
