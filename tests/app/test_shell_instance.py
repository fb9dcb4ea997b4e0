"""``swarmview open`` with a viewer already running: the paths go to it, the launch exits 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.app.conftest import OFFSCREEN_NOISE
from tests.helpers import copy_fixture

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"), pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)]
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def private_runtime(tmp_path, monkeypatch) -> dict[str, str]:
    """Socket and config folders of our own: never talk to a viewer the user has open."""
    env = {"XDG_RUNTIME_DIR": str(tmp_path / "run"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    for key, value in env.items():
        Path(value).mkdir(mode=0o700)
        monkeypatch.setenv(key, value)
    return env


def test_second_launch_hands_paths_to_the_running_viewer(qtbot, private_runtime, tmp_path) -> None:
    single_instance = pytest.importorskip("swarmview.app.single_instance")
    running = single_instance.SingleInstance()
    assert running.forward_or_listen([]) is False  # we are the running viewer now
    received: list[tuple[list[str], str]] = []
    running.paths_received.connect(lambda paths, cwd: received.append((paths, cwd)))
    root = copy_fixture("minimal", tmp_path)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", **private_runtime)
    proc = subprocess.Popen([sys.executable, "-m", "swarmview", "open", str(root / "run.json")], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        qtbot.waitUntil(lambda: bool(received), timeout=30_000)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        running.close()
    assert proc.returncode == 0, err
    assert "running viewer" in err
    assert received[0][0] == [str(root)]  # the launch resolved run.json to its bundle root
