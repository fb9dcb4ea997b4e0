"""Artifacts view: list with sizes/digests/status, text and image previews read in a worker."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QImage

from swarmview.app.views.artifacts import ArtifactsView
from tests.app.conftest import OFFSCREEN_NOISE, load_and_verify, make_view

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"), pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)]


def _paths(view: ArtifactsView) -> list[str]:
    return [r["path"] for r in view.rows]


def _wait_preview(qtbot, view: ArtifactsView, path: str) -> None:
    """Select the row as a user would (the table may already have auto-selected its first row)."""
    row = view.model.view_row(_paths(view).index(path))
    view.table.selectRow(row)
    qtbot.waitUntil(lambda: view.preview is not None and view.preview.path == path, timeout=5_000)


def test_artifacts_fill_and_preview_text(qtbot, tmp_path) -> None:
    bundle, report = load_and_verify("rich", tmp_path)
    view, _ = make_view(qtbot, ArtifactsView, bundle, report)
    assert _paths(view) == ["artifacts/eval/summary.json", "artifacts/model/checkpoint-0003.bin", "artifacts/notes.md"]
    assert {r["status"] for r in view.rows} == {"ok"}
    _wait_preview(qtbot, view, "artifacts/notes.md")
    assert view.stack.currentWidget() is view.text
    assert view.text.toPlainText() == (bundle.root / "artifacts" / "notes.md").read_text()
    _wait_preview(qtbot, view, "artifacts/model/checkpoint-0003.bin")
    assert "Binary file" in view.preview.note
    assert view.containing_folder() == str(bundle.root / "artifacts" / "model")
    view.clear()
    assert view.pool.active_thread_count() == 0


def test_image_preview(qtbot, tmp_path) -> None:
    bundle, report = load_and_verify("rich", tmp_path)
    image = QImage(1600, 900, QImage.Format.Format_RGB32)
    image.fill(QColor(30, 120, 200))
    assert image.save(str(bundle.root / "artifacts" / "plot.png"))
    from swarmview.core.bundle import load_bundle

    bundle = load_bundle(bundle.root)
    view, _ = make_view(qtbot, ArtifactsView, bundle, report)
    assert "artifacts/plot.png" in _paths(view)
    _wait_preview(qtbot, view, "artifacts/plot.png")
    assert view.stack.currentWidget() is view.image
    assert view.preview.image.width() <= 640
    assert "1600×900 image" in view.preview.note


def test_missing_artifact_is_marked(qtbot, tmp_path) -> None:
    bundle, report = load_and_verify("rich_missing_artifact", tmp_path)
    view, _ = make_view(qtbot, ArtifactsView, bundle, report)
    row = next(r for r in view.rows if r["path"] == "artifacts/model/checkpoint-0003.bin")
    assert row["status"] == "missing"
    assert view.notice.isVisible()
    _wait_preview(qtbot, view, "artifacts/model/checkpoint-0003.bin")
    assert "No preview" in view.preview_note.text() and "missing" in view.preview_note.text()
