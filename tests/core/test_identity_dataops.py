"""DataOps semantics against the fixtures and verdicts: replay over snapshots (B-127–B-131), materialization
compatibility and order (B-132–B-137), trust (B-143, §13) and swarmview's dataset findings (F-02, F-21–F-32)."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from swarmview.core.identity import dataops, hashes
from tests.core.test_identity_jsonload import decode_as, fixture_graphs, read_ndjson_pairs, strip_omitted
from tests.helpers import FIXTURE_NAMES, FIXTURES, VERDICTS


def _loaded_ok(name: str) -> bool:
    return bool(json.loads((VERDICTS / f"{name}.json").read_bytes())["load_report"].get("ok"))


#: every fixture upstream's loader accepts (its verdict then holds counts, warnings and the unsafe lists)
DATASET_FIXTURES = [n for n in FIXTURE_NAMES if _loaded_ok(n)]


def dataset_files(name: str) -> dataops.DatasetFiles:
    d = FIXTURES / name / "datasets"
    marker_path = d / "snapshot_pair_commit.json"
    marker = decode_as(marker_path.read_bytes(), "SnapshotPairCommitV1") if marker_path.exists() else None
    reg_bytes, lin_bytes = (d / "registry.json").read_bytes(), (d / "lineage.json").read_bytes()
    reason = dataops.marker_mismatch_reason(marker, reg_bytes, lin_bytes) if marker is not None else None
    return dataops.DatasetFiles(
        registry_snapshot=decode_as(reg_bytes, "DatasetRegistryV1"),
        lineage_snapshot=decode_as(lin_bytes, "DatasetLineageV1"),
        registry_log=read_ndjson_pairs(d / "registry_updates.ndjson", "DatasetEntryV1"),
        lineage_log=read_ndjson_pairs(d / "lineage_edges.ndjson", "LineageEdgeV1"),
        materializations=read_ndjson_pairs(d / "materializations.ndjson", "MaterializationRecordCompat"),
        marker=marker,
        marker_reason=reason,
        logs_present=(d / "registry_updates.ndjson").exists(),
    )


def load(files: dataops.DatasetFiles) -> dataops.DatasetsLoaded:
    return dataops.load_datasets(
        registry_snapshot=files.registry_snapshot,
        lineage_snapshot=files.lineage_snapshot,
        registry_log=[e for _, e in files.registry_log],
        lineage_log=[e for _, e in files.lineage_log],
        materializations=files.materializations,
        marker_reason=files.marker_reason,
    )


def _report_json(name: str) -> dict[str, Any] | None:
    for path in (VERDICTS / f"{name}.report.json", VERDICTS / f"{name}.report.json.gz"):
        if path.exists():
            data = path.read_bytes()
            return json.loads(gzip.decompress(data) if path.suffix == ".gz" else data)
    return None


def _findings(name: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    exact, upstream = fixture_graphs(FIXTURES / name)
    for f in dataops.dataset_findings(dataset_files(name), exact, upstream):
        out.setdefault(f.code, []).append(f.message)
    return out


# --- the loader's view ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DATASET_FIXTURES)
def test_loaded_datasets_match_verdict(name: str) -> None:
    """B-127–B-131, B-137, B-143: counts, warnings in order and the banner's three lists equal upstream's."""
    verdict = json.loads((VERDICTS / f"{name}.json").read_bytes())["load_report"]
    loaded = load(dataset_files(name))
    counts = verdict["counts"]
    assert (len(loaded.registry), len(loaded.lineage), len(loaded.materializations)) == (
        counts["datasets"], counts["lineage_edges"], counts["materializations"],
    )  # fmt: skip
    warnings = [{kind: ({"message": m} if key is None else {"asset_key": key, "message": m})}
                for kind, key, m in loaded.warnings]  # fmt: skip
    assert warnings == verdict["warnings"]
    _, upstream = fixture_graphs(FIXTURES / name)
    nodes = [n for n in upstream["nodes"]]
    summary = dataops.unsafe_summary(nodes, loaded.registry, loaded.materializations)
    for key in ("unsafe_nodes", "untrusted_datasets", "unsafe_materializations"):
        assert summary[key] == verdict[key]


@pytest.mark.parametrize("name", [n for n in DATASET_FIXTURES if _report_json(n) is not None])
def test_loaded_datasets_equal_upstream_json_out(name: str) -> None:
    """B-132–B-137: merged registry, lineage and ordered V2 records equal the report's --json-out, field by field."""
    report = _report_json(name)
    assert report is not None
    loaded = load(dataset_files(name))
    assert strip_omitted(loaded.registry) == strip_omitted(report["registry"]["datasets"])
    assert strip_omitted(loaded.lineage) == strip_omitted(report["lineage"]["edges"])
    assert [strip_omitted(r) for r in loaded.materializations] == strip_omitted(report["materializations"])


