"""Events view: table over the EventTable, filter, selection → bus (event + time range), details follow."""

from __future__ import annotations

import pytest

from swarmview.app.views.details import DetailsPanel
from swarmview.app.views.events import EventsView
from tests.app.conftest import OFFSCREEN_NOISE, load_and_verify, make_view

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"), pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)]


def _names(view: EventsView) -> list[str]:
    c = [col.title for col in view.model.columns].index("Name")
    return [view.model.data(view.model.index(r, c)) for r in range(view.model.rowCount())]


def test_events_fill_from_rich(qtbot, tmp_path) -> None:
    bundle, report = load_and_verify("rich", tmp_path)
    view, _ = make_view(qtbot, EventsView, bundle, report)
    assert view.model.rowCount() == 15
    assert view.count.text() == "15 events"
    assert _names(view)[0] == "scheduler/node_succeeded"
    time_col = [c.title for c in view.model.columns].index("Time")
    assert view.model.data(view.model.index(0, time_col)).startswith("+")
    assert not view.notice.isVisible()


def test_filter_by_name_and_attribute(qtbot, tmp_path) -> None:
    bundle, _ = load_and_verify("rich", tmp_path)
    view, _ = make_view(qtbot, EventsView, bundle)
    view.filter.setText("node_failed")
    view.apply_filter()
    assert view.model.rowCount() >= 1 and all("node_failed" in n for n in _names(view))
    view.filter.setText("feature/shard")  # an attribute value
    view.apply_filter()
    assert view.model.rowCount() >= 1
    assert "of 15 events" in view.count.text()
    view.filter.setText("no-such-thing")
    view.apply_filter()
    assert view.model.rowCount() == 0


def test_selecting_an_event_emits_row_and_time_range(qtbot, tmp_path) -> None:
    bundle, _ = load_and_verify("rich", tmp_path)
    view, bus = make_view(qtbot, EventsView, bundle)
    details = DetailsPanel(bus)
    qtbot.addWidget(details)
    details.set_bundle(bundle)
    ranges: list[tuple[object, object]] = []
    bus.time_range_selected.connect(lambda a, b: ranges.append((a, b)))
    with qtbot.waitSignal(bus.event_selected) as sig:
        view.table.selectRow(2)
    assert sig.args == [2]
    ts = int(bundle.events.ts[2])
    assert len(ranges) == 1 and ranges[0][0] < ts < ranges[0][1]
    assert details.heading.text() == f"Event {_names(view)[2]}"


def test_bus_selection_from_elsewhere_selects_row_without_echo(qtbot, tmp_path) -> None:
    bundle, _ = load_and_verify("rich", tmp_path)
    view, bus = make_view(qtbot, EventsView, bundle)
    view.filter.setText("node_failed")
    view.apply_filter()
    echoes: list[int] = []
    bus.time_range_selected.connect(lambda *_: echoes.append(1))
    bus.event_selected.emit(0)  # hidden by the filter: the filter is cleared to show it
    assert view.model.source_row(view.table.currentIndex().row()) == 0
    assert view.filter.text() == ""
    assert echoes == []


def test_corrupt_events_are_marked(qtbot, tmp_path) -> None:
    bundle, report = load_and_verify("rich_ndjson_corrupt", tmp_path)
    view, _ = make_view(qtbot, EventsView, bundle, report)
    assert view.model.rowCount() == 14  # the torn line 5 is not an event
    if not any(f.get("code") == "NDJSON_PARSE_ERROR" for f in report.to_json()["findings"]):
        pytest.xfail("the verifier's content stage does not report NDJSON_PARSE_ERROR yet")
    assert view.notice.isVisible() and "events.ndjson" in view.notice.text()
