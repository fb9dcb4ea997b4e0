"""``DataOpsSession``: upstream's session bytes (§9.2, §10, §11.4, §12, §13) through the writer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("swarmview.core.jsontext.encode")

from swarmview.core.errors import BundleWriteError
from swarmview.core.identity import hashes
from swarmview.core.jsontext.encode import U64
from swarmview.core.writer import BundleWriter
from swarmview.core.writer.session import DataOpsSession, OutputSpec
from tests.core._writer_support import (
    FIXTURE_CLOCK,
    SEC,
    assert_same_tree,
    assert_upstream_valid,
    upstream_verdict,
)

CODE_REF = "swarm-torch@0.1.0"


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _node(key: str, inputs: list[str], outputs: list[str], **extra: object) -> dict:
    return {
        "node_key": key, "op_kind": extra.pop("op_kind", "data"), "op_type": extra.pop("op_type", "transform"),
        "inputs": [{"asset_key": a} for a in inputs], "outputs": [{"asset_key": a} for a in outputs], **extra,
    }  # fmt: skip


@pytest.fixture
def writer(tmp_path: Path) -> BundleWriter:
    w = BundleWriter.create(tmp_path, "0000000000000000000000000000beef", clock_ns=FIXTURE_CLOCK)
    yield w
    w.close()


def _source(session: DataOpsSession, key: str, trust: str = "trusted") -> dict:
    return session.register_source(
        key, trust, {"uri": f"s3://b/{key.rsplit('/', 1)[-1]}", "content_type": "text/csv"}, None,
        _node(f"ingest/{key}", [], [key], op_type="ingest"),
    )  # fmt: skip


def test_reproduces_u64_param_roundtrip_fixture(tmp_path: Path) -> None:
    """``u64_param_roundtrip`` (create + write_graph + register_source + materialize + finalize): all bytes."""
    ingest = _node("ingest/src", [], ["dataset://u64/src"], op_type="ingest", params={}, code_ref=CODE_REF)
    sample = _node("prep/sample", ["dataset://u64/src"], ["dataset://u64/sampled"], op_type="sample",
                   params={"frac": 1.0, "n": U64(1000), "seed": U64(2**64 - 1)}, code_ref=CODE_REF)  # fmt: skip
    with BundleWriter.create(tmp_path, "0000000000000000000000000000a64b", clock_ns=FIXTURE_CLOCK) as w:
        w.write_graph({"nodes": [ingest, sample], "edges": []})
        session = DataOpsSession(w)
        session.register_source("dataset://u64/src", "trusted",
                                {"uri": "file:///x.csv", "content_type": "text/csv"}, None, ingest)  # fmt: skip
        session.materialize_node_outputs(sample, [OutputSpec("dataset://u64/sampled", rows=1000)],
                                         FIXTURE_CLOCK + 5 * SEC, False, 1)  # fmt: skip
        session.finalize()
        root = w.root
    assert_same_tree(root, "u64_param_roundtrip")


def test_reproduces_minimal_session_fixture(tmp_path: Path) -> None:
    """``minimal_session``: a session finalized without mutation adds only the marker (pair_seq 1)."""
    with BundleWriter.create(tmp_path, "0123456789abcdef0123456789abcdef", clock_ns=FIXTURE_CLOCK) as w:
        DataOpsSession(w).finalize()
        root = w.root
    assert_same_tree(root, "minimal_session")


def test_register_source_sanitizes_and_fingerprints(writer: BundleWriter) -> None:
    """§9.2/§9.3: the stored descriptor is sanitized; fingerprints use the sanitized form."""
    session = DataOpsSession(writer)
    ingest = _node("ingest/raw", [], ["dataset://ns/raw"], op_type="ingest")
    source = {"uri": " s3://alice:secret@bucket/p/f.parquet?part=1 ", "content_type": " Application/Parquet ",
              "auth_mode": "basic", "etag_or_version": " v1 "}  # fmt: skip
    entry = session.register_source("dataset://ns/raw", "untrusted", source, None, ingest)
    assert entry["source"] == {"uri": "s3://<redacted>@bucket/p/f.parquet", "content_type": "application/parquet",
                               "auth_mode": "basic", "etag_or_version": "v1"}  # fmt: skip
    other = {**source, "uri": "s3://bob:pw@bucket/p/f.parquet#x"}
    assert hashes.source_fingerprint_v0(other) == entry["source_fingerprint_v0"]
    recipe = hashes.recipe_hash_v0(hashes.node_def_hash(ingest), [])
    assert entry["fingerprint_v0"] == hashes.dataset_fingerprint_v0(
        entry["source_fingerprint_v0"], hashes.NO_SCHEMA_HASH_V0, recipe
    )
    (line,) = _lines(writer.root / "datasets/registry_updates.ndjson")
    assert line["trust"] == "untrusted" and line["source"]["uri"] == "s3://<redacted>@bucket/p/f.parquet"
    with pytest.raises(BundleWriteError) as info:
        session.register_source("dataset://ns/big", "trusted", {"uri": "s3://" + "x" * 2100, "content_type": "t"},
                                None, ingest)  # fmt: skip
    assert (info.value.kind, info.value.message) == ("InvalidInput", "source descriptor uri too long: 2105 > 2048")


def test_materialize_records_lineage_and_trust(writer: BundleWriter) -> None:
    """§11.4/§13.1: V2 record fields, lineage edges per input, taint from an untrusted input."""
    session = DataOpsSession(writer)
    a = _source(session, "dataset://ns/a")
    b = _source(session, "dataset://ns/b", "untrusted")
    node = _node("prep/join", ["dataset://ns/a", "dataset://ns/b"], ["dataset://ns/j"], params={"k": 1})
    (rec,) = session.materialize_node_outputs(node, [{"asset_key": "dataset://ns/j", "rows": 5, "bytes": 50}],
                                              FIXTURE_CLOCK, "hit", 7)  # fmt: skip
    ndh = hashes.node_def_hash(node)
    fps = [a["fingerprint_v0"], b["fingerprint_v0"]]
    assert rec["record_seq"] == 1 and rec["status"] == "ok" and rec["op_type"] == "transform"
    assert rec["node_id"] == hashes.node_id_from_key("prep/join") and rec["node_def_hash"] == ndh
    assert rec["input_fingerprints_v0"] == fps
    assert (rec["cache_decision"], rec["cache_hit"]) == ("hit", True)
    assert rec["cache_key_v0"] == hashes.cache_key_v0(ndh, fps, "core")
    assert rec["unsafe_reasons"] == ["untrusted_input"] and rec["unsafe_surface"] is True
    assert session.registry["dataset://ns/j"]["trust"] == "untrusted"
    edges = _lines(writer.root / "datasets/lineage_edges.ndjson")
    assert [(e["input_fingerprint_v0"], e["output_fingerprint_v0"]) for e in edges] == [
        (fp, rec["fingerprint_v0"]) for fp in fps
    ]
    line = (writer.root / "datasets/materializations.ndjson").read_text()
    assert '"unsafe_surface":true,"unsafe_reasons":["untrusted_input"],"status":"ok"}\n' in line


def test_unsafe_extension_and_transform_audit(writer: BundleWriter) -> None:
    """§13.1: non-core trust and a non-core transform audit both give ``unsafe_extension`` (once)."""
    session = DataOpsSession(writer)
    _source(session, "dataset://ns/a")
    node = _node("prep/x", ["dataset://ns/a"], ["dataset://ns/x"], execution_trust="sandboxed_extension")
    session.record_transform_applied("dp_clip", False, 1)
    (rec,) = session.materialize_node_outputs(node, ["dataset://ns/x"], FIXTURE_CLOCK, "bypass", None)
    assert rec["unsafe_reasons"] == ["unsafe_extension"]
    assert rec["applied_transforms"] == [{"transform_name": "dp_clip", "core_trusted": False, "round_id": 1}]
    assert rec["cache_hit"] is None and rec["cache_decision"] == "bypass"
    line = (writer.root / "datasets/materializations.ndjson").read_text()
    assert '"applied_transforms":[{"transform_name":"dp_clip","core_trusted":false,"round_id":1}]' in line
    assert '"cache_hit"' not in line
    core = _node("prep/y", ["dataset://ns/a"], ["dataset://ns/y"])
    (rec2,) = session.materialize_node_outputs(core, ["dataset://ns/y"], FIXTURE_CLOCK, "miss", 1)
    assert rec2["unsafe_surface"] is False and rec2["applied_transforms"] == []  # audits were consumed


@pytest.mark.parametrize(
    ("outputs", "node_outputs", "inputs", "kind", "message"),
    [
        (["o", "o"], ["o"], [], "InvalidInput", "duplicate output asset_key: o"),
        (["o"], ["o", "o"], [], "InvalidInput", "duplicate node output asset_key o for node n"),
        (["p"], ["o"], [], "InvalidInput", "output p not declared in node.outputs for node n"),
        ([], ["o"], [], "InvalidInput", "missing declared node output o for node n"),
        (["o"], ["o"], ["nope"], "InvalidInput", "missing input asset nope for node n"),
        (["o"], ["o"], ["bad"], "InvalidData", "invalid fingerprint for input asset bad: zzzz"),
    ],
)
def test_materialize_contract_errors(writer: BundleWriter, outputs, node_outputs, inputs, kind, message) -> None:
    """§11.4 checks 1–6 (texts and kinds); nothing is written when one fails."""
    session = DataOpsSession(writer)
    session.registry["bad"] = {"asset_key": "bad", "fingerprint_v0": "zzzz"}
    node = {"node_key": "n", "op_kind": "data", "op_type": "t",
            "inputs": [{"asset_key": k} for k in inputs], "outputs": [{"asset_key": k} for k in node_outputs]}  # fmt: skip
    with pytest.raises(BundleWriteError) as info:
        session.materialize_node_outputs(node, outputs, FIXTURE_CLOCK, False, 1)
    assert (info.value.kind, info.value.message) == (kind, message)
    assert (writer.root / "datasets/materializations.ndjson").read_bytes() == b""
    assert session.record_seq == 0


def test_error_and_skipped_records(writer: BundleWriter) -> None:
    """§11.4/§13.2: one record per output, status fingerprint, missing_provenance for absent inputs."""
    session = DataOpsSession(writer)
    a = _source(session, "dataset://ns/a")
    node = _node("prep/z", ["dataset://ns/a", "dataset://ns/gone"], ["dataset://ns/z1", "dataset://ns/z2"],
                 execution_trust="unsafe_extension")  # fmt: skip
    recs = session.record_node_error(node, FIXTURE_CLOCK, 12, "runner_error:boom")
    skipped = session.record_node_skipped(node, FIXTURE_CLOCK + 1, "missing_input:dataset://ns/gone")
    assert [r["record_seq"] for r in recs + skipped] == [1, 2, 3, 4]
    node_id = hashes.node_id_from_key("prep/z")
    assert recs[0]["fingerprint_v0"] == hashes.status_fingerprint_v0(node_id, "dataset://ns/z1", 1, "error")
    assert skipped[1]["fingerprint_v0"] == hashes.status_fingerprint_v0(node_id, "dataset://ns/z2", 4, "skipped")
    assert recs[0]["unsafe_reasons"] == ["unsafe_extension", "missing_provenance"]
    assert recs[0]["input_asset_keys"] == ["dataset://ns/a", "dataset://ns/gone"]
    assert recs[0]["input_fingerprints_v0"] == [a["fingerprint_v0"]]
    assert skipped[0]["duration_ms"] == 0 and skipped[0]["cache_decision"] == "unknown"
    assert "dataset://ns/z1" not in session.registry  # no registry update, no mutation
    assert session.pair_seq == 1  # only the register_source flush


def test_lineage_dedupe_snapshots_and_replay(writer: BundleWriter) -> None:
    """Repeated materialization gives one edge; snapshots equal the replayed logs; the marker hashes them."""
    session = DataOpsSession(writer, snapshot_profile=3)
    _source(session, "dataset://ns/a")
    node = _node("prep/c", ["dataset://ns/a"], ["dataset://ns/c"])
    session.materialize_node_outputs(node, ["dataset://ns/c"], FIXTURE_CLOCK, False, 1)
    assert json.loads((writer.root / "datasets/registry.json").read_text())["datasets"] == []  # Streaming(3)
    session.materialize_node_outputs(node, ["dataset://ns/c"], FIXTURE_CLOCK + 1, True, 1)
    assert len(_lines(writer.root / "datasets/lineage_edges.ndjson")) == 1
    inplace = _node("prep/inplace", ["dataset://ns/c"], ["dataset://ns/c"])
    before = session.fingerprint("dataset://ns/c")
    session.materialize_node_outputs(inplace, ["dataset://ns/c"], FIXTURE_CLOCK + 2, False, 1)
    assert session.fingerprint("dataset://ns/c") != before
    session.finalize()
    registry = json.loads((writer.root / "datasets/registry.json").read_text())["datasets"]
    replayed: dict[str, dict] = {}
    for entry in _lines(writer.root / "datasets/registry_updates.ndjson"):
        replayed[entry["asset_key"]] = entry
    assert registry == [replayed[k] for k in sorted(replayed)]
    lineage = json.loads((writer.root / "datasets/lineage.json").read_text())["edges"]
    assert sorted(map(json.dumps, lineage)) == sorted(map(json.dumps, _lines(writer.root / "datasets/lineage_edges.ndjson")))
    inplace_id = hashes.node_id_from_key("prep/inplace")
    assert [(e["input_fingerprint_v0"], e["output_fingerprint_v0"]) for e in lineage if e["node_id"] == inplace_id] == [
        (before, session.fingerprint("dataset://ns/c"))
    ]  # B-118 shape: pre-call input fingerprint → new output fingerprint
    marker = json.loads((writer.root / "datasets/snapshot_pair_commit.json").read_text())
    import hashlib

    assert marker == {
        "schema_version": 1, "pair_seq": 2,
        "registry_sha256": hashlib.sha256((writer.root / "datasets/registry.json").read_bytes()).hexdigest(),
        "lineage_sha256": hashlib.sha256((writer.root / "datasets/lineage.json").read_bytes()).hexdigest(),
    }  # fmt: skip
    assert_upstream_valid(writer.root)


def test_manifest_policy_always_keeps_bundle_valid(tmp_path: Path) -> None:
    """With ``manifest_policy="always"`` the bundle validates after every session write, without finalize."""
    with BundleWriter.create(tmp_path, "0000000000000000000000000000beef", clock_ns=FIXTURE_CLOCK,
                             manifest_policy="always") as w:  # fmt: skip
        session = DataOpsSession(w)
        _source(session, "dataset://ns/a")
        assert_upstream_valid(w.root)
        session.materialize_node_outputs(_node("p/q", ["dataset://ns/a"], ["dataset://ns/q"]), ["dataset://ns/q"],
                                         FIXTURE_CLOCK, False, 1)  # fmt: skip
        assert_upstream_valid(w.root)


def test_reproduces_midrun_always_fixture(tmp_path: Path) -> None:
    """``midrun_always`` (Streaming(3) snapshots, Always manifest, no finalize): all bytes, marker pair_seq 1.

    Session nodes carry no ``code_ref`` (as upstream's tests pass them), so the records' ``node_def_hash``
    differs from graph.json's, where ``write_graph`` filled it (B-161 shape).
    """
    def node(key: str, inputs: list[str], outputs: list[str], **extra: object) -> dict:
        return _node(key, inputs, outputs, **extra)

    ingest = node("ingest/src", [], ["dataset://m/src"], op_type="ingest")
    a = node("prep/a", ["dataset://m/src"], ["dataset://m/a"])
    b = node("prep/b", ["dataset://m/a"], ["dataset://m/b"], execution_trust="sandboxed_extension")
    c = node("prep/c", ["dataset://m/b"], ["dataset://m/c"])
    run = "000000000000000000000000a1a1a1a1"
    with BundleWriter.create(tmp_path, run, clock_ns=FIXTURE_CLOCK, manifest_policy="always") as w:
        w.write_graph({"nodes": [ingest, a, b, c], "edges": []})
        session = DataOpsSession(w, snapshot_profile=3)
        session.register_source("dataset://m/src", "trusted", {"uri": "file:///m.csv", "content_type": "text/csv"},
                                None, ingest)  # fmt: skip
        for i, n in enumerate((a, b, c), start=1):
            session.materialize_node_outputs(n, [n["outputs"][0]["asset_key"]], FIXTURE_CLOCK + i * 1000, False, 1)
        w.append_span(run, "673d04ace1af0f51", "run", FIXTURE_CLOCK)
        root = w.root
    assert session.pair_seq == 1
    assert_same_tree(root, "midrun_always")
    assert_upstream_valid(root)


def test_reproduces_crashed_midrun_fixture(tmp_path: Path) -> None:
    """``crashed_midrun`` (Streaming(2), IntervalN(5), no finalize): the manifest refreshed at the 5th and
    10th sink writes (the marker flush refreshes it too) lists 3 of the 6 metrics — all bytes identical."""
    ingest = _node("ingest/src", [], ["dataset://c/src"], op_type="ingest")
    a = _node("prep/a", ["dataset://c/src"], ["dataset://c/a"])
    run = "00000000000000000000000000c4a54d"
    with BundleWriter.create(tmp_path, run, clock_ns=FIXTURE_CLOCK, manifest_policy=5) as w:
        w.write_graph({"nodes": [ingest, a], "edges": []})
        session = DataOpsSession(w, snapshot_profile=2)
        session.register_source("dataset://c/src", "trusted", {"uri": "file:///c.csv", "content_type": "text/csv"},
                                None, ingest)  # fmt: skip
        session.materialize_node_outputs(a, [OutputSpec("dataset://c/a", rows=10, bytes=100)], FIXTURE_CLOCK + 1000,
                                         False, 2)  # fmt: skip
        for i in range(6):
            w.append_metric(FIXTURE_CLOCK + 10_000 + i, run, "train/loss", 1.0 / (i + 1))
        root = w.root
    assert_same_tree(root, "crashed_midrun")
    _opened, validated = upstream_verdict(root)
    assert validated["message"] == "size mismatch for metrics.ndjson (expected 534)"


def test_materialize_is_all_or_nothing_on_write_failure(writer: BundleWriter) -> None:
    """B-112/B-113 shape: with registry_updates.ndjson replaced by a folder a two-output call fails with the
    OS error, the session keeps its state and writes no record; once restored the same call succeeds."""
    session = DataOpsSession(writer)
    src = _source(session, "dataset://ns/a")
    log = writer.root / "datasets/registry_updates.ndjson"
    saved = log.read_bytes()
    log.unlink()
    log.mkdir()
    node = _node("prep/two", ["dataset://ns/a"], ["dataset://ns/o1", "dataset://ns/o2"])
    with pytest.raises(BundleWriteError) as info:
        session.materialize_node_outputs(node, ["dataset://ns/o1", "dataset://ns/o2"], FIXTURE_CLOCK, False, 1)
    assert (info.value.kind, info.value.message) == ("IsADirectory", "Is a directory (os error 21)")
    assert session.fingerprint("dataset://ns/o1") is None and session.fingerprint("dataset://ns/a") == src["fingerprint_v0"]
    assert (writer.root / "datasets/materializations.ndjson").read_bytes() == b""
    assert session.record_seq == 0
    log.rmdir()
    log.write_bytes(saved)
    recs = session.materialize_node_outputs(node, ["dataset://ns/o1", "dataset://ns/o2"], FIXTURE_CLOCK, False, 1)
    assert [r["record_seq"] for r in recs] == [1, 2] and recs[0]["fingerprint_v0"] != recs[1]["fingerprint_v0"]


def test_open_existing_bundle_append_and_finalize(tmp_path: Path) -> None:
    """B-008/B-052: ``open`` a copy of upstream's ``minimal``, add a session, a span and an artifact; finalize."""
    from tests.helpers import copy_fixture

    root = copy_fixture("minimal", tmp_path)
    (root / "artifacts").mkdir(exist_ok=True)
    (root / "artifacts/notes.txt").write_text("hello")
    with BundleWriter.open(root) as w:
        assert w.run_id == "00000000000000000000000000000001"
        session = DataOpsSession(w)
        _source(session, "dataset://ns/a")
        w.append_span(w.run_id, "0011223344556677", "s", FIXTURE_CLOCK)
        session.finalize()
    manifest = json.loads((root / "manifest.json").read_text())
    listed = {e["path"]: e["required"] for e in manifest["entries"]}
    assert listed["artifacts/notes.txt"] is False and listed["datasets/snapshot_pair_commit.json"] is False
    assert_upstream_valid(root)
