"""Node identity hashes and DataOps fingerprints exactly as upstream computes them (§3.1, §8, §9.3, §11.4).

All functions are pure: they take decoded values (dicts as ``jsontext.decode`` returns them, or
plain JSON values) and return lowercase hex. Recomputing them is how swarmview tells a tampered or
drifted hash from a benign one; upstream itself never compares.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from swarmview.core.errors import BundleWriteError
from swarmview.core.identity import postcard as pc

OP_KINDS: tuple[str, ...] = ("data", "train", "comms", "governance", "system")
EXECUTION_TRUSTS: tuple[str, ...] = ("core", "sandboxed_extension", "unsafe_extension")
DEFAULT_CODE_REF = "swarm-torch@0.1.0"

MAX_SOURCE_URI_LEN = 2048
MAX_ETAG_OR_VERSION_LEN = 512

#: Rust ``str::trim``: Unicode White_Space (Python's ``str.strip()`` differs: it strips U+001C–U+001F).
RUST_WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def rust_trim(s: str) -> str:
    return s.strip(RUST_WHITESPACE)


def ascii_lower(s: str) -> str:
    return s.translate(_ASCII_LOWER)


def _hex32(text: str, what: str) -> bytes:
    """A 64-hex digest as its 32 raw bytes (either case, as upstream's ``hex_to_bytes``)."""
    raw = bytes.fromhex(text)
    if len(raw) != 32 or len(text) != 64:
        raise ValueError(f"{what} is not 64 hex digits: {text!r}")
    return raw


# --- §3.1 / §8.4 ----------------------------------------------------------------------------------


def node_id_from_key(node_key: str) -> str:
    """First 16 bytes of SHA-256(UTF-8 key), 32 lowercase hex."""
    return hashlib.sha256(node_key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def native_runner_span_id(node_id: str, start_unix_nanos: int) -> str:
    """``native_runner.rs:deterministic_span_id``: SHA-256(node id ‖ start u64 BE)[0..8]."""
    return hashlib.sha256(bytes.fromhex(node_id) + start_unix_nanos.to_bytes(8, "big")).hexdigest()[:16]


# --- §8.2 / §8.3 ----------------------------------------------------------------------------------


def _op_kind_index(op_kind: str) -> int:
    try:
        return OP_KINDS.index(op_kind)
    except ValueError:
        raise ValueError(f"unknown op_kind {op_kind!r}") from None


def _asset_refs(refs: Sequence[Mapping[str, Any]]) -> bytes:
    """``Vec<AssetRefV1>``; an absent fingerprint contributes no byte (skip_serializing_if)."""
    parts = [pc.varint(len(refs))]
    for ref in refs:
        parts.append(pc.string(ref["asset_key"]))
        fp = ref.get("fingerprint")
        if fp is not None:
            parts.append(b"\x01" + pc.string(fp))
    return b"".join(parts)


def _op_head(node: Mapping[str, Any]) -> bytes:
    return (
        pc.varint(1)
        + pc.varint(_op_kind_index(node["op_kind"]))
        + pc.string(node["op_type"])
        + pc.string(node.get("code_ref") or "")
    )


def node_def_postcard(node: Mapping[str, Any]) -> bytes:
    """Postcard of ``NodeDefCanonicalV1`` (schema 1, op_kind, op_type, code_ref or "", io, params)."""
    return (
        _op_head(node)
        + _asset_refs(node.get("inputs") or [])
        + _asset_refs(node.get("outputs") or [])
        + pc.canon_map(node.get("params") or {})
    )


def op_postcard(node: Mapping[str, Any]) -> bytes:
    """Postcard of ``NodeOpCanonicalV0``: §8.2 without inputs/outputs."""
    return _op_head(node) + pc.canon_map(node.get("params") or {})


def node_def_hash(node: Mapping[str, Any]) -> str:
    return sha256_hex(node_def_postcard(node))


def op_hash(node: Mapping[str, Any]) -> str:
    return sha256_hex(op_postcard(node))


# --- §8.5 / §9.3 ----------------------------------------------------------------------------------


def auth_mode_text(auth_mode: str | Mapping[str, str] | None) -> str:
    """``none|bearer_token|basic|mtls`` or ``custom:{value}`` (value untouched)."""
    if auth_mode is None:
        return "none"
    if isinstance(auth_mode, Mapping):
        return "custom:" + auth_mode["custom"]
    return auth_mode


def redact_uri(uri: str) -> str:
    """§9.3 steps 1–3: trim, redact userinfo up to the last ``@`` of the authority, drop query/fragment."""
    uri = rust_trim(uri)
    sep = uri.find("://")
    if sep >= 0:
        start = sep + 3
        end = len(uri)
        for ch in "/?#":
            i = uri.find(ch, start)
            if 0 <= i < end:
                end = i
        authority = uri[start:end]
        at = authority.rfind("@")
        if at >= 0:
            uri = uri[:start] + "<redacted>@" + authority[at + 1 :] + uri[end:]
    cut = len(uri)
    for ch in "?#":
        i = uri.find(ch)
        if 0 <= i < cut:
            cut = i
    return uri[:cut]


def source_bounds_error(source: Mapping[str, Any]) -> str | None:
    """§9.3 step 5 / §9.4 bounds (byte lengths, uri first); ``None`` when within bounds."""
    uri_len = len(source["uri"].encode("utf-8", "surrogatepass"))
    if uri_len > MAX_SOURCE_URI_LEN:
        return f"source descriptor uri too long: {uri_len} > {MAX_SOURCE_URI_LEN}"
    etag = source.get("etag_or_version")
    if etag is not None:
        etag_len = len(etag.encode("utf-8", "surrogatepass"))
        if etag_len > MAX_ETAG_OR_VERSION_LEN:
            return f"source descriptor etag_or_version too long: {etag_len} > {MAX_ETAG_OR_VERSION_LEN}"
    return None


def sanitize_source_descriptor_v0(source: Mapping[str, Any]) -> dict[str, Any]:
    """The descriptor ``register_source`` stores; raises ``BundleWriteError("InvalidInput", …)`` over bounds."""
    etag = source.get("etag_or_version")
    sanitized: dict[str, Any] = {
        "uri": redact_uri(source["uri"]),
        "content_type": ascii_lower(rust_trim(source["content_type"])),
        "auth_mode": source.get("auth_mode") or "none",
        "etag_or_version": None if etag is None else rust_trim(etag),
    }
    error = source_bounds_error(sanitized)
    if error is not None:
        raise BundleWriteError("InvalidInput", error)
    return sanitized


def source_canonical(source: Mapping[str, Any]) -> dict[str, Any]:
    """``SourceFingerprintCanonicalV0`` as a dict (uri sanitized, auth mode as text)."""
    etag = source.get("etag_or_version")
    return {
        "uri": redact_uri(source["uri"]),
        "content_type": ascii_lower(rust_trim(source["content_type"])),
        "auth_mode": auth_mode_text(source.get("auth_mode")),
        "etag_or_version": None if etag is None else rust_trim(etag),
    }


def source_fingerprint_postcard(source: Mapping[str, Any]) -> bytes:
    c = source_canonical(source)
    etag = c["etag_or_version"]
    return (
        pc.string(c["uri"])
        + pc.string(c["content_type"])
        + pc.string(c["auth_mode"])
        + pc.option(None if etag is None else pc.string(etag))
    )


def source_fingerprint_v0(source: Mapping[str, Any]) -> str:
    """Over the sanitized form, so credentials/query/fragment never influence it (no bounds check)."""
    return sha256_hex(source_fingerprint_postcard(source))


def schema_hash_v0(schema: Mapping[str, str] | None) -> str:
    """``{format: trim+ASCII-lowercase, canonical: trim}``; the placeholder when there is no schema."""
    if schema is None:
        return NO_SCHEMA_HASH_V0
    return sha256_hex(
        pc.string(ascii_lower(rust_trim(schema["format"]))) + pc.string(rust_trim(schema["canonical"]))
    )


NO_SCHEMA_HASH_V0 = sha256_hex(pc.string("no_schema_v0"))
ROOT_SOURCE_V0 = sha256_hex(pc.string("root_source_v0"))


def derived_source_fingerprint_v0(asset_key: str) -> str:
    return sha256_hex(pc.string("derived_v0:" + asset_key))


def _fingerprint_seq(fps: Sequence[str]) -> bytes:
    return pc.varint(len(fps)) + b"".join(_hex32(fp, "upstream fingerprint") for fp in fps)


def recipe_hash_v0(node_def_hash_hex: str, upstream_fingerprints: Sequence[str]) -> str:
    """``RecipeHashCanonicalV0``: 32 raw bytes + count + 32 bytes per upstream fingerprint."""
    return sha256_hex(_hex32(node_def_hash_hex, "node_def_hash") + _fingerprint_seq(upstream_fingerprints))


def dataset_fingerprint_v0(source_fp: str, schema_hash: str, recipe_hash: str) -> str:
    """Three raw 32-byte arrays, no prefixes."""
    return sha256_hex(
        _hex32(source_fp, "source fingerprint")
        + _hex32(schema_hash, "schema hash")
        + _hex32(recipe_hash, "recipe hash")
    )


def cache_key_v0(node_def_hash_hex: str, upstream_fingerprints: Sequence[str], execution_profile: str) -> str:
    """Profile is the node's ``execution_trust`` spelling, trimmed and ASCII-lowercased."""
    return sha256_hex(
        _hex32(node_def_hash_hex, "node_def_hash")
        + _fingerprint_seq(upstream_fingerprints)
        + pc.string(ascii_lower(rust_trim(execution_profile)))
    )


STATUS_FINGERPRINT_PREFIX = b"swarmtorch.materialization.status.v0"


def status_fingerprint_v0(node_id: str, asset_key: str, record_seq: int, status: str) -> str:
    """§11.4 fingerprint of error/skipped records: prefix ‖ node id ‖ key ‖ seq u64 BE ‖ status."""
    return sha256_hex(
        STATUS_FINGERPRINT_PREFIX
        + bytes.fromhex(node_id)
        + asset_key.encode("utf-8", "surrogatepass")
        + record_seq.to_bytes(8, "big")
        + status.encode("ascii")
    )
