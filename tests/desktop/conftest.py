"""Desktop tests use the real freedesktop tools; CI installs them (``.ci/run``)."""

from __future__ import annotations

import os
import shutil

import pytest


def require_tool(name: str) -> str:
    """Path of a tool; a missing tool fails in CI (the install step is broken) and skips elsewhere."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed although .ci/run installs it")
        pytest.skip(f"{name} is not installed (apt-get install the packages .ci/run lists)")
    return path
