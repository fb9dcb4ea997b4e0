"""DataOps semantics of the loader and the session: materialization compatibility (§11.3), ordering
(§16.1 step 12), the snapshot-pair marker and replay (§12.6), descriptor bounds (§9.4) and the four
unsafe derivations (§13).

Pure functions over decoded values, so the loader emulation, the verifier and the GUI agree.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from swarmview.core.findings import Finding, finding
from swarmview.core.identity import hashes

REGISTRY_PATH = "datasets/registry.json"
LINEAGE_PATH = "datasets/lineage.json"
REGISTRY_LOG_PATH = "datasets/registry_updates.ndjson"
LINEAGE_LOG_PATH = "datasets/lineage_edges.ndjson"
MATERIALIZATIONS_PATH = "datasets/materializations.ndjson"
MARKER_PATH = "datasets/snapshot_pair_commit.json"

SNAPSHOT_HASH_MISMATCH = "snapshot pair hash mismatch; replaying from NDJSON updates"

#: ``MaterializationRecordV2`` field order (§11.2).
V2_FIELDS: tuple[str, ...] = (
    "schema_version", "record_seq", "ts_unix_nanos", "asset_key", "fingerprint_v0", "node_id",
    "node_def_hash", "op_type", "input_asset_keys", "input_fingerprints_v0", "rows", "bytes",
    "duration_ms", "cache_decision", "cache_reason", "cache_key_v0", "cache_hit", "unsafe_surface",
    "unsafe_reasons", "applied_transforms", "status", "error_code", "quality",
)  # fmt: skip
#: V2 fields that default to an empty list when absent (§11.2 "default []").
_V2_LIST_FIELDS = ("input_asset_keys", "input_fingerprints_v0", "unsafe_reasons", "applied_transforms")


def _byte_key(s: str) -> bytes:
    return s.encode("utf-8", "surrogatepass")


# --- materializations (§11.3, §16.1 step 12) -------------------------------------------------------------


def is_v1(rec: Mapping[str, Any]) -> bool:
    """The compat variant: ``__variant__`` from ``jsontext.decode``, else V2 iff V2's required keys are there."""
    variant = rec.get("__variant__")
    if variant is not None:
        return variant == "V1"
    return not all(k in rec for k in ("record_seq", "op_type", "cache_decision", "unsafe_surface", "status"))


def materialization_to_v2(rec: Mapping[str, Any]) -> dict[str, Any]:
    """``into_v2`` (B-132, B-133, B-136): a V1 row becomes unsafe with ``missing_provenance``, whatever it stored."""
    if not is_v1(rec):
        out = {k: rec.get(k) for k in V2_FIELDS}
        for k in _V2_LIST_FIELDS:
            out[k] = list(out[k] or [])  # a fresh list: callers may keep and extend records
        return out
    cache_hit = rec.get("cache_hit")
    return {
        "schema_version": 2,
        "record_seq": 0,
        "ts_unix_nanos": rec["ts_unix_nanos"],
        "asset_key": rec["asset_key"],
        "fingerprint_v0": rec["fingerprint_v0"],
        "node_id": rec["node_id"],
        "node_def_hash": rec["node_def_hash"],
        "op_type": "unknown",
        "input_asset_keys": [],
        "input_fingerprints_v0": [],
        "rows": rec.get("rows"),
        "bytes": rec.get("bytes"),
        "duration_ms": rec.get("duration_ms"),
        "cache_decision": "unknown" if cache_hit is None else ("hit" if cache_hit else "miss"),
        "cache_reason": None,
        "cache_key_v0": None,
        "cache_hit": cache_hit,
        "unsafe_surface": True,
        "unsafe_reasons": ["missing_provenance"],
        "applied_transforms": [],
        "status": "ok",
        "error_code": None,
        "quality": None,
    }


