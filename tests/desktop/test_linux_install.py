"""`swarmview desktop install/uninstall --prefix DIR`, checked with the real freedesktop tools (issue 10)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from swarmview.desktop.identity import APP_ID, MIME_TYPE
from tests.desktop.conftest import require_tool

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="freedesktop integration is Linux-only")


def swarmview(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "swarmview", *args], capture_output=True, text=True, env=env, timeout=120
    )


def gio_content_type(path: Path, share: Path) -> str:
    gio = require_tool("gio")
    env = {**os.environ, "XDG_DATA_HOME": str(share), "XDG_DATA_DIRS": f"{share}:/usr/share"}
    out = subprocess.run(
        [gio, "info", "-a", "standard::content-type", str(path)], capture_output=True, text=True, env=env, check=True
    ).stdout
    return out.split("standard::content-type:")[1].strip()


@pytest.fixture
def installed(tmp_path: Path) -> Path:
    require_tool("update-mime-database")
    require_tool("update-desktop-database")
    prefix = tmp_path / "prefix"
    (prefix / "share" / "applications").mkdir(parents=True)
    (prefix / "share" / "applications" / "unrelated.txt").write_text("keep me")
    result = swarmview("desktop", "install", "--prefix", str(prefix))
    assert result.returncode == 0, result.stderr
    return prefix / "share"


def test_desktop_entry_validates_and_runs_an_absolute_launcher(installed: Path) -> None:
    validate = require_tool("desktop-file-validate")
    entry = installed / "applications" / f"{APP_ID}.desktop"
    result = subprocess.run([validate, str(entry)], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == "", result.stdout + result.stderr
    text = entry.read_text()
    exec_line = next(line for line in text.splitlines() if line.startswith("Exec="))
    program = exec_line.removeprefix("Exec=").split(" ")[0].strip('"')
    assert Path(program).is_absolute() and os.access(program, os.X_OK)
    assert exec_line.endswith(" open %F")
    assert f"MimeType={MIME_TYPE};" in text
    assert "inode/directory" not in text


def test_metainfo_validates(installed: Path) -> None:
    appstreamcli = require_tool("appstreamcli")
    metainfo = installed / "metainfo" / f"{APP_ID}.metainfo.xml"
    result = subprocess.run([appstreamcli, "validate", "--no-net", str(metainfo)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_run_json_gets_swarmview_mime_type_only_by_its_literal_name(installed: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "runs" / "abc"
    bundle.mkdir(parents=True)
    (bundle / "run.json").write_text('{"schema_version": 1}')
    (bundle / "config.json").write_text("{}")
    (bundle / "RUN.JSON").write_text("{}")
    assert (installed / "mime" / "mime.cache").is_file(), "update-mime-database did not run"
    assert gio_content_type(bundle / "run.json", installed) == MIME_TYPE
    assert gio_content_type(bundle / "config.json", installed) == "application/json"
    assert gio_content_type(bundle / "RUN.JSON", installed) == "application/json"
    # update-desktop-database registered the handler for our type.
    cache = (installed / "applications" / "mimeinfo.cache").read_text()
    assert f"{MIME_TYPE}={APP_ID}.desktop;" in cache


def test_uninstall_removes_everything_it_wrote_and_nothing_else(installed: Path, tmp_path: Path) -> None:
    before = {p for p in installed.rglob("*") if p.is_file()}
    result = swarmview("desktop", "uninstall", "--prefix", str(installed.parent))
    assert result.returncode == 0, result.stderr
    after = {p for p in installed.rglob("*") if p.is_file()}
    assert not any(APP_ID in p.name for p in after), sorted(after)
    assert (installed / "applications" / "unrelated.txt").read_text() == "keep me"
    assert after <= before  # nothing new but refreshed caches, which existed before
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "run.json").write_text("{}")
    assert gio_content_type(tmp_path / "r" / "run.json", installed) == "application/json"
    assert MIME_TYPE not in (installed / "applications" / "mimeinfo.cache").read_text()


def test_uninstall_when_not_installed_is_fine(tmp_path: Path) -> None:
    result = swarmview("desktop", "uninstall", "--prefix", str(tmp_path / "nothing"))
    assert result.returncode == 0, result.stderr


def test_install_into_unwritable_prefix_exits_3(tmp_path: Path) -> None:
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    result = swarmview("desktop", "install", "--prefix", str(blocker))
    assert result.returncode == 3
    assert "file-not-folder" in result.stderr


def test_set_default_writes_and_uninstall_forgets_the_association(tmp_path: Path) -> None:
    require_tool("xdg-mime")
    require_tool("update-mime-database")
    config = tmp_path / "config"
    env = {**os.environ, "XDG_CONFIG_HOME": str(config), "XDG_DATA_HOME": str(tmp_path / "data")}
    result = swarmview("desktop", "install", "--set-default", env=env)
    assert result.returncode == 0, result.stderr
    mimeapps = (config / "mimeapps.list").read_text()
    assert f"{MIME_TYPE}={APP_ID}.desktop" in mimeapps
    assert swarmview("desktop", "uninstall", env=env).returncode == 0
    assert f"{APP_ID}.desktop" not in (config / "mimeapps.list").read_text()
