"""The loader emulation step by step over synthetic file states (§16.1, §12.6, §18.12)."""

from __future__ import annotations

from typing import Any

import pytest

from swarmview.core.identity.hashes import node_id_from_key
from swarmview.core.upstream_load import (
    MISMATCH_MESSAGE,
    NOT_FOUND,
    UpstreamFile,
    emulate_load_report,
    failure_file,
)

FP_A, FP_B, FP_C = "a" * 64, "b" * 64, "c" * 64


def _entry(key: str, fp: str = FP_A, trust: str = "trusted", uri: str | None = None) -> dict[str, Any]:
    e: dict[str, Any] = {"asset_key": key, "fingerprint_v0": fp, "source_fingerprint_v0": fp, "schema_hash_v0": fp,
                         "recipe_hash_v0": fp, "trust": trust, "source": None, "schema": None,
                         "license_flags": [], "pii_tags": []}  # fmt: skip
    if uri is not None:
        e["source"] = {"uri": uri, "content_type": "text/csv", "auth_mode": "none", "etag_or_version": None}
    return e


def _v1(ts: int, key: str, cache_hit: bool | None = None) -> dict[str, Any]:
    return {"__variant__": "V1", "schema_version": 1, "ts_unix_nanos": ts, "asset_key": key, "fingerprint_v0": "deadbeef",
            "node_id": node_id_from_key("n"), "node_def_hash": FP_A, "rows": None, "bytes": None,
            "cache_hit": cache_hit, "duration_ms": None, "quality_flags": None, "unsafe_surface": False}  # fmt: skip


def _v2(ts: int, key: str, seq: int, **extra: Any) -> dict[str, Any]:
    rec = {"__variant__": "V2", "schema_version": 2, "record_seq": seq, "ts_unix_nanos": ts, "asset_key": key,
           "fingerprint_v0": FP_B, "node_id": node_id_from_key("n"), "node_def_hash": FP_A, "op_type": "t",
           "input_asset_keys": [], "input_fingerprints_v0": [], "rows": None, "bytes": None, "duration_ms": None,
           "cache_decision": "miss", "cache_reason": None, "cache_key_v0": None, "cache_hit": False,
           "unsafe_surface": False, "unsafe_reasons": [], "applied_transforms": [], "status": "ok",
           "error_code": None, "quality": None}  # fmt: skip
    rec.update(extra)
    return rec


def _graph(*nodes: dict[str, Any]) -> dict[str, Any]:
    return {"schema_version": 1, "graph_id": None, "nodes": list(nodes), "edges": []}


def _node(key: str, inputs: tuple[str, ...] = (), trust: str = "core") -> dict[str, Any]:
    return {"node_key": key, "node_id": None, "op_kind": "data", "op_type": "t",
            "inputs": [{"asset_key": k, "fingerprint": None} for k in inputs], "outputs": [], "params": {},
            "code_ref": None, "unsafe_surface": False, "execution_trust": trust, "node_def_hash": None,
            "execution_hint": None, "cache_policy": None, "materialization_policy": None, "resources": None,
            "op_hash": None}  # fmt: skip


def _files(**over: UpstreamFile | None) -> dict[str, UpstreamFile]:
    files = {
        "graph.json": UpstreamFile(value=_graph()),
        "datasets/registry_updates.ndjson": UpstreamFile(value=[]),
        "datasets/lineage_edges.ndjson": UpstreamFile(value=[]),
        "datasets/registry.json": UpstreamFile(value={"schema_version": 1, "datasets": []}, sha256="r" * 64),
        "datasets/lineage.json": UpstreamFile(value={"schema_version": 1, "edges": []}, sha256="l" * 64),
        "spans.ndjson": UpstreamFile(),
        "events.ndjson": UpstreamFile(),
        "metrics.ndjson": UpstreamFile(),
        "datasets/materializations.ndjson": UpstreamFile(value=[]),
    }
    for key, value in over.items():
        path = {"graph": "graph.json", "reg_log": "datasets/registry_updates.ndjson",
                "lin_log": "datasets/lineage_edges.ndjson", "registry": "datasets/registry.json",
                "lineage": "datasets/lineage.json", "marker": "datasets/snapshot_pair_commit.json",
                "spans": "spans.ndjson", "events": "events.ndjson", "metrics": "metrics.ndjson",
                "mats": "datasets/materializations.ndjson"}[key]  # fmt: skip
        if value is None:
            files.pop(path, None)
        else:
            files[path] = value
    return files


def test_minimal_loads_with_zero_counts() -> None:
    out = emulate_load_report(_files())
    assert out.report == {"ok": True, "warnings": []}
    assert out.counts == dict.fromkeys(
        ["datasets", "edges", "events", "lineage_edges", "materializations", "metrics", "nodes", "spans",
         "unfinished_spans"], 0)  # fmt: skip


