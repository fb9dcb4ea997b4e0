"""Reading ``manifest.json`` and ``run.json`` the way upstream's ``io.rs:read_json`` does.

Both go through serde_json's ``from_reader`` upstream, whose error positions differ from the slice
reader's (§2.6), so they are decoded with ``jsontext.decode(reader="io")``. Until that decoder exists a
stand-in built on orjson keeps the verifier usable (messages are then approximate); the switch is
:func:`_jsontext` alone.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

import orjson


@dataclass(frozen=True)
class DecodeFailure:
    """serde_json's error: ``text`` is the full message as upstream prints it (position included)."""

    text: str
    line: int | None
    column: int | None


@dataclass(frozen=True)
class Decoded:
    value: dict[str, Any] | None
    failure: DecodeFailure | None
    #: Non-fatal observations (unknown keys, uppercase ids, …) as ``(kind, detail)``.
    notes: list[tuple[str, str]] = field(default_factory=list)


def _jsontext() -> Any:
    """The real upstream-exact decoder when the jsontext package provides it, else None."""
    try:  # the package re-exports the function ``decode`` under the submodule's name: import by path
        decode_mod = importlib.import_module("swarmview.core.jsontext.decode")
        types_mod = importlib.import_module("swarmview.core.jsontext.types")
    except ImportError:
        return None
    if not hasattr(decode_mod, "decode") or not hasattr(types_mod, "MANIFEST_V1"):
        return None
    return decode_mod.decode, types_mod, decode_mod.JsonError


def have_exact_decoder() -> bool:
    return _jsontext() is not None


def _decode(data: bytes, type_name: str, fallback: Any) -> Decoded:
    real = _jsontext()
    if real is None:
        return fallback(data)
    decode, types_mod, json_error = real
    diagnostics: list[Any] = []
    try:
        value = decode(data, getattr(types_mod, type_name), reader="io", diagnostics=diagnostics)
    except json_error as exc:
        suffix = getattr(exc, "suffix", True)
        return Decoded(None, DecodeFailure(exc.serde_text(), exc.line if suffix else None,
                                           exc.column if suffix else None))
    notes = [(d.kind, f"{d.path}: {d.detail}" if d.path else d.detail) for d in diagnostics]
    return Decoded(value, None, notes)


def decode_manifest(data: bytes) -> Decoded:
    """``ManifestV1`` as upstream reads it; ids come back as lowercase hex."""
    return _decode(data, "MANIFEST_V1", _fallback_manifest)


def decode_run_file(data: bytes) -> Decoded:
    """``RunFileV1`` as upstream's ``open`` reads it."""
    return _decode(data, "RUN_FILE_V1", _fallback_run)


# --- stand-in (orjson): structure checks with serde-like texts, positions approximate -------------

def _orjson(data: bytes) -> tuple[Any, DecodeFailure | None]:
    try:
        return orjson.loads(data), None
    except orjson.JSONDecodeError as exc:
        if data.startswith(b"\xef\xbb\xbf") or not data.strip():
            text = "expected value at line 1 column 1" if data else "EOF while parsing a value at line 1 column 0"
            return None, DecodeFailure(text, 1, 1 if data else 0)
        return None, DecodeFailure(f"{exc.msg} at line {exc.lineno} column {exc.colno}", exc.lineno, exc.colno)


def _id_error(text: Any) -> str | None:
    if not isinstance(text, str):
        return "invalid type, expected a lowercase hex string of length 32"
    if len(text) != 32:
        return "invalid id length"
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        return "invalid hex in id"
    return "all-zero id is invalid" if not any(raw) else None


def _fail(text: str) -> Decoded:
    return Decoded(None, DecodeFailure(f"{text} at line 1 column 1", 1, 1))


def _fallback_run(data: bytes) -> Decoded:
    doc, failure = _orjson(data)
    if failure:
        return Decoded(None, failure)
    if not isinstance(doc, dict):
        return _fail("invalid type: expected struct RunFileV1")
    for key in ("schema_version", "run_id", "created_unix_nanos", "swarmtorch_version"):
        if key not in doc:
            return _fail(f"missing field `{key}`")
    err = _id_error(doc["run_id"])
    if err:
        return _fail(err)
    return Decoded({**doc, "run_id": doc["run_id"].lower()}, None)


def _fallback_manifest(data: bytes) -> Decoded:
    doc, failure = _orjson(data)
    if failure:
        return Decoded(None, failure)
    if not isinstance(doc, dict):
        return _fail("invalid type: expected struct ManifestV1")
    for key in ("schema_version", "run_id", "hash_algo", "entries"):
        if key not in doc:
            return _fail(f"missing field `{key}`")
    err = _id_error(doc["run_id"])
    if err:
        return _fail(err)
    if not isinstance(doc["schema_version"], int) or isinstance(doc["schema_version"], bool):
        return _fail("invalid type: expected u32")
    if not isinstance(doc["hash_algo"], str) or not isinstance(doc["entries"], list):
        return _fail("invalid type: expected ManifestV1 fields")
    entries = []
    for e in doc["entries"]:
        if not isinstance(e, dict):
            return _fail("invalid type: expected struct ManifestEntryV1")
        for key, typ in (("path", str), ("sha256", str), ("bytes", int), ("required", bool)):
            if key not in e:
                return _fail(f"missing field `{key}`")
            if not isinstance(e[key], typ) or (typ is int and (isinstance(e[key], bool) or e[key] < 0)):
                return _fail(f"invalid type for `{key}`")
        entries.append({k: e[k] for k in ("path", "sha256", "bytes", "required")})
    value = {"schema_version": doc["schema_version"], "run_id": doc["run_id"].lower(),
             "hash_algo": doc["hash_algo"], "entries": entries}
    return Decoded(value, None)
