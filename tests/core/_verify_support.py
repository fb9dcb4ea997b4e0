"""Helpers for the verify/finalize tests: fixture copies as upstream wrote them, and run helpers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import FIXTURES, REPO, VERDICTS, copy_fixture

#: Links the shared tree could not keep (it holds the link text as a regular file instead).
LINKS = {"minimal_symlink_inside": {"artifacts/run-link.json": "../run.json"}}


def copy_bundle(name: str, dest_parent: Path) -> Path:
    """``copy_fixture`` plus the symlinks of the fixture as upstream made it (README: a relative link)."""
    copy = copy_fixture(name, dest_parent)
    for rel, target in LINKS.get(name, {}).items():
        p = copy / rel
        if not p.is_symlink() and p.read_bytes() == target.encode():
            p.unlink()
            os.symlink(target, p)
    return copy


def verdict(name: str) -> dict:
    return json.loads((VERDICTS / f"{name}.json").read_text())


def fixture_manifest(name: str) -> bytes:
    return (FIXTURES / name / "manifest.json").read_bytes()


def run_cli(*args: str, timeout: float = 120, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real command line in a child process (what users run)."""
    full = dict(os.environ if env is None else env)
    full.setdefault("PYTHONPATH", str(REPO))
    return subprocess.run(
        [sys.executable, "-m", "swarmview", *args], capture_output=True, text=True, timeout=timeout, cwd=REPO, env=full
    )
