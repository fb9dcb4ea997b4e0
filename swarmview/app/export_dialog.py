"""File ▸ Export…: every export format of the CLI, run in a worker with progress and Cancel.

The exporters are the same functions ``swarmview export`` calls; they write beside the destination
and rename at the end, so Cancel (or an error) leaves nothing behind.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from swarmview.app.workers import Task, TaskPool
from swarmview.export.formats import FORMATS, ExportFormat
from swarmview.export.redact_rules import PRESETS

SUFFIX = {"tar.gz": ".tar.gz", "zip": ".zip", "chrome-trace": ".trace.json", "html": ".html"}


def default_output(root: Path, fmt: ExportFormat, run_id: str | None) -> Path:
    stem = run_id or root.name
    if fmt.output == "file":
        return root.parent / f"{stem}{SUFFIX.get(fmt.name, '.' + fmt.name)}"
    return root.parent / f"{stem}-{fmt.name}"


class ExportDialog(QDialog):
    """Choose a format and a destination; the export runs in a worker."""

    exported = Signal(str)  # the output path
    _progressed = Signal(object, object)  # bytes done, bytes total (emitted by the worker, queued here)

    def __init__(self, root: Path, run_id: str | None, pool: TaskPool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export run")
        self.setMinimumWidth(560)
        self.root, self.run_id, self._pool = Path(root), run_id, pool
        self._task: Task | None = None
        self.format = QComboBox()
        for fmt in FORMATS.values():
            self.format.addItem(f"{fmt.name} — {fmt.summary}", fmt.name)
        self.output = QLineEdit()
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.output, 1)
        row.addWidget(browse)
        self.presets = {name: QCheckBox(name) for name in PRESETS}
        preset_row = QHBoxLayout()
        for box in self.presets.values():
            box.setChecked(True)
            preset_row.addWidget(box)
        self.drop_artifacts = QCheckBox("leave artifacts/ out (they are copied uninspected otherwise)")
        form = QFormLayout()
        form.addRow("Format", self.format)
        form.addRow("Output", row)
        self.redaction_label = QLabel("Redact")
        form.addRow(self.redaction_label, preset_row)
        form.addRow("", self.drop_artifacts)
        self.progress = QProgressBar()
        self.progress.hide()
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton("Cancel export", QDialogButtonBox.ButtonRole.ActionRole)
        self.cancel_button.hide()
        self.export_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.format.currentIndexChanged.connect(self._format_changed)
        self._progressed.connect(self._show_progress)
        self._format_changed()

    @property
    def chosen(self) -> ExportFormat:
        return FORMATS[self.format.currentData()]

    def _format_changed(self) -> None:
        fmt = self.chosen
        self.output.setText(str(default_output(self.root, fmt, self.run_id)))
        redacting = fmt.name == "bundle"
        self.redaction_label.setVisible(redacting)
        for box in self.presets.values():
            box.setVisible(redacting)
        self.drop_artifacts.setVisible(redacting)

    def _browse(self) -> None:
        if self.chosen.output == "file":
            path, _ = QFileDialog.getSaveFileName(self, "Export to", self.output.text())
        else:
            path = QFileDialog.getExistingDirectory(self, "Export into a new folder under", str(self.root.parent))
            if path:
                path = str(Path(path) / Path(self.output.text()).name)
        if path:
            self.output.setText(path)

    def start(self) -> None:
        fmt, out = self.chosen, Path(self.output.text()).expanduser()
        options: dict[str, Any] = {"redact": ",".join(n for n, b in self.presets.items() if b.isChecked()),
                                   "drop_artifacts": self.drop_artifacts.isChecked()}
        try:
            exporter = fmt.load()
        except ImportError as exc:
            hint = f" (pip install 'swarmview[{fmt.extra}]')" if fmt.extra else ""
            self.status.setText(f"<b>{fmt.name} needs an optional package:</b> {exc.name or exc}{hint}")
            return
        root = self.root

        def run(cancel: threading.Event) -> str:
            exporter(root, out, cancel=cancel, progress=lambda done, total: self._progressed.emit(done, total),
                     **options)
            return str(out)

        self._task = Task(f"export {fmt.name}", run)
        self._task.signals.done.connect(self._done)
        self._task.signals.failed.connect(self._failed)
        self._pool.start(self._task)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.status.setText(f"Exporting to {out}…")
        self.export_button.setEnabled(False)
        self.cancel_button.show()

    def _show_progress(self, done: int, total: int) -> None:
        """Archives report bytes copied; other formats keep the busy indicator."""
        if total:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * done / total))

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self.status.setText("Cancelling… nothing will be left at the destination.")

    def _finish(self) -> None:
        self.progress.hide()
        self.cancel_button.hide()
        self.export_button.setEnabled(True)

    def _done(self, path: str) -> None:
        self._finish()
        cancelled = self._task is not None and self._task.cancelled
        self.status.setText("Export cancelled; nothing was written." if cancelled else f"Wrote {path}")
        if not cancelled:
            self.exported.emit(path)

    def _failed(self, message: str) -> None:
        self._finish()
        if self._task is not None and self._task.cancelled:
            self.status.setText("Export cancelled; nothing was written.")
        else:
            self.status.setText(f"<b>Export failed:</b> {message}")
