"""Caller dicts → complete upstream values (graph, dataset records) ready for ``jsontext.encode``.

Callers may omit optional fields, give ids as bytes or uppercase hex, numpy scalars or tuples; the
encoder wants every field of the struct in its decoded shape. Upstream validates none of the dataset
records on write (§15.1), so only what would make a record unwritable or unreadable is refused
(wrong types, zero ids, non-finite ``null_rate`` unless ``allow_nonfinite``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from swarmview.core.writer import bounds
from swarmview.core.writer.records import id_hex

NODE_ID_BYTES = 16

OP_KINDS = ("data", "train", "comms", "governance", "system")
EXECUTION_TRUSTS = ("core", "sandboxed_extension", "unsafe_extension")
TRUST_CLASSES = ("trusted", "untrusted")
CACHE_DECISIONS = ("hit", "miss", "bypass", "unknown")
STATUSES = ("ok", "error", "skipped")
UNSAFE_REASONS = ("untrusted_input", "unsafe_extension", "missing_provenance")
AUTH_MODES = ("none", "bearer_token", "basic", "mtls")


def enum_value(value: object, allowed: Sequence[str], what: str) -> str:
    if value not in allowed:
        raise bounds.invalid(f"{what} must be one of {', '.join(allowed)}; got {value!r}")
    return value  # type: ignore[return-value]


def _opt_u64(value: object, what: str) -> int | None:
    return None if value is None else bounds.check_u64(value, what)


def _strs(values: Sequence[object] | None, what: str) -> list[str]:
    return [bounds.check_text(v, what) for v in values or []]


def node_id_text(value: object) -> str:
    return id_hex(value, NODE_ID_BYTES, "node_id")


# --- graph -----------------------------------------------------------------------------------------


def _asset_ref(ref: Mapping[str, Any] | str) -> dict[str, Any]:
    if isinstance(ref, str):
        return {"asset_key": ref, "fingerprint": None}
    fp = ref.get("fingerprint")
    return {
        "asset_key": bounds.check_text(ref["asset_key"], "asset_key"),
        "fingerprint": None if fp is None else bounds.check_text(fp, "fingerprint"),
    }


def coerce_node(node: Mapping[str, Any], *, allow_nonfinite: bool = False) -> dict[str, Any]:
    """A ``NodeV1`` with every field (§7.2), params typed as upstream would hold them (U64 marks kept)."""
    key = bounds.check_text(node["node_key"], "node_key")
    node_id = node.get("node_id")
    params = node.get("params") or {}
    if not isinstance(params, Mapping):
        raise bounds.invalid(f"params of node {key} must be a mapping")
    return {
        "node_key": key,
        "node_id": None if node_id is None else node_id_text(node_id),
        "op_kind": enum_value(node["op_kind"], OP_KINDS, f"op_kind of node {key}"),
        "op_type": bounds.check_text(node["op_type"], "op_type"),
        "inputs": [_asset_ref(r) for r in node.get("inputs") or []],
        "outputs": [_asset_ref(r) for r in node.get("outputs") or []],
        "params": bounds.coerce_canon(params, f"{key}/params", allow_nonfinite=allow_nonfinite),
        "code_ref": node.get("code_ref"),
        "unsafe_surface": bool(node.get("unsafe_surface", False)),
        "execution_trust": enum_value(node.get("execution_trust", "core"), EXECUTION_TRUSTS,
                                 f"execution_trust of node {key}"),
        "node_def_hash": node.get("node_def_hash"),
        "execution_hint": node.get("execution_hint"),
        "cache_policy": node.get("cache_policy"),
        "materialization_policy": node.get("materialization_policy"),
        "resources": node.get("resources"),
        "op_hash": node.get("op_hash"),
    }


def coerce_edge(edge: Mapping[str, Any]) -> dict[str, Any]:
    asset_key = edge.get("asset_key")
    return {
        "from_node_id": node_id_text(edge["from_node_id"]),
        "to_node_id": node_id_text(edge["to_node_id"]),
        "asset_key": None if asset_key is None else bounds.check_text(asset_key, "edge asset_key"),
    }


def coerce_graph(graph: Mapping[str, Any], *, allow_nonfinite: bool = False) -> dict[str, Any]:
    """A ``GraphV1`` as ``write_graph`` receives it (validation and normalization are identity's)."""
    graph_id = graph.get("graph_id")
    return {
        "schema_version": graph.get("schema_version", 1),
        "graph_id": None if graph_id is None else bounds.check_text(graph_id, "graph_id"),
        "nodes": [coerce_node(n, allow_nonfinite=allow_nonfinite) for n in graph.get("nodes") or []],
        "edges": [coerce_edge(e) for e in graph.get("edges") or []],
    }


# --- datasets --------------------------------------------------------------------------------------


def source_descriptor(source: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if source is None:
        return None
    auth = source.get("auth_mode") or "none"
    if isinstance(auth, Mapping):
        auth = {"custom": bounds.check_text(auth["custom"], "auth_mode custom")}
    else:
        auth = enum_value(auth, AUTH_MODES, "auth_mode")
    etag = source.get("etag_or_version")
    return {
        "uri": bounds.check_text(source["uri"], "source uri"),
        "content_type": bounds.check_text(source["content_type"], "content_type"),
        "auth_mode": auth,
        "etag_or_version": None if etag is None else bounds.check_text(etag, "etag_or_version"),
    }


def schema_descriptor(schema: Mapping[str, Any] | None) -> dict[str, str] | None:
    if schema is None:
        return None
    return {
        "format": bounds.check_text(schema["format"], "schema format"),
        "canonical": bounds.check_text(schema["canonical"], "schema canonical"),
    }


def dataset_entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A ``DatasetEntryV1`` (§9.1) with every field."""
    return {
        "asset_key": bounds.check_text(entry["asset_key"], "asset_key"),
        "fingerprint_v0": bounds.check_text(entry["fingerprint_v0"], "fingerprint_v0"),
        "source_fingerprint_v0": bounds.check_text(entry["source_fingerprint_v0"], "source_fingerprint_v0"),
        "schema_hash_v0": bounds.check_text(entry["schema_hash_v0"], "schema_hash_v0"),
        "recipe_hash_v0": bounds.check_text(entry["recipe_hash_v0"], "recipe_hash_v0"),
        "trust": enum_value(entry.get("trust", "trusted"), TRUST_CLASSES, "trust"),
        "source": source_descriptor(entry.get("source")),
        "schema": schema_descriptor(entry.get("schema")),
        "license_flags": _strs(entry.get("license_flags"), "license flag"),
        "pii_tags": _strs(entry.get("pii_tags"), "pii tag"),
    }


def lineage_edge(edge: Mapping[str, Any]) -> dict[str, Any]:
    """A ``LineageEdgeV1`` (§10)."""
    return {
        "input_fingerprint_v0": bounds.check_text(edge["input_fingerprint_v0"], "input_fingerprint_v0"),
        "output_fingerprint_v0": bounds.check_text(edge["output_fingerprint_v0"], "output_fingerprint_v0"),
        "node_id": node_id_text(edge["node_id"]),
        "op_kind": enum_value(edge["op_kind"], OP_KINDS, "lineage op_kind"),
    }


def materialization_v1(rec: Mapping[str, Any]) -> dict[str, Any]:
    """A legacy ``MaterializationRecordV1`` (§11.1)."""
    flags = rec.get("quality_flags")
    cache_hit = rec.get("cache_hit")
    return {
        "schema_version": bounds.check_u64(rec.get("schema_version", 1), "schema_version"),
        "ts_unix_nanos": bounds.check_u64(rec["ts_unix_nanos"], "ts_unix_nanos"),
        "asset_key": bounds.check_text(rec["asset_key"], "asset_key"),
        "fingerprint_v0": bounds.check_text(rec["fingerprint_v0"], "fingerprint_v0"),
        "node_id": node_id_text(rec["node_id"]),
        "node_def_hash": bounds.check_text(rec["node_def_hash"], "node_def_hash"),
        "rows": _opt_u64(rec.get("rows"), "rows"),
        "bytes": _opt_u64(rec.get("bytes"), "bytes"),
        "cache_hit": None if cache_hit is None else bool(cache_hit),
        "duration_ms": _opt_u64(rec.get("duration_ms"), "duration_ms"),
        "quality_flags": None if flags is None else _strs(flags, "quality flag"),
        "unsafe_surface": bool(rec.get("unsafe_surface", False)),
    }


def transform_audit(audit: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "transform_name": bounds.check_text(audit["transform_name"], "transform_name"),
        "core_trusted": bool(audit["core_trusted"]),
        "round_id": bounds.check_u64(audit["round_id"], "round_id"),
    }


def _quality(quality: Mapping[str, Any] | None, allow_nonfinite: bool) -> dict[str, Any] | None:
    if quality is None:
        return None
    null_rate = quality.get("null_rate")
    delta = quality.get("row_count_delta")
    changed = quality.get("schema_changed")
    if delta is not None and not bounds.I64_MIN <= int(delta) <= bounds.I64_MAX:
        raise bounds.invalid(f"row_count_delta {delta} is outside the i64 range")
    return {
        "null_rate": None if null_rate is None
        else bounds.coerce_float(null_rate, "quality null_rate", allow_nonfinite=allow_nonfinite),
        "row_count_delta": None if delta is None else int(delta),
        "schema_changed": None if changed is None else bool(changed),
    }  # fmt: skip


def materialization_v2(rec: Mapping[str, Any], *, allow_nonfinite: bool = False) -> dict[str, Any]:
    """A ``MaterializationRecordV2`` (§11.2) with every field."""
    cache_hit = rec.get("cache_hit")
    cache_key = rec.get("cache_key_v0")
    cache_reason = rec.get("cache_reason")
    error_code = rec.get("error_code")
    return {
        "schema_version": bounds.check_u64(rec.get("schema_version", 2), "schema_version"),
        "record_seq": bounds.check_u64(rec["record_seq"], "record_seq"),
        "ts_unix_nanos": bounds.check_u64(rec["ts_unix_nanos"], "ts_unix_nanos"),
        "asset_key": bounds.check_text(rec["asset_key"], "asset_key"),
        "fingerprint_v0": bounds.check_text(rec["fingerprint_v0"], "fingerprint_v0"),
        "node_id": node_id_text(rec["node_id"]),
        "node_def_hash": bounds.check_text(rec["node_def_hash"], "node_def_hash"),
        "op_type": bounds.check_text(rec["op_type"], "op_type"),
        "input_asset_keys": _strs(rec.get("input_asset_keys"), "input asset key"),
        "input_fingerprints_v0": _strs(rec.get("input_fingerprints_v0"), "input fingerprint"),
        "rows": _opt_u64(rec.get("rows"), "rows"),
        "bytes": _opt_u64(rec.get("bytes"), "bytes"),
        "duration_ms": _opt_u64(rec.get("duration_ms"), "duration_ms"),
        "cache_decision": enum_value(rec["cache_decision"], CACHE_DECISIONS, "cache_decision"),
        "cache_reason": None if cache_reason is None else bounds.check_text(cache_reason, "cache_reason"),
        "cache_key_v0": None if cache_key is None else bounds.check_text(cache_key, "cache_key_v0"),
        "cache_hit": None if cache_hit is None else bool(cache_hit),
        "unsafe_surface": bool(rec["unsafe_surface"]),
        "unsafe_reasons": [enum_value(r, UNSAFE_REASONS, "unsafe reason") for r in rec.get("unsafe_reasons") or []],
        "applied_transforms": [transform_audit(a) for a in rec.get("applied_transforms") or []],
        "status": enum_value(rec.get("status", "ok"), STATUSES, "status"),
        "error_code": None if error_code is None else bounds.check_text(error_code, "error_code"),
        "quality": _quality(rec.get("quality"), allow_nonfinite),
    }