def order_materializations(recs: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Convert to V2, give ``record_seq`` 0 its 1-based position, sort stably by (ts, seq) (B-137)."""
    return [rec for _, rec in order_materializations_with_lines((i, r) for i, r in enumerate(recs, 1))]


def order_materializations_with_lines(
    pairs: Iterable[tuple[int, Mapping[str, Any]]],
) -> list[tuple[int, dict[str, Any]]]:
    """``order_materializations`` keeping each record's file line number (positions count parsed rows only)."""
    converted: list[tuple[int, dict[str, Any]]] = []
    for position, (line, rec) in enumerate(pairs, 1):
        v2 = materialization_to_v2(rec)
        if v2["record_seq"] == 0:
            v2["record_seq"] = position
        converted.append((line, v2))
    converted.sort(key=lambda p: (p[1]["ts_unix_nanos"], p[1]["record_seq"]))
    return converted


# --- snapshot marker and replay (§12.6) ---------------------------------------------------------------------


def marker_mismatch_reason(
    marker: Mapping[str, Any], registry_bytes: bytes, lineage_bytes: bytes
) -> str | None:
    """``snapshot_pair_mismatch_reason`` for a parsed marker: upstream's warning text, or ``None`` (B-127, B-128)."""
    version = marker.get("schema_version")
    if version != 1:
        return f"unsupported snapshot_pair_commit schema_version: {version}"
    if hashlib.sha256(registry_bytes).hexdigest() != marker.get("registry_sha256") or hashlib.sha256(
        lineage_bytes
    ).hexdigest() != marker.get("lineage_sha256"):
        return SNAPSHOT_HASH_MISMATCH
    return None


def lineage_key(edge: Mapping[str, Any]) -> tuple[str, str, str]:
    return (edge["input_fingerprint_v0"], edge["output_fingerprint_v0"], edge["node_id"].lower())


def _lineage_sort_key(key: tuple[str, str, str]) -> tuple[bytes, bytes, bytes]:
    return (_byte_key(key[0]), _byte_key(key[1]), _byte_key(key[2]))


def replay_registry(
    start: Iterable[Mapping[str, Any]], log: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Snapshot entries then log lines, last wins per ``asset_key``, sorted by key bytes (B-129, B-130)."""
    merged: dict[str, dict[str, Any]] = {}
    for entry in [*start, *log]:
        merged[entry["asset_key"]] = dict(entry)
    return [merged[k] for k in sorted(merged, key=_byte_key)]


def replay_lineage(
    start: Iterable[Mapping[str, Any]], log: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Same for edges keyed by (input fp, output fp, lowercase node id)."""
    merged: dict[tuple[str, str, str], dict[str, Any]] = {}
    for edge in [*start, *log]:
        merged[lineage_key(edge)] = dict(edge)
    return [merged[k] for k in sorted(merged, key=_lineage_sort_key)]


def descriptor_bounds_warnings(registry: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """``SourceDescriptorBoundsExceeded {asset_key, message}`` per merged entry, asset-key order (B-131)."""
    out = []
    for entry in sorted(registry, key=lambda e: _byte_key(e["asset_key"])):
        source = entry.get("source")
        if source is not None:
            message = hashes.source_bounds_error(source)
            if message is not None:
                out.append((entry["asset_key"], message))
    return out


@dataclass(frozen=True)
class DatasetsLoaded:
    """Steps 7–12 of upstream's loader: merged registry/lineage, ordered V2 records, warnings in order."""

    registry: list[dict[str, Any]]
    lineage: list[dict[str, Any]]
    materializations: list[dict[str, Any]]
    materialization_lines: list[int]
    #: ``("SnapshotPairMismatch", None, message)`` / ``("SourceDescriptorBoundsExceeded", asset_key, message)``
    warnings: list[tuple[str, str | None, str]] = field(default_factory=list)


def load_datasets(
    *,
    registry_snapshot: Mapping[str, Any] | None,
    lineage_snapshot: Mapping[str, Any] | None,
    registry_log: Sequence[Mapping[str, Any]],
    lineage_log: Sequence[Mapping[str, Any]],
    materializations: Sequence[tuple[int, Mapping[str, Any]]],
    marker_reason: str | None,
) -> DatasetsLoaded:
    """Upstream's view of the dataset files once parsed; the snapshots are ignored when ``marker_reason`` is set."""
    warnings: list[tuple[str, str | None, str]] = []
    if marker_reason is not None:
        warnings.append(("SnapshotPairMismatch", None, marker_reason))
        reg_start: Sequence[Mapping[str, Any]] = []
        lin_start: Sequence[Mapping[str, Any]] = []
    else:
        reg_start = (registry_snapshot or {}).get("datasets") or []
        lin_start = (lineage_snapshot or {}).get("edges") or []
    registry = replay_registry(reg_start, registry_log)
    warnings.extend(("SourceDescriptorBoundsExceeded", k, m) for k, m in descriptor_bounds_warnings(registry))
    ordered = order_materializations_with_lines(materializations)
    return DatasetsLoaded(
        registry=registry,
        lineage=replay_lineage(lin_start, lineage_log),
        materializations=[r for _, r in ordered],
        materialization_lines=[line for line, _ in ordered],
        warnings=warnings,
    )


# --- trust (§13) ---------------------------------------------------------------------------------------------


def registry_index(registry: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """asset_key → entry, last wins (as the merge)."""
    return {e["asset_key"]: e for e in registry}


def node_unsafe_reasons(node: Mapping[str, Any], index: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Why the report calls a node unsafe (§13.4, fail closed); empty when safe."""
    reasons = []
    trust = node.get("execution_trust") or "core"
    if trust != "core":
        reasons.append(trust)
    for ref in node.get("inputs") or []:
        entry = index.get(ref["asset_key"])
        if entry is None:
            reasons.append(f"input {ref['asset_key']} not in registry")
        elif entry.get("trust") == "untrusted":
            reasons.append(f"untrusted input {ref['asset_key']}")
    return reasons


def is_node_unsafe(node: Mapping[str, Any], index: Mapping[str, Mapping[str, Any]]) -> bool:
    """``model.rs:is_node_unsafe_with_index`` (B-143): non-core trust, or an input untrusted or absent."""
    if (node.get("execution_trust") or "core") != "core":
        return True
    for ref in node.get("inputs") or []:
        entry = index.get(ref["asset_key"])
        if entry is None or entry.get("trust") == "untrusted":
            return True
    return False


def is_node_unsafe_linear(node: Mapping[str, Any], registry: Sequence[Mapping[str, Any]]) -> bool:
    """``model.rs:is_node_unsafe``: the same by scanning the registry (last entry per key wins)."""
    if (node.get("execution_trust") or "core") != "core":
        return True
    for ref in node.get("inputs") or []:
        found = None
        for entry in registry:
            if entry["asset_key"] == ref["asset_key"]:
                found = entry
        if found is None or found.get("trust") == "untrusted":
            return True
    return False


def materialization_unsafe_reasons(
    node: Mapping[str, Any],
    index: Mapping[str, Mapping[str, Any]],
    pending_audits: Sequence[Mapping[str, Any]] = (),
) -> list[str]:
    """§13.1, writer, successful materialization: reasons in order, each at most once."""
    reasons: list[str] = []
    if any((index.get(r["asset_key"]) or {}).get("trust") == "untrusted" for r in node.get("inputs") or []):
        reasons.append("untrusted_input")
    if (node.get("execution_trust") or "core") != "core" or any(
        not a["core_trusted"] for a in pending_audits
    ):
        reasons.append("unsafe_extension")
    return reasons


def status_unsafe_reasons(node: Mapping[str, Any], index: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """§13.2, writer, error/skipped records (audits not considered; absent inputs → missing_provenance)."""
    inputs = [r["asset_key"] for r in node.get("inputs") or []]
    reasons: list[str] = []
    if any(k in index and index[k].get("trust") == "untrusted" for k in inputs):
        reasons.append("untrusted_input")
    if (node.get("execution_trust") or "core") != "core":
        reasons.append("unsafe_extension")
    if any(k not in index for k in inputs):
        reasons.append("missing_provenance")
    return reasons


def format_unsafe_reasons(reasons: Sequence[str]) -> str:
    """``model.rs:format_unsafe_reasons``: labels joined by ``,`` or ``none``."""
    return ",".join(reasons) if reasons else "none"


def format_transform_names(audits: Sequence[Mapping[str, Any]]) -> str:
    return ",".join(a["transform_name"] for a in audits) if audits else "none"


def unsafe_summary(
    nodes: Sequence[Mapping[str, Any]],
    registry: Sequence[Mapping[str, Any]],
    materializations: Sequence[Mapping[str, Any]],
) -> dict[str, list[str]]:
    """The report banner's three lists (§17.3 / F-23): unsafe nodes, untrusted datasets, unsafe records."""
    index = registry_index(registry)
    return {
        "unsafe_nodes": [n["node_key"] for n in nodes if is_node_unsafe(n, index)],
        "untrusted_datasets": [e["asset_key"] for e in registry if e.get("trust") == "untrusted"],
        "unsafe_materializations": [m["asset_key"] for m in materializations if m.get("unsafe_surface")],
    }


def untrusted_label(entry: Mapping[str, Any]) -> str:
    """F-23: tell an untrusted *source* from an output tainted by propagation."""
    return "untrusted source" if entry.get("source") is not None else "tainted output"


# --- findings (VERIFY.md §7, F-02, F-21, F-23, F-25, F-26, F-31, F-32) --------------------------------------


@dataclass(frozen=True)
class DatasetFiles:
    """The dataset files as decoded (``None`` = absent or unreadable); log and record lists carry line numbers."""

    registry_snapshot: Mapping[str, Any] | None
    lineage_snapshot: Mapping[str, Any] | None
    registry_log: Sequence[tuple[int, Mapping[str, Any]]]
    lineage_log: Sequence[tuple[int, Mapping[str, Any]]]
    materializations: Sequence[tuple[int, Mapping[str, Any]]]
    marker: Mapping[str, Any] | None = None
    marker_reason: str | None = None
    #: False for bundles written before the update logs existed (LEGACY_MISSING_UPDATE_LOGS).
    logs_present: bool = True


def dataset_findings(
    files: DatasetFiles,
    graph_exact: Mapping[str, Any] | None = None,
    graph_upstream: Mapping[str, Any] | None = None,
) -> list[Finding]:
    """swarmview's findings about ``datasets/`` (none of which upstream checks), given the decoded files and the
    stored graph (decoded with exact and with upstream float reading, as for ``graph_findings``)."""
    from swarmview.core.identity.graph import normalize_graph

    out: list[Finding] = []
    loaded = load_datasets(
        registry_snapshot=files.registry_snapshot,
        lineage_snapshot=files.lineage_snapshot,
        registry_log=[e for _, e in files.registry_log],
        lineage_log=[e for _, e in files.lineage_log],
        materializations=files.materializations,
        marker_reason=files.marker_reason,
    )
    out.extend(_schema_version_findings(files))
    if files.marker_reason is not None:
        seq = (files.marker or {}).get("pair_seq")
        if files.marker_reason == SNAPSHOT_HASH_MISMATCH:
            what = f"registry.json/lineage.json do not match snapshot_pair_commit.json (pair_seq {seq})"
        else:
            what = f"{MARKER_PATH}: {files.marker_reason}"
        out.append(finding(
            "SNAPSHOT_PAIR_MISMATCH", MARKER_PATH,
            f"{what}; upstream ignores the snapshots and replays the update logs",
        ))  # fmt: skip
    elif files.logs_present:
        out.extend(_divergence_findings(files))
    for entry in loaded.registry:
        out.extend(_descriptor_findings(entry))
    records = sorted(order_materializations_with_lines(files.materializations), key=lambda p: p[0])
    out.extend(_record_seq_findings(files.materializations))
    out.extend(_orphan_findings(files, loaded, records))
    for line, rec in records:
        n_keys, n_fps = len(rec["input_asset_keys"]), len(rec["input_fingerprints_v0"])
        if n_keys != n_fps:
            out.append(finding(
                "INPUT_PROVENANCE_MISALIGNED", MATERIALIZATIONS_PATH,
                f"{MATERIALIZATIONS_PATH}:{line}: {n_keys} input keys but {n_fps} input fingerprints; "
                "pairing by position is not possible",
                line=line,
            ))  # fmt: skip
    if graph_upstream is not None:
        exact = graph_exact if graph_exact is not None else graph_upstream
        normalized = normalize_graph(graph_upstream)
        out.extend(_record_node_findings(records, exact, graph_upstream, normalized, loaded.registry))
    out.extend(_fingerprint_findings(loaded.registry, records))
    return out


def _schema_version_findings(files: DatasetFiles) -> list[Finding]:
    out = []
    for path, doc in ((REGISTRY_PATH, files.registry_snapshot), (LINEAGE_PATH, files.lineage_snapshot)):
        if doc is not None and doc.get("schema_version") != 1:
            version = doc.get("schema_version")
            out.append(finding(
                "UNSUPPORTED_SCHEMA_VERSION", path,
                f"{path}: schema_version {version} is not supported (expected 1); read as version 1",
                expected=1, found=version if isinstance(version, int) else None,
            ))  # fmt: skip
    for line, rec in files.materializations:
        expected = 1 if is_v1(rec) else 2
        if rec.get("schema_version") != expected:
            out.append(finding(
                "UNSUPPORTED_SCHEMA_VERSION", MATERIALIZATIONS_PATH,
                f"{MATERIALIZATIONS_PATH}:{line}: schema_version {rec.get('schema_version')} is not supported "
                f"(expected {expected}); read as version {expected}",
                line=line, expected=expected, found=rec.get("schema_version"),
            ))  # fmt: skip
    return out


def _divergence_findings(files: DatasetFiles) -> list[Finding]:
    """F-26: snapshot vs log replayed alone (upstream shows their union and never compares)."""
    out = []
    snap = registry_index((files.registry_snapshot or {}).get("datasets") or [])
    log = registry_index(e for _, e in files.registry_log)
    snap_edges = {lineage_key(e) for e in (files.lineage_snapshot or {}).get("edges") or []}
    log_edges = {lineage_key(e) for _, e in files.lineage_log}
    if not log and not log_edges:
        if not snap and not snap_edges:
            return []
        return [finding(
            "SNAPSHOT_LOG_DIVERGENCE", REGISTRY_LOG_PATH,
            f"registry.json and lineage.json hold {len(snap)} datasets and {len(snap_edges)} edges but both update "
            "logs are empty (logs added after the run or lost); the snapshots are the only record",
        )]  # fmt: skip
    for key in sorted(set(snap) | set(log), key=_byte_key):
        if key not in log:
            why = "only in snapshot"
        elif key not in snap:
            why = "only in log"
        elif snap[key].get("fingerprint_v0") != log[key].get("fingerprint_v0"):
            why = "different fingerprint"
        else:
            continue
        out.append(finding(
            "SNAPSHOT_LOG_DIVERGENCE", REGISTRY_PATH,
            f"registry.json and registry_updates.ndjson disagree for {key} ({why})",
        ))  # fmt: skip
    for key in sorted(snap_edges ^ log_edges, key=_lineage_sort_key):
        why = "only in snapshot" if key in snap_edges else "only in log"
        out.append(finding(
            "SNAPSHOT_LOG_DIVERGENCE", LINEAGE_PATH,
            f"lineage.json and lineage_edges.ndjson disagree for edge {key[0]} -> {key[1]} (node {key[2]}) ({why})",
        ))  # fmt: skip
    return out


def _descriptor_findings(entry: Mapping[str, Any]) -> list[Finding]:
    """SOURCE_DESCRIPTOR_TOO_LONG for each bound the entry's source exceeds (upstream names only the first)."""
    source = entry.get("source")
    if source is None:
        return []
    out = []
    for what, value, limit in (
        ("uri", source["uri"], hashes.MAX_SOURCE_URI_LEN),
        ("etag_or_version", source.get("etag_or_version"), hashes.MAX_ETAG_OR_VERSION_LEN),
    ):
        size = len(_byte_key(value)) if value is not None else 0
        if size > limit:
            out.append(finding(
                "SOURCE_DESCRIPTOR_TOO_LONG", REGISTRY_PATH,
                f"registry entry {entry['asset_key']}: source {what} is {size} bytes (limit {limit})",
                expected=limit, found=size,
            ))  # fmt: skip
    return out


def _record_seq_findings(records: Sequence[tuple[int, Mapping[str, Any]]]) -> list[Finding]:
    lines_by_seq: dict[int, list[int]] = {}
    for line, rec in records:
        seq = rec.get("record_seq") if not is_v1(rec) else 0
        if seq:
            lines_by_seq.setdefault(seq, []).append(line)
    out = []
    for seq, lines in sorted(lines_by_seq.items()):
        if len(lines) > 1:
            listed = ", ".join(str(n) for n in lines[:-1]) + f" and {lines[-1]}"
            out.append(finding(
                "DUPLICATE_RECORD_SEQ", MATERIALIZATIONS_PATH,
                f"{MATERIALIZATIONS_PATH}: record_seq {seq} appears on lines {listed}",
                line=lines[1],
            ))  # fmt: skip
    return out


def _orphan_findings(
    files: DatasetFiles, loaded: DatasetsLoaded, records: Sequence[tuple[int, dict[str, Any]]]
) -> list[Finding]:
    """F-25: derived log entries without a record, lineage outputs known nowhere."""
    produced = {(r["asset_key"], r["fingerprint_v0"]) for _, r in records}
    out = []
    for line, entry in files.registry_log:
        key, fp = entry["asset_key"], entry["fingerprint_v0"]
        derived = entry.get("source") is None and entry.get("source_fingerprint_v0") == (
            hashes.derived_source_fingerprint_v0(key)
        )
        if derived and (key, fp) not in produced:
            out.append(finding(
                "ORPHAN_REGISTRY_UPDATE", REGISTRY_LOG_PATH,
                f"{REGISTRY_LOG_PATH}:{line}: derived dataset {key} (fingerprint {fp}) has no materialization record",
                line=line,
            ))  # fmt: skip
    known = {fp for _, fp in produced}
    known.update(e["fingerprint_v0"] for e in loaded.registry)
    known.update(e["fingerprint_v0"] for _, e in files.registry_log)
    known.update(e["fingerprint_v0"] for e in (files.registry_snapshot or {}).get("datasets") or [])
    for line, edge in files.lineage_log:
        if edge["output_fingerprint_v0"] not in known:
            out.append(finding(
                "ORPHAN_LINEAGE_EDGE", LINEAGE_LOG_PATH,
                f"{LINEAGE_LOG_PATH}:{line}: edge output {edge['output_fingerprint_v0']} has no registry entry "
                "or materialization",
                line=line,
            ))  # fmt: skip
    return out


def _record_node_findings(
    records: Sequence[tuple[int, dict[str, Any]]],
    graph_exact: Mapping[str, Any],
    graph_upstream: Mapping[str, Any],
    normalized: Mapping[str, Any],
    registry: Sequence[Mapping[str, Any]],
) -> list[Finding]:
    """F-21 / F-23: records against the loaded graph: unknown node, differing hash, differing unsafe flag."""
    from swarmview.core.identity.graph import explain_stored_hash

    by_id: dict[str, int] = {}
    for i, node in enumerate(normalized["nodes"]):
        by_id.setdefault(node["node_id"], i)
    index = registry_index(registry)
    nodes_exact = graph_exact.get("nodes") or []
    nodes_up = graph_upstream.get("nodes") or []
    out = []
    causes: dict[tuple[int, str], str] = {}
    for line, rec in records:
        node_id = rec["node_id"].lower()
        i = by_id.get(node_id)
        where = f"{MATERIALIZATIONS_PATH}:{line}"
        if i is None:
            out.append(finding(
                "MATERIALIZATION_NODE_UNKNOWN", MATERIALIZATIONS_PATH,
                f"{where}: node_id {rec['node_id']} matches no graph node", line=line,
            ))  # fmt: skip
            derived_unsafe = True  # the timeline's view of an unknown node
        else:
            node = normalized["nodes"][i]
            if rec["node_def_hash"] != node["node_def_hash"]:
                memo_key = (i, rec["node_def_hash"])
                if memo_key not in causes:  # many records share a node: search each (node, hash) once
                    causes[memo_key] = _record_hash_cause(
                        nodes_exact[i], nodes_up[i], rec["node_def_hash"], explain_stored_hash
                    )
                cause = causes[memo_key]
                out.append(finding(
                    "NODE_DEF_HASH_DIFFERS", MATERIALIZATIONS_PATH,
                    f"{where}: node_def_hash differs from graph node {node['node_key']} ({cause})",
                    line=line, expected=node["node_def_hash"], found=rec["node_def_hash"],
                ))  # fmt: skip
            derived_unsafe = is_node_unsafe(node, index)
        stored = bool(rec["unsafe_surface"])
        if stored != derived_unsafe:
            out.append(finding(
                "UNSAFE_STATUS_DIFFERS", MATERIALIZATIONS_PATH,
                f"{rec['asset_key']} record {rec['record_seq']}: stored unsafe_surface={str(stored).lower()}, "
                f"derived from node and registry={str(derived_unsafe).lower()}",
                line=line,
            ))  # fmt: skip
    return out


def _record_hash_cause(exact: Mapping[str, Any], up: Mapping[str, Any], stored: str, explain: Any) -> str:
    """The likely reason a record's hash differs from its graph node's (F-21)."""
    from swarmview.core.identity.graph import CAUSE_TEXT

    variants: list[tuple[dict[str, Any], dict[str, Any], str | None]] = []
    if (up.get("code_ref") or "") == hashes.DEFAULT_CODE_REF:
        variants.append(
            ({**exact, "code_ref": None}, {**up, "code_ref": None}, "code_ref filled by write_graph")
        )
    variants.append((dict(exact), dict(up), None))
    for ex, u, prefix in variants:
        if prefix is not None and hashes.node_def_hash(u) == stored:
            return prefix
        cause, _ = explain(ex, u, stored)
        if cause not in ("unknown", "code_ref"):
            return f"{prefix}; {CAUSE_TEXT[cause]}" if prefix else CAUSE_TEXT[cause]
    return "graph changed after the run"


def _fingerprint_findings(
    registry: Sequence[Mapping[str, Any]], records: Sequence[tuple[int, dict[str, Any]]]
) -> list[Finding]:
    """F-31: re-derive what current rules allow (source/schema parts, composition, derived recipes); info only."""
    recipe_inputs = {(r["asset_key"], r["fingerprint_v0"]): r for _, r in records if r["status"] == "ok"}
    out = []
    for entry in registry:
        key = entry["asset_key"]
        ok = True
        try:
            source = entry.get("source")
            want_source = (
                hashes.source_fingerprint_v0(source)
                if source is not None
                else hashes.derived_source_fingerprint_v0(key)
            )
            ok &= entry["source_fingerprint_v0"] == want_source
            ok &= entry["schema_hash_v0"] == hashes.schema_hash_v0(entry.get("schema"))
            ok &= entry["fingerprint_v0"] == hashes.dataset_fingerprint_v0(
                entry["source_fingerprint_v0"], entry["schema_hash_v0"], entry["recipe_hash_v0"]
            )
            rec = recipe_inputs.get((key, entry["fingerprint_v0"]))
            if (
                rec is not None
                and source is None
                and len(rec["input_fingerprints_v0"]) == len(rec["input_asset_keys"])
            ):
                ok &= entry["recipe_hash_v0"] == hashes.recipe_hash_v0(
                    rec["node_def_hash"], rec["input_fingerprints_v0"]
                )
        except (ValueError, KeyError):
            ok = False
        if not ok:
            out.append(finding(
                "FINGERPRINT_UNVERIFIABLE", REGISTRY_PATH,
                f"{key}: fingerprint cannot be re-derived with current rules (bundle older than 2026-02-14 or "
                "inputs unknown)",
            ))  # fmt: skip
    return out