def test_b142_first_failure_in_loader_order() -> None:
    """B-142: run.json → manifest → graph → logs → marker → snapshots → spans → events → metrics → materializations."""
    bad = UpstreamFile(error="invalid ndjson at line 1: expected value at line 1 column 1")
    order = ["graph", "reg_log", "lin_log", "registry", "lineage", "spans", "events", "metrics", "mats"]
    paths = ["graph.json", "datasets/registry_updates.ndjson", "datasets/lineage_edges.ndjson",
             "datasets/registry.json", "datasets/lineage.json", "spans.ndjson", "events.ndjson", "metrics.ndjson",
             "datasets/materializations.ndjson"]  # fmt: skip
    for i in range(len(order)):
        later = {k: bad for k in order[i:]}
        report = emulate_load_report(_files(**later)).report
        assert report == {"ok": False, "kind": "InvalidData", "message": bad.error, "file": paths[i]}
    prior = {"ok": False, "kind": "NotFound", "message": "No such file or directory (os error 2)"}
    report = emulate_load_report(_files(graph=bad), prior).report
    assert report == {**prior, "file": "manifest.json"}


def test_missing_files_are_os_errors_but_update_logs_are_optional() -> None:
    out = emulate_load_report(_files(reg_log=None, lin_log=None))
    assert out.report["ok"] is True
    for key, path in (("graph", "graph.json"), ("spans", "spans.ndjson"), ("mats", "datasets/materializations.ndjson"),
                      ("registry", "datasets/registry.json")):  # fmt: skip
        report = emulate_load_report(_files(**{key: None})).report
        assert report == {"ok": False, "kind": NOT_FOUND[0], "message": NOT_FOUND[1], "file": path}
    denied = UpstreamFile(os_error=("PermissionDenied", "Permission denied (os error 13)"))
    assert emulate_load_report(_files(metrics=denied)).report["kind"] == "PermissionDenied"


def test_b127_marker_mismatch_replays_log_only() -> None:
    """B-127: mismatching marker → warning, snapshot ignored (old), log kept (new)."""
    marker = UpstreamFile(value={"schema_version": 1, "pair_seq": 1, "registry_sha256": "deadbeef",
                                 "lineage_sha256": "deadbeef"})  # fmt: skip
    registry = UpstreamFile(value={"schema_version": 1, "datasets": [_entry("old")]}, sha256="r" * 64)
    out = emulate_load_report(
        _files(marker=marker, registry=registry, reg_log=UpstreamFile(value=[_entry("new")]))
    )
    assert out.report == {"ok": True, "warnings": [{"SnapshotPairMismatch": {"message": MISMATCH_MESSAGE}}]}
    assert [e["asset_key"] for e in out.registry] == ["new"]
    # the snapshots are not read at all on mismatch: a broken registry.json does not matter
    broken = UpstreamFile(error="expected value at line 1 column 1", sha256="x" * 64)
    assert emulate_load_report(_files(marker=marker, registry=broken)).report["ok"] is True


def test_b128_marker_schema_version_and_invalid_marker() -> None:
    """B-128: schema_version ≠ 1 → mismatch warning; an unparsable marker fails the whole load."""
    marker = UpstreamFile(
        value={"schema_version": 2, "pair_seq": 1, "registry_sha256": "", "lineage_sha256": ""}
    )
    out = emulate_load_report(_files(marker=marker, registry=None, lineage=None))
    assert out.report["warnings"] == [
        {"SnapshotPairMismatch": {"message": "unsupported snapshot_pair_commit schema_version: 2"}}
    ]
    invalid = UpstreamFile(error="expected value at line 1 column 1")
    assert emulate_load_report(_files(marker=invalid)).report == {
        "ok": False, "kind": "InvalidData", "message": "expected value at line 1 column 1",
        "file": "datasets/snapshot_pair_commit.json",
    }  # fmt: skip
    # a matching marker needs both snapshots present to hash them
    good = UpstreamFile(value={"schema_version": 1, "pair_seq": 3, "registry_sha256": "r" * 64,
                               "lineage_sha256": "l" * 64})  # fmt: skip
    assert emulate_load_report(_files(marker=good)).report == {"ok": True, "warnings": []}
    assert emulate_load_report(_files(marker=good, lineage=None)).report["file"] == "datasets/lineage.json"


def test_b129_snapshot_merged_with_log_last_wins() -> None:
    """B-129: without a marker the registry is snapshot ∪ log, the log winning per key, sorted by key."""
    registry = UpstreamFile(
        value={"schema_version": 1, "datasets": [_entry("b", FP_A), _entry("a")]}, sha256="r"
    )
    log = UpstreamFile(value=[_entry("b", FP_B), _entry("c"), _entry("b", FP_C)])
    out = emulate_load_report(_files(registry=registry, reg_log=log))
    assert [(e["asset_key"], e["fingerprint_v0"]) for e in out.registry] == [
        ("a", FP_A),
        ("b", FP_C),
        ("c", FP_A),
    ]
    assert out.counts is not None and out.counts["datasets"] == 3


