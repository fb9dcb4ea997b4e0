"""What upstream would say: ``RunArtifactBundle::open`` (§6.2) and ``validate_manifest`` (§5.3).

Steps, order, first failure, ``io::ErrorKind`` and texts are upstream's exactly; only the waiting is
not: where upstream would block forever (a listed FIFO, a device read forever, F-04) the stage says so
instead of hanging. Nothing here opens a FIFO or a device.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from swarmview.core.errors import UpstreamIOError
from swarmview.core.verify.manifest import Decoded, decode_manifest, decode_run_file
from swarmview.core.verify.oserr import as_upstream
from swarmview.core.verify.paths import REQUIRED_PATHS, upstream_path_error

READ_SIZE = 1 << 20
OPEN_FAILED = "RunArtifactBundle::open failed"


@dataclass(frozen=True)
class Blocked:
    """Upstream would wait forever on this file (``kind``: ``fifo`` or ``device``)."""

    kind: str


@dataclass(frozen=True)
class Raw:
    """One read of a whole file as upstream's ``File::open`` + read would see it (links followed)."""

    data: bytes | None = None
    error: UpstreamIOError | None = None
    after_open: bool = False  # the error came from read(), inside serde_json (kind becomes Other)
    blocks: Blocked | None = None


#: Digest of a listed entry as upstream's ``sha256_file`` sees it: lowercase hex, its error, or Blocked.
DigestOf = Callable[[str, str], "str | UpstreamIOError | Blocked"]


def _special(mode: int) -> Blocked | None:
    if stat.S_ISFIFO(mode):
        return Blocked("fifo")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return Blocked("device")
    return None


