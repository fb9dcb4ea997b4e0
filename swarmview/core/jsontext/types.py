"""Upstream's record types (BUNDLE_FORMAT §4–§12), field by field in declaration order.

Names match the ``type`` field of ``vectors/serde_json_error_positions.ndjson`` through
``TYPES_BY_NAME``. Presence and write rules are copied from the spec's tables ("omitted if none"
→ ``omit_if_none``; "default" → ``presence="default"``).
"""

from __future__ import annotations

from .schema import (
    ATTR_VALUE,
    BOOL,
    CANON_VALUE,
    F64,
    I64,
    STR,
    U32,
    U64,
    Enum,
    Field,
    Id,
    Map,
    Opt,
    Schema,
    Struct,
    Untagged,
    Vec,
)

__all__ = [
    "ASSET_REF_V1",
    "AUTH_MODE_MARKER",
    "DATASET_ENTRY_V1",
    "DATASET_LINEAGE_V1",
    "DATASET_REGISTRY_V1",
    "EDGE_V1",
    "EVENT_RECORD",
    "GRAPH_V1",
    "LINEAGE_EDGE_V1",
    "MANIFEST_ENTRY_V1",
    "MANIFEST_V1",
    "MATERIALIZATION_COMPAT",
    "MATERIALIZATION_V1",
    "MATERIALIZATION_V2",
    "METRIC_RECORD",
    "NODE_ID",
    "NODE_V1",
    "RUN_FILE_V1",
    "RUN_ID",
    "SNAPSHOT_PAIR_COMMIT_V1",
    "SPAN_ID",
    "SPAN_RECORD",
    "TRACE_ID",
    "TYPES_BY_NAME",
]

TRACE_ID = Id(16, "TraceId")
SPAN_ID = Id(8, "SpanId")
RUN_ID = Id(16, "RunId")
NODE_ID = Id(16, "NodeId")


def _req(name: str, schema: Schema) -> Field:
    return Field(name, schema)


def _opt(name: str, schema: Schema) -> Field:
    """``Option<T>`` written as ``null`` when none."""
    return Field(name, Opt(schema), "option")


def _opt_skip(name: str, schema: Schema) -> Field:
    """``Option<T>`` with ``skip_serializing_if = "Option::is_none"``."""
    return Field(name, Opt(schema), "option", None, "omit_if_none")


def _vec_default(name: str, schema: Schema, write: str = "always") -> Field:
    return Field(name, Vec(schema), "default", [], write)  # type: ignore[arg-type]


# ---- enums (§7.3) ----
OP_KIND = Enum("OpKind", ("data", "train", "comms", "governance", "system"))
EXECUTION_TRUST = Enum("ExecutionTrust", ("core", "sandboxed_extension", "unsafe_extension"))
PREFERRED_PROFILE = Enum("PreferredProfile", ("embedded_min", "embedded_alloc", "edge_std"))
DEVICE_AFFINITY = Enum("DeviceAffinity", ("coordinator", "any_participant"))
CACHE_POLICY_V0 = Enum("CachePolicyV0", ("auto", "prefer_reuse", "bypass"))
MATERIALIZATION_POLICY_V0 = Enum("MaterializationPolicyV0", ("full", "metadata_only", "lazy"))
TRUST_CLASS = Enum("TrustClass", ("trusted", "untrusted"))
AUTH_MODE_MARKER = Enum("AuthModeMarker", ("none", "bearer_token", "basic", "mtls", "custom"), frozenset({"custom"}))
CACHE_DECISION_V0 = Enum("CacheDecisionV0", ("hit", "miss", "bypass", "unknown"))
MATERIALIZATION_STATUS_V0 = Enum("MaterializationStatusV0", ("ok", "error", "skipped"))
UNSAFE_REASON_V0 = Enum("UnsafeReasonV0", ("untrusted_input", "unsafe_extension", "missing_provenance"))

# ---- telemetry (§4) ----
ATTRS = Map(ATTR_VALUE)
SPAN_RECORD = Struct(
    "SpanRecord",
    (
        _req("schema_version", U32),
        _req("trace_id", TRACE_ID),
        _req("span_id", SPAN_ID),
        _opt("parent_span_id", SPAN_ID),
        _req("name", STR),
        _req("start_unix_nanos", U64),
        _opt("end_unix_nanos", U64),
        _req("attrs", ATTRS),
    ),
)
EVENT_RECORD = Struct(
    "EventRecord",
    (
        _req("schema_version", U32),
        _req("ts_unix_nanos", U64),
        _req("trace_id", TRACE_ID),
        _opt("span_id", SPAN_ID),
        _req("name", STR),
        _req("attrs", ATTRS),
    ),
)
METRIC_RECORD = Struct(
    "MetricRecord",
    (
        _req("schema_version", U32),
        _req("ts_unix_nanos", U64),
        _req("trace_id", TRACE_ID),
        _opt("span_id", SPAN_ID),
        _req("name", STR),
        _req("value", F64),
        _opt("unit", STR),
        _req("attrs", ATTRS),
    ),
)

