"""Single instance: a second ``swarmview open`` hands its paths to the running viewer and exits 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtNetwork import QLocalSocket

from swarmview.app.application import InstanceServer, hand_over, instance_name
from tests.app.conftest import OFFSCREEN_NOISE
from tests.helpers import copy_fixture

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"), pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)]
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def server(qtbot):
    received: list[list[str]] = []
    srv = InstanceServer(received.append)
    assert srv.listen()
    srv.received = received
    yield srv
    srv.close()


def test_name_depends_on_settings_folder(monkeypatch, tmp_path) -> None:
    first = instance_name()
    monkeypatch.setenv("SWARMVIEW_SETTINGS_DIR", str(tmp_path / "other"))
    assert instance_name() != first and instance_name().startswith("swarmview-")


def test_no_server_means_no_hand_over(tmp_path) -> None:
    assert hand_over([str(tmp_path)], name=f"swarmview-test-nobody-{os.getpid()}") is False


def test_second_launch_hands_paths_over(qtbot, server, tmp_path) -> None:
    root = copy_fixture("minimal", tmp_path)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.Popen([sys.executable, "-m", "swarmview", "open", str(root / "run.json")], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        qtbot.waitUntil(lambda: bool(server.received), timeout=30_000)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "running viewer" in err
    assert server.received == [[str(root)]]


def test_garbage_and_other_protocols_are_ignored(qtbot, server) -> None:
    for payload in (b"not json\n", b'{"protocol_version": 99, "args": ["/x"]}\n', b"\xff\xfe\n"):
        sock = QLocalSocket()
        sock.connectToServer(server.name)
        assert sock.waitForConnected(1000)
        sock.write(payload)
        assert sock.waitForBytesWritten(1000)
        qtbot.wait(50)
        sock.disconnectFromServer()
    qtbot.wait(100)
    assert server.received == []