def read_whole(abs_path: str) -> Raw:
    """Read a file like ``File::open`` + ``read_to_end`` would, without ever blocking."""
    try:
        st = os.stat(abs_path)
    except OSError as exc:
        return Raw(error=as_upstream(exc))
    blocked = _special(st.st_mode)
    if blocked:
        return Raw(blocks=blocked)
    if stat.S_ISDIR(st.st_mode):  # open(2) succeeds on a folder, read(2) fails
        return Raw(error=UpstreamIOError("IsADirectory", "Is a directory (os error 21)"), after_open=True)
    try:
        fd = os.open(abs_path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        return Raw(error=as_upstream(exc))
    try:
        chunks = []
        while chunk := os.read(fd, READ_SIZE):
            chunks.append(chunk)
        return Raw(data=b"".join(chunks))
    except OSError as exc:
        return Raw(error=as_upstream(exc), after_open=True)
    finally:
        os.close(fd)


def upstream_digest(entry_path: str, abs_path: str) -> str | UpstreamIOError | Blocked:
    """``io.rs:sha256_file`` on the (link-followed) file; FIFOs and devices are never opened."""
    try:
        st = os.stat(abs_path)
    except OSError as exc:
        return as_upstream(exc)
    blocked = _special(st.st_mode)
    if blocked:
        return blocked
    if stat.S_ISDIR(st.st_mode):
        return UpstreamIOError("IsADirectory", "Is a directory (os error 21)")
    digest = hashlib.sha256()
    try:
        fd = os.open(abs_path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        return as_upstream(exc)
    try:
        while chunk := os.read(fd, READ_SIZE):
            digest.update(chunk)
    except OSError as exc:
        return as_upstream(exc)
    finally:
        os.close(fd)
    return digest.hexdigest()


def _blocked(path: str, blocked: Blocked) -> dict[str, Any]:
    return {"ok": None, "kind": None, "message": f"upstream blocks forever reading {path} ({'a ' + blocked.kind})"}


def _fail(kind: str, message: str) -> dict[str, Any]:
    return {"ok": False, "kind": kind, "message": message}


def _read_json_failure(raw: Raw, name: str) -> dict[str, Any] | None:
    """``io.rs:read_json``: open errors keep their OS kind; errors while reading become Other."""
    if raw.blocks:
        return _blocked(name, raw.blocks)
    if raw.error:
        return _fail("Other" if raw.after_open else raw.error.kind, raw.error.message)
    return None


def open_stage(raw_run: Raw, decoded: Decoded | None = None) -> dict[str, Any]:
    """``RunArtifactBundle::open``: ``{"ok": true, "run_id"}`` or upstream's failure."""
    failure = _read_json_failure(raw_run, "run.json")
    if failure:
        return failure
    assert raw_run.data is not None
    decoded = decoded or decode_run_file(raw_run.data)
    if decoded.failure or decoded.value is None:
        return _fail("Other", decoded.failure.text if decoded.failure else "invalid run.json")
    return {"ok": True, "run_id": decoded.value["run_id"]}


def not_run(open_result: dict[str, Any]) -> dict[str, Any]:
    """The validate_manifest stage when ``open`` failed, as the verdict files write it."""
    return {"ok": open_result["ok"], "not_run": OPEN_FAILED, "kind": open_result["kind"],
            "message": open_result["message"]}


def validate_stage(
    root: str,
    run_id: str,
    raw_manifest: Raw,
    decoded: Decoded | None = None,
    digest_of: DigestOf = upstream_digest,
) -> dict[str, Any]:
    """``validate_manifest`` steps 1–7 (§5.3): the first failure, in upstream's order and words."""
    failure = _read_json_failure(raw_manifest, "manifest.json")
    if failure:
        return failure
    assert raw_manifest.data is not None
    decoded = decoded or decode_manifest(raw_manifest.data)
    if decoded.failure or decoded.value is None:
        return _fail("Other", decoded.failure.text if decoded.failure else "invalid manifest.json")
    manifest = decoded.value
    try:
        canon_root = os.path.realpath(root, strict=True)
    except OSError as exc:
        err = as_upstream(exc)
        return _fail(err.kind, err.message)
    if manifest["schema_version"] != 1:
        return _fail("InvalidData", "unsupported manifest schema_version")
    if manifest["run_id"] != run_id:
        return _fail("InvalidData", "manifest run_id mismatch")
    if manifest["hash_algo"] != "sha256":
        return _fail("InvalidData", "unsupported hash algorithm")
    seen: set[str] = set()
    for entry in manifest["entries"]:
        result = _check_entry(root, canon_root, entry, seen, digest_of)
        if result is not None:
            return result
    for required in REQUIRED_PATHS:
        if required not in seen:
            return _fail("InvalidData", f"required manifest entry missing: {required}")
    return {"ok": True}


def _check_entry(
    root: str, canon_root: str, entry: dict[str, Any], seen: set[str], digest_of: DigestOf
) -> dict[str, Any] | None:
    path: str = entry["path"]
    error = upstream_path_error(path)
    if error:
        return _fail("InvalidData", error)
    if path in seen:
        return _fail("InvalidData", f"duplicate manifest path entry: {path}")
    seen.add(path)
    if path in REQUIRED_PATHS and not entry["required"]:
        return _fail("InvalidData", f"required path marked non-required in manifest: {path}")
    target = root.rstrip("/") + "/" + path  # Path::join: the OS resolves `//`, `.` and a trailing `/`
    if not os.path.exists(target):
        return _fail("NotFound", f"missing file listed in manifest: {path}")
    try:
        real = os.path.realpath(target, strict=True)
    except OSError as exc:
        err = as_upstream(exc)
        return _fail(err.kind, err.message)
    if not PurePosixPath(real).is_relative_to(canon_root):
        return _fail("InvalidData", f"manifest path escapes bundle root: {path}")
    try:
        size = os.stat(target).st_size
    except OSError as exc:
        err = as_upstream(exc)
        return _fail(err.kind, err.message)
    if size != entry["bytes"]:
        return _fail("InvalidData", f"size mismatch for {path} (expected {entry['bytes']})")
    digest = digest_of(path, target)
    if isinstance(digest, Blocked):
        return _blocked(path, digest)
    if isinstance(digest, UpstreamIOError):
        return _fail(digest.kind, digest.message)
    if digest != entry["sha256"]:
        return _fail("InvalidData", f"sha256 mismatch for {path}")
    return None


def upstream_stages(root: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both stages for a bundle on disk, reading the files itself (tests, tools)."""
    base = os.fspath(root)
    opened = open_stage(read_whole(os.path.join(base, "run.json")))
    if opened["ok"] is not True:
        return opened, not_run(opened)
    return opened, validate_stage(base, opened["run_id"], read_whole(os.path.join(base, "manifest.json")))
