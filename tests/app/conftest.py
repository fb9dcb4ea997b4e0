"""Qt tests for the viewer: a real offscreen Qt, temporary settings, copies of the shared fixtures.

Every test gets its own settings folder (never the user's QSettings) and its own cache/data folders.
"""

from __future__ import annotations

import gc
import json
from pathlib import Path

import pytest

from tests.helpers import copy_fixture

#: Qt's offscreen platform warns about a window-manager feature it lacks; nothing of ours.
OFFSCREEN_NOISE = "This plugin does not support propagateSizeHints"


@pytest.fixture(autouse=True)
def _collect_on_the_gui_thread():
    """As in the app (``app/gc_guard.py``): no automatic collection during a Qt test, so a worker never
    runs the destructors of Qt objects left by earlier tests (a deadlock seen once in CI); collect here."""
    gc.collect()
    gc.disable()
    yield
    gc.collect()
    gc.enable()  # tests outside tests/app run with Python's usual collector


@pytest.fixture(autouse=True)
def _private_settings(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path_factory.mktemp("settings")
    monkeypatch.setenv("SWARMVIEW_SETTINGS_DIR", str(folder))
    monkeypatch.setenv("SWARMVIEW_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("SWARMVIEW_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    return folder


@pytest.fixture
def rich_copy(tmp_path: Path) -> Path:
    return copy_fixture("rich", tmp_path)


def slow_bundle(tmp_path: Path, gib: int = 4) -> Path:
    """A copy of ``rich`` listing a sparse multi-GiB artifact: hashing it takes seconds (cancel, close)."""
    root = copy_fixture("rich", tmp_path)
    big = root / "artifacts" / "big.bin"
    with open(big, "wb") as fh:
        fh.truncate(gib << 30)
    manifest = json.loads((root / "manifest.json").read_text())
    manifest["entries"].insert(0, {"path": "artifacts/big.bin", "sha256": "0" * 64, "bytes": gib << 30,
                                   "required": False})
    (root / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return root


@pytest.fixture
def window(qtbot):
    """A main window owned by the test; closed (workers joined) at the end."""
    from PySide6.QtWidgets import QApplication

    from swarmview.app.application import configure_application
    from swarmview.app.main_window import MainWindow
    from swarmview.app.settings import Settings

    configure_application(QApplication.instance())
    w = MainWindow(Settings())
    qtbot.addWidget(w)
    w.resize(1300, 850)
    w.show()
    yield w
    w.close()
    assert w.pool.active_thread_count() == 0


def open_and_settle(qtbot, window, path, timeout: int = 60_000) -> None:
    """Open ``path`` and wait until loading, verification and view preparation are all done."""
    with qtbot.waitSignal(window.run_settled, timeout=timeout):
        window.open_path(str(path))
    qtbot.wait(20)  # queued set_data calls land


def load_and_verify(name: str, tmp_path: Path) -> tuple[object, object]:
    """A fixture copy loaded and verified by the real core (what the shell hands to views)."""
    from swarmview.core.bundle import load_bundle
    from swarmview.core.verify.engine import verify

    root = copy_fixture(name, tmp_path)
    bundle = load_bundle(root)
    gen = verify(root)
    try:
        while True:
            next(gen)
    except StopIteration as stop:
        report = stop.value
    return bundle, report


def make_view(qtbot, cls, bundle, report=None):
    """A view on its own bus, filled exactly as the shell fills it (prepare in-thread here)."""
    from swarmview.app.selection import SelectionBus

    bus = SelectionBus()
    view = cls(bus)
    qtbot.addWidget(view)
    view.resize(1200, 700)
    view.set_data(bundle, cls.prepare(bundle))
    view.set_report(report)
    view.show()
    return view, bus