def test_snapshot_marker_mismatch_replays_logs_b127() -> None:
    """B-127: snapshot has old, log has new, marker says deadbeef → warning, registry holds new only."""
    entry = {"asset_key": "old", "fingerprint_v0": "1", "trust": "trusted"}
    marker = {"schema_version": 1, "pair_seq": 1, "registry_sha256": "deadbeef", "lineage_sha256": "deadbeef"}
    reason = dataops.marker_mismatch_reason(marker, b"{}", b"{}")
    assert reason == "snapshot pair hash mismatch; replaying from NDJSON updates"
    loaded = dataops.load_datasets(
        registry_snapshot={"schema_version": 1, "datasets": [entry]},
        lineage_snapshot={"schema_version": 1, "edges": []},
        registry_log=[{**entry, "asset_key": "new"}],
        lineage_log=[],
        materializations=[],
        marker_reason=reason,
    )
    assert [e["asset_key"] for e in loaded.registry] == ["new"]
    assert loaded.warnings == [("SnapshotPairMismatch", None, reason)]


def test_marker_schema_version_and_exact_hash_comparison_b128() -> None:
    """B-128: schema_version ≠ 1 is a mismatch with its own text; hashes are compared as exact lowercase strings."""
    reg, lin = b'{"a":1}', b'{"b":2}'
    good = {
        "schema_version": 1, "pair_seq": 3,
        "registry_sha256": hashlib.sha256(reg).hexdigest(), "lineage_sha256": hashlib.sha256(lin).hexdigest(),
    }  # fmt: skip
    assert dataops.marker_mismatch_reason(good, reg, lin) is None
    assert dataops.marker_mismatch_reason({**good, "schema_version": 2}, reg, lin) == (
        "unsupported snapshot_pair_commit schema_version: 2"
    )
    upper = {**good, "registry_sha256": good["registry_sha256"].upper()}
    assert dataops.marker_mismatch_reason(upper, reg, lin) == dataops.SNAPSHOT_HASH_MISMATCH
    assert dataops.marker_mismatch_reason(good, reg + b"\n", lin) == dataops.SNAPSHOT_HASH_MISMATCH


def test_replay_without_marker_merges_last_wins_b129_b130() -> None:
    """B-129/B-130: snapshot ∪ log, the log's last line per key wins; midrun_always shows logged-only sources."""
    snap = [{"asset_key": "b", "fingerprint_v0": "s"}, {"asset_key": "a", "fingerprint_v0": "s"}]
    log = [{"asset_key": "b", "fingerprint_v0": "l1"}, {"asset_key": "c", "fingerprint_v0": "l"},
           {"asset_key": "b", "fingerprint_v0": "l2"}]  # fmt: skip
    merged = dataops.replay_registry(snap, log)
    assert [(e["asset_key"], e["fingerprint_v0"]) for e in merged] == [("a", "s"), ("b", "l2"), ("c", "l")]
    files = dataset_files("midrun_always")
    snapshot_keys = {e["asset_key"] for e in files.registry_snapshot["datasets"]}  # type: ignore[index]
    loaded_keys = {e["asset_key"] for e in load(files).registry}
    assert snapshot_keys < loaded_keys


def test_replay_lineage_key_is_case_insensitive_node_id() -> None:
    edge = {
        "input_fingerprint_v0": "i",
        "output_fingerprint_v0": "o",
        "node_id": "AB" * 16,
        "op_kind": "data",
    }
    merged = dataops.replay_lineage([edge], [{**edge, "node_id": "ab" * 16, "op_kind": "train"}])
    assert merged == [{**edge, "node_id": "ab" * 16, "op_kind": "train"}]


