"""Timeline view: spans as a flame chart per trace, events as markers, range measurement and search.

Lanes, nesting and colours are computed in ``prepare`` (a worker); the GUI thread only culls, merges and
paints what is visible (core.lod, app/plot/flame.py). Selections travel over the bus both ways: a click
selects a span for the details panel, a node picked in the graph outlines the spans it ran, a range
picked here narrows the metrics plots.
"""

from __future__ import annotations

import html
import threading
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollBar,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from swarmview.app.plot.flame_data import NODE_KEY_ATTR, FlameData, build_flame_data, rows_with_attr
from swarmview.app.plot.flame_input import InteractiveFlameChart as FlameChart
from swarmview.app.plot.time_axis import format_duration, format_offset, wall_clock
from swarmview.app.selection import SelectionBus
from swarmview.app.views.base import DamageNotice, RunView, damaged_files
from swarmview.core.records.tables import span_hex

MAX_TOOLTIP_ATTRS = 14
SYNC_SCAN_ROWS = 100_000  # attribute scans above this many spans run in a thread
HINT = "wheel/W S: zoom · drag/A D: pan · Shift+drag: measure · F: fit selection · 0: whole run"


@dataclass(frozen=True)
class TimelinePrepared:
    flame: FlameData


@dataclass(frozen=True)
class NameStats:
    """Per-name statistics of the spans overlapping a measured range (durations of finished spans)."""

    name: str
    count: int
    unfinished: int
    total: float
    mean: float
    p50: float
    p95: float


def range_stats(flame: FlameData, r0: float, r1: float) -> list[NameStats]:
    """Spans overlapping ``[r0, r1]`` grouped by name, the longest total first (Perfetto #871)."""
    lanes = flame.lanes
    sel = np.flatnonzero((lanes.rel_start <= r1) & (lanes.rel_end >= r0))
    if sel.size == 0:
        return []
    codes = flame.name_code[sel]
    finished = ~flame.open_[sel]
    dur = lanes.rel_end[sel] - lanes.rel_start[sel]
    order = np.argsort(codes, kind="stable")
    codes_s = codes[order]
    heads = np.flatnonzero(np.concatenate(([True], codes_s[1:] != codes_s[:-1])))
    ends = np.concatenate((heads[1:], [codes_s.size]))
    out: list[NameStats] = []
    for a, b in zip(heads.tolist(), ends.tolist(), strict=True):
        idx = order[a:b]
        d = dur[idx][finished[idx]]
        code = int(codes_s[a])
        name = flame.names[code] if 0 <= code < len(flame.names) else f"#{code}"
        if d.size:
            p50, p95 = np.percentile(d, [50, 95]).tolist()
            out.append(NameStats(name, b - a, int((~finished[idx]).sum()), float(d.sum()), float(d.mean()), p50, p95))
        else:
            nan = float("nan")
            out.append(NameStats(name, b - a, b - a, 0.0, nan, nan, nan))
    out.sort(key=lambda s: (-s.total, s.name))
    return out


def attr_pattern(key: str, value: str) -> tuple[bytes, tuple[bytes, ...]]:
    """``key=value`` search as byte prefixes of compact JSON: ``"key":`` then the value exactly, as a
    string or as a bare number/bool, followed by ``,`` or ``}`` (so ``peer-1`` does not match ``peer-10``).
    The value compares case-insensitively."""
    v = value.strip().strip('"').lower().encode()
    return f'"{key.strip()}":'.encode(), tuple(b + end for b in (b'"' + v + b'"', v) for end in (b",", b"}"))


