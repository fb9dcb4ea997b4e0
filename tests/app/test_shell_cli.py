"""``swarmview open``: exit codes (VERIFY.md §10), offscreen screenshots, no Qt at CLI import time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from tests.helpers import copy_fixture, snapshot_tree

REPO = Path(__file__).resolve().parents[2]


def _run(args: list[str], tmp_path: Path, *, display: bool = False, timeout: int = 180) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["SWARMVIEW_SETTINGS_DIR"] = str(tmp_path / "settings")
    if display:
        env["QT_QPA_PLATFORM"] = "offscreen"
    return subprocess.run([sys.executable, "-m", "swarmview", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_open_not_a_bundle_exits_2(tmp_path) -> None:
    r = _run(["open", str(tmp_path / "nothing-here")], tmp_path)
    assert r.returncode == 2
    assert "not a bundle" in r.stderr


def test_open_without_display_exits_3(tmp_path) -> None:
    root = copy_fixture("minimal", tmp_path)
    r = _run(["open", str(root)], tmp_path)
    assert r.returncode == 3
    assert "no display" in r.stderr


def test_open_cmd_import_is_qt_free() -> None:
    code = ("import sys, swarmview.cli.open_cmd; "
            "bad=[m for m in sys.modules if m.startswith(('PySide6','shiboken6','pyqtgraph'))]; "
            "raise SystemExit(1 if bad else 0)")
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO).returncode == 0


def test_screenshot_writes_png_offscreen(tmp_path) -> None:
    """No DISPLAY and no QT_QPA_PLATFORM: --screenshot picks offscreen, waits, writes the window."""
    root = copy_fixture("rich", tmp_path)
    before = snapshot_tree(root)
    out = tmp_path / "shot.png"
    r = _run(["open", str(root / "run.json"), "--screenshot", str(out), "--view", "integrity", "--size", "1200x800"],
             tmp_path)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr and "failed" not in r.stderr, r.stderr  # captured after the run settled
    assert out.stat().st_size > 10_000
    assert out.stat().st_size < 300_000
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1200, 800)
    assert image.format() == QImage.Format.Format_Indexed8  # 256 colours of its own: small README images
    assert snapshot_tree(root) == before


def test_bare_path_routes_to_open(tmp_path) -> None:
    root = copy_fixture("minimal", tmp_path)
    out = tmp_path / "m.png"
    r = _run([str(root), "--screenshot", str(out)], tmp_path)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("size", ["12x9", "wide"])
def test_bad_size_is_a_usage_error(tmp_path, size) -> None:
    root = copy_fixture("minimal", tmp_path)
    r = _run(["open", str(root), "--screenshot", str(tmp_path / "x.png"), "--size", size], tmp_path)
    assert r.returncode == 2


def test_folder_of_runs_goes_to_the_runs_browser(tmp_path) -> None:
    from swarmview.cli.open_cmd import resolve_paths

    runs = tmp_path / "runs"
    a = copy_fixture("minimal", runs)
    b = copy_fixture("rich", runs)
    errors: list[str] = []
    folders: list[Path] = []
    assert resolve_paths([str(runs)], errors, folders) == [] and folders == [runs.resolve()]
    assert resolve_paths([str(runs)], errors) == [a, b]  # discovery in byte order of names
    assert resolve_paths([str(tmp_path / "none")], errors, folders) == [] and "not a bundle" in errors[-1]
    out = tmp_path / "first.png"  # --screenshot of a folder of runs shows its first run
    r = _run(["open", str(runs), "--screenshot", str(out)], tmp_path)
    assert r.returncode == 0, r.stderr
    assert out.stat().st_size > 0