def test_b131_descriptor_bounds_warning_in_key_order() -> None:
    """B-131: an over-long source uri loads, with one SourceDescriptorBoundsExceeded warning per entry."""
    log = UpstreamFile(value=[_entry("z", uri="s3://" + "x" * 2100), _entry("a", uri="s3://" + "y" * 2044)])
    out = emulate_load_report(_files(reg_log=log))
    assert out.report["warnings"] == [
        {
            "SourceDescriptorBoundsExceeded": {
                "asset_key": "a",
                "message": "source descriptor uri too long: 2049 > 2048",
            }
        },
        {
            "SourceDescriptorBoundsExceeded": {
                "asset_key": "z",
                "message": "source descriptor uri too long: 2105 > 2048",
            }
        },
    ]


def test_b132_b136_b137_materializations_converted_numbered_and_sorted() -> None:
    """B-132/B-136/B-137: V1 → V2 (unsafe, missing_provenance), seq 0 → position, stable (ts, seq) sort."""
    mats = UpstreamFile(value=[_v2(2000, "v2", 0), _v1(1000, "v1", cache_hit=True), _v2(1000, "late", 5)])
    out = emulate_load_report(_files(mats=mats))
    recs = out.materializations
    assert [(r["asset_key"], r["record_seq"]) for r in recs] == [("v1", 2), ("late", 5), ("v2", 1)]
    v1 = recs[0]
    assert v1["schema_version"] == 2 and v1["unsafe_surface"] is True
    assert v1["unsafe_reasons"] == ["missing_provenance"] and v1["op_type"] == "unknown"
    assert v1["cache_decision"] == "hit" and v1["status"] == "ok" and v1["applied_transforms"] == []
    assert out.unsafe_materializations == ["v1"]


def test_unsafe_nodes_fail_closed_and_counts() -> None:
    """B-143 via the loader: non-core trust, untrusted or absent inputs make a node unsafe."""
    graph = UpstreamFile(value=_graph(_node("safe", ("a",)), _node("tainted", ("u",)), _node("absent", ("zz",)),
                                      _node("plugin", (), "sandboxed_extension")))  # fmt: skip
    log = UpstreamFile(value=[_entry("a"), _entry("u", trust="untrusted")])
    out = emulate_load_report(_files(graph=graph, reg_log=log, spans=UpstreamFile(count=5, unfinished=2)))
    assert out.unsafe_nodes == ["tainted", "absent", "plugin"]
    assert out.untrusted_datasets == ["u"]
    assert out.counts is not None
    assert (out.counts["nodes"], out.counts["spans"], out.counts["unfinished_spans"]) == (4, 5, 2)


def test_unparsed_file_leaves_the_verdict_undetermined() -> None:
    out = emulate_load_report(_files(metrics=UpstreamFile(unparsed="metrics.ndjson was not parsed")))
    assert out.report["ok"] is None and out.report["file"] == "metrics.ndjson"


@pytest.mark.parametrize(
    ("prior", "file"),
    [
        ({"ok": False, "kind": "InvalidData", "message": "size mismatch for metrics.ndjson (expected 534)"},
         "metrics.ndjson"),
        ({"ok": False, "kind": "InvalidData", "message": "sha256 mismatch for metrics.ndjson"}, "metrics.ndjson"),
        ({"ok": False, "kind": "NotFound", "message": "missing file listed in manifest: artifacts/a b.bin"},
         "artifacts/a b.bin"),
        ({"ok": False, "kind": "Other", "message": "expected value at line 1 column 1"}, "manifest.json"),
        ({"ok": False, "not_run": "RunArtifactBundle::open failed", "kind": "NotFound", "message": "x"}, "run.json"),
        ({"ok": None, "kind": None, "message": "upstream blocks forever reading artifacts/pipe (a fifo)"},
         "artifacts/pipe"),
    ],
)  # fmt: skip
def test_prior_failure_file(prior: dict[str, Any], file: str) -> None:
    assert failure_file(prior) == file
    report = emulate_load_report({}, prior).report
    assert report["file"] == file and report["message"] == prior["message"] and report["ok"] == prior["ok"]


def test_b133_lone_v1_row_loads_as_v2() -> None:
    """B-133: a lone V1 row becomes a V2 record with empty applied_transforms and record_seq 1."""
    out = emulate_load_report(_files(mats=UpstreamFile(value=[_v1(5, "only")])))
    assert out.counts is not None and out.counts["materializations"] == 1
    (rec,) = out.materializations
    assert rec["schema_version"] == 2 and rec["applied_transforms"] == [] and rec["record_seq"] == 1
    assert rec["cache_decision"] == "unknown"
