"""File ▸ Export… and re-finalize from the viewer, in a real offscreen Qt (issue 9 §7)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from swarmview.app.export_dialog import ExportDialog
from swarmview.app.refinalize_dialog import RefinalizeDialog
from swarmview.app.workers import TaskPool
from tests.helpers import copy_fixture, snapshot_tree


@pytest.fixture
def pool(qtbot):
    p = TaskPool()
    yield p
    assert p.shutdown(10000)


def test_export_dialog_writes_a_verified_zip(qtbot, pool, tmp_path: Path) -> None:
    root = copy_fixture("rich", tmp_path)
    dialog = ExportDialog(root, "5eed0000c0ffee00a11ce0000000b0b0", pool)
    qtbot.addWidget(dialog)
    dialog.format.setCurrentIndex(dialog.format.findData("zip"))
    out = tmp_path / "exported.zip"
    dialog.output.setText(str(out))
    with qtbot.waitSignal(dialog.exported, timeout=60000) as blocker:
        dialog.export_button.click()
    assert blocker.args == [str(out)]
    assert out.read_bytes()[:2] == b"PK"
    assert "Wrote" in dialog.status.text()


def test_export_dialog_reports_a_damaged_run_and_leaves_nothing(qtbot, pool, tmp_path: Path) -> None:
    root = copy_fixture("rich_byte_flip", tmp_path)
    dialog = ExportDialog(root, None, pool)
    qtbot.addWidget(dialog)
    dialog.format.setCurrentIndex(dialog.format.findData("tar.gz"))
    out = tmp_path / "x.tar.gz"
    dialog.output.setText(str(out))
    dialog.export_button.click()
    qtbot.waitUntil(lambda: "failed" in dialog.status.text(), timeout=60000)
    assert "metrics.ndjson" in dialog.status.text() and not out.exists()


def test_refinalize_dialog_shows_the_diff_backs_up_and_rewrites(qtbot, pool, tmp_path: Path, monkeypatch) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("SWARMVIEW_DATA_DIR", str(data))
    root = copy_fixture("minimal_extra_unlisted", tmp_path)
    old_manifest = (root / "manifest.json").read_bytes()
    before = snapshot_tree(root)
    dialog = RefinalizeDialog(root, pool)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(dialog.apply_button.isEnabled, timeout=30000)
    assert "+ artifacts/untracked.txt" in dialog.diff.toPlainText()
    assert snapshot_tree(root) == before  # planning writes nothing
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(dialog.finalized, timeout=30000):
        dialog.apply_button.click()
    entries = [e["path"] for e in json.loads((root / "manifest.json").read_bytes())["entries"]]
    assert "artifacts/untracked.txt" in entries
    backups = list((data / "manifest-backups").rglob("*-manifest.json"))
    assert len(backups) == 1 and backups[0].read_bytes() == old_manifest
    assert not any(p.name.endswith(".tmp") for p in root.iterdir())
    assert os.path.commonpath([backups[0], root]) != str(root)  # the backup is outside the bundle


def test_refinalize_dialog_explains_a_refusal(qtbot, pool, tmp_path: Path) -> None:
    root = copy_fixture("legacy_alpha6", tmp_path)
    dialog = RefinalizeDialog(root, pool)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: "Cannot re-finalize" in dialog.summary.text(), timeout=30000)
    assert "missing required bundle file: datasets/registry_updates.ndjson" in dialog.summary.text()
    assert not dialog.apply_button.isEnabled()


def test_export_dialog_shows_byte_progress_for_archives(qtbot, pool, tmp_path: Path) -> None:
    root = copy_fixture("rich", tmp_path)
    dialog = ExportDialog(root, None, pool)
    qtbot.addWidget(dialog)
    dialog.format.setCurrentIndex(dialog.format.findData("tar.gz"))
    dialog.output.setText(str(tmp_path / "r.tar.gz"))
    seen: list[int] = []
    dialog._progressed.connect(lambda done, total: seen.append(int(done)))
    with qtbot.waitSignal(dialog.exported, timeout=60000):
        dialog.export_button.click()
    assert seen and seen == sorted(seen) and dialog.progress.maximum() == 1000
