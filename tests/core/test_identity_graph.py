"""graph.json semantics: normalization as upstream's loader (B-086, B-087), write_graph checks (B-074–B-081)
and swarmview's graph findings against the shared fixtures and their verdicts."""

from __future__ import annotations

import copy
import gzip
import json
import re
from typing import Any

import pytest

from swarmview.core.errors import BundleWriteError
from swarmview.core.identity import dataops, graph, hashes
from tests.core.test_identity_jsonload import (
    U64,
    decode_as,
    fixture_graphs,
    load_ndjson,
    read_ndjson_pairs,
    strip_omitted,
)
from tests.helpers import FIXTURE_NAMES, FIXTURES, VERDICTS

GRAPH_FIXTURES = [n for n in FIXTURE_NAMES if (FIXTURES / n / "graph.json").exists()]


def _node(key: str, **kw: Any) -> dict[str, Any]:
    node: dict[str, Any] = {
        "node_key": key, "node_id": None, "op_kind": "data", "op_type": "transform", "inputs": [], "outputs": [],
        "params": {}, "code_ref": None, "unsafe_surface": False, "execution_trust": "core", "node_def_hash": None,
        "execution_hint": None, "cache_policy": None, "materialization_policy": None, "resources": None,
        "op_hash": None,
    }  # fmt: skip
    node.update(kw)
    return node


def _graph(nodes: list[dict[str, Any]], edges: list[tuple[str, str]] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    return {
        "schema_version": 1,
        "graph_id": None,
        "nodes": nodes,
        "edges": [{"from_node_id": a, "to_node_id": b, "asset_key": None} for a, b in edges],
    }


def _report_json(name: str) -> dict[str, Any] | None:
    plain, packed = VERDICTS / f"{name}.report.json", VERDICTS / f"{name}.report.json.gz"
    if plain.exists():
        return json.loads(plain.read_bytes())
    if packed.exists():
        return json.loads(gzip.decompress(packed.read_bytes()))
    return None


# --- normalization ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [n for n in GRAPH_FIXTURES if _report_json(n) is not None])
def test_normalized_graph_equals_upstream_report_json(name: str) -> None:
    """B-086: the loader's graph (ids from keys, hashes recomputed, schema 1) equals upstream's --json-out graph."""
    _, upstream = fixture_graphs(FIXTURES / name)
    report = _report_json(name)
    assert report is not None
    assert strip_omitted(graph.normalize_graph(upstream)) == strip_omitted(report["graph"])


def test_normalize_overwrites_schema_ids_and_hashes_but_not_code_ref() -> None:
    """B-086: stored values are replaced, never compared; code_ref is not filled on load (§7.5)."""
    node = _node("prep/a", node_id="00" * 15 + "01", node_def_hash="x", op_hash="y")
    g = graph.normalize_graph({**_graph([node]), "schema_version": 7})
    out = g["nodes"][0]
    assert g["schema_version"] == 1
    assert out["node_id"] == hashes.node_id_from_key("prep/a")
    assert (
        out["node_def_hash"] == hashes.node_def_hash(node) == hashes.node_def_hash({**node, "code_ref": ""})
    )
    assert out["op_hash"] == hashes.op_hash(node)
    assert out["code_ref"] is None
    assert list(out) == list(graph.NODE_FIELDS)


def test_loader_accepts_invalid_graphs_b087() -> None:
    """B-087: duplicate keys/ids, unknown edge endpoints and cycles normalize without error."""
    a, b = _node("a"), _node("b")
    ida, idb = hashes.node_id_from_key("a"), hashes.node_id_from_key("b")
    g = _graph([a, b, copy.deepcopy(a)], [(ida, idb), (idb, ida), (ida, "ff" * 16)])
    normalized = graph.normalize_graph(g)
    assert len(normalized["nodes"]) == 3 and len(normalized["edges"]) == 3


def test_graph_without_optional_fields_parses_with_none_b081() -> None:
    """B-081: a node lacking execution_hint, cache/materialization policies, resources and op_hash loads with none."""
    text = '{"schema_version":1,"nodes":[{"node_key":"k","op_kind":"train","op_type":"t"}]}'
    out = graph.normalize_graph(decode_as(text, "GraphV1"))["nodes"][0]
    for key in ("execution_hint", "cache_policy", "materialization_policy", "resources"):
        assert out[key] is None
    assert out["op_hash"] == hashes.op_hash({"op_kind": "train", "op_type": "t"})


# --- write path (§7.4) --------------------------------------------------------------------------------------


def test_write_graph_fills_code_ref_and_normalizes_b074_b075_b076_b078() -> None:
    """B-074/B-075/B-076/B-078: code_ref filled when none or empty, explicit id replaced, hint persisted."""
    hint = {"preferred_profile": "edge_std", "device_affinity": None, "memory_budget_bytes": U64(1 << 20)}
    nodes = [
        _node("a", code_ref=""),
        _node("b", node_id="ab" * 16, execution_hint=hint),
        _node("c", code_ref="x@1"),
    ]
    out = graph.prepare_graph_for_write(_graph(nodes))
    assert [n["code_ref"] for n in out["nodes"]] == ["swarm-torch@0.1.0", "swarm-torch@0.1.0", "x@1"]
    assert out["nodes"][1]["node_id"] == hashes.node_id_from_key("b")
    assert out["nodes"][1]["execution_hint"] == hint
    for n in out["nodes"]:
        assert n["node_def_hash"] == hashes.node_def_hash(n) and n["op_hash"] == hashes.op_hash(n)
    assert nodes[0]["code_ref"] == ""  # the caller's graph is not modified


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"node_key": "k" * 257}, "node_key length 257 exceeds maximum 256"),
        ({"op_type": "é" * 65}, "op_type length 130 exceeds maximum 128"),
        ({"inputs": [{"asset_key": "a"}] * 257}, "input count 257 exceeds maximum 256"),
        ({"outputs": [{"asset_key": "a"}] * 257}, "output count 257 exceeds maximum 256"),
        ({"params": {f"p{i}": i for i in range(129)}}, "params count 129 exceeds maximum 128"),
        ({"node_key": "k" * 257, "op_type": "t" * 129}, "node_key length 257 exceeds maximum 256"),
    ],
)
def test_node_bounds_b077_b079(change: dict[str, Any], message: str) -> None:
    """B-077/B-079: limits in bytes/counts, strictly greater fails, first failing check named."""
    node = _node("ok", **change)
    assert graph.validate_node_bounds(node) == message
    with pytest.raises(BundleWriteError) as info:
        graph.prepare_graph_for_write(_graph([_node("first"), node]))
    assert (info.value.kind, info.value.message) == ("InvalidData", message)
    edge = {"node_key": "k" * 256, "op_type": "t" * 128, "inputs": [{"asset_key": "a"}] * 256, "params": {}}
    assert graph.validate_node_bounds(_node("x", **edge)) is None


