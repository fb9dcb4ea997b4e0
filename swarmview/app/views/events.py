"""Events: every record of ``events.ndjson`` in a table over the columnar EventTable, with a filter.

Selecting an event emits ``event_selected`` and a time range around it so the timeline jumps there.
The filter matches the name and the attribute text (lower-cased strings built once, in the worker).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QItemSelectionModel, QModelIndex, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from swarmview.app.models.format import attrs_text, duration, short_hex, utc_time
from swarmview.app.models.records import attrs_of, event_name, find_span_row, span_hex, table_len
from swarmview.app.models.table import Column, ColumnTableModel
from swarmview.app.selection import SelectionBus
from swarmview.app.views.base import DamageNotice, RunView, damaged_files
from swarmview.app.views.integrity import table_view


@dataclass
class EventsData:
    """Per-row strings computed once in a worker (attribute text is the slow part)."""

    t0: int
    attrs: list[str]
    search: list[str]
    window_ns: int


def prepare_events(bundle: Any) -> EventsData:
    events = getattr(bundle, "events", None)
    n = table_len(events)
    attrs = [attrs_text(attrs_of(events, i)) for i in range(n)]
    names = [event_name(events, i) for i in range(n)]
    search = [f"{names[i]} {attrs[i]}".lower() for i in range(n)]
    time_range = getattr(bundle, "time_range", None)
    ts = np.asarray(events.ts) if n else np.zeros(0, np.uint64)
    t0 = int(time_range[0]) if time_range else (int(ts.min()) if n else 0)
    t1 = int(time_range[1]) if time_range else (int(ts.max()) if n else 0)
    return EventsData(t0=t0, attrs=attrs, search=search, window_ns=max(1_000_000, (t1 - t0) // 100))


class EventsView(RunView):
    view_name = "events"
    title = "Events"
    source_files = ("events.ndjson",)

    def __init__(self, bus: SelectionBus, parent: QWidget | None = None) -> None:
        super().__init__(bus, parent)
        self.bundle: Any = None
        self.data: EventsData | None = None
        self.notice = DamageNotice(self)
        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText("Filter events by name or attribute (e.g. node_failed, peer-2)…")
        self.filter.setClearButtonEnabled(True)
        self.count = QLabel(self)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(150)
        self._debounce.timeout.connect(self.apply_filter)
        self.filter.textChanged.connect(lambda _t: self._debounce.start())
        self.model = ColumnTableModel(self._columns(), 0, parent=self)
        self.table = table_view(self)
        self.table.setModel(self.model)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        bar = QHBoxLayout()
        bar.addWidget(self.filter, 1)
        bar.addWidget(self.count)
        layout = QVBoxLayout(self)
        layout.addWidget(self.notice)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        self._syncing = False
        bus.event_selected.connect(self.select_event)

    def _columns(self) -> list[Column]:
        def ev() -> Any:
            return self.bundle.events

        return [
            Column("Line", lambda i: str(int(ev().line[i])), numeric=True),
            Column("Time", lambda i: "+" + duration(int(ev().ts[i]) - self.data.t0) if self.data else "",
                   numeric=True, tooltip=lambda i: utc_time(int(ev().ts[i]))),
            Column("Name", lambda i: event_name(ev(), i)),
            Column("Span", lambda i: span_hex(ev().span_id[i]) or "—"),
            Column("Trace", lambda i: short_hex(self._trace(i), 12), tooltip=lambda i: self._trace(i) or ""),
            Column("Attributes", lambda i: self.data.attrs[i] if self.data else ""),
        ]

    def _trace(self, i: int) -> str | None:
        events = self.bundle.events
        code = int(events.trace[i])
        ids = getattr(events, "trace_ids", [])
        return ids[code] if 0 <= code < len(ids) else None

    # -- data ------------------------------------------------------------------------------------
    @staticmethod
    def prepare(bundle: Any) -> object:
        return prepare_events(bundle)

    def set_data(self, bundle: Any, prepared: object) -> None:
        self.bundle = bundle
        self.data = prepared if isinstance(prepared, EventsData) else prepare_events(bundle)
        self.model.reset(table_len(bundle.events))
        self.apply_filter()
        self.table.resizeColumnsToContents()

    def set_report(self, report: Any | None) -> None:
        self.notice.show_damage(self.source_files, damaged_files(report))

    def clear(self) -> None:
        self.bundle = None
        self.data = None
        self.model.reset(0)
        self.count.clear()
        self.notice.hide()

    # -- filter and selection --------------------------------------------------------------------
    def apply_filter(self) -> None:
        if self.data is None:
            return
        needle = self.filter.text().strip().lower()
        total = len(self.data.search)
        if not needle:
            self.model.set_rows(None)
        else:
            self.model.set_rows(np.fromiter((i for i, s in enumerate(self.data.search) if needle in s), np.int64))
        shown = self.model.rowCount()
        self.count.setText(f"{shown:,} of {total:,} events" if needle else f"{total:,} events")

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._syncing or not current.isValid() or self.bundle is None:
            return
        row = self.model.source_row(current.row())
        self._syncing = True
        try:
            self.bus.event_selected.emit(row)
            t0, t1 = self.time_range_for(row)
            self.bus.time_range_selected.emit(t0, t1)
        finally:
            self._syncing = False

    def time_range_for(self, row: int) -> tuple[int, int]:
        """Around the event: its span (padded) when it has one, else a window of 1 % of the run."""
        events = self.bundle.events
        ts = int(events.ts[row])
        spans = getattr(self.bundle, "spans", None)
        span_row = find_span_row(spans, self._trace(row), span_hex(events.span_id[row]))
        pad = self.data.window_ns if self.data else 1_000_000
        if span_row is not None and bool(spans.has_end[span_row]):
            start, end = int(spans.start[span_row]), int(spans.end[span_row])
            margin = max((end - start) // 10, pad // 10)
            return min(start, ts) - margin, max(end, ts) + margin
        return ts - pad, ts + pad

    def select_event(self, row: int) -> None:
        if self._syncing:
            return
        view_row = self.model.view_row(row)
        if view_row is None and self.filter.text():
            self.filter.clear()
            self.apply_filter()
            view_row = self.model.view_row(row)
        if view_row is None:
            return
        self._syncing = True
        try:
            index = self.model.index(view_row, 0)
            self.table.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
            )
            self.table.scrollTo(index)
        finally:
            self._syncing = False