# ---- manifest and run.json (§5.1, §6.1) ----
MANIFEST_ENTRY_V1 = Struct(
    "ManifestEntryV1",
    (_req("path", STR), _req("sha256", STR), _req("bytes", U64), _req("required", BOOL)),
)
MANIFEST_V1 = Struct(
    "ManifestV1",
    (
        _req("schema_version", U32),
        _req("run_id", RUN_ID),
        _req("hash_algo", STR),
        _req("entries", Vec(MANIFEST_ENTRY_V1)),
    ),
)
RUN_FILE_V1 = Struct(
    "RunFileV1",
    (
        _req("schema_version", U32),
        _req("run_id", RUN_ID),
        _req("created_unix_nanos", U64),
        _req("swarmtorch_version", STR),
    ),
)

# ---- graph (§7) ----
ASSET_REF_V1 = Struct("AssetRefV1", (_req("asset_key", STR), _opt_skip("fingerprint", STR)))
EDGE_V1 = Struct(
    "EdgeV1",
    (_req("from_node_id", NODE_ID), _req("to_node_id", NODE_ID), _opt_skip("asset_key", STR)),
)
EXECUTION_HINT = Struct(
    "ExecutionHint",
    (
        _opt_skip("preferred_profile", PREFERRED_PROFILE),
        _opt_skip("device_affinity", DEVICE_AFFINITY),
        _opt_skip("memory_budget_bytes", U64),
    ),
)
RESOURCE_HINTS_V0 = Struct(
    "ResourceHintsV0",
    (_opt_skip("cpu_millis", U32), _opt_skip("memory_bytes", U64), _opt_skip("accelerator", STR)),
)
NODE_V1 = Struct(
    "NodeV1",
    (
        _req("node_key", STR),
        _opt_skip("node_id", NODE_ID),
        _req("op_kind", OP_KIND),
        _req("op_type", STR),
        _vec_default("inputs", ASSET_REF_V1),
        _vec_default("outputs", ASSET_REF_V1),
        Field("params", Map(CANON_VALUE), "default", {}),
        _opt_skip("code_ref", STR),
        Field("unsafe_surface", BOOL, "default", False),
        Field("execution_trust", EXECUTION_TRUST, "default", "core"),
        _opt_skip("node_def_hash", STR),
        _opt_skip("execution_hint", EXECUTION_HINT),
        _opt_skip("cache_policy", CACHE_POLICY_V0),
        _opt_skip("materialization_policy", MATERIALIZATION_POLICY_V0),
        _opt_skip("resources", RESOURCE_HINTS_V0),
        _opt_skip("op_hash", STR),
    ),
)
GRAPH_V1 = Struct(
    "GraphV1",
    (
        _req("schema_version", U32),
        _opt_skip("graph_id", STR),
        _vec_default("nodes", NODE_V1),
        _vec_default("edges", EDGE_V1),
    ),
)

# ---- datasets (§9, §10, §12.4) ----
SOURCE_DESCRIPTOR_V0 = Struct(
    "SourceDescriptorV0",
    (
        _req("uri", STR),
        _req("content_type", STR),
        Field("auth_mode", AUTH_MODE_MARKER, "default", "none"),
        _opt_skip("etag_or_version", STR),
    ),
)
SCHEMA_DESCRIPTOR_V0 = Struct("SchemaDescriptorV0", (_req("format", STR), _req("canonical", STR)))
DATASET_ENTRY_V1 = Struct(
    "DatasetEntryV1",
    (
        _req("asset_key", STR),
        _req("fingerprint_v0", STR),
        _req("source_fingerprint_v0", STR),
        _req("schema_hash_v0", STR),
        _req("recipe_hash_v0", STR),
        Field("trust", TRUST_CLASS, "default", "trusted"),
        _opt_skip("source", SOURCE_DESCRIPTOR_V0),
        _opt_skip("schema", SCHEMA_DESCRIPTOR_V0),
        _vec_default("license_flags", STR, "omit_if_empty"),
        _vec_default("pii_tags", STR, "omit_if_empty"),
    ),
)
DATASET_REGISTRY_V1 = Struct(
    "DatasetRegistryV1", (_req("schema_version", U32), _vec_default("datasets", DATASET_ENTRY_V1))
)
LINEAGE_EDGE_V1 = Struct(
    "LineageEdgeV1",
    (
        _req("input_fingerprint_v0", STR),
        _req("output_fingerprint_v0", STR),
        _req("node_id", NODE_ID),
        _req("op_kind", OP_KIND),
    ),
)
DATASET_LINEAGE_V1 = Struct(
    "DatasetLineageV1", (_req("schema_version", U32), _vec_default("edges", LINEAGE_EDGE_V1))
)
SNAPSHOT_PAIR_COMMIT_V1 = Struct(
    "SnapshotPairCommitV1",
    (
        _req("schema_version", U32),
        _req("pair_seq", U64),
        _req("registry_sha256", STR),
        _req("lineage_sha256", STR),
    ),
)

