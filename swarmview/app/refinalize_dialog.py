"""Re-finalize from the viewer: show the diff the core computes, confirm, back up, rewrite, re-verify.

The plan (walk + hash) and the write both run in workers. The old manifest is backed up outside the
bundle (a backup inside would be listed by the next finalize) before the atomic rewrite; the window
re-verifies afterwards through the ``finalized`` signal.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from swarmview.app.workers import Task, TaskPool
from swarmview.core.verify.finalize import FinalizePlan, FinalizeResult, apply_finalize, plan_finalize


def backup_folder() -> Path:
    """``$SWARMVIEW_DATA_DIR`` (tests) or the user data folder, plus ``manifest-backups`` (VERIFY.md §9)."""
    override = os.environ.get("SWARMVIEW_DATA_DIR")
    base = Path(override) if override else Path(
        QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppLocalDataLocation)
    )
    return base / "manifest-backups"


class RefinalizeDialog(QDialog):
    """Plan → review the added/removed/changed entries → confirm → backup + atomic write."""

    finalized = Signal(object)  # FinalizeResult

    def __init__(self, root: Path, pool: TaskPool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Re-finalize manifest")
        self.setMinimumSize(640, 420)
        self.root = Path(root)
        self._pool = pool
        self._plan: FinalizePlan | None = None
        self.result: FinalizeResult | None = None
        self.summary = QLabel(f"Computing what the new manifest of <b>{self.root.name}</b> would list…")
        self.summary.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.diff = QPlainTextEdit()
        self.diff.setReadOnly(True)
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        fixed.setStyleHint(QFont.StyleHint.Monospace)
        self.diff.setFont(fixed)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.apply_button = self.buttons.addButton("Back up and rewrite manifest", QDialogButtonBox.ButtonRole.AcceptRole)
        self.apply_button.setEnabled(False)
        self.buttons.rejected.connect(self.reject)
        self.apply_button.clicked.connect(self._confirm)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.progress)
        layout.addWidget(self.diff, 1)
        layout.addWidget(self.buttons)
        self._start_plan()

    def _start_plan(self) -> None:
        task = Task("plan re-finalize", lambda cancel: plan_finalize(self.root))
        task.signals.done.connect(self._planned)
        task.signals.failed.connect(self._failed)
        self._pool.start(task)

    def _planned(self, plan: FinalizePlan) -> None:
        self._plan = plan
        self.progress.hide()
        changes = [line for line in plan.diff if line != "no changes"]
        if not changes:
            self.summary.setText("The manifest already lists every file exactly as a new finalize would: no changes.")
            self.diff.setPlainText("no changes")
            return
        added = sum(1 for line in changes if line.startswith("+"))
        removed = sum(1 for line in changes if line.startswith("-"))
        self.summary.setText(
            f"A new manifest would list <b>{len(plan.entries)}</b> files: {added} added, {removed} removed, "
            f"{len(changes) - added - removed} changed. Only accept this if you trust every file listed: "
            "re-finalizing declares the current contents intact. The old manifest is backed up to "
            f"<code>{backup_folder()}</code>."
        )
        self.diff.setPlainText("\n".join(changes))
        self.apply_button.setEnabled(True)

    def _failed(self, message: str) -> None:
        self.progress.hide()
        self.summary.setText(f"<b>Cannot re-finalize:</b> {message}")
        self.apply_button.setEnabled(False)

    def _confirm(self) -> None:
        if self._plan is None:
            return
        answer = QMessageBox.question(
            self, "Rewrite manifest?",
            f"Rewrite {self.root / 'manifest.json'}?\nThe current manifest is backed up first.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.apply_button.setEnabled(False)
        self.progress.show()
        plan = self._plan
        task = Task("re-finalize", lambda cancel: apply_finalize(plan, backup_folder()))
        task.signals.done.connect(self._applied)
        task.signals.failed.connect(self._failed)
        self._pool.start(task)

    def _applied(self, result: FinalizeResult) -> None:
        self.result = result
        self.progress.hide()
        self.finalized.emit(result)
        where = f" Backup: {result.backup}" if result.backup else ""
        self.summary.setText(f"Wrote {result.manifest} ({result.entries} entries).{where}")
        self.buttons.clear()
        self.buttons.addButton(QDialogButtonBox.StandardButton.Close).clicked.connect(self.accept)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
