"""Overview: what this run is (id, version, times) and how much it holds, plus the loader's warnings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from swarmview.app.models.findings import FindingsModel
from swarmview.app.models.format import duration, utc_time
from swarmview.app.models.records import table_len
from swarmview.app.selection import SelectionBus
from swarmview.app.views.base import DamageNotice, RunView, damaged_files
from swarmview.app.views.integrity import table_view


@dataclass
class OverviewData:
    """Everything the overview shows, computed in a worker."""

    run_id: str = "—"
    version: str = "—"
    created_ns: int | None = None
    t0: int | None = None
    t1: int | None = None
    counts: dict[str, str] = field(default_factory=dict)


def _minmax(*arrays: Any) -> tuple[int | None, int | None]:
    lo: int | None = None
    hi: int | None = None
    for a in arrays:
        if a is None or len(a) == 0:
            continue
        arr = np.asarray(a)
        lo = int(arr.min()) if lo is None else min(lo, int(arr.min()))
        hi = int(arr.max()) if hi is None else max(hi, int(arr.max()))
    return lo, hi


def _series_count(metrics: Any) -> int | None:
    try:
        from swarmview.core.records.series import metric_series
    except ImportError:
        return None
    try:
        return len(metric_series(metrics))
    except Exception:
        return None


def summarize(bundle: Any) -> OverviewData:
    run = getattr(bundle, "run", None) or {}
    manifest = getattr(bundle, "manifest", None) or {}
    graph = getattr(bundle, "graph", None) or {}
    spans, events, metrics = (getattr(bundle, n, None) for n in ("spans", "events", "metrics"))
    data = OverviewData(
        run_id=str(run.get("run_id") or manifest.get("run_id") or "—"),
        version=str(run.get("swarmtorch_version") or "—"),
        created_ns=run.get("created_unix_nanos"),
    )
    ends = None
    if spans is not None and table_len(spans):
        has_end = np.asarray(getattr(spans, "has_end", np.ones(table_len(spans), bool)), bool)
        ends = np.asarray(spans.end)[has_end]
    time_range = getattr(bundle, "time_range", None)
    data.t0, data.t1 = time_range if time_range else _minmax(
        getattr(spans, "start", None) if spans is not None else None, ends,
        getattr(events, "ts", None) if events is not None else None,
        getattr(metrics, "ts", None) if metrics is not None else None,
    )
    n_spans = table_len(spans)
    unfinished = int(n_spans - np.count_nonzero(spans.has_end)) if n_spans and hasattr(spans, "has_end") else 0
    traces = len(getattr(spans, "trace_ids", []) or []) if spans is not None else 0
    series = _series_count(metrics) if table_len(metrics) else 0
    entries = manifest.get("entries") or []
    on_disk = getattr(bundle, "artifacts", None)
    artifacts = len(on_disk) if on_disk is not None else sum(
        1 for e in entries if str(e.get("path", "")).startswith("artifacts/"))
    data.counts = {
        "Graph nodes": f"{len(graph.get('nodes') or []):,}",
        "Graph edges": f"{len(graph.get('edges') or []):,}",
        "Spans": f"{n_spans:,}" + (f" ({unfinished} unfinished)" if unfinished else ""),
        "Traces": f"{traces:,}",
        "Events": f"{table_len(events):,}",
        "Metric points": f"{table_len(metrics):,}",
        "Metric series": "—" if series is None else f"{series:,}",
        "Datasets": f"{len(getattr(bundle, 'registry', None) or []):,}",
        "Materializations": f"{len(getattr(bundle, 'materializations', None) or []):,}",
        "Lineage edges": f"{len(getattr(bundle, 'lineage', None) or []):,}",
        "Artifacts": f"{artifacts:,}",
        "Manifest entries": f"{len(entries):,}" if manifest else "no manifest",
    }
    return data


#: where each count comes from, so a count read from a damaged file is marked as such
COUNT_SOURCES: dict[str, tuple[str, ...]] = {
    "Graph nodes": ("graph.json",),
    "Graph edges": ("graph.json",),
    "Spans": ("spans.ndjson",),
    "Traces": ("spans.ndjson",),
    "Events": ("events.ndjson",),
    "Metric points": ("metrics.ndjson",),
    "Metric series": ("metrics.ndjson",),
    "Datasets": ("datasets/registry.json", "datasets/registry_updates.ndjson"),
    "Materializations": ("datasets/materializations.ndjson",),
    "Lineage edges": ("datasets/lineage.json", "datasets/lineage_edges.ndjson"),
}


def _value_label(parent: QWidget) -> QLabel:
    label = QLabel("—", parent)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class OverviewView(RunView):
    view_name = "overview"
    title = "Overview"
    source_files = ("run.json",)

    def __init__(self, bus: SelectionBus, parent: QWidget | None = None) -> None:
        super().__init__(bus, parent)
        self.notice = DamageNotice(self)
        run_box = QGroupBox("Run", self)
        form = QFormLayout(run_box)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.fields: dict[str, QLabel] = {}
        for key in ("Run id", "SwarmTorch version", "Created", "First record", "Last record", "Wall-clock span",
                    "Folder"):
            self.fields[key] = _value_label(run_box)
            form.addRow(key + ":", self.fields[key])
        # a long path must not force the window wider: it may be cut, the tooltip has all of it
        self.fields["Folder"].setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        count_box = QGroupBox("Contents", self)
        grid = QGridLayout(count_box)
        self.counts: dict[str, QLabel] = {}
        keys = list(summarize(None).counts)
        for i, key in enumerate(keys):
            row, col = i % 6, (i // 6) * 2
            grid.addWidget(QLabel(key + ":", count_box), row, col, Qt.AlignmentFlag.AlignRight)
            self.counts[key] = _value_label(count_box)
            grid.addWidget(self.counts[key], row, col + 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        top = QGridLayout()
        top.addWidget(run_box, 0, 0)
        top.addWidget(count_box, 0, 1)
        top.setColumnStretch(0, 3)
        top.setColumnStretch(1, 2)
        self._count_texts: dict[str, str] = {}
        self._damaged: dict[str, str] = {}
        self.warnings_label = QLabel("Load warnings", self)
        self.warnings = FindingsModel(self)
        self.warnings_table = table_view(self)
        self.warnings_table.setModel(self.warnings)
        self.warnings_table.clicked.connect(self._warning_clicked)
        layout = QVBoxLayout(self)
        layout.addWidget(self.notice)
        layout.addLayout(top)
        layout.addWidget(self.warnings_label)
        layout.addWidget(self.warnings_table, 1)

    @staticmethod
    def prepare(bundle: Any) -> object:
        return summarize(bundle)

    def set_data(self, bundle: Any, prepared: object) -> None:
        data = prepared if isinstance(prepared, OverviewData) else summarize(bundle)
        span = (data.t1 - data.t0) if data.t0 is not None and data.t1 is not None else None
        values = {
            "Run id": data.run_id,
            "SwarmTorch version": data.version,
            "Created": utc_time(data.created_ns),
            "First record": utc_time(data.t0),
            "Last record": utc_time(data.t1),
            "Wall-clock span": duration(span),
            "Folder": str(getattr(bundle, "root", "—")),
        }
        for key, value in values.items():
            self.fields[key].setText(value)
        self.fields["Folder"].setToolTip(values["Folder"])
        self._count_texts = dict(data.counts)
        for key, value in data.counts.items():
            if key in self.counts:
                self.counts[key].setText(value)
        self._mark_counts()
        findings = list(getattr(bundle, "findings", None) or [])
        self.warnings.set_findings(findings)
        self.warnings_label.setText(
            f"Load warnings ({len(findings)})" if findings else "Load warnings: none — every file read cleanly"
        )
        for column in range(3):
            self.warnings_table.resizeColumnToContents(column)

    def _mark_counts(self) -> None:
        """Counts read from a damaged file say so (they may be short or wrong)."""
        for key, label in self.counts.items():
            base = self._count_texts.get(key, label.text())
            hit = next((p for p in COUNT_SOURCES.get(key, ()) if p in self._damaged), None)
            if key == "Artifacts":
                hit = next((p for p in self._damaged if p.startswith("artifacts/")), None)
            label.setText(f"{base}  ⚠ {hit}: {self._damaged[hit]}" if hit else base)
            label.setStyleSheet("color: #d9534f;" if hit else "")
            label.setToolTip(f"Read from {hit}, which failed verification ({self._damaged[hit]})" if hit else "")

    def set_report(self, report: Any | None) -> None:
        damaged = damaged_files(report)
        self._damaged = damaged
        self._mark_counts()
        self.notice.show_damage(self.source_files, damaged)
        if "manifest.json" in damaged:  # nothing shown comes from it, but nothing is protected either
            extra = f"⚠ manifest.json: {damaged['manifest.json']}. Nothing in this run is protected against changes."
            self.notice.setText(f"{self.notice.text()}\n{extra}" if self.notice.text() else extra)
            self.notice.show()

    def clear(self) -> None:
        self._count_texts, self._damaged = {}, {}
        for label in (*self.fields.values(), *self.counts.values()):
            label.setText("—")
            label.setStyleSheet("")
            label.setToolTip("")
        self.warnings.set_findings([])
        self.warnings_label.setText("Load warnings")
        self.notice.hide()

    def _warning_clicked(self, index: Any) -> None:
        path = self.warnings.finding(index.row()).get("path")
        if path:
            self.bus.file_selected.emit(str(path))
