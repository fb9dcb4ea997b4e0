"""``write_graph``: upstream's checks, ``code_ref`` fill and normalization, exact pretty text (§7)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

pytest.importorskip("swarmview.core.jsontext.encode")

from swarmview.core.errors import BundleWriteError
from swarmview.core.identity import hashes
from swarmview.core.jsontext.encode import U64
from swarmview.core.writer import BundleWriter
from tests.core._writer_support import FIXTURE_CLOCK, assert_same_tree

#: BUNDLE_FORMAT §7.5: ``graph.json`` written by ``write_graph`` for this one node.
SPEC_NODE = {
    "node_key": "prep/clean_users", "op_kind": "data", "op_type": "validate",
    "inputs": [{"asset_key": "dataset://ns/users"}], "outputs": [{"asset_key": "dataset://ns/users_clean"}],
}  # fmt: skip
SPEC_GRAPH_JSON = """{
  "schema_version": 1,
  "nodes": [
    {
      "node_key": "prep/clean_users",
      "node_id": "1325e6a3bb11efd3cacbcafdcdae340b",
      "op_kind": "data",
      "op_type": "validate",
      "inputs": [
        {
          "asset_key": "dataset://ns/users"
        }
      ],
      "outputs": [
        {
          "asset_key": "dataset://ns/users_clean"
        }
      ],
      "params": {},
      "code_ref": "swarm-torch@0.1.0",
      "unsafe_surface": false,
      "execution_trust": "core",
      "node_def_hash": "c1215adc66f3d14b078d846dbc24b79f3343d7077309963815499290ead35a2b",
      "op_hash": "0ffa082f4e5bf0ff11de607592844b409c4a63ff66817664870afdf924fef3b8"
    }
  ],
  "edges": []
}"""


@pytest.fixture
def writer(tmp_path: Path) -> BundleWriter:
    w = BundleWriter.create(tmp_path, bytes([1] * 16), clock_ns=FIXTURE_CLOCK)
    yield w
    w.close()


def _graph(writer: BundleWriter) -> dict:
    return json.loads((writer.root / "graph.json").read_text())


def test_spec_example_exact(writer: BundleWriter) -> None:
    """§7.5 example / B-009: the written graph.json is the spec's text byte for byte (no graph_id)."""
    writer.write_graph({"nodes": [SPEC_NODE], "edges": []})
    assert (writer.root / "graph.json").read_text() == SPEC_GRAPH_JSON


def test_b074_b075_normalizes_and_fills_code_ref(writer: BundleWriter) -> None:
    """B-074/B-075: ids from keys, code_ref ``swarm-torch@0.1.0`` for none or "", hash of the written node."""
    nodes = [{**SPEC_NODE, "node_key": "a"}, {**SPEC_NODE, "node_key": "b", "code_ref": ""},
             {**SPEC_NODE, "node_key": "c", "code_ref": "mine@1"}]  # fmt: skip
    written = writer.write_graph({"schema_version": 7, "nodes": nodes})
    stored = _graph(writer)
    assert stored["schema_version"] == 1 and written["schema_version"] == 1
    assert [n["code_ref"] for n in stored["nodes"]] == ["swarm-torch@0.1.0", "swarm-torch@0.1.0", "mine@1"]
    for node in stored["nodes"]:
        assert node["node_id"] == hashes.node_id_from_key(node["node_key"])
        assert node["node_def_hash"] == hashes.node_def_hash(node)
        assert node["op_hash"] == hashes.op_hash(node)


def test_b076_explicit_node_id_replaced(writer: BundleWriter) -> None:
    """B-076: an explicit, different node_id is replaced by the key-derived one; op_hash is set."""
    writer.write_graph({"nodes": [{**SPEC_NODE, "node_id": "ab" * 16, "node_def_hash": "x", "op_hash": "y"}]})
    (node,) = _graph(writer)["nodes"]
    assert node["node_id"] == "1325e6a3bb11efd3cacbcafdcdae340b"
    assert node["op_hash"] == "0ffa082f4e5bf0ff11de607592844b409c4a63ff66817664870afdf924fef3b8"


