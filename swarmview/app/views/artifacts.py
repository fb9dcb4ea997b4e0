"""Artifacts: the user's files under ``artifacts/`` with sizes, digests and verification status,
plus a preview (images through QImageReader, text) read in a worker, never from a FIFO or a link.
"""

from __future__ import annotations

import os
import stat
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QModelIndex, QSize, Qt, QUrl
from PySide6.QtGui import QColor, QDesktopServices, QFontDatabase, QImage, QImageReader, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from swarmview.app.models.format import short_hex, size
from swarmview.app.models.table import Column, ColumnTableModel
from swarmview.app.selection import SelectionBus
from swarmview.app.views.base import INTACT_STATUSES, STATUS_WORDS, DamageNotice, RunView, report_json
from swarmview.app.views.integrity import table_view
from swarmview.app.workers import Task, TaskPool

TEXT_LIMIT = 64 * 1024
IMAGE_LIMIT = 64 * 1024 * 1024
PREVIEW_SIZE = QSize(640, 480)
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".svg", ".ico", ".ppm", ".pgm"}


@dataclass
class Preview:
    """What the worker read: an image, text, or a sentence saying why there is no preview."""

    path: str
    image: QImage | None = None
    text: str | None = None
    note: str = ""


def _read_regular(path: str, limit: int) -> tuple[bytes, int]:
    """Up to ``limit`` bytes of a regular file (no FIFO, device or link is ever opened)."""
    st = os.lstat(path)
    if not stat.S_ISREG(st.st_mode):
        raise OSError(f"not a regular file ({'symbolic link' if stat.S_ISLNK(st.st_mode) else 'special file'})")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    with os.fdopen(fd, "rb") as fh:
        return fh.read(limit), st.st_size


def load_preview(root: str, rel: str, cancel: threading.Event | None = None) -> Preview:
    """Runs in a worker (QImage is safe off the GUI thread)."""
    full = os.path.join(root, rel)
    suffix = Path(rel).suffix.lower()
    try:
        data, total = _read_regular(full, IMAGE_LIMIT if suffix in IMAGE_SUFFIXES else TEXT_LIMIT)
    except OSError as exc:
        return Preview(rel, note=f"No preview: {exc.strerror or exc}")
    if cancel is not None and cancel.is_set():
        return Preview(rel, note="")
    if suffix in IMAGE_SUFFIXES:
        buffer = QBuffer()
        buffer.setData(QByteArray(data))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        reader = QImageReader(buffer)
        original = reader.size()
        if original.isValid() and (original.width() > PREVIEW_SIZE.width() or original.height() > PREVIEW_SIZE.height()):
            reader.setScaledSize(original.scaled(PREVIEW_SIZE, Qt.AspectRatioMode.KeepAspectRatio))
        image = reader.read()
        if image.isNull():
            return Preview(rel, note=f"No preview: {reader.errorString()}")
        return Preview(rel, image=image, note=f"{original.width()}×{original.height()} image, {size(total)}")
    if b"\0" in data[:8192]:
        return Preview(rel, note=f"Binary file, {size(total)}: no preview.")
    text = data.decode("utf-8", errors="replace")
    note = f"{size(total)}" + (f" (first {size(TEXT_LIMIT)} shown)" if total > len(data) else "")
    return Preview(rel, text=text, note=note)


