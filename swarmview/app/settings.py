"""Persistent viewer settings (QSettings): geometry, dock state, recent runs, theme, last view.

Tests and scripted runs point the store at a folder with ``SWARMVIEW_SETTINGS_DIR`` (INI file there), so
they never read or write the user's real settings.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

ORGANIZATION = "swarmview"
APPLICATION = "SwarmView"
SCHEMA_VERSION = 1
MAX_RECENT = 10
SETTINGS_DIR_ENV = "SWARMVIEW_SETTINGS_DIR"


def _as_list(value: object) -> list[str]:
    """QSettings returns a str for a one-item list in INI files, and None for nothing."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    return [str(v) for v in value]  # type: ignore[union-attr]


class Settings:
    """Typed access to the viewer's QSettings; one instance per window is fine (they share the store)."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        folder = path if path is not None else os.environ.get(SETTINGS_DIR_ENV)
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            self.qsettings = QSettings(str(Path(folder) / "swarmview.ini"), QSettings.Format.IniFormat)
        else:
            self.qsettings = QSettings(ORGANIZATION, APPLICATION)
        if self.qsettings.value("schema_version") is None:
            self.qsettings.setValue("schema_version", SCHEMA_VERSION)

    # -- recent runs ------------------------------------------------------------------------------
    def recent_runs(self) -> list[str]:
        return _as_list(self.qsettings.value("recent_runs"))

    def add_recent_run(self, root: str | os.PathLike[str]) -> list[str]:
        path = os.fspath(root)
        runs = [path, *(r for r in self.recent_runs() if r != path)][:MAX_RECENT]
        self.qsettings.setValue("recent_runs", runs)
        return runs

    def clear_recent_runs(self) -> None:
        self.qsettings.setValue("recent_runs", [])

    # -- window ----------------------------------------------------------------------------------
    def geometry(self) -> QByteArray | None:
        value = self.qsettings.value("window/geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def window_state(self) -> QByteArray | None:
        value = self.qsettings.value("window/state")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def save_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self.qsettings.setValue("window/geometry", geometry)
        self.qsettings.setValue("window/state", state)

    def last_view(self) -> str:
        return str(self.qsettings.value("window/last_view", "overview") or "overview")

    def set_last_view(self, name: str) -> None:
        self.qsettings.setValue("window/last_view", name)

    # -- theme -----------------------------------------------------------------------------------
    def theme(self) -> str:
        """"system" (follow the desktop's colour scheme), "dark" or "light"."""
        value = str(self.qsettings.value("theme", "system") or "system")
        return value if value in ("system", "dark", "light") else "system"

    def set_theme(self, theme: str) -> None:
        self.qsettings.setValue("theme", theme)

    def sync(self) -> None:
        self.qsettings.sync()