def test_validate_graph_messages_b080() -> None:
    """B-080: duplicate key, duplicate explicit id, unknown endpoints; checked before and after normalization."""
    a = _node("a")
    assert graph.validate_graph(_graph([a, _node("a")])) == "duplicate node_key in graph: a"
    same_id = "0a" * 16
    msg = graph.validate_graph(_graph([_node("a", node_id=same_id), _node("b", node_id=same_id.upper())]))
    assert msg == f"duplicate node_id in graph: {same_id} (first node_key: a, duplicate node_key: b)"
    ida = hashes.node_id_from_key("a")
    missing = "ee" * 16
    assert graph.validate_graph(_graph([a], [(missing, ida)])) == (
        f"graph edge references unknown node_id: {missing} -> {ida} (missing: {missing})"
    )
    assert graph.validate_graph(_graph([a], [(ida, missing)])) == (
        f"graph edge references unknown node_id: {ida} -> {missing} (missing: {missing})"
    )
    # an edge using an explicit, non-derived id passes step 2 and fails step 5 (after normalization)
    explicit = _graph([_node("a", node_id=missing), _node("b")], [(missing, hashes.node_id_from_key("b"))])
    assert graph.validate_graph(explicit) is None
    with pytest.raises(BundleWriteError) as info:
        graph.prepare_graph_for_write(explicit)
    assert info.value.message == (
        f"graph edge references unknown node_id: {missing} -> {hashes.node_id_from_key('b')} (missing: {missing})"
    )


def test_cycles_and_topological_order() -> None:
    """The scheduler's order (ties by node_key) and its cycle text, as GRAPH_CYCLE reports it (F-30)."""
    ids = {k: hashes.node_id_from_key(k) for k in "abcd"}
    g = _graph([_node(k) for k in "dcba"], [(ids["a"], ids["c"]), (ids["b"], ids["c"]), (ids["c"], ids["d"])])
    assert graph.topological_order(g) == [ids["a"], ids["b"], ids["c"], ids["d"]]
    layers, left = graph.topo_layers(g)
    assert layers == [[ids["a"], ids["b"]], [ids["c"]], [ids["d"]]] and left == []
    cyclic = _graph(
        [_node(k) for k in "abc"], [(ids["b"], ids["a"]), (ids["a"], ids["b"]), (ids["b"], ids["c"])]
    )
    with pytest.raises(ValueError, match=r"^graph contains cycle\(s\): a,b,c$"):
        graph.topological_order(cyclic)
    codes = [(f.code, f.message) for f in graph.graph_findings(cyclic)]
    assert ("GRAPH_CYCLE", "graph.json: graph contains cycle(s): a,b,c") in codes


