"""Double-click opening for real: under Xvfb, `gio open run.json` starts swarmview on that run (issue 10).

The desktop entry and MIME package are installed into temporary XDG folders with
`swarmview desktop install --set-default`; GLib then resolves `run.json` to our type, picks our entry
and runs its absolute `Exec`. The window must appear on the virtual screen, titled after the run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.desktop.conftest import require_tool
from tests.helpers import copy_fixture

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="freedesktop integration is Linux-only")


def free_display() -> int:
    for n in range(90, 140):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    raise RuntimeError("no free X display number")


@pytest.fixture
def xvfb():
    binary = require_tool("Xvfb")
    display = free_display()
    proc = subprocess.Popen([binary, f":{display}", "-screen", "0", "1400x900x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while not Path(f"/tmp/.X11-unix/X{display}").exists():
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail("Xvfb did not start")
        time.sleep(0.1)
    yield f":{display}"
    proc.terminate()
    proc.wait(10)


def window_names(display: str) -> list[str]:
    out = subprocess.run([require_tool("xwininfo"), "-root", "-tree", "-display", display],
                         capture_output=True, text=True, timeout=30).stdout
    return [line.split('"')[1] for line in out.splitlines() if line.count('"') >= 2]


def test_gio_open_on_run_json_opens_the_run_in_a_real_window(xvfb: str, tmp_path: Path) -> None:
    gio = require_tool("gio")
    require_tool("update-mime-database")
    require_tool("xdg-mime")
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env.update(DISPLAY=xvfb, XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_DIRS=f"{tmp_path / 'data'}:/usr/share", XDG_RUNTIME_DIR=str(runtime),
               SWARMVIEW_DATA_DIR=str(tmp_path / "sv-data"), XDG_CURRENT_DESKTOP="X-Generic")
    install = subprocess.run([sys.executable, "-m", "swarmview", "desktop", "install", "--set-default"],
                             env=env, capture_output=True, text=True, timeout=120)
    assert install.returncode == 0, install.stderr
    root = copy_fixture("rich", tmp_path / "runs")
    subprocess.run([gio, "open", str(root / "run.json")], env=env, check=True, timeout=60)
    try:
        deadline = time.monotonic() + 90
        title = None
        while time.monotonic() < deadline and title is None:
            title = next((n for n in window_names(xvfb) if n.startswith(root.name + " ") and "SwarmView" in n), None)
            time.sleep(0.5)
        assert title is not None, window_names(xvfb)
        time.sleep(3)  # let verification paint the banner before the screenshot
        from PIL import ImageGrab

        shot = ImageGrab.grab(xdisplay=xvfb)
        shot.save(tmp_path / "gio-open.png")
        colours = shot.convert("RGB").getcolors(maxcolors=1 << 16)
        assert colours is None or len(colours) > 50, "the screen is blank"
        artifacts = os.environ.get("SWARMVIEW_TEST_ARTIFACTS")
        if artifacts:
            shot.save(Path(artifacts) / "gio-open.png")
    finally:  # GLib started the app, not us: stop it by its command line
        subprocess.run(["pkill", "-TERM", "-f", f"open {root}"], check=False)
        time.sleep(1)
        subprocess.run(["pkill", "-KILL", "-f", f"open {root}"], check=False)
