"""A second launch hands its paths to the first instance over a per-user local socket (issue 10)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SERVER = textwrap.dedent(
    """
    import sys
    from PySide6.QtCore import QCoreApplication, QTimer
    from swarmview.app.single_instance import SingleInstance
    app = QCoreApplication(sys.argv)
    inst = SingleInstance()
    assert not inst.forward_or_listen(["first"]), "nobody should be running yet"
    def got(paths, cwd):
        print("RECEIVED", paths, cwd, flush=True)
        app.quit()
    inst.paths_received.connect(got)
    print("LISTENING", inst.name, flush=True)
    QTimer.singleShot(20000, app.quit)
    app.exec()
    """
)
CLIENT = textwrap.dedent(
    """
    import sys
    from PySide6.QtCore import QCoreApplication
    from swarmview.app.single_instance import SingleInstance
    app = QCoreApplication(sys.argv)
    forwarded = SingleInstance().forward_or_listen(sys.argv[1:], cwd="/some/cwd")
    raise SystemExit(0 if forwarded else 7)
    """
)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    return {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "QT_QPA_PLATFORM": "offscreen"}


def test_second_process_forwards_paths_to_the_first(env: dict[str, str]) -> None:
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        assert line.startswith("LISTENING"), line + (server.stderr.read() if server.stderr else "")
        sock_path = line.split(" ", 1)[1].strip()
        assert Path(sock_path).parent == Path(env["XDG_RUNTIME_DIR"])
        assert (os.stat(sock_path).st_mode & 0o777) == 0o700
        client = subprocess.run(
            [sys.executable, "-c", CLIENT, "/runs/a", "relative/b"], env=env, timeout=30, capture_output=True, text=True
        )
        assert client.returncode == 0, client.stderr
        out, _ = server.communicate(timeout=30)
        assert "RECEIVED ['/runs/a', 'relative/b'] /some/cwd" in out
    finally:
        server.kill()
        server.wait()


def test_without_a_running_instance_the_launch_becomes_the_instance(env: dict[str, str]) -> None:
    client = subprocess.run([sys.executable, "-c", CLIENT, "/runs/a"], env=env, timeout=30)
    assert client.returncode == 7  # nobody took the paths: this process listens itself


def test_stale_socket_from_a_crash_is_replaced(env: dict[str, str]) -> None:
    crashed = subprocess.run(
        [sys.executable, "-c", SERVER.replace("app.exec()", "import os; os._exit(9)")],
        env=env, capture_output=True, text=True, timeout=30,
    )
    assert crashed.returncode == 9
    # The crashed process left its socket behind; a new launch must not hang or forward into it.
    client = subprocess.run([sys.executable, "-c", CLIENT, "/runs/a"], env=env, timeout=30)
    assert client.returncode == 7


def test_messages_are_versioned_and_validated() -> None:
    from swarmview.app.single_instance import decode_message, encode_message

    assert decode_message(encode_message(["a", "b"], "/c").strip()) == (["a", "b"], "/c")
    assert decode_message(b'{"protocol_version": 2, "args": [], "cwd": "/"}') is None
    assert decode_message(b"\xff\xfe") is None
    assert decode_message(b'{"protocol_version": 1, "args": [1], "cwd": "/"}') is None