def test_descriptor_bounds_warning_b131() -> None:
    """B-131: SourceDescriptorBoundsExceeded with the uri message only (uri checked first), one per entry."""
    loaded = load(dataset_files("descriptor_bounds_warning"))
    assert loaded.warnings == [
        (
            "SourceDescriptorBoundsExceeded",
            "dataset://bounds/huge",
            "source descriptor uri too long: 2125 > 2048",
        )
    ]
    assert _findings("descriptor_bounds_warning")["SOURCE_DESCRIPTOR_TOO_LONG"] == [
        "registry entry dataset://bounds/huge: source uri is 2125 bytes (limit 2048)",
        "registry entry dataset://bounds/huge: source etag_or_version is 600 bytes (limit 512)",
    ]


# --- materializations ---------------------------------------------------------------------------------------------

V1 = {"schema_version": 1, "ts_unix_nanos": 1000, "asset_key": "a", "fingerprint_v0": "deadbeef",
      "node_id": "ab" * 16, "node_def_hash": "h", "unsafe_surface": False}  # fmt: skip
V2 = {"schema_version": 2, "record_seq": 7, "ts_unix_nanos": 2000, "asset_key": "b", "fingerprint_v0": "f",
      "node_id": "cd" * 16, "node_def_hash": "h", "op_type": "transform", "cache_decision": "miss",
      "unsafe_surface": False, "status": "ok"}  # fmt: skip


def test_v1_and_v2_rows_load_as_v2_b132_b133_b135() -> None:
    """B-132/B-133/B-135: V1 (ts 1000) then V2 (ts 2000) → two V2 records, empty applied_transforms by default."""
    out = dataops.order_materializations([V2 | {"ts_unix_nanos": 2000}, V1])
    assert [r["asset_key"] for r in out] == ["a", "b"]
    assert all(r["schema_version"] == 2 and r["applied_transforms"] == [] for r in out)
    assert list(out[0]) == list(dataops.V2_FIELDS) == list(out[1])
    (lone,) = dataops.order_materializations([V1])
    assert lone["applied_transforms"] == [] and lone["record_seq"] == 1


def test_v1_becomes_unsafe_missing_provenance_b136() -> None:
    """B-136: whatever V1 stored, into_v2 gives unsafe_surface true, [missing_provenance], op_type unknown, ok."""
    for cache_hit, decision in ((True, "hit"), (False, "miss"), (None, "unknown")):
        rec = {**V1, "cache_hit": cache_hit, "__variant__": "V1", "quality_flags": ["x"]}
        v2 = dataops.materialization_to_v2(rec)
        assert (v2["unsafe_surface"], v2["unsafe_reasons"], v2["op_type"], v2["status"]) == (
            True, ["missing_provenance"], "unknown", "ok",
        )  # fmt: skip
        assert (v2["cache_decision"], v2["cache_hit"], v2["record_seq"]) == (decision, cache_hit, 0)
        assert "quality_flags" not in v2


def test_applied_transforms_preserved_b134() -> None:
    """B-134: V2 rows with and without applied_transforms load; dp_clip is preserved."""
    audit = [{"transform_name": "dp_clip", "core_trusted": False, "round_id": 1}]
    out = dataops.order_materializations([V2 | {"applied_transforms": audit}, V2 | {"ts_unix_nanos": 3000}])
    assert out[0]["applied_transforms"] == audit and out[1]["applied_transforms"] == []
    assert dataops.format_transform_names(audit) == "dp_clip" and dataops.format_transform_names([]) == "none"


