"""Shared test helpers: where the read-only fixtures are, and how to copy them safely."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = (REPO.parent / "shared").resolve()
FIXTURES = SHARED / "fixtures" / "upstream"
VERDICTS = FIXTURES / "verdicts"
VECTORS = SHARED / "spec" / "vectors"

FIXTURE_NAMES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir() and p.name != "verdicts")


def copy_fixture(name: str, dest_parent: Path) -> Path:
    """Copy a fixture (links kept as links) and add the user write bit, as VERIFY.md §14 asks."""
    dest = dest_parent / name
    shutil.copytree(FIXTURES / name, dest, symlinks=True)
    for dirpath, dirnames, filenames in os.walk(dest):
        for entry in [dirpath, *(os.path.join(dirpath, n) for n in dirnames + filenames)]:
            st = os.lstat(entry)
            if not stat.S_ISLNK(st.st_mode):
                os.chmod(entry, st.st_mode | stat.S_IWUSR)
    return dest


def snapshot_tree(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file's bytes and mtime_ns (links: their target text), to prove nothing was written."""
    state: dict[str, tuple[bytes, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            rel = os.path.relpath(p, root)
            if stat.S_ISLNK(st.st_mode):
                state[rel] = (os.readlink(p).encode(), st.st_mtime_ns)
            elif stat.S_ISREG(st.st_mode):
                state[rel] = (Path(p).read_bytes(), st.st_mtime_ns)
            else:
                state[rel] = (b"", st.st_mtime_ns)
    return state