def test_b078_hints_and_params_persisted(writer: BundleWriter) -> None:
    """B-078 / B-012: execution_hint and policies are written; params sorted, U64 and nested kept."""
    node = {**SPEC_NODE, "execution_hint": {"preferred_profile": "edge_std", "memory_budget_bytes": 1024},
            "cache_policy": "prefer_reuse", "resources": {"cpu_millis": 500},
            "params": {"z": [1, 2.5, None, "s"], "a": {"y": True, "b": U64(3)}, "m": 2**64 - 1}}  # fmt: skip
    writer.write_graph({"graph_id": "g1", "nodes": [node]})
    text = (writer.root / "graph.json").read_text()
    assert '"graph_id": "g1"' in text
    assert text.index('"a": {') < text.index('"m": 18446744073709551615') < text.index('"z": [')
    assert '"execution_hint": {\n        "preferred_profile": "edge_std",\n        "memory_budget_bytes": 1024\n      }' in text
    (stored,) = _graph(writer)["nodes"]
    assert stored["cache_policy"] == "prefer_reuse" and stored["resources"] == {"cpu_millis": 500}


@pytest.mark.parametrize(
    ("graph", "message"),
    [
        ({"nodes": [{**SPEC_NODE, "node_key": "k" * 257}]}, "node_key length 257 exceeds maximum 256"),
        ({"nodes": [{**SPEC_NODE, "op_type": "t" * 129}]}, "op_type length 129 exceeds maximum 128"),
        ({"nodes": [{**SPEC_NODE, "params": {f"p{i}": i for i in range(129)}}]}, "params count 129 exceeds maximum 128"),
        ({"nodes": [SPEC_NODE, SPEC_NODE]}, "duplicate node_key in graph: prep/clean_users"),
        ({"nodes": [SPEC_NODE], "edges": [{"from_node_id": "1325e6a3bb11efd3cacbcafdcdae340b", "to_node_id": "ab" * 16}]},
         "graph edge references unknown node_id: 1325e6a3bb11efd3cacbcafdcdae340b -> " + "ab" * 16
         + " (missing: " + "ab" * 16 + ")"),
    ],
)  # fmt: skip
def test_b077_b080_write_graph_refusals(writer: BundleWriter, graph: dict, message: str) -> None:
    """B-077/B-079/B-080 through the writer: kind InvalidData, upstream's text, graph.json untouched."""
    before = (writer.root / "graph.json").read_bytes()
    with pytest.raises(BundleWriteError) as info:
        writer.write_graph(graph)
    assert (info.value.kind, info.value.message) == ("InvalidData", message)
    assert (writer.root / "graph.json").read_bytes() == before


def test_b080_explicit_ids_fail_after_normalization(writer: BundleWriter) -> None:
    """B-080: an edge using an explicit non-derived id passes step 2 but fails step 5 (after normalization)."""
    node = {**SPEC_NODE, "node_id": "ab" * 16}
    with pytest.raises(BundleWriteError) as info:
        writer.write_graph({"nodes": [node], "edges": [{"from_node_id": "ab" * 16, "to_node_id": "ab" * 16}]})
    assert info.value.kind == "InvalidData"
    assert info.value.message.startswith("graph edge references unknown node_id: " + "ab" * 16)


def test_nonfinite_params_refused_after_upstream_checks(writer: BundleWriter) -> None:
    """F-08: a NaN/inf param is refused (it would read back as null); upstream's own errors come first."""
    with pytest.raises(BundleWriteError, match="F-08") as info:
        writer.write_graph({"nodes": [{**SPEC_NODE, "params": {"lr": [1.0, math.nan]}}]})
    assert info.value.kind == "InvalidInput"
    with pytest.raises(BundleWriteError) as info:
        writer.write_graph({"nodes": [{**SPEC_NODE, "node_key": "k" * 300, "params": {"lr": math.inf}}]})
    assert info.value.message == "node_key length 300 exceeds maximum 256"


def test_reproduces_nonfinite_param_fixture(tmp_path: Path) -> None:
    """``nonfinite_param`` (create + write_graph with NaN/+inf params + finalize) in upstream mode: all bytes."""
    node = {"node_key": "train/step", "op_kind": "train", "op_type": "train", "inputs": [],
            "outputs": [{"asset_key": "model://nf/out"}], "params": {"clip": math.inf, "lr": math.nan, "ok": 0.25}}  # fmt: skip
    with BundleWriter.create(tmp_path, "0000000000000000000000000000f10c", clock_ns=FIXTURE_CLOCK,
                             allow_nonfinite=True) as w:  # fmt: skip
        w.write_graph({"nodes": [node], "edges": []})
        w.finalize_manifest()
        root = w.root
    assert_same_tree(root, "nonfinite_param")