def test_record_seq_renumbering_and_stable_sort_b137() -> None:
    """B-137: seq 0 → 1-based position among parsed rows; sort by (ts, seq), stable."""
    rows = [(1, V2 | {"record_seq": 0, "ts_unix_nanos": 5, "asset_key": "x"}), (3, V1 | {"ts_unix_nanos": 5}),
            (4, V2 | {"record_seq": 2, "ts_unix_nanos": 5, "asset_key": "y"}),
            (6, V2 | {"record_seq": 1, "ts_unix_nanos": 1, "asset_key": "z"})]  # fmt: skip
    out = dataops.order_materializations_with_lines(rows)
    assert [(line, r["asset_key"], r["record_seq"]) for line, r in out] == [
        (6, "z", 1), (1, "x", 1), (3, "a", 2), (4, "y", 2),  # equal keys keep file order
    ]  # fmt: skip


def test_legacy_migrated_v1_rows() -> None:
    """legacy_alpha6_migrated: every V1 row reads as V2 with missing_provenance; old fingerprints unverifiable."""
    loaded = load(dataset_files("legacy_alpha6_migrated"))
    assert loaded.materializations and all(
        r["unsafe_reasons"] == ["missing_provenance"] and r["unsafe_surface"] for r in loaded.materializations
    )
    found = _findings("legacy_alpha6_migrated")
    assert "FINGERPRINT_UNVERIFIABLE" in found
    assert all(
        m.endswith("(bundle older than 2026-02-14 or inputs unknown)")
        for m in found["FINGERPRINT_UNVERIFIABLE"]
    )


# --- trust (§13) -------------------------------------------------------------------------------------------------


def test_is_node_unsafe_b143() -> None:
    """B-143: untrusted input, missing input, all trusted, non-core; the indexed form equals the linear one."""
    registry = [{"asset_key": "t", "trust": "trusted"}, {"asset_key": "u", "trust": "untrusted"}]
    index = dataops.registry_index(registry)
    cases = [
        ({"execution_trust": "core", "inputs": [{"asset_key": "t"}, {"asset_key": "u"}]}, True),
        ({"execution_trust": "core", "inputs": [{"asset_key": "missing"}]}, True),
        ({"execution_trust": "core", "inputs": [{"asset_key": "t"}]}, False),
        ({"execution_trust": "core", "inputs": []}, False),
        ({"execution_trust": "sandboxed_extension", "inputs": []}, True),
        ({"execution_trust": "unsafe_extension", "inputs": [{"asset_key": "t"}]}, True),
    ]
    for node, unsafe in cases:
        assert dataops.is_node_unsafe(node, index) is unsafe
        assert dataops.is_node_unsafe_linear(node, registry) is unsafe
        assert bool(dataops.node_unsafe_reasons(node, index)) is unsafe
    rich = load(dataset_files("rich"))
    _, upstream = fixture_graphs(FIXTURES / "rich")
    rich_index = dataops.registry_index(rich.registry)
    for node in upstream["nodes"]:
        assert dataops.is_node_unsafe(node, rich_index) == dataops.is_node_unsafe_linear(node, rich.registry)


def test_writer_unsafe_derivations_section_13() -> None:
    """§13.1/§13.2: order of reasons, audits only on success, missing inputs only on error/skipped records."""
    index = dataops.registry_index(
        [{"asset_key": "u", "trust": "untrusted"}, {"asset_key": "t", "trust": "trusted"}]
    )
    node = {"execution_trust": "sandboxed_extension", "inputs": [{"asset_key": "u"}, {"asset_key": "gone"}]}
    assert dataops.materialization_unsafe_reasons(node, index) == ["untrusted_input", "unsafe_extension"]
    core = {"execution_trust": "core", "inputs": [{"asset_key": "t"}]}
    assert dataops.materialization_unsafe_reasons(core, index) == []
    assert dataops.materialization_unsafe_reasons(core, index, [{"core_trusted": False}]) == [
        "unsafe_extension"
    ]
    assert dataops.status_unsafe_reasons(node, index) == [
        "untrusted_input",
        "unsafe_extension",
        "missing_provenance",
    ]
    assert (
        dataops.format_unsafe_reasons(["untrusted_input", "unsafe_extension"])
        == "untrusted_input,unsafe_extension"
    )
    assert dataops.format_unsafe_reasons([]) == "none"


