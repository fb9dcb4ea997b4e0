"""Verified, reproducible archives of a bundle (``--format tar.gz|zip``).

Only what the manifest lists (plus the manifest itself) goes in, under one folder named after the
run id, in manifest order, with fixed member metadata and a fixed gzip header: the same bundle gives
the same archive bytes wherever and whenever it is exported. Every file is hashed while it is copied;
any difference from the manifest aborts the export, and nothing is left at the destination (the
archive is written to a temporary file beside it and renamed only when complete).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import stat
import tarfile
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from swarmview.core.errors import SwarmviewError
from swarmview.core.jsontext import decode, types
from swarmview.core.jsontext.decode import JsonError
from swarmview.core.verify.paths import canonical_problem
from swarmview.export.output import atomic_output

ArchiveFormat = Literal["tar.gz", "zip"]
GZIP_LEVEL = 6
ZIP_LEVEL = 6
FILE_MODE = 0o644
DIR_MODE = 0o755
READ_SIZE = 1 << 20
ZIP_EPOCH = 315532800  # 1980-01-01, the earliest time a zip member can carry

Progress = Callable[[int, int], None]  # bytes done, bytes total


class ExportMismatchError(SwarmviewError):
    """A file differs from the manifest (exit 1); nothing was written."""


class ExportCancelled(SwarmviewError):
    """The user cancelled (exit 130); nothing was written."""


@dataclass(frozen=True)
class ArchiveEntry:
    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class ArchivePlan:
    """What goes into the archive, read from ``run.json`` and ``manifest.json``."""

    root: Path
    run_id: str
    mtime: int  # seconds since the epoch, from run.json's created_unix_nanos
    manifest_bytes: bytes
    entries: tuple[ArchiveEntry, ...]

    @property
    def top(self) -> str:
        return self.run_id


def plan_archive(root: Path) -> ArchivePlan:
    """Read the run id, creation time and entries; refuse what cannot be archived faithfully."""
    run_bytes = _read_small(root / "run.json", "run.json")
    manifest_bytes = _read_small(root / "manifest.json", "manifest.json")
    try:
        run = decode(run_bytes, types.RUN_FILE_V1, reader="io")
    except JsonError as exc:
        raise ExportMismatchError(f"run.json:{exc.line}:{exc.column}: {exc.message}") from exc
    try:
        manifest = decode(manifest_bytes, types.MANIFEST_V1, reader="io")
    except JsonError as exc:
        raise ExportMismatchError(f"manifest.json:{exc.line}:{exc.column}: {exc.message}") from exc
    if manifest["run_id"] != run["run_id"]:
        raise ExportMismatchError(
            f"manifest.json: run_id {manifest['run_id']} differs from run.json's {run['run_id']}"
        )
    if manifest["hash_algo"] != "sha256":
        raise ExportMismatchError(f"manifest.json: hash_algo {manifest['hash_algo']!r} is not supported")
    entries: list[ArchiveEntry] = []
    seen: set[str] = set()
    for entry in manifest["entries"]:
        path = entry["path"]
        problem = canonical_problem(path)
        if problem is not None:
            raise ExportMismatchError(f"manifest entry {path!r} is not a canonical bundle path ({problem})")
        if path in seen or path == "manifest.json":
            raise ExportMismatchError(f"manifest lists {path} more than once")
        seen.add(path)
        entries.append(ArchiveEntry(path, entry["bytes"], entry["sha256"]))
    return ArchivePlan(
        root=root,
        run_id=run["run_id"],
        mtime=run["created_unix_nanos"] // 1_000_000_000,
        manifest_bytes=manifest_bytes,
        entries=tuple(entries),
    )


def _read_small(path: Path, rel: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise ExportMismatchError(f"{rel}: not found; only a finalized bundle can be archived") from exc
    except OSError as exc:
        raise SwarmviewError(f"{rel}: {exc.strerror or exc}") from exc


class _HashingReader(io.RawIOBase):
    """Reads a listed file once, hashing what passes through, and checks it against the manifest."""

    def __init__(self, plan: ArchivePlan, entry: ArchiveEntry, on_bytes: Callable[[int], None],
                 cancel: threading.Event | None) -> None:
        super().__init__()
        path = plan.root / entry.path
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode):
            kind = "a symbolic link" if stat.S_ISLNK(st.st_mode) else "not a regular file"
            raise ExportMismatchError(f"{entry.path}: listed in the manifest but is {kind}; not archived")
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        self._fd = os.open(path, flags)
        self._before = os.fstat(self._fd)
        if self._before.st_size != entry.size:
            os.close(self._fd)
            raise ExportMismatchError(
                f"{entry.path}: size {self._before.st_size} bytes, manifest says {entry.size}; "
                "verify the bundle (swarmview verify) before exporting"
            )
        self._entry = entry
        self._digest = hashlib.sha256()
        self._on_bytes = on_bytes
        self._cancel = cancel

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._cancel is not None and self._cancel.is_set():
            raise ExportCancelled("export cancelled; nothing was written")
        n = os.readv(self._fd, [buffer])
        if n:
            self._digest.update(buffer[:n])
            self._on_bytes(n)
        return n

    def finish(self) -> None:
        """After the copy: same size, nothing changed, and the digest the manifest promises."""
        after = os.fstat(self._fd)
        os.close(self._fd)
        if (after.st_size, after.st_mtime_ns, after.st_ino) != (
            self._before.st_size,
            self._before.st_mtime_ns,
            self._before.st_ino,
        ):
            raise ExportMismatchError(f"{self._entry.path}: changed while being exported; nothing was written")
        actual = self._digest.hexdigest()
        if actual != self._entry.sha256:
            raise ExportMismatchError(
                f"{self._entry.path}: sha256 {actual}, manifest says {self._entry.sha256}; nothing was written"
            )

    def close(self) -> None:
        try:
            os.close(self._fd)
        except OSError:
            pass
        super().close()


def _folders(plan: ArchivePlan) -> Iterator[str]:
    """Every folder above a member, parents first, once, in first-use order."""
    seen: set[str] = set()
    for entry in plan.entries:
        parts = entry.path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            folder = "/".join(parts[:i])
            if folder not in seen:
                seen.add(folder)
                yield folder


def write_archive(
    root: Path,
    out: Path,
    fmt: ArchiveFormat,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> ArchivePlan:
    """Write the archive to ``out`` atomically; raise ``ExportMismatchError`` if any byte differs."""
    plan = plan_archive(root)
    total = len(plan.manifest_bytes) + sum(e.size for e in plan.entries)
    done = 0

    def on_bytes(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, total)

    with atomic_output(out) as tmp:
        with open(tmp, "wb") as raw:
            if fmt == "tar.gz":
                _write_tar(plan, raw, on_bytes, cancel)
            elif fmt == "zip":
                _write_zip(plan, raw, on_bytes, cancel)
            else:
                raise SwarmviewError(f"unknown archive format {fmt!r}")
            raw.flush()
            os.fsync(raw.fileno())
    return plan


def _tarinfo(name: str, size: int, mtime: int, *, folder: bool = False) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = 0 if folder else size
    info.mtime = mtime
    info.mode = DIR_MODE if folder else FILE_MODE
    info.type = tarfile.DIRTYPE if folder else tarfile.REGTYPE
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _write_tar(plan: ArchivePlan, raw: BinaryIO, on_bytes: Callable[[int], None],
               cancel: threading.Event | None) -> None:
    # gzip header: no file name, mtime 0, fixed level: identical bytes on every machine.
    with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=GZIP_LEVEL, mtime=0) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
            tar.addfile(_tarinfo(plan.top, 0, plan.mtime, folder=True))
            manifest = plan.manifest_bytes
            tar.addfile(_tarinfo(f"{plan.top}/manifest.json", len(manifest), plan.mtime), io.BytesIO(manifest))
            on_bytes(len(manifest))
            for folder in _folders(plan):
                tar.addfile(_tarinfo(f"{plan.top}/{folder}", 0, plan.mtime, folder=True))
            for entry in plan.entries:
                reader = _HashingReader(plan, entry, on_bytes, cancel)
                try:
                    buffered = io.BufferedReader(reader, READ_SIZE)
                    tar.addfile(_tarinfo(f"{plan.top}/{entry.path}", entry.size, plan.mtime), buffered)
                    if buffered.read(1):
                        raise ExportMismatchError(f"{entry.path}: grew while being exported; nothing was written")
                    reader.finish()
                finally:
                    reader.close()


def _zipinfo(name: str, mtime: int) -> zipfile.ZipInfo:
    import time

    stamp = time.gmtime(max(mtime, ZIP_EPOCH))[:6]
    info = zipfile.ZipInfo(name, date_time=stamp)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # Unix, so the mode below is honoured
    info.external_attr = (stat.S_IFREG | FILE_MODE) << 16
    return info


def _write_zip(plan: ArchivePlan, raw: BinaryIO, on_bytes: Callable[[int], None],
               cancel: threading.Event | None) -> None:
    with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL, allowZip64=True) as zf:
        zf.writestr(_zipinfo(f"{plan.top}/manifest.json", plan.mtime), plan.manifest_bytes)
        on_bytes(len(plan.manifest_bytes))
        for entry in plan.entries:
            reader = _HashingReader(plan, entry, on_bytes, cancel)
            try:
                with zf.open(_zipinfo(f"{plan.top}/{entry.path}", plan.mtime), "w", force_zip64=entry.size > 2**31) as dst:
                    copied = 0
                    while chunk := reader.read(READ_SIZE):
                        copied += len(chunk)
                        dst.write(chunk)
                if copied != entry.size:
                    raise ExportMismatchError(f"{entry.path}: size changed while being exported; nothing was written")
                reader.finish()
            finally:
                reader.close()


def export_tar_gz(root: Path, out: Path, **options: object) -> ArchivePlan:
    """``--format tar.gz``."""
    return write_archive(root, out, "tar.gz", progress=options.get("progress"), cancel=options.get("cancel"))  # type: ignore[arg-type]


def export_zip(root: Path, out: Path, **options: object) -> ArchivePlan:
    """``--format zip``."""
    return write_archive(root, out, "zip", progress=options.get("progress"), cancel=options.get("cancel"))  # type: ignore[arg-type]
