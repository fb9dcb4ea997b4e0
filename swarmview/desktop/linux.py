"""Freedesktop integration: a desktop entry, a MIME type for ``run.json``, AppStream metainfo, icons.

Double-clicking ``run.json`` in a file manager opens the run: shared-mime-info maps the literal file
name to ``application/x-swarmtorch-run`` (a subclass of JSON, so editors stay in "Open With"), and
the desktop entry handles that type. We never claim ``inode/directory``: desktops would then open
every folder in swarmview. ``Exec`` is an absolute path because GLib ignores entries whose program
is not found on the desktop session's ``PATH`` (STYLE_ANCHORS §4.1).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from swarmview.desktop.identity import APP_ID, DESKTOP_FILE, MIME_TYPE

Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]


class DesktopIntegrationError(Exception):
    """A file could not be written or removed, or a required tool failed (exit 3)."""


@dataclass
class Outcome:
    """What an install or uninstall did, for the command to print."""

    written: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    tools: list[str] = field(default_factory=list)  # one line per tool run: command and result


def share_dir(*, prefix: Path | None) -> Path:
    """``DIR/share`` for ``--prefix DIR``; otherwise the user's ``$XDG_DATA_HOME`` (``~/.local/share``)."""
    if prefix is not None:
        return Path(prefix).resolve() / "share"
    xdg = os.environ.get("XDG_DATA_HOME")
    return Path(xdg) if xdg else Path.home() / ".local" / "share"


def desktop_exec(launcher: Sequence[str]) -> str:
    """Quote the launcher per the Desktop Entry spec (double quotes; escape ``"`\\$``)."""

    def quote(arg: str) -> str:
        if arg and not any(c in arg for c in ' \t\n"\'\\><~|&;$*?#()`'):
            return arg
        escaped = "".join("\\" + c if c in '"`$\\' else c for c in arg)
        return f'"{escaped}"'

    return " ".join(quote(a) for a in launcher)


def _template(name: str) -> str:
    return resources.files("swarmview.resources").joinpath("linux", name).read_text(encoding="utf-8")


def planned_files(share: Path, launcher: Sequence[str]) -> dict[Path, bytes]:
    """Every file ``install`` writes, with its bytes: the same list ``uninstall`` removes."""
    entry = _template(f"{APP_ID}.desktop.in")
    entry = entry.replace("Exec=@LAUNCHER@", f"Exec={desktop_exec(launcher)}")
    entry = entry.replace("TryExec=@LAUNCHER@", f"TryExec={launcher[0]}")
    files: dict[Path, bytes] = {
        share / "applications" / DESKTOP_FILE: entry.encode("utf-8"),
        share / "mime" / "packages" / f"{APP_ID}.xml": _template(f"{APP_ID}.mime.xml").encode("utf-8"),
        share / "metainfo" / f"{APP_ID}.metainfo.xml": _template(f"{APP_ID}.metainfo.xml").encode("utf-8"),
    }
    icons = resources.files("swarmview.resources").joinpath("icons")
    files[share / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"] = (
        icons.joinpath(f"{APP_ID}.svg").read_bytes()
    )
    hicolor = icons.joinpath("hicolor")
    for size_dir in sorted(hicolor.iterdir(), key=lambda p: p.name):
        png = size_dir.joinpath("apps", f"{APP_ID}.png")
        if png.is_file():
            files[share / "icons" / "hicolor" / size_dir.name / "apps" / f"{APP_ID}.png"] = png.read_bytes()
    return files


def _run_tool(argv: Sequence[str], outcome: Outcome, runner: Runner, *, required: bool) -> None:
    """Run a database refresh tool when it exists; a missing optional tool is only noted."""
    if shutil.which(argv[0]) is None:
        outcome.tools.append(f"{argv[0]}: not installed, skipped")
        if required:
            raise DesktopIntegrationError(f"{argv[0]} is required but not installed")
        return
    result = runner(argv)
    status = "ok" if result.returncode == 0 else f"failed (exit {result.returncode})"
    outcome.tools.append(f"{shlex.join(argv)}: {status}")
    if result.returncode != 0:
        detail = (result.stderr or result.stdout or "").strip()
        raise DesktopIntegrationError(f"{shlex.join(argv)} failed: {detail}")


def _default_runner(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=60, check=False)


def refresh_databases(share: Path, outcome: Outcome, runner: Runner = _default_runner) -> None:
    """Rebuild the MIME and desktop caches so file managers see the change at once."""
    mime = share / "mime"
    if (mime / "packages").is_dir():
        _run_tool(["update-mime-database", str(mime)], outcome, runner, required=False)
    apps = share / "applications"
    if apps.is_dir():
        _run_tool(["update-desktop-database", str(apps)], outcome, runner, required=False)
    hicolor = share / "icons" / "hicolor"
    if (hicolor / "index.theme").is_file():
        _run_tool(["gtk-update-icon-cache", "-q", "-t", "-f", str(hicolor)], outcome, runner, required=False)


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def install(
    share: Path, launcher: Sequence[str], *, set_default: bool = False, runner: Runner = _default_runner
) -> Outcome:
    """Write the entry, MIME package, metainfo and icons under ``share``; refresh the caches."""
    outcome = Outcome()
    try:
        for path, data in planned_files(share, launcher).items():
            _write_atomic(path, data)
            outcome.written.append(path)
    except OSError as exc:
        raise DesktopIntegrationError(f"{exc.filename or share}: {exc.strerror or exc}") from exc
    refresh_databases(share, outcome, runner)
    if set_default:
        _run_tool(["xdg-mime", "default", DESKTOP_FILE, MIME_TYPE], outcome, runner, required=True)
    return outcome


def uninstall(share: Path, *, runner: Runner = _default_runner) -> Outcome:
    """Remove exactly what ``install`` writes (nothing else), then refresh the caches."""
    outcome = Outcome()
    try:
        for path in planned_files(share, ["swarmview"]):
            if path.is_file() or path.is_symlink():
                path.unlink()
                outcome.removed.append(path)
    except OSError as exc:
        raise DesktopIntegrationError(f"{exc.filename or share}: {exc.strerror or exc}") from exc
    refresh_databases(share, outcome, runner)
    _forget_default(outcome)
    return outcome


def _forget_default(outcome: Outcome) -> None:
    """Drop our association from the user's ``mimeapps.list`` if ``--set-default`` put one there."""
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "mimeapps.list"
    if not config.is_file():
        return
    lines = config.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [ln for ln in lines if not (ln.startswith(f"{MIME_TYPE}=") and DESKTOP_FILE in ln)]
    if kept != lines:
        _write_atomic(config, "".join(kept).encode("utf-8"))
        outcome.tools.append(f"{config}: default handler for {MIME_TYPE} removed")
