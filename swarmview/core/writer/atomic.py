"""File primitives of the writer: atomic whole-file replacement and single-write appends (§15.2–§15.3).

Upstream writes ``<name>.tmp`` (a fixed name), fsyncs it ignoring errors, renames it and never
fsyncs the folder (F-27, F-28). swarmview is stricter where it costs nothing in bytes:

- the temp name is unique (``<name>.<pid>-<random>.tmp``), so two writers never share a temp file,
  and it still ends in ``.tmp`` so a leftover from a crash is never listed by a finalize (§1.6);
- fsync errors are raised, not ignored, and the folder is fsynced after the rename, so a finished
  write survives power loss;
- a failed write removes its temp file and leaves the target untouched.

Appends are one ``write`` of ``record + "\\n"`` (looped only when the kernel writes less) to a file
opened with ``O_APPEND``, exactly as upstream's ``write_all`` on an append-mode file.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from swarmview.core.errors import BundleWriteError
from swarmview.core.verify.oserr import as_upstream

_O_BINARY = getattr(os, "O_BINARY", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def os_error(exc: OSError) -> BundleWriteError:
    """An ``OSError`` as the writer reports it: Rust's kind and ``<text> (os error N)``, plus the path."""
    upstream = as_upstream(exc)
    return BundleWriteError(upstream.kind, upstream.message)


def fsync_folder(folder: str | os.PathLike[str]) -> None:
    """Make a rename or a new file in ``folder`` durable (no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY | _O_CLOEXEC)
    except OSError:  # Windows cannot open folders; NTFS journals the rename itself
        return
    try:
        os.fsync(fd)
    except OSError as exc:  # some file systems refuse fsync on folders: nothing more can be done
        if exc.errno not in (22, 95):  # EINVAL, EOPNOTSUPP
            raise
    finally:
        os.close(fd)


def temp_path_for(target: Path) -> Path:
    """The unique temp name used for ``target`` (same folder, ends in ``.tmp``)."""
    return target.with_name(f"{target.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def atomic_write(target: str | os.PathLike[str], data: bytes) -> None:
    """Replace ``target`` with ``data`` atomically: temp file, fsync, rename, folder fsync.

    Creates the parent folder if needed (as upstream does). Raises ``BundleWriteError`` with the OS
    error's kind and text; the target is then unchanged and no temp file is left behind.
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = temp_path_for(target)
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY | _O_CLOEXEC, 0o644)
    except OSError as exc:
        raise os_error(exc) from exc
    try:
        try:
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise os_error(exc) from exc
    try:
        fsync_folder(target.parent)
    except OSError as exc:
        raise os_error(exc) from exc


def append_bytes(target: str | os.PathLike[str], data: bytes) -> None:
    """Append ``data`` (one or more complete ``record\\n`` lines) with one write in append mode."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | _O_BINARY | _O_CLOEXEC
    try:
        try:
            fd = os.open(target, flags, 0o644)
        except FileNotFoundError:  # parent folder missing: create it, as upstream does
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(target, flags, 0o644)
    except OSError as exc:
        raise os_error(exc) from exc
    try:
        _write_all(fd, data)
    except OSError as exc:
        raise os_error(exc) from exc
    finally:
        os.close(fd)


def ensure_file(target: str | os.PathLike[str]) -> None:
    """Create an empty file if absent; never truncate (``io.rs:ensure_file``)."""
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | _O_BINARY | _O_CLOEXEC, 0o644)
    except OSError as exc:
        raise os_error(exc) from exc
    os.close(fd)


def fsync_file(target: str | os.PathLike[str]) -> None:
    """fsync an existing file (appends are flushed, not synced, until finalize: F-28)."""
    try:
        fd = os.open(target, os.O_RDONLY | _O_BINARY | _O_CLOEXEC)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise os_error(exc) from exc
    try:
        os.fsync(fd)
    except OSError as exc:
        raise os_error(exc) from exc
    finally:
        os.close(fd)
