"""Test configuration: Qt runs offscreen, fixtures are read-only inputs."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("SWARMVIEW_DATA_DIR", os.path.join(os.environ.get("TMPDIR", "/tmp"), "swarmview-test-data"))
