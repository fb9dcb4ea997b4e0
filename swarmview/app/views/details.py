"""The details dock: whatever was last selected anywhere (node, span, event, dataset, file), in full.

It listens to the selection bus only, so every view gets a details panel for free, and it marks an item
whose source file failed verification.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from swarmview.app.models.format import attr_value, size
from swarmview.app.models.records import event_fields, span_fields, table_len
from swarmview.app.selection import SelectionBus
from swarmview.app.views.base import STATUS_WORDS, DamageNotice, damaged_files, report_json

NOTHING = "Nothing selected.\nClick a file, finding, event, dataset, node or span to see it here."


class DetailsPanel(QWidget):
    """Key/value tree of the current selection; empty text says how to fill it."""

    def __init__(self, bus: SelectionBus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detailsPanel")
        self.bus = bus
        self.bundle: Any = None
        self.report: dict[str, Any] | None = None
        self.damaged: dict[str, str] = {}
        self.kind = ""
        self._last: tuple[str, Any] | None = None
        self.heading = QLabel(NOTHING, self)
        self.heading.setWordWrap(True)
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        self.notice = DamageNotice(self)
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["Field", "Value"])
        self.tree.setColumnWidth(0, 130)
        self.tree.setUniformRowHeights(True)
        self.tree.setWordWrap(False)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # long attribute keys keep both ends
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.heading)
        layout.addWidget(self.notice)
        layout.addWidget(self.tree, 1)
        bus.node_selected.connect(self.show_node)
        bus.span_selected.connect(self.show_span)
        bus.event_selected.connect(self.show_event)
        bus.dataset_selected.connect(self.show_dataset)
        bus.file_selected.connect(self.show_file)
        self.setMinimumWidth(240)

    # -- data ------------------------------------------------------------------------------------
    def set_bundle(self, bundle: Any) -> None:
        self.bundle = bundle

    def set_report(self, report: Any) -> None:
        self.report = report_json(report)
        self.damaged = damaged_files(report)
        if self._last is not None:  # refresh marks and file statuses
            kind, key = self._last
            getattr(self, f"show_{kind}")(key)

    def clear(self) -> None:
        self.bundle = None
        self.report = None
        self.damaged = {}
        self._last = None
        self.kind = ""
        self._show(NOTHING, [], ())

    # -- rendering -------------------------------------------------------------------------------
    def _show(self, heading: str, fields: list[tuple[str, Any]], sources: tuple[str, ...]) -> None:
        self.heading.setText(heading)
        self.notice.show_damage(sources, self.damaged)
        self.tree.clear()
        for key, value in fields:
            self.tree.addTopLevelItem(self._item(key, value))
        self.tree.expandAll()
        self.tree.resizeColumnToContents(0)
        limit = max(90, int(self.tree.viewport().width() * 0.45))
        if self.tree.columnWidth(0) > limit:  # keep the values readable in a narrow dock
            self.tree.setColumnWidth(0, limit)

    def _item(self, key: str, value: Any) -> QTreeWidgetItem:
        if isinstance(value, dict):
            item = QTreeWidgetItem([key, "" if value else "{}"])
            for k, v in value.items():
                item.addChild(self._item(str(k), v))
            return item
        if isinstance(value, list) and value and any(isinstance(v, dict | list) for v in value):
            item = QTreeWidgetItem([key, f"{len(value)} items"])
            for i, v in enumerate(value):
                item.addChild(self._item(str(i), v))
            return item
        if isinstance(value, list):
            text = ", ".join(attr_value(v) for v in value) if value else "—"
        elif value is None:
            text = "—"
        else:
            text = attr_value(value)
        item = QTreeWidgetItem([key, text])
        item.setToolTip(1, text)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsSelectable)
        return item

    # -- selections ------------------------------------------------------------------------------
    def show_node(self, node_id: str) -> None:
        self._last, self.kind = ("node", node_id), "node"
        graph = getattr(self.bundle, "graph", None) or {}
        node = next((n for n in graph.get("nodes") or [] if n.get("node_id") == node_id), None)
        if node is None:
            self._show(f"Node {node_id}", [("node_id", node_id), ("note", "not in graph.json")], ("graph.json",))
            return
        self._show(f"Node {node.get('node_key', node_id)}", list(node.items()), ("graph.json",))

    def show_span(self, row: int) -> None:
        self._last, self.kind = ("span", row), "span"
        spans = getattr(self.bundle, "spans", None)
        if spans is None or not 0 <= row < table_len(spans):
            return
        f = span_fields(spans, row)
        self._show(f"Span {f['name']}", list(f.items()), ("spans.ndjson",))

    def show_event(self, row: int) -> None:
        self._last, self.kind = ("event", row), "event"
        events = getattr(self.bundle, "events", None)
        if events is None or not 0 <= row < table_len(events):
            return
        f = event_fields(events, row)
        self._show(f"Event {f['name']}", list(f.items()), ("events.ndjson",))

    def show_dataset(self, asset_key: str) -> None:
        self._last, self.kind = ("dataset", asset_key), "dataset"
        registry = list(getattr(self.bundle, "registry", None) or [])
        entry = next((e for e in reversed(registry) if e.get("asset_key") == asset_key), None)
        mats = [m for m in getattr(self.bundle, "materializations", None) or [] if m.get("asset_key") == asset_key]
        fields: list[tuple[str, Any]] = list(entry.items()) if entry else [("asset_key", asset_key),
                                                                            ("registry", "not registered")]
        for m in mats:
            fields.append((f"materialization #{m.get('record_seq')}", {
                k: m.get(k) for k in ("status", "op_type", "cache_decision", "rows", "bytes", "duration_ms",
                                      "unsafe_surface", "unsafe_reasons", "error_code", "fingerprint_v0")
                if m.get(k) is not None
            }))
        sources = ("datasets/registry.json", "datasets/registry_updates.ndjson", "datasets/materializations.ndjson")
        self._show(f"Dataset {asset_key}", fields, sources)

    def show_file(self, path: str) -> None:
        self._last, self.kind = ("file", path), "file"
        fields: list[tuple[str, Any]] = [("path", path)]
        entry = next((f for f in (self.report or {}).get("files") or [] if f.get("path") == path), None)
        if entry is not None:
            status = str(entry.get("status"))
            fields += [
                ("status", STATUS_WORDS.get(status, status)),
                ("size", size(entry.get("bytes"))),
                ("manifest size", size(entry.get("expected_bytes"))),
                ("sha256", entry.get("sha256")),
                ("manifest sha256", entry.get("expected_sha256")),
            ]
        else:
            manifest = getattr(self.bundle, "manifest", None) or {}
            m = next((e for e in manifest.get("entries") or [] if e.get("path") == path), None)
            if m is not None:
                fields += [("status", "verifying…" if self.report is None else "not in report"),
                           ("manifest size", size(m.get("bytes"))), ("manifest sha256", m.get("sha256"))]
        findings = [f for f in (self.report or {}).get("findings") or [] if f.get("path") == path]
        for f in findings:
            fields.append((str(f.get("severity")), f"{f.get('code')}: {f.get('message')}"))
        self._show(f"File {path}", fields, (path,))
