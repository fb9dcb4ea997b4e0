"""Cached full-tier results for the GUI and batches (VERIFY.md §2 "Cache"), never inside the bundle.

A result is reused only while the tree is exactly as it was when hashed: every name below the root
with the same size, ``mtime_ns``, ``ctime_ns``, inode and device, and the same ``manifest.json``
digest. The signature is taken before and after hashing; a tree that changed meanwhile is not cached.
The cache folder is passed in (the CLI/GUI resolve the user cache folder; core never does).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Generator
from dataclasses import replace
from pathlib import Path
from typing import Any

from swarmview.core.findings import Finding
from swarmview.core.verify.engine import Progress, find_root, verify
from swarmview.core.verify.report import FileStatus, Report
from swarmview.core.verify.tree import walk

FORMAT = 1


def tree_signature(root: Path) -> str:
    """Digest of every name's (size, mtime_ns, ctime_ns, inode, device), links not followed."""
    h = hashlib.sha256()
    tree = walk(root)
    for item in tree.items:
        st = item.st
        h.update(item.rel + b"\0" + f"{st.st_mode}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:"
                 f"{st.st_ino}:{st.st_dev}\n".encode())
    for rel, exc in tree.unreadable:
        h.update(b"!" + rel + str(exc.errno).encode())
    return h.hexdigest()


def _manifest_digest(root: Path) -> str:
    try:
        with open(root / "manifest.json", "rb", buffering=0) as fh:
            return hashlib.sha256(fh.read()).hexdigest()
    except OSError as exc:
        return f"absent:{exc.errno}"


def _entry_path(cache_dir: Path, root: Path, profile: str, manifest_digest: str) -> Path:
    key = hashlib.sha256(f"{FORMAT}\0{root}\0{profile}\0{manifest_digest}".encode("utf-8", "surrogateescape"))
    return cache_dir / "verify" / f"{key.hexdigest()}.json"


def _report_from_json(doc: dict[str, Any]) -> Report:
    return Report(
        swarmview_version=doc["swarmview_version"], path=doc["path"], root=doc["root"], run_id=doc["run_id"],
        profile=doc["profile"], tier=doc["tier"], verdict=doc["verdict"], exit_code=doc["exit_code"],
        findings=[Finding(**f) for f in doc["findings"]], upstream=doc["upstream"],
        files=[FileStatus(**f) for f in doc["files"]], counts=doc["counts"], bytes_hashed=0,
        elapsed_s=0.0, cached=True,
        damaged_paths=frozenset(f["path"] for f in doc["files"] if f["status"] not in ("ok", "not_hashed", "unlisted")),
    )


def lookup(cache_dir: Path, root: Path, profile: str) -> Report | None:
    """The cached report when the tree is unchanged since it was stored, else None."""
    entry = _entry_path(cache_dir, root, profile, _manifest_digest(root))
    try:
        stored = json.loads(entry.read_bytes())
    except (OSError, ValueError):
        return None
    if stored.get("signature") != tree_signature(root):
        return None
    try:
        return _report_from_json(stored["report"])
    except (KeyError, TypeError):
        return None


def store(cache_dir: Path, root: Path, report: Report, signature: str, manifest_digest: str) -> None:
    """Keep a full-tier result (atomically; errors only cost the cache)."""
    if report.tier != "full" or report.verdict == "cancelled" or any(f.code == "CANCELLED" for f in report.findings):
        return
    entry = _entry_path(cache_dir, root, report.profile, manifest_digest)
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        temp = entry.with_name(f"{entry.name}.{os.getpid()}.tmp")
        temp.write_text(json.dumps({"signature": signature, "report": report.to_json()}, ensure_ascii=False),
                        encoding="utf-8", errors="surrogateescape")
        os.replace(temp, entry)
    except OSError:
        return


def cached_verify(path: str | os.PathLike[str], cache_dir: Path, **kwargs: Any) -> Generator[Progress, None, Report]:
    """``verify()`` answered from the cache when the tree is unchanged (full tier only)."""
    root = find_root(path)
    profile = kwargs.get("profile", "default")
    if kwargs.get("tier", "full") == "full":
        hit = lookup(cache_dir, root, profile)
        if hit is not None:
            return replace(hit, path=os.fspath(path))
    before = tree_signature(root)
    digest = _manifest_digest(root)
    report = yield from verify(path, **kwargs)
    if tree_signature(root) == before and _manifest_digest(root) == digest:
        store(cache_dir, root, report, before, digest)
    return report
