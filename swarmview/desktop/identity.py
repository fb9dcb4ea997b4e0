"""The one application id used everywhere (desktop file, metainfo, Wayland app id, bundle id)."""

from __future__ import annotations

APP_ID = "io.github.swarmview.SwarmView"
DESKTOP_FILE = f"{APP_ID}.desktop"
MIME_TYPE = "application/x-swarmtorch-run"
