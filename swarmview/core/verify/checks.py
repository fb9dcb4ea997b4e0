"""The fast-stage checks of VERIFY.md §7: manifest header, entries (by ``lstat``), required set, tree.

Pure functions over what was read and ``lstat``ed; nothing here opens a file for reading, so nothing
here can block or hash. The engine adds the full-tier results (hashes, appends, changes) afterwards.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from typing import Any

from swarmview.core.findings import Finding, finding
from swarmview.core.verify.manifest_build import ManifestEntry, render_manifest
from swarmview.core.verify.oserr import rust_text
from swarmview.core.verify.paths import (
    ORIGINAL_REQUIRED,
    REQUIRED_PATHS,
    SNAPSHOT_MARKER,
    UPDATE_LOGS,
    canonical_problem,
    display_path,
    non_portable_reason,
    normalized,
    safe_relative,
)
from swarmview.core.verify.tree import Tree, TreeItem, kind_of

_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_POSITION = re.compile(r"^(.*) at line (\d+) column (\d+)$", re.S)
_OWN_TMP = re.compile(r"manifest\.json\.\d+\.[A-Za-z0-9_-]+\.tmp")


@dataclass
class EntryState:
    """One manifest entry as the engine tracks it (manifest spelling kept for messages and JSON)."""

    path: str
    expected_bytes: int
    expected_sha256: str
    required: bool
    norm: str | None = None          # the file opened for it; None when the spelling is not opened
    st: os.stat_result | None = None  # lstat of ``norm`` when it is a regular file
    status: str | None = None         # set once known (fast stage or after hashing)
    digest_ok: bool = True            # the manifest digest is well formed and the algorithm is sha256
    duplicate: bool = False


def positioned(file: str, serde_text: str) -> tuple[str, int | None, int | None]:
    """``file:L:C: message`` from serde_json's ``message at line L column C``."""
    m = _POSITION.match(serde_text)
    if not m:
        return f"{file}: {serde_text}", None, None
    line, column = int(m.group(2)), int(m.group(3))
    return f"{file}:{line}:{column}: {m.group(1)}", line, column


def header_findings(manifest: dict[str, Any], run_id: str | None) -> list[Finding]:
    """UNSUPPORTED_MANIFEST_VERSION, RUN_ID_MISMATCH, UNSUPPORTED_HASH_ALGO (upstream's steps 3–5)."""
    out: list[Finding] = []
    version = manifest["schema_version"]
    if version != 1:
        out.append(finding("UNSUPPORTED_MANIFEST_VERSION", "manifest.json",
                           f"manifest.json: schema_version {version} is not supported (expected 1)",
                           expected=1, found=version))
    if run_id is not None and manifest["run_id"] != run_id:
        out.append(finding("RUN_ID_MISMATCH", "manifest.json",
                           f"manifest.json: run_id {manifest['run_id']} differs from run.json's {run_id}",
                           expected=run_id, found=manifest["run_id"]))
    algo = manifest["hash_algo"]
    if algo != "sha256":
        out.append(finding("UNSUPPORTED_HASH_ALGO", "manifest.json",
                           f'manifest.json: hash_algo "{algo}" is not supported (expected "sha256")',
                           expected="sha256", found=algo))
    return out


def canonical_manifest_finding(raw: bytes, manifest: dict[str, Any]) -> Finding | None:
    """MANIFEST_NOT_CANONICAL (F-33): the bytes differ from what upstream's finalize would write."""
    entries = [ManifestEntry(e["path"], e["sha256"], e["bytes"], e["required"]) for e in manifest["entries"]]
    if render_manifest(manifest["run_id"], entries) == raw:
        return None
    paths = [e.path.encode("utf-8") for e in entries]
    if paths != sorted(paths):
        reason = "entries not sorted"
    elif any(e.required != (e.path in REQUIRED_PATHS) for e in entries):
        reason = "required flags differ"
    elif any(e.sha256 != e.sha256.lower() for e in entries):
        reason = "uppercase digests"
    else:
        reason = "layout, key order, uppercase run_id or extra keys"
    return finding("MANIFEST_NOT_CANONICAL", "manifest.json",
                   f"manifest.json differs from what upstream's finalize would write ({reason})")


def _lstat_chain(base: bytes, norm: str) -> tuple[str, os.stat_result | OSError, str | None]:
    """lstat each prefix of ``norm``: ("ok", st) | ("link", st, prefix) | ("error", exc)."""
    parts = norm.split("/")
    for i in range(1, len(parts) + 1):
        prefix = "/".join(parts[:i])
        try:
            st = os.lstat(os.path.join(base, os.fsencode(prefix)))
        except OSError as exc:
            return "error", exc, prefix
        if stat.S_ISLNK(st.st_mode):
            return "link", st, prefix
    return "ok", st, None