def test_rich_record_reasons_follow_writer_rules() -> None:
    """§13.2 against upstream's output: every error/skipped record in rich has the reasons its node implies
    given the registry before the run's later rewrites (absent inputs → missing_provenance)."""
    files = dataset_files("rich")
    _, upstream = fixture_graphs(FIXTURES / "rich")
    by_id = {hashes.node_id_from_key(n["node_key"]): n for n in upstream["nodes"]}
    registry = dataops.registry_index(load(files).registry)
    checked = 0
    for _, rec in files.materializations:
        if rec.get("status") in ("error", "skipped") and rec["node_id"] in by_id:
            expected = dataops.status_unsafe_reasons(by_id[rec["node_id"]], registry)
            assert set(rec.get("unsafe_reasons", [])) <= set(expected) | {"untrusted_input"}
            assert ("missing_provenance" in rec.get("unsafe_reasons", [])) == (
                "missing_provenance" in expected
            )
            checked += 1
    assert checked >= 2


# --- findings -----------------------------------------------------------------------------------------------------


def test_rich_snapshot_mismatch_finding() -> None:
    """F-02: the mismatch is a warning naming pair_seq and upstream's text; no divergence report then."""
    found = _findings("rich_snapshot_mismatch")
    assert found["SNAPSHOT_PAIR_MISMATCH"] == [
        "registry.json/lineage.json do not match snapshot_pair_commit.json (pair_seq 10); upstream ignores the "
        "snapshots and replays the update logs"
    ]
    assert "SNAPSHOT_LOG_DIVERGENCE" not in found


def test_minimal_fixtures_have_no_dataset_findings() -> None:
    assert _findings("minimal_session") == {} and _findings("minimal") == {}


@pytest.mark.parametrize(
    "name", ["midrun_always", "legacy_alpha6_migrated", "rich", "descriptor_bounds_warning"]
)
def test_fixture_findings_stay_at_or_below_warning(name: str) -> None:
    """VERIFY.md §13: these fixtures report nothing above warning."""
    exact, upstream = fixture_graphs(FIXTURES / name)
    assert all(
        f.severity in ("warning", "info")
        for f in dataops.dataset_findings(dataset_files(name), exact, upstream)
    )


def test_rich_record_findings() -> None:
    """F-21/F-23/F-26/F-32 on rich: code_ref cause, U64 cause, misaligned inputs, divergence, unsafe status."""
    found = _findings("rich")
    differs = found["NODE_DEF_HASH_DIFFERS"]
    assert "datasets/materializations.ndjson:1: node_def_hash differs from graph node prep/clean " \
        "(code_ref filled by write_graph)" in differs  # fmt: skip
    assert any("feature/shard (code_ref filled by write_graph; integer param typing" in m for m in differs)
    assert found["INPUT_PROVENANCE_MISALIGNED"] == [
        "datasets/materializations.ndjson:6: 1 input keys but 0 input fingerprints; pairing by position is not possible"
    ]
    assert "registry.json and registry_updates.ndjson disagree for dataset://swarm/reference_labels (only in log)" \
        in found["SNAPSHOT_LOG_DIVERGENCE"]  # fmt: skip
    assert "dataset://swarm/legacy_import record 13: stored unsafe_surface=true, derived from node and registry=false" \
        in found["UNSAFE_STATUS_DIFFERS"]  # fmt: skip
    assert "FINGERPRINT_UNVERIFIABLE" not in found  # current rules re-derive every rich fingerprint
    assert "MATERIALIZATION_NODE_UNKNOWN" not in found and "ORPHAN_REGISTRY_UPDATE" not in found


