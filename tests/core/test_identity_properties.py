"""Property-based checks of the identity layer (hypothesis): encoders, normalization, replay, layout."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from swarmview.core.identity import dataops, graph, hashes, layout
from swarmview.core.identity import postcard as pc
from tests.core.test_identity_layout import _check


def _read_varint(data: bytes) -> tuple[int, int]:
    value = shift = 0
    for i, byte in enumerate(data):
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, i + 1
    raise AssertionError("unterminated varint")


@given(st.integers(min_value=0, max_value=pc.U64_MAX))
def test_varint_roundtrip_and_length(n: int) -> None:
    data = pc.varint(n)
    assert _read_varint(data) == (n, len(data))
    assert len(data) == max(1, math.ceil(n.bit_length() / 7))


@given(st.integers(min_value=pc.I64_MIN, max_value=pc.I64_MAX))
def test_zigzag_is_a_bijection_onto_u64(n: int) -> None:
    z = pc.zigzag(n)
    assert 0 <= z <= pc.U64_MAX
    assert (z >> 1) ^ -(z & 1) == n


canon = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=10,
)  # fmt: skip
node_st = st.builds(
    lambda key, kind, op, params, n_in: {
        "node_key": key,
        "node_id": None,
        "op_kind": kind,
        "op_type": op,
        "inputs": [{"asset_key": f"in{i}", "fingerprint": None} for i in range(n_in)],
        "outputs": [],
        "params": params,
        "code_ref": None,
        "unsafe_surface": False,
        "execution_trust": "core",
    },
    st.text(min_size=1, max_size=8),
    st.sampled_from(hashes.OP_KINDS),
    st.text(max_size=8),
    st.dictionaries(st.text(max_size=4), canon, max_size=4),
    st.integers(0, 3),
)


@settings(max_examples=60)
@given(st.lists(node_st, max_size=6, unique_by=lambda n: n["node_key"]))
def test_write_then_load_is_a_fixed_point(nodes: list[dict]) -> None:
    """A graph written by write_graph loads back (normalized) with the very hashes it stores (I64/finite params)."""
    written = graph.prepare_graph_for_write(
        {"schema_version": 1, "graph_id": None, "nodes": nodes, "edges": []}
    )
    assert graph.validate_graph(written) is None
    assert graph.normalize_graph(written) == written
    assert [f.code for f in graph.graph_findings(written) if f.code == "STORED_HASH_MISMATCH"] == []


entries = st.lists(
    st.builds(
        lambda k, fp: {"asset_key": k, "fingerprint_v0": fp}, st.sampled_from("abcde"), st.text(max_size=2)
    ),
    max_size=12,
)


@given(entries, entries)
def test_replay_last_wins_and_snapshot_equivalence(snapshot: list[dict], log: list[dict]) -> None:
    """B-120-style equivalence: replaying the log over its own replay changes nothing; the log's last line wins."""
    merged = dataops.replay_registry(snapshot, log)
    alone = dataops.replay_registry([], log)
    assert dataops.replay_registry(alone, log) == alone
    last = {e["asset_key"]: e for e in log}
    for entry in merged:
        if entry["asset_key"] in last:
            assert entry == last[entry["asset_key"]]
    assert [e["asset_key"] for e in merged] == sorted({e["asset_key"] for e in snapshot + log})


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 25).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.tuples(st.integers(0, n + 1), st.integers(0, n + 1)), max_size=3 * n),
)))  # fmt: skip
def test_layout_layering_valid_on_any_graph(case: tuple[int, list[tuple[int, int]]]) -> None:
    n, pairs = case
    nodes = [f"v{i}" for i in range(n)]
    edges = [(f"v{a}", f"v{b}") for a, b in pairs]  # some endpoints unknown (n, n+1), some self loops
    _check(nodes, edges, layout.layout_dag(nodes, edges))