def entry_checks(root: str, manifest: dict[str, Any], tier: str) -> tuple[list[EntryState], list[Finding]]:
    """Every entry's fast-stage findings, in manifest order (upstream's step 6, but all of them)."""
    base = os.fsencode(root)
    real_root = os.path.realpath(root)
    algo_ok = manifest["hash_algo"] == "sha256"
    states: list[EntryState] = []
    out: list[Finding] = []
    seen: dict[str, str] = {}
    by_inode: dict[tuple[int, int], str] = {}
    legacy_first = next((e["path"] for e in manifest["entries"] if e["path"] in UPDATE_LOGS and not e["required"]), None)
    for e in manifest["entries"]:
        path = e["path"]
        state = EntryState(path, e["bytes"], e["sha256"], e["required"])
        states.append(state)
        problem = canonical_problem(path)
        if problem:
            out.append(finding("NON_CANONICAL_PATH", path,
                               f'manifest entry "{path}" is not a canonical bundle path ({problem})'))
        state.norm = safe_relative(path)
        key = state.norm if state.norm is not None else normalized(path)
        if key in seen:
            state.duplicate = True
            spelled = f' (as "{path}")' if path != key else ""
            out.append(finding("DUPLICATE_PATH", path, f"manifest lists {key} more than once{spelled}"))
        else:
            seen[key] = path
        if path in ORIGINAL_REQUIRED and not e["required"]:
            out.append(finding("REQUIRED_MARKED_OPTIONAL", path, f'{path}: required file listed with "required": false'))
        if path in UPDATE_LOGS and not e["required"]:
            out.append(finding("LEGACY_REQUIRED_FLAG", path, (
                f"{path} is marked non-required: written by SwarmTorch between 2026-02-13 and 2026-04-04 "
                "(v0.1.0-alpha.6 … 7x); content verified; current upstream rejects this bundle: "
                f'"required path marked non-required in manifest: {legacy_first}"')))
        if not _HEX64.fullmatch(e["sha256"]):
            out.append(finding("MALFORMED_DIGEST", path,
                               f'{path}: manifest sha256 "{e["sha256"]}" is not 64 hexadecimal digits'))
            state.digest_ok = False
        state.digest_ok = state.digest_ok and algo_ok
        reason = non_portable_reason(path) if problem is None else None
        if reason:
            out.append(finding("NON_PORTABLE_PATH", path,
                               f"{path}: this name cannot exist on Windows ({reason}); the bundle cannot be copied there intact"))
        if state.norm is None:
            state.status = "invalid_path"
            continue
        out.extend(_entry_on_disk(base, real_root, state, tier))
        if state.st is not None and not state.duplicate:
            ident = (state.st.st_dev, state.st.st_ino)
            if ident in by_inode and by_inode[ident] != state.norm:
                out.append(finding("PATH_ALIAS", path,
                                   f'manifest entries "{by_inode[ident]}" and "{path}" refer to the same file on this filesystem'))
            by_inode.setdefault(ident, path)
    return states, out


def _entry_on_disk(base: bytes, real_root: str, state: EntryState, tier: str) -> list[Finding]:
    assert state.norm is not None
    path = state.path
    outcome, st, where = _lstat_chain(base, state.norm)
    if isinstance(st, OSError):
        if isinstance(st, FileNotFoundError | NotADirectoryError):
            state.status = "missing"
            return [finding("FILE_MISSING", path, f"{path}: listed in the manifest but not found")]
        state.status = "unreadable"
        return [finding("FILE_UNREADABLE", path, f"{path}: {rust_text(st)}")]
    if outcome == "link":
        assert where is not None
        link = os.path.join(base, os.fsencode(where))
        try:
            target = display_path(os.readlink(link))
        except OSError as exc:  # replaced since the lstat
            target = f"unreadable link: {rust_text(exc)}"

        real = os.path.realpath(os.path.join(base, os.fsencode(state.norm)))
        inside = os.fsdecode(real) == real_root or os.fsdecode(real).startswith(real_root.rstrip("/") + "/")
        if not inside:
            state.status = "escapes_root"
            return [finding("PATH_ESCAPES_ROOT", path, f"{path}: resolves outside the bundle root")]
        state.status = "symlink"
        via = "" if where == state.norm else f" via {where}"
        return [finding("ENTRY_IS_SYMLINK", path,
                        f"{path}: listed in the manifest but is a symbolic link{via} (to {target}); upstream follows it")]
    kind = kind_of(st.st_mode)
    if kind != "file":
        state.status = "not_regular"
        return [finding("NOT_A_REGULAR_FILE", path, f"{path}: listed in the manifest but is a {kind}; not read")]
    state.st = st
    if tier == "fast":
        if st.st_size != state.expected_bytes:
            state.status = "size_mismatch"
            return [size_mismatch(path, st.st_size, state.expected_bytes)]
        state.status = "not_hashed"
    return []


