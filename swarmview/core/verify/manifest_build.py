"""The manifest upstream's ``finalize_manifest`` writes, byte for byte (§5.2).

Shared by the writer's ``finalize_manifest()``, ``swarmview finalize`` and the tests: the walk skips
exactly what upstream skips (files named ``manifest.json`` at any depth, names ending ``.tmp``, links,
FIFOs, sockets, devices; symlinked folders are not entered), paths are upstream's lossy UTF-8, entries
are sorted by path bytes and the JSON is serde_json's pretty layout without a trailing newline.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from swarmview.core.errors import UpstreamIOError
from swarmview.core.verify.oserr import as_upstream
from swarmview.core.verify.paths import REQUIRED_PATHS, lossy_path, upstream_path_error

READ_SIZE = 1 << 20
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


@dataclass(frozen=True)
class ManifestEntry:
    """One ``ManifestEntryV1`` as upstream writes it."""

    path: str
    sha256: str
    bytes: int
    required: bool


#: How a file is measured: absolute path (bytes) -> (length, lowercase sha256). May raise OSError.
Measure = Callable[[bytes], tuple[int, str]]


def upstream_measure(abs_path: bytes) -> tuple[int, str]:
    """Length from metadata, then the digest from a separate open, as upstream does (F-07)."""
    size = os.stat(abs_path).st_size
    digest = hashlib.sha256()
    with open(abs_path, "rb", buffering=0) as fh:
        while chunk := fh.read(READ_SIZE):
            digest.update(chunk)
    return size, digest.hexdigest()


def json_string(text: str) -> str:
    """serde_json's string text: escapes ``"``, ``\\`` and U+0000–U+001F only (§2.4)."""
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def render_manifest(run_id_hex: str, entries: list[ManifestEntry]) -> bytes:
    """``ManifestV1`` in serde_json's pretty layout (§2.2, §5.1), no trailing newline."""
    lines = ["{", '  "schema_version": 1,', f'  "run_id": {json_string(run_id_hex.lower())},']
    lines.append('  "hash_algo": "sha256",')
    if not entries:
        lines.append('  "entries": []')
    else:
        lines.append('  "entries": [')
        for i, e in enumerate(entries):
            lines.append("    {")
            lines.append(f'      "path": {json_string(e.path)},')
            lines.append(f'      "sha256": {json_string(e.sha256)},')
            lines.append(f'      "bytes": {e.bytes},')
            lines.append(f'      "required": {"true" if e.required else "false"}')
            lines.append("    }," if i < len(entries) - 1 else "    }")
        lines.append("  ]")
    lines.append("}")
    return "\n".join(lines).encode("utf-8")


def _walk(root: bytes, rel: bytes) -> Iterator[bytes]:
    """``io.rs:collect_files_recursive``: regular files not ending ``.tmp``, no links followed."""
    folder = os.path.join(root, rel) if rel else root
    try:
        with os.scandir(folder) as it:
            entries = list(it)
    except OSError as exc:
        raise as_upstream(exc) from exc
    for entry in entries:
        child = os.path.join(rel, entry.name) if rel else entry.name
        try:
            if entry.is_dir(follow_symlinks=False):
                yield from _walk(root, child)
            elif entry.is_file(follow_symlinks=False):
                try:
                    name = entry.name.decode("utf-8")
                except UnicodeDecodeError:
                    name = None  # strict conversion fails: not recognised as .tmp (F-17)
                if name is not None and name.endswith(".tmp"):
                    continue
                yield child
        except OSError as exc:
            raise as_upstream(exc) from exc


def collect_upstream_files(root: str | os.PathLike[str]) -> list[str]:
    """Every path upstream's finalize would list (lossy UTF-8), sorted by path bytes (§5.2 steps 3–5)."""
    base = os.fsencode(os.path.realpath(root))
    paths = [lossy_path(rel) for rel in _kept_files(base)]
    return sorted(paths, key=lambda p: p.encode("utf-8"))


def _kept_files(base: bytes) -> Iterator[bytes]:
    for rel in _walk(base, b""):
        if os.path.basename(rel) == b"manifest.json":
            continue
        yield rel


def missing_required(root: str | os.PathLike[str]) -> str | None:
    """The first required path that does not exist (links followed, any stat error = absent)."""
    for path in REQUIRED_PATHS:
        if not os.path.exists(os.path.join(root, path)):
            return path
    return None


def collect_upstream_entries(root: str | os.PathLike[str], measure: Measure = upstream_measure) -> list[ManifestEntry]:
    """§5.2 steps 1–5: the entries upstream would write, or its first error as ``UpstreamIOError``."""
    try:
        real = os.path.realpath(root, strict=True)
    except OSError as exc:
        raise as_upstream(exc) from exc
    missing = missing_required(real)
    if missing is not None:
        raise UpstreamIOError("NotFound", f"missing required bundle file: {missing}")
    base = os.fsencode(real)
    entries: list[ManifestEntry] = []
    for rel in _kept_files(base):
        path = lossy_path(rel)
        error = upstream_path_error(path)
        if error is not None:
            raise UpstreamIOError("InvalidData", error)
        # The walk starts at the canonical root and never follows links, so every file lies inside it.
        try:
            size, digest = measure(os.path.join(base, rel))
        except OSError as exc:
            raise as_upstream(exc) from exc
        entries.append(ManifestEntry(path, digest, size, path in REQUIRED_PATHS))
    entries.sort(key=lambda e: e.path.encode("utf-8"))
    return entries


def build_upstream_manifest(root: str | os.PathLike[str], run_id_hex: str, measure: Measure = upstream_measure) -> bytes:
    """Exactly the ``manifest.json`` bytes upstream's ``finalize_manifest`` writes for this tree.

    Raises ``UpstreamIOError("NotFound", "missing required bundle file: {path}")`` (B-053) and
    upstream's OS errors; writes nothing (the caller writes atomically).
    """
    return render_manifest(run_id_hex, collect_upstream_entries(root, measure))