# --- findings against fixtures ---------------------------------------------------------------------------------


def _merged_registry(name: str) -> list[dict[str, Any]]:
    d = FIXTURES / name / "datasets"
    snap = decode_as((d / "registry.json").read_bytes(), "DatasetRegistryV1")["datasets"]
    return dataops.replay_registry(
        snap, [e for _, e in read_ndjson_pairs(d / "registry_updates.ndjson", "DatasetEntryV1")]
    )


def _verdict_drift(name: str) -> list[dict[str, Any]]:
    """The verdict's drift list; for bundles upstream could not load, that of a loaded one with the same graph."""
    data = (FIXTURES / name / "graph.json").read_bytes()
    for other in [name, *GRAPH_FIXTURES]:
        report = json.loads((VERDICTS / f"{other}.json").read_bytes())["load_report"]
        if report.get("ok") and (FIXTURES / other / "graph.json").read_bytes() == data:
            return report.get("node_hash_drift_vs_graph_json", [])
    pytest.skip(f"no verdict loaded a graph.json identical to {name}'s")


@pytest.mark.parametrize("name", GRAPH_FIXTURES)
def test_stored_hash_mismatch_matches_verdict_drift(name: str) -> None:
    """F-21: STORED_HASH_MISMATCH on exactly the nodes upstream's loader re-hashes differently, recomputed values
    as the verdict records them (rich 2 nodes, u64_param_roundtrip 1, nonfinite_param 1, others none)."""
    exact, upstream = fixture_graphs(FIXTURES / name)
    found = [f for f in graph.graph_findings(exact, upstream) if f.code == "STORED_HASH_MISMATCH"]
    drift = _verdict_drift(name)
    expected = set()
    for item in drift:
        for field in ("node_def_hash", "op_hash"):
            if item["stored"][field] not in (None, item["recomputed"][field]):  # absent: the loader adds it
                expected.add((item["node_key"], field, item["stored"][field], item["recomputed"][field]))
    got = {(f.message.split()[2].rstrip(":"), f.message.split()[4], f.expected, f.found) for f in found}
    assert got == expected
    if name == "rich":
        assert len({k for k, *_ in got}) == 2


def test_mismatch_causes_are_explained() -> None:
    """F-21: rich and u64_param_roundtrip drift by U64 typing; nonfinite_param by NaN/inf written as null,
    which also proves NONFINITE_AS_NULL for clip (+inf) and lr (NaN)."""
    for name in ("rich", "u64_param_roundtrip"):
        msgs = [f.message for f in graph.graph_findings(*fixture_graphs(FIXTURES / name))]
        assert all("(integer param typing" in m for m in msgs if "stored node_def_hash" in m)
    findings = graph.graph_findings(*fixture_graphs(FIXTURES / "nonfinite_param"))
    mismatch = [f for f in findings if f.code == "STORED_HASH_MISMATCH"]
    assert len(mismatch) == 2 and all(
        m.message.endswith("(non-finite param written as null)") for m in mismatch
    )
    nonfinite = [f for f in findings if f.code == "NONFINITE_AS_NULL"]
    assert len(nonfinite) == 1 and "train/step" in nonfinite[0].message
    assert "(clip +inf, lr NaN)" in nonfinite[0].message and nonfinite[0].severity == "warning"


@pytest.mark.parametrize(
    "vec", load_ndjson("node_def_postcard_v1_floats.ndjson"), ids=lambda v: f"float{v['case']}"
)
def test_float_drift_is_explained_by_upstream_parsing(vec: dict[str, Any]) -> None:
    """§2.7: a graph.json written by write_graph for the float nodes drifts on load exactly when the vector says so,
    and the cause found is the float reading."""
    wg = vec["write_graph"]
    node_text = (
        vec["node_json"][:-1] + f',"node_def_hash":"{wg["node_def_hash"]}","op_hash":"{wg["op_hash"]}"}}'
    )
    if '"code_ref":' in node_text:  # keep serde's float texts: edit the JSON text, not a re-dump
        node_text = re.sub(r'"code_ref":"[^"]*"', f'"code_ref":"{wg["code_ref"]}"', node_text, count=1)
    else:
        node_text = node_text.replace(
            '"unsafe_surface"', f'"code_ref":"{wg["code_ref"]}","unsafe_surface"', 1
        )
    text = '{"schema_version":1,"nodes":[' + node_text + '],"edges":[]}'
    findings = graph.graph_findings(
        decode_as(text, "GraphV1", "exact"), decode_as(text, "GraphV1", "upstream")
    )
    mismatch = [f for f in findings if f.code == "STORED_HASH_MISMATCH"]
    if vec["json_roundtrip"]["same_as_authored"]:
        assert mismatch == []
    else:
        assert {f.found for f in mismatch} == {wg["loader_node_def_hash"], wg["loader_op_hash"]}
        assert all("float param read back differently" in f.message for f in mismatch)
        exact_node = decode_as(text, "GraphV1", "exact")["nodes"][0]
        up_node = decode_as(text, "GraphV1", "upstream")["nodes"][0]
        cause, typing = graph.explain_stored_hash(exact_node, up_node, wg["node_def_hash"])
        assert cause == "float"
        assert set(typing) == {fp["param"] for fp in vec["float_params"] if fp["differs"]}