def size_mismatch(path: str, actual: int, expected: int) -> Finding:
    return finding("SIZE_MISMATCH", path, f"{path}: size {actual} bytes, manifest says {expected}",
                   expected=expected, found=actual)


def required_findings(states: list[EntryState], tree_paths: set[str]) -> list[Finding]:
    """REQUIRED_ENTRY_MISSING by exact string (as upstream), or LEGACY_MISSING_UPDATE_LOGS (F-13)."""
    listed = {s.path for s in states}
    missing = [p for p in REQUIRED_PATHS if p not in listed]
    out: list[Finding] = []
    legacy = all(p in missing and p not in tree_paths for p in UPDATE_LOGS)
    if legacy:
        out.append(finding("LEGACY_MISSING_UPDATE_LOGS", None, (
            "written by SwarmTorch before 2026-02-13 (v0.1.0-alpha.6 or earlier, before the dataset update logs); "
            "registry and lineage come from the snapshots only; current upstream rejects this bundle: "
            '"required manifest entry missing: datasets/registry_updates.ndjson"')))
    for p in missing:
        if legacy and p in UPDATE_LOGS:
            continue
        out.append(finding("REQUIRED_ENTRY_MISSING", p, f"{p}: required file not listed in manifest.json"))
    return out


def tree_findings(
    tree: Tree, listed: set[str], manifest_ok: bool, base: bytes
) -> tuple[list[Finding], list[tuple[str, str, int | None]]]:
    """Findings about what is on disk but not listed, and the unlisted ``(path, kind, size)`` for files[]."""
    out: list[Finding] = []
    unlisted: list[tuple[str, str, int | None]] = []
    for rel, exc in tree.unreadable:
        shown = display_path(rel) or "."
        out.append(finding("FILE_UNREADABLE", shown, f"{shown}: {rust_text(exc)}"))
    for item in tree.items:
        kind = item.kind
        try:
            path = item.rel.decode("utf-8")
        except UnicodeDecodeError:
            shown = display_path(item.rel)
            try:
                item.name.decode("utf-8")
            except UnicodeDecodeError:
                out.append(finding("NON_UTF8_FILENAME", shown,
                                   f"{shown}: file name is not valid UTF-8; bundles cannot reference it"))
            if kind != "directory":
                unlisted.append((shown, kind, item.st.st_size if kind == "file" else None))
            continue
        if path == "manifest.json" or path in listed:
            continue
        reason = non_portable_reason(item.name.decode("utf-8"))
        if reason:
            out.append(finding("NON_PORTABLE_PATH", path,
                               f"{path}: this name cannot exist on Windows ({reason}); the bundle cannot be copied there intact"))
        if kind == "directory":
            continue
        unlisted.append((path, kind, item.st.st_size if kind == "file" else None))
        out.extend(_unlisted_finding(path, kind, item, listed, manifest_ok, base))
    return out, unlisted


def _unlisted_finding(
    path: str, kind: str, item: TreeItem, listed: set[str], manifest_ok: bool, base: bytes
) -> list[Finding]:
    name = item.name.decode("utf-8")
    if kind == "symlink":
        try:
            target = display_path(os.readlink(os.path.join(base, item.rel)))
        except OSError as exc:
            target = f"(unreadable: {rust_text(exc)})"
        return [finding("SYMLINK_IN_BUNDLE", path, f"{path}: symbolic link to {target}; not covered by the manifest")]
    if kind != "file":
        if not manifest_ok:
            return []
        return [finding("UNLISTED_FILE", path, f"{path}: a {kind} present in the bundle but not listed in manifest.json; never read")]
    if name == "manifest.json":
        return [finding("UNHASHED_BY_NAME", path, f"{path}: never covered by upstream manifests because of its name")]
    if name.endswith(".tmp"):
        stem = path[: -len(".tmp")]
        if stem == "manifest.json" or stem in listed or stem in REQUIRED_PATHS or _OWN_TMP.fullmatch(path):
            return [finding("LEFTOVER_TMP_FILE", path, f"{path}: leftover temporary file (interrupted atomic write?)")]
        return [finding("UNHASHED_BY_NAME", path, f"{path}: never covered by upstream manifests because of its name")]
    if not manifest_ok or path in REQUIRED_PATHS:
        return []
    if path == SNAPSHOT_MARKER:
        return [finding("SNAPSHOT_MARKER_UNLISTED", path,
                        f"{SNAPSHOT_MARKER} is not covered by the manifest but decides how the registry is loaded")]
    return [finding("UNLISTED_FILE", path,
                    f"{path}: present in the bundle but not listed in manifest.json; its content is not protected")]
