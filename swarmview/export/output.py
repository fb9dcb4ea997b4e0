"""Outputs appear whole or not at all: exports write beside the destination, then rename.

An export interrupted halfway (error, cancel, Ctrl-C) leaves nothing at the destination, and an
existing file there is replaced only by a complete new one.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from swarmview.core.errors import SwarmviewError


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _temp_beside(out: Path) -> Path:
    return out.with_name(f".{out.name}.{os.getpid()}.{secrets.token_hex(4)}.part")


@contextmanager
def atomic_output(out: Path) -> Iterator[Path]:
    """Yield a temporary file path beside ``out``; rename it over ``out`` only on success."""
    out = Path(out)
    if out.is_dir():
        raise SwarmviewError(f"{out}: is a folder; give a file name for the archive")
    if not out.parent.is_dir():
        raise SwarmviewError(f"{out.parent}: folder does not exist")
    tmp = _temp_beside(out)
    try:
        yield tmp
        os.replace(tmp, out)
        _fsync_dir(out.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_output_dir(out: Path) -> Iterator[Path]:
    """Yield a temporary folder beside ``out``; it becomes ``out`` only on success.

    ``out`` must not exist or be an empty folder: exports never mix with or overwrite other files.
    """
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise SwarmviewError(f"{out}: already exists and is not an empty folder")
    if not out.parent.is_dir():
        raise SwarmviewError(f"{out.parent}: folder does not exist")
    tmp = _temp_beside(out)
    tmp.mkdir()
    try:
        yield tmp
        if out.is_dir():
            out.rmdir()
        os.replace(tmp, out)
        _fsync_dir(out.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