def test_node_id_not_key_derived_and_duplicates() -> None:
    """F-21/F-30: explicit ids, duplicate nodes, unknown endpoints, bounds, schema version, ambiguity."""
    bad_id = "ab" * 16
    nodes = [
        _node("a", node_id=bad_id),
        _node("a"),
        _node("p", params={f"p{i}": None for i in range(130)}),
    ]
    g = {**_graph(nodes, [(bad_id, hashes.node_id_from_key("p"))]), "schema_version": 3}
    by_code: dict[str, list[str]] = {}
    for f in graph.graph_findings(g):
        by_code.setdefault(f.code, []).append(f.message)
    derived = hashes.node_id_from_key("a")
    assert by_code["NODE_ID_NOT_KEY_DERIVED"] == [
        f"graph.json node a: node_id {bad_id} is not derived from node_key; upstream replaces it with {derived} on load"
    ]
    assert by_code["GRAPH_DUPLICATE_NODE"] == ["graph.json: duplicate node_key in graph: a"]
    assert by_code["GRAPH_EDGE_UNKNOWN_NODE"] == [
        f"graph.json: graph edge references unknown node_id: {bad_id} -> {hashes.node_id_from_key('p')} "
        f"(missing: {bad_id})"
    ]
    assert by_code["NODE_BOUNDS_EXCEEDED"] == ["graph.json node p: params count 130 exceeds 128"]
    assert by_code["UNSUPPORTED_SCHEMA_VERSION"] == [
        "graph.json: schema_version 3 is not supported (expected 1); read as version 1"
    ]
    assert by_code["AMBIGUOUS_DEFINITION_HASH"][0].startswith("node p: params or asset refs")


def test_unsafe_flag_mismatch_uses_merged_registry() -> None:
    """F-23: rich's stored unsafe_surface flags against the report's derivation (§13.4)."""
    exact, upstream = fixture_graphs(FIXTURES / "rich")
    registry = _merged_registry("rich")
    flags = {f.message.split(":")[0]: f.message for f in graph.graph_findings(exact, upstream, registry=registry)
             if f.code == "UNSAFE_FLAG_MISMATCH"}  # fmt: skip
    verdict = json.loads((VERDICTS / "rich.json").read_bytes())["load_report"]
    stored_unsafe = {n["node_key"] for n in upstream["nodes"] if n["unsafe_surface"]}
    assert set(flags) == set(verdict["unsafe_nodes"]) ^ stored_unsafe
    assert flags["governance/audit"] == (
        "governance/audit: graph.json says unsafe_surface=false, derived status is unsafe "
        "(sandboxed_extension, untrusted input model://swarm/global)"
    )


def test_explain_finds_a_writer_that_held_every_int_as_u64() -> None:
    """F-21: 20 U64 params (beyond the pairwise search budget) are still recognised as integer typing."""
    params = {f"p{i:02}": U64(1000 + i) for i in range(20)}
    written = graph.prepare_graph_for_write(_graph([_node("prep/sample", params=params)]))["nodes"][0]
    as_read = {**written, "params": {k: int(v) for k, v in params.items()}}
    cause, typing = graph.explain_stored_hash(as_read, as_read, written["node_def_hash"])
    assert cause == "u64" and set(typing) == set(params)
    assert graph.explain_stored_hash(as_read, as_read, "0" * 64) == ("unknown", {})


def test_duplicate_explicit_ids_and_edges_to_replaced_ids() -> None:
    """F-30: two nodes with one explicit id are duplicates (as write_graph says), and an edge that names an
    explicit id is unknown once the loader replaced it (upstream's report drops it)."""
    shared = "0a" * 16
    g = _graph(
        [_node("a", node_id=shared), _node("b", node_id=shared)], [(shared, hashes.node_id_from_key("b"))]
    )
    found = {(f.code, f.message) for f in graph.graph_findings(g)}
    assert ("GRAPH_DUPLICATE_NODE", f"graph.json: duplicate node_id in graph: {shared} (first node_key: a, "
            "duplicate node_key: b)") in found  # fmt: skip
    b = hashes.node_id_from_key("b")
    assert ("GRAPH_EDGE_UNKNOWN_NODE", f"graph.json: graph edge references unknown node_id: {shared} -> {b} "
            f"(missing: {shared})") in found  # fmt: skip
