"""Datasets: the registry (trust marked), materializations (status, cache, rows/bytes, audits), lineage.

Values come merged as upstream's loader merges them (snapshots + update logs, §12.6). Selecting any row
emits ``dataset_selected`` so the details panel shows the entry and its materializations.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QLabel,
    QSplitter,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from swarmview.app.models.findings import severity_icon
from swarmview.app.models.format import duration, short_hex, size, utc_time
from swarmview.app.models.table import Column, ColumnTableModel
from swarmview.app.selection import SelectionBus
from swarmview.app.views.base import DamageNotice, RunView, damaged_files
from swarmview.app.views.integrity import table_view

RED = QColor(220, 70, 60)
AMBER = QColor(205, 135, 0)
GREY = QColor(140, 140, 140)


def _join(values: Any) -> str:
    return ", ".join(str(v) for v in values) if values else "—"


def fingerprint_names(bundle: Any) -> dict[str, str]:
    """fingerprint_v0 → asset_key, from the registry and the materializations (lineage names fingerprints)."""
    names: dict[str, str] = {}
    for m in getattr(bundle, "materializations", None) or []:
        if m.get("fingerprint_v0"):
            names[m["fingerprint_v0"]] = m.get("asset_key", "")
        for key, fp in zip(m.get("input_asset_keys") or [], m.get("input_fingerprints_v0") or [], strict=False):
            names.setdefault(fp, key)
    for e in getattr(bundle, "registry", None) or []:
        if e.get("fingerprint_v0"):
            names[e["fingerprint_v0"]] = e.get("asset_key", "")
    return names


def node_keys(bundle: Any) -> dict[str, str]:
    graph = getattr(bundle, "graph", None) or {}
    return {n.get("node_id"): n.get("node_key") for n in graph.get("nodes") or [] if n.get("node_id")}


class DatasetsView(RunView):
    view_name = "datasets"
    title = "Datasets"
    source_files = (
        "datasets/registry.json", "datasets/registry_updates.ndjson", "datasets/lineage.json",
        "datasets/lineage_edges.ndjson", "datasets/materializations.ndjson", "datasets/snapshot_pair_commit.json",
    )
    needs_metrics = False

    def __init__(self, bus: SelectionBus, parent: QWidget | None = None) -> None:
        super().__init__(bus, parent)
        self.registry: list[dict[str, Any]] = []
        self.mats: list[dict[str, Any]] = []
        self.notice = DamageNotice(self)
        self.registry_label = QLabel("Registry", self)
        r = lambda i: self.registry[i]  # noqa: E731
        self.registry_model = ColumnTableModel([
            Column("Asset", lambda i: str(r(i).get("asset_key"))),
            Column("Trust", lambda i: "⚠ untrusted" if r(i).get("trust") == "untrusted" else str(r(i).get("trust")),
                   color=lambda i: AMBER if r(i).get("trust") == "untrusted" else None),
            Column("Source", lambda i: str((r(i).get("source") or {}).get("uri") or "derived")),
            Column("Content type", lambda i: str((r(i).get("source") or {}).get("content_type") or "—")),
            Column("Fingerprint", lambda i: short_hex(r(i).get("fingerprint_v0")),
                   tooltip=lambda i: str(r(i).get("fingerprint_v0"))),
            Column("Schema", lambda i: str((r(i).get("schema") or {}).get("format") or "—")),
        ], 0, parent=self)
        self.registry_table = table_view(self)
        self.registry_table.setModel(self.registry_model)
        self.registry_table.selectionModel().currentRowChanged.connect(self._registry_row)

        m = lambda i: self.mats[i]  # noqa: E731
        self.mat_model = ColumnTableModel([
            Column("Seq", lambda i: str(m(i).get("record_seq")), numeric=True),
            Column("Time", lambda i: utc_time(m(i).get("ts_unix_nanos"))[11:-4]),
            Column("Asset", lambda i: str(m(i).get("asset_key"))),
            Column("Op", lambda i: str(m(i).get("op_type"))),
            Column("Status", lambda i: str(m(i).get("status")), color=self._mat_color),
            Column("Cache", lambda i: str(m(i).get("cache_decision")) + (f" — {m(i)['cache_reason']}" if m(i).get("cache_reason") else "")),
            Column("Rows", lambda i: "—" if m(i).get("rows") is None else f"{m(i)['rows']:,}", numeric=True),
            Column("Bytes", lambda i: size(m(i).get("bytes")), numeric=True),
            Column("Duration", lambda i: "—" if m(i).get("duration_ms") is None else duration(m(i)["duration_ms"] * 1_000_000), numeric=True),
            Column("Unsafe", lambda i: ("⚠ " + _join(m(i).get("unsafe_reasons"))) if m(i).get("unsafe_surface") else "no",
                   color=lambda i: AMBER if m(i).get("unsafe_surface") else None),
            Column("Transforms", lambda i: _join([
                f"{t.get('transform_name')}" + ("" if t.get("core_trusted") else " (untrusted)") + f" r{t.get('round_id')}"
                for t in m(i).get("applied_transforms") or []
            ])),
            Column("Error", lambda i: str(m(i).get("error_code") or "")),
        ], 0, foreground=lambda i: GREY if m(i).get("status") == "skipped" else None, parent=self)
        self.mat_table = table_view(self)
        self.mat_table.setModel(self.mat_model)
        self.mat_table.selectionModel().currentRowChanged.connect(self._mat_row)

        self.lineage = QTreeWidget(self)
        self.lineage.setHeaderLabels(["Output ← input", "Op kind", "Node"])
        self.lineage.setUniformRowHeights(True)
        self.lineage.currentItemChanged.connect(self._lineage_item)

        lower = QTabWidget(self)
        lower.addTab(self.mat_table, "Materializations")
        lower.addTab(self.lineage, "Lineage")
        self.lower = lower
        top = QWidget(self)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.registry_label)
        top_layout.addWidget(self.registry_table)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(top)
        split.addWidget(lower)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.addWidget(self.notice)
        layout.addWidget(split, 1)
        self._syncing = False
        bus.dataset_selected.connect(self.select_dataset)

    def _mat_color(self, i: int) -> QColor | None:
        status = self.mats[i].get("status")
        if status == "error":
            return RED
        if status == "skipped":
            return GREY
        return None

    # -- data ------------------------------------------------------------------------------------
    def set_data(self, bundle: Any, prepared: object) -> None:
        self.registry = sorted(getattr(bundle, "registry", None) or [], key=lambda e: str(e.get("asset_key")))
        self.mats = list(getattr(bundle, "materializations", None) or [])
        self.registry_model.reset(len(self.registry))
        self.mat_model.reset(len(self.mats))
        untrusted = sum(1 for e in self.registry if e.get("trust") == "untrusted")
        self.registry_label.setText(
            f"Registry: {len(self.registry)} datasets" + (f", {untrusted} untrusted" if untrusted else "")
        )
        errors = sum(1 for x in self.mats if x.get("status") == "error")
        self.lower.setTabText(0, f"Materializations ({len(self.mats)}" + (f", {errors} failed)" if errors else ")"))
        self._fill_lineage(bundle)
        self.registry_table.resizeColumnsToContents()
        self.mat_table.resizeColumnsToContents()

    def _fill_lineage(self, bundle: Any) -> None:
        self.lineage.clear()
        names = fingerprint_names(bundle)
        nodes = node_keys(bundle)
        by_output: dict[str, list[dict[str, Any]]] = {}
        for edge in getattr(bundle, "lineage", None) or []:
            by_output.setdefault(str(edge.get("output_fingerprint_v0")), []).append(edge)
        warn = severity_icon("warning")
        for out_fp, edges in sorted(by_output.items(), key=lambda kv: names.get(kv[0], kv[0])):
            out_name = names.get(out_fp)
            parent = QTreeWidgetItem([out_name or f"unknown output {short_hex(out_fp)}", "", ""])
            parent.setData(0, Qt.ItemDataRole.UserRole, out_name)
            parent.setToolTip(0, out_fp)
            if out_name is None:
                parent.setIcon(0, warn)
            for edge in edges:
                in_fp = str(edge.get("input_fingerprint_v0"))
                in_name = names.get(in_fp)
                child = QTreeWidgetItem([
                    "← " + (in_name or f"unknown input {short_hex(in_fp)}"), str(edge.get("op_kind") or ""),
                    str(nodes.get(edge.get("node_id")) or edge.get("node_id") or ""),
                ])
                child.setData(0, Qt.ItemDataRole.UserRole, in_name)
                child.setToolTip(0, in_fp)
                parent.addChild(child)
            self.lineage.addTopLevelItem(parent)
        self.lineage.expandAll()
        self.lineage.resizeColumnToContents(0)
        self.lower.setTabText(1, f"Lineage ({sum(len(v) for v in by_output.values())} edges)")

    def set_report(self, report: Any | None) -> None:
        self.notice.show_damage(self.source_files, damaged_files(report))

    def clear(self) -> None:
        self.registry, self.mats = [], []
        self.registry_model.reset(0)
        self.mat_model.reset(0)
        self.lineage.clear()
        self.registry_label.setText("Registry")
        self.notice.hide()

    # -- selection -------------------------------------------------------------------------------
    def _emit(self, asset_key: str | None) -> None:
        if self._syncing or not asset_key:
            return
        self._syncing = True
        try:
            self.bus.dataset_selected.emit(asset_key)
        finally:
            self._syncing = False

    def _registry_row(self, current: QModelIndex, _prev: QModelIndex) -> None:
        if current.isValid():
            self._emit(self.registry[self.registry_model.source_row(current.row())].get("asset_key"))

    def _mat_row(self, current: QModelIndex, _prev: QModelIndex) -> None:
        if current.isValid():
            self._emit(self.mats[self.mat_model.source_row(current.row())].get("asset_key"))

    def _lineage_item(self, current: QTreeWidgetItem | None, _prev: QTreeWidgetItem | None) -> None:
        if current is not None:
            self._emit(current.data(0, Qt.ItemDataRole.UserRole))

    def select_dataset(self, asset_key: str) -> None:
        if self._syncing:
            return
        row = next((i for i, e in enumerate(self.registry) if e.get("asset_key") == asset_key), None)
        if row is None:
            return
        self._syncing = True
        try:
            index = self.registry_model.index(row, 0)
            self.registry_table.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
            )
            self.registry_table.scrollTo(index)
        finally:
            self._syncing = False