# ---- materializations (§11) ----
MATERIALIZATION_V1 = Struct(
    "MaterializationRecordV1",
    (
        _req("schema_version", U32),
        _req("ts_unix_nanos", U64),
        _req("asset_key", STR),
        _req("fingerprint_v0", STR),
        _req("node_id", NODE_ID),
        _req("node_def_hash", STR),
        _opt_skip("rows", U64),
        _opt_skip("bytes", U64),
        _opt_skip("cache_hit", BOOL),
        _opt_skip("duration_ms", U64),
        _opt_skip("quality_flags", Vec(STR)),
        Field("unsafe_surface", BOOL, "default", False),
    ),
)
TRANSFORM_AUDIT_V0 = Struct(
    "TransformAuditV0",
    (_req("transform_name", STR), _req("core_trusted", BOOL), _req("round_id", U64)),
)
QUALITY_SUMMARY_V0 = Struct(
    "QualitySummaryV0",
    (_opt_skip("null_rate", F64), _opt_skip("row_count_delta", I64), _opt_skip("schema_changed", BOOL)),
)
MATERIALIZATION_V2 = Struct(
    "MaterializationRecordV2",
    (
        _req("schema_version", U32),
        _req("record_seq", U64),
        _req("ts_unix_nanos", U64),
        _req("asset_key", STR),
        _req("fingerprint_v0", STR),
        _req("node_id", NODE_ID),
        _req("node_def_hash", STR),
        _req("op_type", STR),
        _vec_default("input_asset_keys", STR, "omit_if_empty"),
        _vec_default("input_fingerprints_v0", STR, "omit_if_empty"),
        _opt_skip("rows", U64),
        _opt_skip("bytes", U64),
        _opt_skip("duration_ms", U64),
        _req("cache_decision", CACHE_DECISION_V0),
        _opt_skip("cache_reason", STR),
        _opt_skip("cache_key_v0", STR),
        _opt_skip("cache_hit", BOOL),
        _req("unsafe_surface", BOOL),
        _vec_default("unsafe_reasons", UNSAFE_REASON_V0, "omit_if_empty"),
        _vec_default("applied_transforms", TRANSFORM_AUDIT_V0, "omit_if_empty"),
        _req("status", MATERIALIZATION_STATUS_V0),
        _opt_skip("error_code", STR),
        _opt_skip("quality", QUALITY_SUMMARY_V0),
    ),
)
MATERIALIZATION_COMPAT = Untagged("MaterializationRecordCompat", (MATERIALIZATION_V2, MATERIALIZATION_V1))

TYPES_BY_NAME: dict[str, Schema] = {
    s.name: s
    for s in (
        RUN_FILE_V1,
        MANIFEST_V1,
        MANIFEST_ENTRY_V1,
        GRAPH_V1,
        NODE_V1,
        EDGE_V1,
        ASSET_REF_V1,
        EXECUTION_HINT,
        RESOURCE_HINTS_V0,
        SPAN_RECORD,
        EVENT_RECORD,
        METRIC_RECORD,
        SOURCE_DESCRIPTOR_V0,
        SCHEMA_DESCRIPTOR_V0,
        DATASET_ENTRY_V1,
        DATASET_REGISTRY_V1,
        LINEAGE_EDGE_V1,
        DATASET_LINEAGE_V1,
        SNAPSHOT_PAIR_COMMIT_V1,
        MATERIALIZATION_V1,
        MATERIALIZATION_V2,
        TRANSFORM_AUDIT_V0,
        QUALITY_SUMMARY_V0,
        MATERIALIZATION_COMPAT,
    )
}
TYPES_BY_NAME.update({"AttrValue": ATTR_VALUE, "CanonValue": CANON_VALUE})