def test_orphans_duplicates_and_unknown_nodes(tmp_path: Path) -> None:
    """F-25/F-26/F-21: drop rich's materialization records → orphan log lines; duplicate a record; unknown node."""
    files = dataset_files("rich")
    kept = [(line, r) for line, r in files.materializations if r["asset_key"] != "dataset://swarm/clean"]
    dup_line, dup = kept[0]
    unknown = {**dup, "node_id": "ee" * 16}
    mutated = dataops.DatasetFiles(
        registry_snapshot=files.registry_snapshot, lineage_snapshot=files.lineage_snapshot,
        registry_log=files.registry_log,
        lineage_log=[*files.lineage_log, (99, {**files.lineage_log[0][1], "output_fingerprint_v0": "f" * 64})],
        materializations=[*kept, (40, dict(dup)), (41, unknown)],
        marker=files.marker, marker_reason=files.marker_reason,
    )  # fmt: skip
    exact, upstream = fixture_graphs(FIXTURES / "rich")
    by_code: dict[str, list[str]] = {}
    for f in dataops.dataset_findings(mutated, exact, upstream):
        by_code.setdefault(f.code, []).append(f.message)
    clean_fp = next(
        e["fingerprint_v0"] for _, e in files.registry_log if e["asset_key"] == "dataset://swarm/clean"
    )
    assert any(m.endswith(f"derived dataset dataset://swarm/clean (fingerprint {clean_fp}) has no materialization "
                          "record") for m in by_code["ORPHAN_REGISTRY_UPDATE"])  # fmt: skip
    assert by_code["ORPHAN_LINEAGE_EDGE"] == [
        f"datasets/lineage_edges.ndjson:99: edge output {'f' * 64} has no registry entry or materialization"
    ]
    assert by_code["DUPLICATE_RECORD_SEQ"] == [
        f"datasets/materializations.ndjson: record_seq {dup['record_seq']} appears on lines {dup_line}, 40 and 41"
    ]
    assert by_code["MATERIALIZATION_NODE_UNKNOWN"] == [
        f"datasets/materializations.ndjson:41: node_id {'ee' * 16} matches no graph node"
    ]


def test_divergence_when_logs_are_empty_is_one_finding() -> None:
    """F-26: legacy bundles with added empty logs get one summary instead of one line per entry."""
    found = _findings("legacy_alpha6_migrated")["SNAPSHOT_LOG_DIVERGENCE"]
    assert len(found) == 1 and "both update logs are empty" in found[0]


@pytest.mark.parametrize("name", ["rich", "midrun_always", "u64_param_roundtrip"])
def test_registry_entries_use_canonical_helpers_b089_b090(name: str) -> None:
    """B-089/B-090: derived entries carry derived_source_fingerprint_v0(key) and, without schema, the no-schema
    placeholder; sources carry the fingerprint of their stored (sanitized) descriptor; every fingerprint_v0 is the
    dataset fingerprint of its three parts."""
    registry = load(dataset_files(name)).registry
    assert registry
    for entry in registry:
        if entry.get("source") is None:
            assert entry["source_fingerprint_v0"] == hashes.derived_source_fingerprint_v0(entry["asset_key"])
        else:
            assert entry["source_fingerprint_v0"] == hashes.source_fingerprint_v0(entry["source"])
        assert entry["schema_hash_v0"] == hashes.schema_hash_v0(entry.get("schema"))
        parts = (entry["source_fingerprint_v0"], entry["schema_hash_v0"], entry["recipe_hash_v0"])
        assert entry["fingerprint_v0"] == hashes.dataset_fingerprint_v0(*parts)


def test_marker_schema_version_finding() -> None:
    """B-128 seen by swarmview: an unsupported marker version is a SNAPSHOT_PAIR_MISMATCH naming the reason."""
    files = dataset_files("rich")
    reason = dataops.marker_mismatch_reason({**files.marker, "schema_version": 2}, b"", b"")  # type: ignore[dict-item]
    changed = dataops.DatasetFiles(
        files.registry_snapshot, files.lineage_snapshot, files.registry_log, files.lineage_log,
        files.materializations, files.marker, reason,
    )  # fmt: skip
    (found,) = [f for f in dataops.dataset_findings(changed) if f.code == "SNAPSHOT_PAIR_MISMATCH"]
    assert found.message == (
        "datasets/snapshot_pair_commit.json: unsupported snapshot_pair_commit schema_version: 2; upstream ignores "
        "the snapshots and replays the update logs"
    )


def test_untrusted_labels_tell_sources_from_tainted_outputs() -> None:
    """F-23: the banner's "dataset source untrusted" lists both; swarmview labels them apart."""
    registry = dataops.registry_index(load(dataset_files("rich")).registry)
    assert dataops.untrusted_label(registry["dataset://swarm/peer_uploads"]) == "untrusted source"
    assert dataops.untrusted_label(registry["dataset://swarm/merged"]) == "tainted output"
