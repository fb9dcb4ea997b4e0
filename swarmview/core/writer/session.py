"""``DataOpsSession``: upstream's ``session.rs`` over a :class:`BundleWriter` (§9.2, §10, §11.4, §12, §13).

It derives every registry entry, lineage edge and materialization record with identity's hashes and
writes them through the writer in upstream's order (registry updates, then new lineage edges, then
records), so its bundles are the bytes upstream's session writes for the same calls. Like upstream, a
new session starts empty: it does not load the bundle's snapshots (§12.2).

Snapshot profiles (§12.5): ``"strict"`` flushes after every DataOps mutation, an int N flushes when
the mutation count is a multiple of ``max(N, 1)`` (``Streaming{N}``). The manifest policy belongs to
the writer (``BundleWriter(manifest_policy=...)``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from swarmview.core.errors import BundleWriteError
from swarmview.core.identity import hashes
from swarmview.core.identity.dataops import materialization_unsafe_reasons, status_unsafe_reasons
from swarmview.core.writer import values
from swarmview.core.writer.bundle_writer import BundleWriter

SnapshotProfile = Literal["strict"] | int
CacheDecision = Literal["hit", "miss", "bypass", "unknown"] | bool
_HEX = frozenset("0123456789abcdefABCDEF")


@dataclass(frozen=True)
class OutputSpec:
    """One produced dataset of ``materialize_node_outputs`` (upstream's output spec)."""

    asset_key: str
    schema: Mapping[str, str] | None = None
    rows: int | None = None
    bytes: int | None = None


def _spec(value: OutputSpec | Mapping[str, Any] | str) -> OutputSpec:
    if isinstance(value, OutputSpec):
        return value
    if isinstance(value, str):
        return OutputSpec(value)
    return OutputSpec(value["asset_key"], value.get("schema"), value.get("rows"), value.get("bytes"))


def _byte_key(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _node_id(node: Mapping[str, Any]) -> str:
    """Explicit ``node_id`` if the in-memory node has one, else key-derived (§10, §11.4)."""
    explicit = node.get("node_id")
    if explicit is None:
        return hashes.node_id_from_key(node["node_key"])
    return values.node_id_text(explicit)


def _is_hex64(text: str) -> bool:
    return len(text) == 64 and _HEX.issuperset(text)


@dataclass
class DataOpsSession:
    """In-memory registry/lineage state plus the per-session sequences (``record_seq``, ``pair_seq``)."""

    writer: BundleWriter
    snapshot_profile: SnapshotProfile = "strict"
    registry: dict[str, dict[str, Any]] = field(default_factory=dict)
    lineage: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    record_seq: int = 0
    pair_seq: int = 0
    mutations: int = 0
    pending_transforms: list[dict[str, Any]] = field(default_factory=list)

    # --- queries ---------------------------------------------------------------------------------

    def fingerprint(self, asset_key: str) -> str | None:
        """The current ``fingerprint_v0`` of an asset, or ``None``."""
        entry = self.registry.get(asset_key)
        return None if entry is None else entry["fingerprint_v0"]

    def is_cache_hit(self, asset_key: str, fingerprint: str) -> bool:
        """True only if that asset's current fingerprint equals ``fingerprint`` (asset-scoped)."""
        return self.fingerprint(asset_key) == fingerprint

    # --- sources ---------------------------------------------------------------------------------

    def register_source(
        self,
        asset_key: str,
        trust: Literal["trusted", "untrusted"],
        source: Mapping[str, Any],
        schema: Mapping[str, str] | None,
        ingest_node: Mapping[str, Any],
    ) -> dict[str, Any]:
        """Register a source dataset (§9.2); the descriptor is sanitized (§9.3) before anything else."""
        sanitized = hashes.sanitize_source_descriptor_v0(values.source_descriptor(source) or {})
        source_fp = hashes.source_fingerprint_v0(sanitized)
        schema_hash = hashes.schema_hash_v0(schema)
        recipe = hashes.recipe_hash_v0(hashes.node_def_hash(ingest_node), [])
        entry = values.dataset_entry({
            "asset_key": asset_key,
            "fingerprint_v0": hashes.dataset_fingerprint_v0(source_fp, schema_hash, recipe),
            "source_fingerprint_v0": source_fp,
            "schema_hash_v0": schema_hash,
            "recipe_hash_v0": recipe,
            "trust": trust,
            "source": sanitized,
            "schema": schema,
        })  # fmt: skip
        self.writer.append_registry_update(entry)
        self.registry[asset_key] = entry
        self._mutation()
        return entry

    # --- materializations ------------------------------------------------------------------------

    def record_transform_applied(self, transform_name: str, core_trusted: bool, round_id: int) -> None:
        """Queue a transform audit for the next successful materialization (§11.4, §13.1)."""
        self.pending_transforms.append(values.transform_audit(
            {"transform_name": transform_name, "core_trusted": core_trusted, "round_id": round_id}
        ))  # fmt: skip

    def _check_contract(self, node: Mapping[str, Any], specs: Sequence[OutputSpec]) -> list[str]:
        """Checks 1–6 of §11.4 in order; returns the inputs' pre-call fingerprints."""
        key = node["node_key"]
        seen: set[str] = set()
        for spec in specs:
            if spec.asset_key in seen:
                raise BundleWriteError("InvalidInput", f"duplicate output asset_key: {spec.asset_key}")
            seen.add(spec.asset_key)
        declared: list[str] = []
        for ref in node.get("outputs") or []:
            if ref["asset_key"] in declared:
                raise BundleWriteError("InvalidInput",
                                       f"duplicate node output asset_key {ref['asset_key']} for node {key}")  # fmt: skip
            declared.append(ref["asset_key"])
        for spec in specs:  # upstream iterates hash sets here; any violating key may be named
            if spec.asset_key not in declared:
                raise BundleWriteError("InvalidInput",
                                       f"output {spec.asset_key} not declared in node.outputs for node {key}")  # fmt: skip
        for asset_key in declared:
            if asset_key not in seen:
                raise BundleWriteError("InvalidInput", f"missing declared node output {asset_key} for node {key}")
        upstream: list[str] = []
        for ref in node.get("inputs") or []:
            entry = self.registry.get(ref["asset_key"])
            if entry is None:
                raise BundleWriteError("InvalidInput", f"missing input asset {ref['asset_key']} for node {key}")
            fp = entry["fingerprint_v0"]
            if not _is_hex64(fp):
                raise BundleWriteError("InvalidData", f"invalid fingerprint for input asset {ref['asset_key']}: {fp}")
            upstream.append(fp)
        return upstream

    def materialize_node_outputs(
        self,
        node: Mapping[str, Any],
        outputs: Iterable[OutputSpec | Mapping[str, Any] | str],
        ts_unix_nanos: int,
        cache_decision: CacheDecision,
        duration_ms: int | None,
    ) -> list[dict[str, Any]]:
        """Materialize every declared output of ``node`` (§11.4); all-or-nothing in memory.

        ``node`` is hashed as passed (upstream's session does not fill ``code_ref``). Returns the V2
        records written.
        """
        specs = [_spec(o) for o in outputs]
        upstream = self._check_contract(node, specs)
        if isinstance(cache_decision, bool):
            cache_decision = "hit" if cache_decision else "miss"
        values.enum_value(cache_decision, values.CACHE_DECISIONS, "cache_decision")
        node_id = _node_id(node)
        node_def_hash = hashes.node_def_hash(node)
        input_keys = [r["asset_key"] for r in node.get("inputs") or []]
        reasons = materialization_unsafe_reasons(node, self.registry, self.pending_transforms)
        unsafe = bool(reasons)
        cache_key = hashes.cache_key_v0(node_def_hash, upstream, node.get("execution_trust") or "core")
        recipe = hashes.recipe_hash_v0(node_def_hash, upstream)
        entries: list[dict[str, Any]] = []
        new_edges: dict[tuple[str, str, str], dict[str, Any]] = {}
        recs: list[dict[str, Any]] = []
        for spec in specs:
            source_fp = hashes.derived_source_fingerprint_v0(spec.asset_key)
            schema_hash = hashes.schema_hash_v0(spec.schema)
            fingerprint = hashes.dataset_fingerprint_v0(source_fp, schema_hash, recipe)
            entries.append(values.dataset_entry({
                "asset_key": spec.asset_key, "fingerprint_v0": fingerprint,
                "source_fingerprint_v0": source_fp, "schema_hash_v0": schema_hash, "recipe_hash_v0": recipe,
                "trust": "untrusted" if unsafe else "trusted", "schema": spec.schema,
            }))  # fmt: skip
            for input_fp in upstream:
                triple = (input_fp, fingerprint, node_id)
                if triple not in self.lineage and triple not in new_edges:
                    new_edges[triple] = values.lineage_edge({
                        "input_fingerprint_v0": input_fp, "output_fingerprint_v0": fingerprint,
                        "node_id": node_id, "op_kind": node["op_kind"],
                    })  # fmt: skip
            self.record_seq += 1
            recs.append(values.materialization_v2({
                "record_seq": self.record_seq, "ts_unix_nanos": ts_unix_nanos, "asset_key": spec.asset_key,
                "fingerprint_v0": fingerprint, "node_id": node_id, "node_def_hash": node_def_hash,
                "op_type": node["op_type"], "input_asset_keys": input_keys, "input_fingerprints_v0": upstream,
                "rows": spec.rows, "bytes": spec.bytes, "duration_ms": duration_ms,
                "cache_decision": cache_decision, "cache_key_v0": cache_key,
                "cache_hit": {"hit": True, "miss": False}.get(cache_decision),
                "unsafe_surface": unsafe, "unsafe_reasons": reasons,
                "applied_transforms": self.pending_transforms, "status": "ok",
            }))  # fmt: skip
        first_seq = self.record_seq - len(specs)
        try:
            for entry in entries:
                self.writer.append_registry_update(entry)
            for edge in new_edges.values():
                self.writer.append_lineage_edge_update(edge)
            for rec in recs:
                self.writer.append_materialization_v2(rec)
        except BaseException:
            self.record_seq = first_seq
            raise
        for entry in entries:
            self.registry[entry["asset_key"]] = entry
        self.lineage.update(new_edges)
        self.pending_transforms = []
        self._mutation()
        return recs

    def _record_status(
        self, node: Mapping[str, Any], ts_unix_nanos: int, duration_ms: int, error_code: str, status: str
    ) -> list[dict[str, Any]]:
        """§11.4 error/skipped records: one per declared output; not a DataOps mutation."""
        node_id = _node_id(node)
        node_def_hash = hashes.node_def_hash(node)
        input_keys = [r["asset_key"] for r in node.get("inputs") or []]
        present = [self.registry[k]["fingerprint_v0"] for k in input_keys if k in self.registry]
        reasons = status_unsafe_reasons(node, self.registry)
        recs = []
        for ref in node.get("outputs") or []:
            self.record_seq += 1
            recs.append(values.materialization_v2({
                "record_seq": self.record_seq, "ts_unix_nanos": ts_unix_nanos, "asset_key": ref["asset_key"],
                "fingerprint_v0": hashes.status_fingerprint_v0(node_id, ref["asset_key"], self.record_seq, status),
                "node_id": node_id, "node_def_hash": node_def_hash, "op_type": node["op_type"],
                "input_asset_keys": input_keys, "input_fingerprints_v0": present, "duration_ms": duration_ms,
                "cache_decision": "unknown", "unsafe_surface": bool(reasons), "unsafe_reasons": reasons,
                "status": status, "error_code": error_code,
            }))  # fmt: skip
            self.writer.append_materialization_v2(recs[-1])
        return recs

    def record_node_error(
        self, node: Mapping[str, Any], ts_unix_nanos: int, duration_ms: int, error_code: str
    ) -> list[dict[str, Any]]:
        """``status: error`` records for a failed or denied node."""
        return self._record_status(node, ts_unix_nanos, duration_ms, error_code, "error")

    def record_node_skipped(self, node: Mapping[str, Any], ts_unix_nanos: int, error_code: str) -> list[dict[str, Any]]:
        """``status: skipped`` records (duration 0) for a node whose inputs were never produced."""
        return self._record_status(node, ts_unix_nanos, 0, error_code, "skipped")

    # --- snapshots -------------------------------------------------------------------------------

    def _mutation(self) -> None:
        self.mutations += 1
        profile = self.snapshot_profile
        every = 1 if profile == "strict" else max(int(profile), 1)
        if self.mutations % every == 0:
            self.flush_snapshots()

    def registry_snapshot(self) -> list[dict[str, Any]]:
        """Current entries sorted by asset key bytes (what ``registry.json`` holds after a flush)."""
        return [self.registry[k] for k in sorted(self.registry, key=_byte_key)]

    def lineage_snapshot(self) -> list[dict[str, Any]]:
        """All edges sorted by (input fp, output fp, node id)."""
        return [self.lineage[k] for k in sorted(self.lineage, key=lambda t: tuple(map(_byte_key, t)))]

    def flush_snapshots(self) -> dict[str, Any]:
        """§12.3: registry.json, lineage.json, then the marker over the files as on disk, then maybe the manifest."""
        self.writer.write_dataset_registry(self.registry_snapshot())
        self.writer.write_dataset_lineage(self.lineage_snapshot())
        marker = self.writer.write_snapshot_pair_commit(self.pair_seq + 1)
        self.pair_seq += 1
        if self.writer.manifest_policy != "final_only":
            self.writer.finalize_manifest()
        return marker

    def finalize(self) -> bytes:
        """``DataOpsSession::finalize``: always flush, then refresh the manifest; returns its bytes."""
        self.flush_snapshots()
        return self.writer.finalize_manifest()
