"""Integrity: every manifest entry and every unlisted file with its status in plain words, and findings.

Before verification ends the table shows the manifest's entries as "verifying…", so the user sees what
will be checked at once. Clicking a finding selects its file (here and in the details panel).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt
from PySide6.QtGui import QColor, QIcon
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from swarmview.app.models.findings import FindingsModel, severity_icon
from swarmview.app.models.format import short_hex, size
from swarmview.app.models.table import Column, ColumnTableModel
from swarmview.app.selection import SelectionBus
from swarmview.app.views.base import INTACT_STATUSES, STATUS_WORDS, RunView, report_json

STATUS_SEVERITY = {
    "ok": "ok", "not_hashed": "ok", "pending": "pending", "unlisted": "warning", "symlink": "warning",
    "unreadable": "unverified", "changed": "unverified", "not_reached": "unverified",
}


def status_severity(status: str) -> str:
    return STATUS_SEVERITY.get(status, "error")


def table_view(parent: QWidget) -> QTableView:
    """A read-only, row-selecting table with fixed row heights (fast on big models)."""
    view = QTableView(parent)
    view.verticalHeader().hide()
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 8)
    view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QTableView.SelectionMode.SingleSelection)
    view.setWordWrap(False)
    view.setAlternatingRowColors(True)
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setHighlightSections(False)
    return view


class FilesModel(ColumnTableModel):
    """Report ``files[]`` rows (or manifest entries while verification runs)."""

    def __init__(self, parent: Any = None) -> None:
        self.files: list[dict[str, Any]] = []
        self._icons: dict[str, QIcon] = {}
        f = lambda i: self.files[i]  # noqa: E731
        columns = [
            Column("Status", lambda i: STATUS_WORDS.get(f(i)["status"], f(i)["status"])),
            Column("Path", lambda i: str(f(i).get("path"))),
            Column("Size", lambda i: size(f(i).get("bytes")), numeric=True),
            Column("Manifest size", lambda i: size(f(i).get("expected_bytes")), numeric=True),
            Column("SHA-256", lambda i: short_hex(f(i).get("sha256"), 16),
                   tooltip=lambda i: str(f(i).get("sha256") or "not hashed")),
            Column("Manifest SHA-256", lambda i: short_hex(f(i).get("expected_sha256"), 16),
                   tooltip=lambda i: str(f(i).get("expected_sha256") or "not in the manifest")),
        ]
        super().__init__(columns, 0, icon=self._icon, foreground=self._fg, parent=parent)

    def _icon(self, i: int) -> QIcon | None:
        sev = status_severity(self.files[i]["status"])
        if sev in ("ok", "pending"):
            return None
        if sev not in self._icons:
            self._icons[sev] = severity_icon(sev)
        return self._icons[sev]

    def _fg(self, i: int) -> QColor | None:
        sev = status_severity(self.files[i]["status"])
        return {"error": QColor(220, 70, 60), "unverified": QColor(150, 110, 210)}.get(sev)

    def set_files(self, files: list[dict[str, Any]]) -> None:
        self.files = files
        self.reset(len(files))

    def row_of(self, path: str) -> int | None:
        for i, entry in enumerate(self.files):
            if entry.get("path") == path:
                return self.view_row(i)
        return None


class IntegrityView(RunView):
    view_name = "integrity"
    title = "Integrity"
    source_files = ("manifest.json",)

    def __init__(self, bus: SelectionBus, parent: QWidget | None = None) -> None:
        super().__init__(bus, parent)
        self.summary = QLabel("No run open.", self)
        self.summary.setWordWrap(True)
        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText("Filter files by path or status…")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._apply_filter)
        self.problems_only = QCheckBox("Only files with problems", self)
        self.problems_only.toggled.connect(self._apply_filter)
        self.files = FilesModel(self)
        self.files_table = table_view(self)
        self.files_table.setModel(self.files)
        self.files_table.selectionModel().currentRowChanged.connect(self._file_row_changed)
        self.findings = FindingsModel(self)
        self.findings_table = table_view(self)
        self.findings_table.setModel(self.findings)
        self.findings_table.clicked.connect(self._finding_clicked)
        self.findings_table.activated.connect(self._finding_clicked)
        self.findings_label = QLabel("Findings", self)

        bar = QHBoxLayout()
        bar.addWidget(self.filter, 1)
        bar.addWidget(self.problems_only)
        top = QWidget(self)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addLayout(bar)
        top_layout.addWidget(self.files_table)
        bottom = QWidget(self)
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(self.findings_label)
        bottom_layout.addWidget(self.findings_table)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(top)
        split.addWidget(bottom)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(split, 1)
        self._syncing = False
        bus.file_selected.connect(self.select_file)

    # -- data ------------------------------------------------------------------------------------
    def set_data(self, bundle: Any, prepared: object) -> None:
        if self.files.files and any(f["status"] != "pending" for f in self.files.files):
            return  # the report already arrived and is more precise than the manifest
        manifest = getattr(bundle, "manifest", None) or {}
        pending = [
            {"path": e.get("path"), "status": "pending", "bytes": None, "expected_bytes": e.get("bytes"),
             "sha256": None, "expected_sha256": e.get("sha256")}
            for e in manifest.get("entries") or []
        ]
        self.files.set_files(pending)
        self.summary.setText(f"{len(pending)} files listed in the manifest; verifying…" if manifest
                             else "No readable manifest: nothing to check files against.")
        self._size_columns()

    def set_report(self, report: Any | None) -> None:
        data = report_json(report)
        if data is None:
            self.findings.set_findings([])
            self.findings_label.setText("Findings (verifying…)")
            return
        files = [dict(f) for f in data.get("files") or []]
        self.files.set_files(files)
        self.findings.set_findings(list(data.get("findings") or []))
        counts = data.get("counts") or {}
        bad = sum(1 for f in files if f.get("status") not in INTACT_STATUSES and f.get("status") != "unlisted")
        codes = {f.get("code") for f in data.get("findings") or []}
        if not counts.get("files_listed") and codes & {"MANIFEST_MISSING", "MANIFEST_INVALID"}:
            self.summary.setText(f"No usable manifest: the {counts.get('files_unlisted', 0)} files on disk are not "
                                 "protected and could not be checked.")
        else:
            self.summary.setText(
                f"{counts.get('files_listed', 0)} files listed, {counts.get('files_ok', 0)} intact, "
                f"{bad} damaged or unreadable, {counts.get('files_unlisted', 0)} not in the manifest."
            )
        words = (("error", "errors"), ("unverified", "unverified"), ("warning", "warnings"), ("info", "info"))
        self.findings_label.setText("Findings: " + ", ".join(
            f"{counts.get(k, 0)} {one if counts.get(k, 0) == 1 else many}" for k, (one, many) in zip(
                ("error", "unverified", "warning", "info"), words, strict=True)))
        self._apply_filter()
        self._size_columns()

    def clear(self) -> None:
        self.files.set_files([])
        self.findings.set_findings([])
        self.summary.setText("No run open.")
        self.findings_label.setText("Findings")

    def _size_columns(self) -> None:
        self.files_table.resizeColumnsToContents()
        self.findings_table.resizeColumnToContents(0)
        self.findings_table.resizeColumnToContents(1)
        self.findings_table.resizeColumnToContents(2)

    # -- filtering and selection -----------------------------------------------------------------
    def _apply_filter(self) -> None:
        needle = self.filter.text().strip().lower()
        problems = self.problems_only.isChecked()
        keep = [
            i for i, f in enumerate(self.files.files)
            if (not problems or f["status"] not in INTACT_STATUSES)
            and (not needle or needle in str(f.get("path", "")).lower()
                 or needle in STATUS_WORDS.get(f["status"], f["status"]))
        ]
        self.files.set_rows(np.asarray(keep, dtype=np.int64))

    def _file_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._syncing or not current.isValid():
            return
        path = self.files.files[self.files.source_row(current.row())].get("path")
        if path:
            self._syncing = True
            try:
                self.bus.file_selected.emit(str(path))
            finally:
                self._syncing = False

    def _finding_clicked(self, index: QModelIndex) -> None:
        path = self.findings.finding(index.row()).get("path")
        if path:
            self.bus.file_selected.emit(str(path))

    def select_file(self, path: str) -> None:
        """Follow a file selection from anywhere (clears the filter if it hides the file)."""
        if self._syncing:
            return
        row = self.files.row_of(path)
        if row is None and (self.filter.text() or self.problems_only.isChecked()):
            self.filter.clear()
            self.problems_only.setChecked(False)
            row = self.files.row_of(path)
        if row is None:
            return
        self._syncing = True
        try:
            index = self.files.index(row, 0)
            self.files_table.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
            )
            self.files_table.scrollTo(index)
        finally:
            self._syncing = False
