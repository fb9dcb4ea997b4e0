"""Open a bundle archive (``.tar.gz``/``.tgz``/``.zip``) without the user unpacking it.

The archive is extracted into a private temporary folder with the limits of VERIFY.md §2: no
absolute or ``..`` member names, no links or special members, at most 100,000 members, total size
at most 4x the archive's compressed size plus 1 GiB; a member larger than its header says is cut.
Refused members become ``ARCHIVE_UNSAFE_MEMBER`` findings (path = member name), never files.
"""

from __future__ import annotations

import os
import shutil
import stat
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from swarmview.core.errors import NotABundleError, SwarmviewError
from swarmview.core.findings import Finding, finding

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".zip")
MAX_MEMBERS = 100_000
EXTRA_BYTES = 1 << 30
COPY_CHUNK = 1 << 20


class ArchiveDamagedError(SwarmviewError):
    """The file is an archive but cannot be read to the end (exit 3)."""


@dataclass
class ExtractedArchive:
    """A bundle unpacked into a private folder; ``cleanup()`` removes the folder."""

    archive: Path
    folder: Path
    root: Path  # the bundle root inside ``folder``
    inner: str  # the bundle's folder inside the archive ("" when at its top)
    findings: list[Finding] = field(default_factory=list)

    @property
    def display_root(self) -> str:
        return f"{self.archive}!/{self.inner}" if self.inner else f"{self.archive}!/"

    def cleanup(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def is_archive_path(path: Path) -> bool:
    name = path.name.lower()
    return path.is_file() and name.endswith(ARCHIVE_SUFFIXES)


def _safe_name(name: str) -> str | None:
    """The member's relative path, or None when it is absolute or climbs out with ``..``."""
    if not name or "\\" in name or "\x00" in name:
        return None
    pure = PurePosixPath(name)
    if pure.is_absolute() or any(part == ".." for part in pure.parts):
        return None
    parts = [p for p in pure.parts if p not in ("", ".")]
    return "/".join(parts) if parts else None


class _Budget:
    def __init__(self, archive: Path) -> None:
        self.left = 4 * archive.stat().st_size + EXTRA_BYTES
        self.members = 0


def _copy_limited(src, dst_path: Path, declared: int, budget: _Budget) -> int:  # noqa: ANN001 - file-like
    """Copy at most ``declared`` bytes (a member larger than its header says is cut)."""
    dst_path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with open(dst_path, "wb") as dst:
        while written < declared:
            chunk = src.read(min(COPY_CHUNK, declared - written))
            if not chunk:
                break
            dst.write(chunk)
            written += len(chunk)
    budget.left -= written
    return written


def extract_archive(archive: Path, tmp_parent: Path | None = None) -> ExtractedArchive:
    """Extract safely and locate the bundle root (at the top or under one top folder)."""
    archive = Path(archive)
    folder = Path(tempfile.mkdtemp(prefix="swarmview-archive-", dir=tmp_parent))
    os.chmod(folder, 0o700)
    findings: list[Finding] = []
    try:
        if archive.name.lower().endswith(".zip"):
            _extract_zip(archive, folder, findings)
        else:
            _extract_tar(archive, folder, findings)
        root, inner = _locate_root(folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return ExtractedArchive(archive, folder, root, inner, findings)


def _refuse(findings: list[Finding], name: str, why: str) -> None:
    findings.append(finding("ARCHIVE_UNSAFE_MEMBER", name, f"{name}: {why}; not extracted"))


def _extract_tar(archive: Path, folder: Path, findings: list[Finding]) -> None:
    budget = _Budget(archive)
    try:
        tar = tarfile.open(archive, mode="r:*")
    except (tarfile.ReadError, EOFError, OSError) as exc:
        raise NotABundleError(f"{archive}: not a readable tar or zip archive ({exc})") from exc
    try:
        with tar:
            for member in tar:
                budget.members += 1
                if budget.members > MAX_MEMBERS:
                    _refuse(findings, member.name, f"more than {MAX_MEMBERS} members in the archive")
                    break
                rel = _safe_name(member.name)
                if rel is None:
                    _refuse(findings, member.name, "archive member escapes the extraction folder")
                    continue
                if member.isdir():
                    (folder / rel).mkdir(parents=True, exist_ok=True)
                    continue
                if not member.isreg():
                    _refuse(findings, member.name, "archive member is a link or special file")
                    continue
                if member.size > budget.left:
                    _refuse(findings, member.name, "archive member exceeds the extraction size limit")
                    continue
                src = tar.extractfile(member)
                if src is None:
                    _refuse(findings, member.name, "archive member cannot be read")
                    continue
                _copy_limited(src, folder / rel, member.size, budget)
    except (tarfile.TarError, EOFError, OSError, zipfile.BadZipFile) as exc:
        raise ArchiveDamagedError(f"{archive}: damaged archive ({exc})") from exc


def _extract_zip(archive: Path, folder: Path, findings: list[Finding]) -> None:
    budget = _Budget(archive)
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise NotABundleError(f"{archive}: not a readable tar or zip archive ({exc})") from exc
    try:
        with zf:
            for info in zf.infolist():
                budget.members += 1
                if budget.members > MAX_MEMBERS:
                    _refuse(findings, info.filename, f"more than {MAX_MEMBERS} members in the archive")
                    break
                rel = _safe_name(info.filename)
                if rel is None:
                    _refuse(findings, info.filename, "archive member escapes the extraction folder")
                    continue
                mode = info.external_attr >> 16
                if info.is_dir():
                    (folder / rel).mkdir(parents=True, exist_ok=True)
                    continue
                if mode and not stat.S_ISREG(mode):
                    _refuse(findings, info.filename, "archive member is a link or special file")
                    continue
                if info.file_size > budget.left:
                    _refuse(findings, info.filename, "archive member exceeds the extraction size limit")
                    continue
                with zf.open(info) as src:
                    _copy_limited(src, folder / rel, info.file_size, budget)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ArchiveDamagedError(f"{archive}: damaged archive ({exc})") from exc


def _locate_root(folder: Path) -> tuple[Path, str]:
    if (folder / "run.json").is_file() or (folder / "manifest.json").is_file():
        return folder, ""
    children = [p for p in folder.iterdir()]
    dirs = [p for p in children if p.is_dir() and not p.is_symlink()]
    if len(dirs) == 1 and len(children) == 1:
        top = dirs[0]
        if (top / "run.json").is_file() or (top / "manifest.json").is_file():
            return top, top.name
    raise NotABundleError("the archive does not hold one bundle at its top or under one top folder")