class TimelineView(RunView):
    """Flame chart of spans per trace with events, search, range statistics and bus links."""

    view_name: ClassVar[str] = "timeline"
    title: ClassVar[str] = "Timeline"
    source_files: ClassVar[tuple[str, ...]] = ("spans.ndjson", "events.ndjson")
    needs_metrics: ClassVar[bool] = False

    _search_done = Signal(int, object)  # generation, bool mask per span row (from a worker thread)
    _node_rows_done = Signal(int, object)  # generation, span rows of the selected node (from a worker thread)

    def __init__(self, bus: SelectionBus, parent: QWidget | None = None) -> None:
        super().__init__(bus, parent)
        self.bundle: Any = None
        self.flame: FlameData | None = None
        self._search_gen = 0
        self._node_gen = 0
        self._node_cancel = threading.Event()
        self._emitting_range = False

        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search spans: name text, or key=value for an attribute")
        self.search.setClearButtonEnabled(True)
        self.filter_only = QCheckBox("Dim others", self)
        self.filter_only.setChecked(True)
        self.filter_only.setToolTip("Dim spans that do not match (off: outline matches only)")
        self.match_label = QLabel("", self)
        fit = QPushButton("Fit", self)
        fit.setToolTip("Show the whole run (0 or Home)")
        hint = QLabel(HINT, self)
        hint.setStyleSheet("color: gray;")
        top = QHBoxLayout()
        top.addWidget(self.search, 3)
        top.addWidget(self.filter_only)
        top.addWidget(self.match_label)
        top.addWidget(fit)
        top.addWidget(hint, 4)

        self.damage = DamageNotice(self)
        self.chart = FlameChart(self)
        self.scrollbar = QScrollBar(Qt.Orientation.Vertical, self)
        chart_row = QWidget(self)
        row = QHBoxLayout(chart_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.chart, 1)
        row.addWidget(self.scrollbar)

        self.stats_title = QLabel("", self)
        self.stats = QTableWidget(0, 7, self)
        self.stats.setHorizontalHeaderLabels(["name", "count", "unfinished", "total", "mean", "p50", "p95"])
        self.stats.verticalHeader().setVisible(False)
        self.stats.verticalHeader().setDefaultSectionSize(20)
        self.stats.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.stats.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        stats_box = QWidget(self)
        sl = QVBoxLayout(stats_box)
        sl.setContentsMargins(0, 0, 0, 0)
        sl.addWidget(self.stats_title)
        sl.addWidget(self.stats)
        self.stats_box = stats_box
        stats_box.hide()

        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(chart_row)
        split.addWidget(stats_box)
        split.setStretchFactor(0, 4)
        split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.damage)
        layout.addWidget(split, 1)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(180)
        self._debounce.timeout.connect(self._run_search)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.filter_only.toggled.connect(lambda _b: self._run_search())
        fit.clicked.connect(self.chart.fit)
        self.chart.content_height_changed.connect(lambda _h: self._sync_scrollbar())
        self.scrollbar.valueChanged.connect(self.chart.set_scroll)
        self.chart.scroll_changed.connect(self.scrollbar.setValue)  # drag, keys and reveal move the bar too
        self.chart.span_clicked.connect(bus.span_selected.emit)
        self.chart.event_clicked.connect(bus.event_selected.emit)
        self.chart.range_selected.connect(self._on_chart_range)
        self.chart.describe_span = self.describe_span
        self.chart.describe_event = self.describe_event
        self._search_done.connect(self._apply_search)
        self._node_rows_done.connect(self._apply_node_rows)
        bus.span_selected.connect(self._on_span_selected)
        bus.event_selected.connect(self._on_event_selected)
        bus.time_range_selected.connect(self._on_time_range)
        bus.node_selected.connect(self._on_node_selected)

    # ----- RunView contract -----------------------------------------------------------------------
    @staticmethod
    def prepare(bundle: Any) -> TimelinePrepared:
        return TimelinePrepared(build_flame_data(bundle))

    def set_data(self, bundle: Any, prepared: object) -> None:
        assert isinstance(prepared, TimelinePrepared)
        self.bundle = bundle
        self.flame = prepared.flame
        self.chart.set_flame_data(prepared.flame)
        self._sync_scrollbar()
        self.stats_box.hide()
        if self.search.text():
            self._run_search()

    def set_report(self, report: Any | None) -> None:
        self.damage.show_damage(self.source_files, damaged_files(report))

    def clear(self) -> None:
        self.bundle = None
        self.flame = None
        self.chart.set_flame_data(None)
        self.stats_box.hide()

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._sync_scrollbar()

    def _sync_scrollbar(self) -> None:
        page = self.chart.viewport_height()
        self.scrollbar.setPageStep(page)
        self.scrollbar.setSingleStep(18)
        self.scrollbar.setRange(0, max(self.chart.content_height - page, 0))
        self.scrollbar.setValue(self.chart.scroll_y)

    # ----- tooltips -------------------------------------------------------------------------------
    def describe_span(self, row: int) -> str:
        """Tooltip HTML: name, duration, offsets with wall clock, ids, marks, attributes."""
        flame, spans = self.flame, self.bundle.spans if self.bundle is not None else None
        if flame is None or spans is None:
            return ""
        start, end = float(flame.lanes.rel_start[row]), float(flame.lanes.rel_end[row])
        open_ = bool(flame.open_[row])
        lines = [f"<b>{html.escape(spans.name_of(row))}</b>"]
        lines.append(("≥ " if open_ else "") + format_duration(end - start))
        lines.append(f"start +{format_offset(start)} &nbsp;({wall_clock(int(spans.start[row]))})")
        if open_:
            lines.append("<span style='color:#c0392b'>unfinished: no end recorded, drawn to the run end</span>")
        else:
            lines.append(f"end +{format_offset(end)}")
        lines.append(f"trace {spans.trace_of(row)} · span {span_hex(spans.span_id[row])}")
        parent = int(spans.parent_id[row])
        if parent:
            tag = " <span style='color:#c0392b'>(not found in this trace)</span>" if flame.lanes.nesting.orphan[row] else ""
            lines.append(f"parent {span_hex(parent)}{tag}")
        attrs = spans.attrs.get(row)
        for i, (k, v) in enumerate(attrs.items()):
            if i == MAX_TOOLTIP_ATTRS:
                lines.append(f"… {len(attrs) - i} more")
                break
            lines.append(f"<tt>{html.escape(k)}</tt> = {html.escape(repr(v))}")
        lines.append(f"<i>spans.ndjson:{int(spans.line[row])}</i>")
        return "<br>".join(lines)

    def describe_event(self, row: int) -> str:
        if self.bundle is None or self.flame is None:
            return ""
        ev = self.bundle.events
        ts = int(ev.ts[row])
        lines = [f"<b>event {html.escape(ev.name_of(row))}</b>",
                 f"at +{format_offset(float(ts - self.flame.origin))} ({wall_clock(ts)})"]
        if int(ev.span_id[row]):
            lines.append(f"span {span_hex(ev.span_id[row])}")
        for k, v in list(ev.attrs.get(row).items())[:MAX_TOOLTIP_ATTRS]:
            lines.append(f"<tt>{html.escape(k)}</tt> = {html.escape(repr(v))}")
        lines.append(f"<i>events.ndjson:{int(ev.line[row])}</i>")
        return "<br>".join(lines)

    # ----- search ---------------------------------------------------------------------------------
    def _run_search(self) -> None:
        """Names match at once (codes); attribute text is scanned in a worker thread."""
        self._search_gen += 1
        gen = self._search_gen
        text = self.search.text().strip()
        flame, bundle = self.flame, self.bundle
        if flame is None or bundle is None or not text:
            self.chart.set_match_mask(None)
            self.chart.set_highlight(None)
            self.match_label.setText("")
            return
        needle = text.lower()
        name_hits = np.array([needle in n.lower() for n in flame.names] or [False], dtype=bool)
        name_mask = name_hits[np.clip(flame.name_code, 0, len(name_hits) - 1)] if flame.span_count else np.zeros(0, bool)
        self._apply_search(gen, name_mask, partial=True)
        attrs = bundle.spans.attrs
        n = flame.span_count
        key, sep, value = text.partition("=")
        pattern = attr_pattern(key, value) if sep else None

        def scan() -> None:  # worker thread: bytes tests on each row's compact JSON
            mask = name_mask.copy()
            for i in range(n):
                if gen != self._search_gen:
                    return
                raw = attrs.text(i)
                low = raw.lower()
                if pattern is None:
                    if needle.encode() in low:
                        mask[i] = True
                else:
                    at = raw.find(pattern[0])
                    if at >= 0 and low.startswith(pattern[1], at + len(pattern[0])):
                        mask[i] = True
            self._search_done.emit(gen, mask)

        threading.Thread(target=scan, name="timeline-search", daemon=True).start()

    def _apply_search(self, gen: int, mask: object, partial: bool = False) -> None:
        if gen != self._search_gen or not isinstance(mask, np.ndarray):
            return
        count = int(mask.sum())
        self.match_label.setText(f"{count:,} match{'es' if count != 1 else ''}" + (" …" if partial else ""))
        if self.filter_only.isChecked():
            self.chart.set_match_mask(mask)
            self.chart.set_highlight(None)
        else:
            self.chart.set_match_mask(None)
            self.chart.set_highlight(mask)

    # ----- range ----------------------------------------------------------------------------------
    def _on_chart_range(self, r0: object, r1: object) -> None:
        flame = self.flame
        if flame is None:
            return
        if r0 is None or r1 is None:
            self.stats_box.hide()
            self._emitting_range = True
            try:
                self.bus.time_range_selected.emit(None, None)
            finally:
                self._emitting_range = False
            return
        a, b = float(r0), float(r1)  # type: ignore[arg-type]
        self.show_stats(a, b)
        self._emitting_range = True
        try:
            self.bus.time_range_selected.emit(flame.origin + round(a), flame.origin + round(b))
        finally:
            self._emitting_range = False

    def show_stats(self, r0: float, r1: float) -> None:
        assert self.flame is not None
        rows = range_stats(self.flame, r0, r1)
        total = sum(s.count for s in rows)
        self.stats_title.setText(
            f"Range +{format_offset(r0)} → +{format_offset(r1)} ({format_duration(r1 - r0)}): "
            f"{total:,} spans overlap, {len(rows)} names (durations of the whole spans)"
        )
        self.stats.setSortingEnabled(False)
        self.stats.setRowCount(len(rows))
        for i, s in enumerate(rows):
            cells = [s.name, f"{s.count:,}", f"{s.unfinished:,}", format_duration(s.total),
                     format_duration(s.mean), format_duration(s.p50), format_duration(s.p95)]
            for j, c in enumerate(cells):
                item = QTableWidgetItem(c)
                if j:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.stats.setItem(i, j, item)
        self.stats_box.show()

    # ----- bus ------------------------------------------------------------------------------------
    def _on_span_selected(self, row: int) -> None:
        if self.flame is not None and 0 <= row < self.flame.span_count:
            self.chart.select_span(row)

    def _on_event_selected(self, row: int) -> None:
        if self.bundle is not None and 0 <= row < len(self.bundle.events.ts):
            self.chart.select_event(row)

    def _on_time_range(self, t0: object, t1: object) -> None:
        if self._emitting_range or self.flame is None:
            return
        if t0 is None or t1 is None:
            self.chart.set_range(None, None)
            self.stats_box.hide()
            return
        a = float(int(t0) - self.flame.origin)  # type: ignore[call-overload]
        b = float(int(t1) - self.flame.origin)  # type: ignore[call-overload]
        a, b = min(a, b), max(a, b)
        self.chart.set_range(a, b)
        if a < self.chart.t0 or b > self.chart.t1:
            pad = (b - a) * 0.1
            self.chart.set_view(a - pad, b + pad)
        self.show_stats(a, b)

    def _on_node_selected(self, node_id: str) -> None:
        """Outline the spans that ran this node (``swarmtorch.node_key``); big runs scan in a thread."""
        flame, bundle = self.flame, self.bundle
        self._node_gen += 1
        gen = self._node_gen
        self._node_cancel.set()
        if flame is None or bundle is None:
            return
        key = flame.node_key_of_id.get(node_id)
        if key is None:
            self.chart.set_highlight(None)
            return
        n = flame.span_count
        if n <= SYNC_SCAN_ROWS:
            self._apply_node_rows(gen, rows_with_attr(bundle.spans.attrs, NODE_KEY_ATTR, key, n))
            return
        cancel = self._node_cancel = threading.Event()

        def scan() -> None:
            rows = rows_with_attr(bundle.spans.attrs, NODE_KEY_ATTR, key, n, cancel)
            if not cancel.is_set():
                self._node_rows_done.emit(gen, rows)

        threading.Thread(target=scan, name="timeline-node-spans", daemon=True).start()

    def _apply_node_rows(self, gen: int, rows: object) -> None:
        if gen != self._node_gen or self.flame is None or not isinstance(rows, np.ndarray):
            return
        if rows.size == 0:
            self.chart.set_highlight(None)
            return
        mask = np.zeros(self.flame.span_count, dtype=bool)
        mask[rows] = True
        self.chart.set_highlight(mask)
        self.chart.select_span(int(rows[0]))
