"""Full-tier verification results kept in the user cache folder (VERIFY.md §2 "Cache").

Reopening a folder of a thousand verified runs must not hash them again, yet a cached answer must
never hide a change. An entry is keyed by the bundle's absolute path, the profile and the sha256 of
``manifest.json``, and holds a signature of the whole tree: every name's (mode, size, ``mtime_ns``,
``ctime_ns``, inode, device), links not followed. Any difference re-verifies the run. The signature is
taken before and after hashing; a tree that changed meanwhile, or whose newest change is too recent to
be told apart by the file system clock ("racy" timestamps, as git calls them), is not stored.

Nothing is ever written into a bundle: entries live under the folder the caller passes in (the CLI and
GUI resolve the user cache folder; core never does). Writes are atomic (unique temp file + rename);
an entry that cannot be read or parsed is ignored, and a cache that cannot be written only costs time.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import stat
import time
from collections.abc import Generator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import orjson

from swarmview.core.findings import Finding
from swarmview.core.verify.engine import Progress, find_root, verify
from swarmview.core.verify.report import FileStatus, Report

FORMAT = 1
#: Changes newer than this (relative to the signature taken after hashing) are not cached: two writes
#: within one tick of the kernel's coarse clock can leave size and timestamps equal.
RACY_NS = 100_000_000
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_NOT_DAMAGED = ("ok", "not_hashed", "unlisted")
_CONTENT_SUFFIXES = (b".json", b".ndjson")


@dataclass(frozen=True)
class TreeState:
    """What the cache compares: the tree signature, the manifest digest, and sizes for scheduling."""

    signature: str
    manifest_sha256: str      # hex digest, or "absent:<why>" when there is no regular manifest.json
    bytes_total: int          # sum of the regular files' sizes (progress, big/small scheduling)
    parsed_bytes: int         # bytes of .json/.ndjson files outside artifacts/ (what the content stage parses)
    newest_change_ns: int     # newest mtime/ctime in the tree
    files: int


def manifest_digest(root: Path) -> str:
    """sha256 of ``manifest.json`` read once, never following a link nor opening a FIFO."""
    path = os.path.join(root, "manifest.json")
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode):
            return f"absent:{_kind(st.st_mode)}"
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        return f"absent:errno{exc.errno}"
    digest = hashlib.sha256()
    try:
        while chunk := os.read(fd, 1 << 20):
            digest.update(chunk)
    except OSError as exc:
        return f"absent:errno{exc.errno}"
    finally:
        os.close(fd)
    return digest.hexdigest()


def _kind(mode: int) -> str:
    return "dir" if stat.S_ISDIR(mode) else "link" if stat.S_ISLNK(mode) else "special"


def _lstat_tree(base: bytes) -> tuple[list[tuple[bytes, os.stat_result]], list[tuple[bytes, int]]]:
    """Every name below ``base`` with its ``lstat`` (links never followed), and unlistable folders.

    A leaner walk than ``verify.tree.walk`` (no per-item objects, no path joins in Python): reopening a
    folder of a thousand cached runs is mostly this walk.
    """
    items: list[tuple[bytes, os.stat_result]] = []
    unreadable: list[tuple[bytes, int]] = []
    stack = [b""]
    while stack:
        rel = stack.pop()
        try:
            with os.scandir(base + b"/" + rel if rel else base) as it:
                for entry in it:
                    child = rel + b"/" + entry.name if rel else entry.name
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except OSError as exc:
                        unreadable.append((child, exc.errno or 0))
                        continue
                    items.append((child, st))
                    if stat.S_ISDIR(st.st_mode):
                        stack.append(child)
        except OSError as exc:
            unreadable.append((rel, exc.errno or 0))
    items.sort(key=lambda item: item[0])
    unreadable.sort()
    return items, unreadable


def tree_state(root: Path) -> TreeState:
    """One ``lstat`` walk of the bundle summarised for the cache (signature) and the scheduler (sizes)."""
    total = parsed = newest = files = 0
    items, unreadable = _lstat_tree(os.fsencode(root))
    parts: list[bytes] = []
    for rel, st in items:
        parts.append(b"%s\0%d:%d:%d:%d:%d:%d\n" % (rel, st.st_mode, st.st_size, st.st_mtime_ns, st.st_ctime_ns,
                                                 st.st_ino, st.st_dev))
        newest = max(newest, st.st_mtime_ns, st.st_ctime_ns)
        if stat.S_ISREG(st.st_mode):
            files += 1
            total += st.st_size
            if rel.endswith(_CONTENT_SUFFIXES) and not rel.startswith(b"artifacts/"):
                parsed += st.st_size
    parts.extend(b"!%s\0%d\n" % (rel, errno) for rel, errno in unreadable)
    try:
        top = os.lstat(root)
        parts.append(b".\0%d:%d:%d\n" % (top.st_mode, top.st_ino, top.st_dev))
    except OSError as exc:
        parts.append(b".!%d\n" % (exc.errno or 0))
    signature = hashlib.sha256(b"".join(parts)).hexdigest()
    return TreeState(signature, manifest_digest(root), total, parsed, newest, files)


def report_to_entry(report: Report) -> dict[str, Any]:
    return {"report": report.to_json(), "damaged_paths": sorted(report.damaged_paths)}


def report_from_json(doc: dict[str, Any], damaged: list[str] | None = None) -> Report:
    """A §8 document back into a :class:`Report` (as the cache answers: ``cached``, nothing hashed)."""
    files = [FileStatus(**f) for f in doc["files"]]
    if damaged is None:
        damaged = [f.path for f in files if f.status not in _NOT_DAMAGED]
    return Report(
        swarmview_version=doc["swarmview_version"], path=doc["path"], root=doc["root"], run_id=doc["run_id"],
        profile=doc["profile"], tier=doc["tier"], verdict=doc["verdict"], exit_code=doc["exit_code"],
        findings=[Finding(**f) for f in doc["findings"]], upstream=dict(doc["upstream"]), files=files,
        counts=dict(doc["counts"]), bytes_hashed=0, elapsed_s=0.0, cached=True,
        damaged_paths=frozenset(damaged),
    )


def _dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:  # non-UTF-8 names (surrogate escapes): json keeps them as \udcXX escapes
        return json.dumps(value, ensure_ascii=True).encode()


def _loads(data: bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


class VerifyCache:
    """Cached full-tier reports under ``cache_dir/verify-v1/`` (one small JSON file per run and profile)."""

    def __init__(self, cache_dir: str | os.PathLike[str]) -> None:
        self.dir = Path(cache_dir) / f"verify-v{FORMAT}"

    def entry_path(self, root: Path, profile: str, manifest_sha256: str) -> Path:
        key = f"{FORMAT}\0{os.fspath(root)}\0{profile}\0{manifest_sha256}".encode("utf-8", "surrogateescape")
        return self.dir / f"{hashlib.sha256(key).hexdigest()}.json"

    def lookup(self, root: Path, profile: str, state: TreeState | None = None) -> Report | None:
        """The stored report when the tree is exactly as it was hashed, else None (corrupt = absent)."""
        started = time.monotonic()
        state = state or tree_state(root)
        try:
            stored = _loads(self.entry_path(root, profile, state.manifest_sha256).read_bytes())
            if (stored.get("format") != FORMAT or stored.get("root") != os.fspath(root)
                    or stored.get("signature") != state.signature):
                return None
            report = report_from_json(stored["report"], stored.get("damaged_paths"))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        if report.tier != "full" or report.profile != profile:
            return None
        return replace(report, elapsed_s=time.monotonic() - started)

    def store(self, root: Path, report: Report, before: TreeState) -> bool:
        """Keep ``report`` when it is complete and the tree did not change since ``before``; True if kept."""
        if (report.tier != "full" or report.cached or report.internal_errors
                or any(f.code in ("CANCELLED", "FILE_CHANGED_DURING_VERIFY") for f in report.findings)):
            return False
        after = tree_state(root)
        if after.signature != before.signature or after.manifest_sha256 != before.manifest_sha256:
            return False
        if after.newest_change_ns > time.time_ns() - RACY_NS:
            return False
        entry = {"format": FORMAT, "root": os.fspath(root), "profile": report.profile,
                 "manifest_sha256": before.manifest_sha256, "signature": before.signature,
                 **report_to_entry(report)}
        target = self.entry_path(root, report.profile, before.manifest_sha256)
        temp = target.with_name(f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            temp.write_bytes(_dumps(entry))
            os.replace(temp, target)
        except OSError:
            try:
                temp.unlink()
            except OSError:
                pass
            return False
        return True

    def verify(self, path: str | os.PathLike[str], **kwargs: Any) -> Generator[Progress, None, Report]:
        """``verify()`` answered from the cache when possible (full tier only; the GUI's entry point)."""
        root = find_root(path)
        profile = kwargs.get("profile", "default")
        if kwargs.get("tier", "full") != "full":
            return (yield from verify(path, **kwargs))
        before = tree_state(root)
        hit = self.lookup(root, profile, before)
        if hit is not None:
            return replace(hit, path=os.fspath(path))
        report = yield from verify(path, **kwargs)
        self.store(root, report, before)
        return report
