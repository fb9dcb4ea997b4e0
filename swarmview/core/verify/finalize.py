"""Re-finalize: write the manifest upstream's ``finalize_manifest`` would write, safely (VERIFY.md §9).

Upstream's finalize silently leaves links unlisted, lists a file whose length and hash were taken at
different moments, and replaces the old manifest without a trace. This does the same computation
(same bytes as upstream wherever it does not refuse) but refuses what would give a wrong or unsafe
manifest, hashes each file from one handle, backs the old manifest up *outside* the bundle and writes
atomically (temp file, fsync, rename, folder fsync).
"""

from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from swarmview.core.errors import SwarmviewError
from swarmview.core.verify.hashing import HashJob, read_file
from swarmview.core.verify.manifest import decode_manifest
from swarmview.core.verify.manifest_build import ManifestEntry, missing_required, render_manifest
from swarmview.core.verify.oserr import rust_text
from swarmview.core.verify.paths import REQUIRED_PATHS, canonical_problem, display_path
from swarmview.core.verify.tree import kind_of, walk
from swarmview.core.verify.upstream_validate import open_stage, read_whole

EXIT_REFUSED = 1
EXIT_UNREADABLE = 3


class FinalizeRefused(SwarmviewError):
    """Nothing was written; ``exit_code`` is 1 (refused, upstream's own failure) or 3 (unreadable)."""

    def __init__(self, message: str, exit_code: int = EXIT_REFUSED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class FinalizePlan:
    root: Path
    run_id: str
    entries: list[ManifestEntry]
    new_bytes: bytes
    old_bytes: bytes | None
    diff: list[str]
    skipped_links: list[str]


@dataclass(frozen=True)
class FinalizeResult:
    manifest: Path
    backup: Path | None
    entries: int


def _read_run_id(root: Path) -> str:
    opened = open_stage(read_whole(str(root / "run.json")))
    if opened["ok"] is True:
        return str(opened["run_id"])
    message = f"run.json: {opened['message']}"
    code = EXIT_UNREADABLE if opened.get("kind") not in ("NotFound", "Other", None) else EXIT_REFUSED
    raise FinalizeRefused(message, code)


def _collect(root: Path, skip_links: bool) -> tuple[list[tuple[str, bytes, os.stat_result]], list[str]]:
    """§9 step 3: the files upstream's walk keeps, refusing what would make a wrong manifest."""
    tree = walk(root)
    for rel, exc in tree.unreadable:
        raise FinalizeRefused(f"{display_path(rel) or '.'}: {rust_text(exc)}; cannot list this folder", EXIT_UNREADABLE)
    kept: list[tuple[str, bytes, os.stat_result]] = []
    links: list[str] = []
    for item in tree.items:
        shown = display_path(item.rel)
        try:
            path = item.rel.decode("utf-8")
        except UnicodeDecodeError:
            raise FinalizeRefused(f"{shown}: file name is not valid UTF-8; its manifest entry would name a file "
                                  "that does not exist") from None
        kind = item.kind
        if kind == "directory":
            continue
        if kind == "symlink":
            if not skip_links:
                raise FinalizeRefused(f"{path}: symbolic link; upstream's finalize leaves it unlisted and unprotected "
                                      "(remove it, or pass --skip-links to leave it unlisted as upstream does)")
            links.append(path)
            continue
        if kind != "file":
            raise FinalizeRefused(f"{path}: a {kind} inside the bundle; remove it before finalizing")
        if item.name == b"manifest.json" or path.endswith(".tmp"):
            continue
        problem = canonical_problem(path)
        if problem is not None:
            raise FinalizeRefused(f"{path}: not a canonical bundle path ({problem}); its entry would fail verification")
        kept.append((path, item.rel, item.st))
    return kept, links


def plan_finalize(root: str | os.PathLike[str], skip_links: bool = False) -> FinalizePlan:
    """Steps 1–6 of §9: the new manifest and its difference to the current one; writes nothing."""
    base = Path(os.path.abspath(root))
    run_id = _read_run_id(base)
    missing = missing_required(base)
    if missing is not None:
        raise FinalizeRefused(f"missing required bundle file: {missing}")
    for path in REQUIRED_PATHS:
        if os.path.isdir(base / path):
            raise FinalizeRefused(f"{path}: required path is a folder; upstream would leave it unlisted")
    kept, links = _collect(base, skip_links)
    entries: list[ManifestEntry] = []
    for path, rel, st in kept:
        result = read_file(HashJob(path, os.path.join(os.fsencode(base), rel), st))
        if result.error is not None:
            raise FinalizeRefused(f"{path}: {rust_text(result.error)}", EXIT_UNREADABLE)
        if result.changed is not None or result.sha256 is None or result.size is None:
            raise FinalizeRefused(f"{path}: changed while being hashed ({result.changed}); finalize again "
                                  "when the run has stopped writing", EXIT_UNREADABLE)
        entries.append(ManifestEntry(path, result.sha256, result.size, path in REQUIRED_PATHS))
    entries.sort(key=lambda e: e.path.encode("utf-8"))
    new_bytes = render_manifest(run_id, entries)
    old_bytes = _old_manifest(base)
    return FinalizePlan(base, run_id, entries, new_bytes, old_bytes, _diff(old_bytes, entries, new_bytes), links)


def _old_manifest(base: Path) -> bytes | None:
    target = base / "manifest.json"
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise FinalizeRefused(f"manifest.json: {rust_text(exc)}", EXIT_UNREADABLE) from exc
    if not stat.S_ISREG(st.st_mode):
        raise FinalizeRefused(f"manifest.json: is a {kind_of(st.st_mode)}; remove it before finalizing")
    result = read_file(HashJob("manifest.json", os.fsencode(target), st, keep_data=True))
    if result.error is not None or result.data is None:
        raise FinalizeRefused(f"manifest.json: {rust_text(result.error) if result.error else 'changed while read'}",
                              EXIT_UNREADABLE)
    return result.data


def _diff(old_bytes: bytes | None, entries: list[ManifestEntry], new_bytes: bytes) -> list[str]:
    """One line per changed entry (§9 step 6), sorted by path bytes; ``no changes`` when identical."""
    if old_bytes == new_bytes:
        return ["no changes"]
    old: dict[str, dict[str, object]] = {}
    if old_bytes is not None:
        decoded = decode_manifest(old_bytes)
        if decoded.value is not None:
            for e in decoded.value["entries"]:
                old.setdefault(e["path"], e)
    new = {e.path: e for e in entries}
    lines: list[tuple[bytes, str]] = []
    for path, e in new.items():
        before = old.get(path)
        if before is None:
            lines.append((path.encode(), f"+ {path} ({e.bytes} bytes)"))
        elif (before["sha256"], before["bytes"], before["required"]) != (e.sha256, e.bytes, e.required):
            lines.append((path.encode(), f"~ {path} ({before['bytes']} → {e.bytes} bytes)"))
    for path in old:
        if path not in new:
            lines.append((path.encode(), f"- {path}"))
    if not lines:
        return ["no entry changes; manifest.json rewritten in the layout upstream writes"]
    return [text for _, text in sorted(lines)]


def backup_target(folder: Path, now: datetime) -> Path:
    """``<folder>/<UTC timestamp>-manifest.json``; a collision becomes ``…Z-2-manifest.json``, ``…Z-3-…``."""
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    candidate = folder / f"{stamp}-manifest.json"
    n = 2
    while os.path.lexists(candidate):
        candidate = folder / f"{stamp}-{n}-manifest.json"
        n += 1
    return candidate


def _write_new(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot fsync folders; the rename is still atomic
    finally:
        os.close(fd)


def apply_finalize(plan: FinalizePlan, backup_dir: Path, now: datetime | None = None) -> FinalizeResult:
    """Steps 7–8: back the old manifest up under ``backup_dir/<run_id>/`` and replace it atomically.

    ``backup_dir`` is ``<user data>/manifest-backups`` or the CLI's ``--backup-dir`` (core never
    resolves user folders itself). Raises ``FinalizeRefused`` (exit 3) when either write fails;
    the previous manifest is then intact.
    """
    when = now or datetime.now(UTC)
    backup: Path | None = None
    if plan.old_bytes is not None:
        folder = Path(backup_dir) / plan.run_id
        try:
            folder.mkdir(parents=True, exist_ok=True)
            while True:
                backup = backup_target(folder, when)
                try:
                    _write_new(backup, plan.old_bytes)
                    break
                except FileExistsError:
                    continue
            _fsync_dir(folder)
        except OSError as exc:
            raise FinalizeRefused(f"{folder}: cannot write the manifest backup: {rust_text(exc)}", EXIT_UNREADABLE) from exc
    target = plan.root / "manifest.json"
    temp = plan.root / f"manifest.json.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        _write_new(temp, plan.new_bytes)
        os.replace(temp, target)
    except OSError as exc:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise FinalizeRefused(f"{target}: cannot write: {rust_text(exc)}", EXIT_UNREADABLE) from exc
    _fsync_dir(plan.root)
    return FinalizeResult(target, backup, len(plan.entries))