class ArtifactsView(RunView):
    view_name = "artifacts"
    needs_metrics = False
    title = "Artifacts"

    def __init__(self, bus: SelectionBus, parent: QWidget | None = None) -> None:
        super().__init__(bus, parent)
        self.root = ""
        self.rows: list[dict[str, Any]] = []
        self.pool = TaskPool(max_threads=1, parent=self)
        self._preview_task: Task | None = None
        self.notice = DamageNotice(self)
        r = lambda i: self.rows[i]  # noqa: E731
        self.model = ColumnTableModel([
            Column("Path", lambda i: r(i)["path"].removeprefix("artifacts/")),
            Column("Size", lambda i: size(r(i).get("bytes")), numeric=True),
            Column("SHA-256 (manifest)", lambda i: short_hex(r(i).get("expected_sha256"), 16),
                   tooltip=lambda i: str(r(i).get("expected_sha256") or "not in the manifest")),
            Column("Status", lambda i: STATUS_WORDS.get(r(i)["status"], r(i)["status"])),
        ], 0, foreground=self._color, parent=self)
        self.table = table_view(self)
        self.table.setModel(self.model)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.summary = QLabel("No run open.", self)
        self.preview_title = QLabel("Select an artifact to preview it.", self)
        self.preview_title.setWordWrap(True)
        self.preview_note = QLabel(self)
        self.preview_note.setWordWrap(True)
        self.image = QLabel(self)
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text = QPlainTextEdit(self)
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.stack = QStackedWidget(self)
        self.stack.addWidget(QLabel("", self))
        self.stack.addWidget(self.image)
        self.stack.addWidget(self.text)
        self.open_folder = QPushButton("Open Containing Folder", self)
        self.open_folder.setEnabled(False)
        self.open_folder.clicked.connect(self._open_folder)
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        head.addWidget(self.preview_title, 1)
        head.addWidget(self.open_folder)
        right_layout.addLayout(head)
        right_layout.addWidget(self.preview_note)
        right_layout.addWidget(self.stack, 1)
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.summary)
        left_layout.addWidget(self.table)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.notice)
        layout.addWidget(split, 1)
        self.current_path: str | None = None
        self.preview: Preview | None = None
        self._quiet = False
        bus.file_selected.connect(self._follow_file)

    def _color(self, i: int) -> QColor | None:
        status = self.rows[i]["status"]
        if status in INTACT_STATUSES or status == "pending":
            return None
        return QColor(200, 150, 30) if status == "unlisted" else QColor(220, 70, 60)

    # -- data ------------------------------------------------------------------------------------
    def set_data(self, bundle: Any, prepared: object) -> None:
        self.root = str(getattr(bundle, "root", ""))
        manifest = getattr(bundle, "manifest", None) or {}
        rows: dict[str, dict[str, Any]] = {}
        for e in manifest.get("entries") or []:
            p = str(e.get("path", ""))
            if p.startswith("artifacts/"):
                rows[p] = {"path": p, "bytes": e.get("bytes"), "expected_sha256": e.get("sha256"), "status": "pending"}
        for p, n in getattr(bundle, "artifacts", None) or []:
            row = rows.setdefault(p, {"path": p, "expected_sha256": None, "status": "unlisted" if manifest else "pending"})
            row["bytes"] = n
        self.rows = sorted(rows.values(), key=lambda r: r["path"])
        self.model.reset(len(self.rows))
        total = sum(int(r.get("bytes") or 0) for r in self.rows)
        self.summary.setText(f"{len(self.rows)} artifacts, {size(total)}" if self.rows else "This run has no artifacts.")
        self.table.resizeColumnsToContents()
        if self.rows and not self.table.currentIndex().isValid():
            self._quiet = True  # show the first preview without stealing the details panel
            try:
                self.table.selectRow(0)
            finally:
                self._quiet = False

    def set_report(self, report: Any | None) -> None:
        data = report_json(report)
        if data is None:
            return
        by_path = {str(f.get("path")): f for f in data.get("files") or []}
        for row in self.rows:
            f = by_path.get(row["path"])
            if f is not None:
                row["status"] = str(f.get("status"))
                row["bytes"] = f.get("bytes") if f.get("bytes") is not None else row.get("bytes")
        known = {r["path"] for r in self.rows}
        for p, f in by_path.items():
            if p.startswith("artifacts/") and p not in known:
                self.rows.append({"path": p, "bytes": f.get("bytes"), "expected_sha256": f.get("expected_sha256"),
                                  "status": str(f.get("status"))})
        self.rows.sort(key=lambda r: r["path"])
        self.model.reset(len(self.rows))
        bad = [r for r in self.rows if r["status"] not in INTACT_STATUSES and r["status"] != "unlisted"]
        self.notice.setText(f"⚠ {len(bad)} artifact(s) failed verification; their content cannot be trusted." if bad else "")
        self.notice.setVisible(bool(bad))
        if self.current_path:
            self._show_status_note()

    def clear(self) -> None:
        self.pool.shutdown(5000)
        self.rows = []
        self.root = ""
        self.model.reset(0)
        self.summary.setText("No run open.")
        self._reset_preview()
        self.notice.hide()

    def _reset_preview(self) -> None:
        self.current_path = None
        self.preview = None
        self.preview_title.setText("Select an artifact to preview it.")
        self.preview_note.clear()
        self.stack.setCurrentIndex(0)
        self.open_folder.setEnabled(False)

    # -- preview ---------------------------------------------------------------------------------
    def _row_changed(self, current: QModelIndex, _prev: QModelIndex) -> None:
        if not current.isValid():
            return
        row = self.rows[self.model.source_row(current.row())]
        self.show_preview(row["path"])
        if not self._quiet:
            self.bus.file_selected.emit(row["path"])

    def _follow_file(self, path: str) -> None:
        if path.startswith("artifacts/") and path != self.current_path and any(r["path"] == path for r in self.rows):
            self.show_preview(path)

    def show_preview(self, rel: str) -> None:
        if self._preview_task is not None:
            self._preview_task.cancel()
        self.current_path = rel
        self.preview = None
        self.preview_title.setText(rel)
        self.preview_note.setText("Reading…")
        self.open_folder.setEnabled(bool(self.root))
        root = self.root
        task = Task(f"preview {rel}", lambda ev: load_preview(root, rel, ev))
        task.signals.done.connect(self._preview_ready)
        self._preview_task = task
        self.pool.start(task)

    def _preview_ready(self, preview: Preview) -> None:
        if preview.path != self.current_path:
            return
        self.preview = preview
        if preview.image is not None:
            self.image.setPixmap(QPixmap.fromImage(preview.image))
            self.stack.setCurrentWidget(self.image)
        elif preview.text is not None:
            self.text.setPlainText(preview.text)
            self.stack.setCurrentWidget(self.text)
        else:
            self.stack.setCurrentIndex(0)
        self.preview_note.setText(preview.note)
        self._show_status_note()

    def _show_status_note(self) -> None:
        row = next((r for r in self.rows if r["path"] == self.current_path), None)
        if row is None or row["status"] in INTACT_STATUSES or row["status"] == "pending":
            return
        note = self.preview_note.text().split("\n⚠")[0]
        self.preview_note.setText(f"{note}\n⚠ This file is {STATUS_WORDS.get(row['status'], row['status'])}: "
                                  "its content is not what the manifest recorded." if row["status"] != "unlisted"
                                  else f"{note}\n⚠ Not in the manifest: its content is not protected.")

    def containing_folder(self) -> str | None:
        if not self.root or not self.current_path:
            return None
        return os.path.dirname(os.path.join(self.root, self.current_path))

    def _open_folder(self) -> None:
        folder = self.containing_folder()
        if folder:
            QDesktopServices.openUrl(QUrl.fromLocalFile(folder))
