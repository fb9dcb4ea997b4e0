"""Layered graph layout for the graph view, checked with networkx as the oracle (layering validity, acyclicity
after cycle breaking, longest-path layers, polylines through every layer) and timed on 3,000 nodes."""

from __future__ import annotations

import itertools
import random
import time

import networkx as nx
import numpy as np
import pytest

from swarmview.core.identity import layout
from tests.core.test_identity_jsonload import fixture_graphs
from tests.helpers import FIXTURES


def _check(node_ids: list[str], edges: list[tuple[str, str]], result: layout.GraphLayout) -> None:
    known = set(node_ids)
    oriented = nx.DiGraph()
    oriented.add_nodes_from(known)
    lay = result.layer_of
    for e, (a, b) in enumerate(edges):
        path = result.edge_paths[e]
        if a not in known or b not in known or a == b:
            assert path == [] and e not in result.reversed_edges
            continue
        src, dst = (b, a) if e in result.reversed_edges else (a, b)
        assert lay[dst] >= lay[src] + 1  # every edge goes down at least one layer after cycle breaking
        oriented.add_edge(src, dst)
        # the polyline runs from a to b and visits one point per layer in between
        assert path[0] == result.positions[a] and path[-1] == result.positions[b]
        assert len(path) == (2 if e in result.straight_edges else abs(lay[b] - lay[a]) + 1)
        ys = [y for _, y in path]
        assert ys == sorted(ys, reverse=e in result.reversed_edges)
    assert nx.is_directed_acyclic_graph(oriented)
    # longest-path layering: sources at 0, every node exactly one below its deepest predecessor
    for v in nx.topological_sort(oriented):
        preds = list(oriented.predecessors(v))
        assert lay[v] == (max(lay[p] for p in preds) + 1 if preds else 0)
    # no two nodes share a position; y is the layer
    assert len(set(result.positions.values())) == len(known)
    assert all(y == lay[v] * layout.LAYER_GAP for v, (_, y) in result.positions.items())
    assert sorted(v for layer in result.layers for v in layer) == sorted(known)
    for layer in result.layers:  # layer order is left-to-right order, at least NODE_GAP apart
        xs = [result.positions[v][0] for v in layer]
        assert all(b - a >= layout.NODE_GAP - 1e-9 for a, b in itertools.pairwise(xs))


def test_small_dag_layers_and_dummy_routing() -> None:
    nodes = ["a", "b", "c", "d"]
    edges = [("a", "b"), ("b", "c"), ("a", "c"), ("c", "d"), ("a", "d"), ("x", "a"), ("d", "d")]
    result = layout.layout_dag(nodes, edges)
    _check(nodes, edges, result)
    assert result.layer_of == {"a": 0, "b": 1, "c": 2, "d": 3}
    assert len(result.edge_paths[4]) == 4  # a→d crosses two dummy layers
    assert layout.layered_layout(nodes, edges) == result.positions


def test_cycles_are_broken_and_drawn_b087() -> None:
    """B-087: upstream loads cyclic graphs, so the view must lay them out: back edges are reversed."""
    nodes = ["a", "b", "c"]
    edges = [("a", "b"), ("b", "c"), ("c", "a"), ("b", "a")]
    result = layout.layout_dag(nodes, edges)
    _check(nodes, edges, result)
    assert 1 <= len(result.reversed_edges) <= 2


@pytest.mark.parametrize("seed", range(12))
def test_random_graphs_against_networkx(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(1, 120)
    g = nx.gnp_random_graph(n, rng.choice([0.01, 0.03, 0.08]), seed=seed, directed=True)
    if seed % 2 == 0:  # half of them acyclic
        g = nx.DiGraph([(a, b) for a, b in g.edges if a < b])
        g.add_nodes_from(range(n))
        assert nx.is_directed_acyclic_graph(g)
    nodes = [f"n{v}" for v in g.nodes]
    edges = [(f"n{a}", f"n{b}") for a, b in g.edges]
    result = layout.layout_dag(nodes, edges)
    _check(nodes, edges, result)
    if seed % 2 == 0:
        assert result.reversed_edges == frozenset()


def test_barycenter_sweeps_reduce_crossings() -> None:
    rng = random.Random(7)
    layers = [[f"{k}:{i}" for i in range(15)] for k in range(6)]
    edges = [(rng.choice(layers[k]), rng.choice(layers[k + 1])) for k in range(5) for _ in range(30)]
    nodes = [v for layer in layers for v in layer]
    before = _crossings(nodes, edges, layout.layout_dag(nodes, edges, sweeps=0))
    after = _crossings(nodes, edges, layout.layout_dag(nodes, edges))
    assert after < before


def _crossings(nodes: list[str], edges: list[tuple[str, str]], result: layout.GraphLayout) -> int:
    """Straight segments between consecutive layers that cross (brute force)."""
    segs = []
    for path in result.edge_paths:
        segs.extend(itertools.pairwise(path))
    count = 0
    for i, ((x1, y1), (x2, _)) in enumerate(segs):
        for (u1, v1), (u2, _) in segs[i + 1 :]:
            if y1 == v1 and (x1 - u1) * (x2 - u2) < 0:
                count += 1
    return count


def test_fixture_graph_layout() -> None:
    """rich's 13 nodes and 14 edges lay out without reversals (it is a DAG)."""
    _, g = fixture_graphs(FIXTURES / "rich")
    from swarmview.core.identity.graph import normalize_graph

    normalized = normalize_graph(g)
    nodes = [n["node_id"] for n in normalized["nodes"]]
    edges = [(e["from_node_id"], e["to_node_id"]) for e in normalized["edges"]]
    result = layout.layout_dag(nodes, edges)
    _check(nodes, edges, result)
    assert result.reversed_edges == frozenset() and len(result.positions) == 13


def test_layout_3000_nodes_timing() -> None:
    """3,000-node pipeline-like DAG (plus a tangled cyclic graph): laid out within a few seconds."""
    rng = np.random.default_rng(3)
    n = 3000
    ranks = rng.integers(0, 40, size=n)
    edges = []
    for v in range(n):
        for _ in range(3):
            w = int(rng.integers(0, n))
            if ranks[w] > ranks[v]:
                edges.append((str(v), str(w)))
    nodes = [str(v) for v in range(n)]
    start = time.perf_counter()
    result = layout.layout_dag(nodes, edges)
    elapsed = time.perf_counter() - start
    _check(nodes, edges, result)
    tangled = nx.gnp_random_graph(n, 0.0012, seed=1, directed=True)
    start = time.perf_counter()
    tangled_edges = [(str(a), str(b)) for a, b in tangled.edges]
    cyclic = layout.layout_dag(nodes, tangled_edges)
    elapsed_cyclic = time.perf_counter() - start
    _check(nodes, tangled_edges, cyclic)
    assert len(result.straight_edges) == 0  # within the dummy budget every long edge is routed
    print(f"layout 3000 nodes: DAG {len(edges)} edges {elapsed:.2f} s; cyclic {tangled.number_of_edges()} edges "
          f"{elapsed_cyclic:.2f} s ({len(cyclic.reversed_edges)} reversed, {len(cyclic.straight_edges)} straight)")  # fmt: skip
    assert elapsed < 10 and elapsed_cyclic < 20


def test_chains_are_drawn_straight() -> None:
    """Coordinate assignment pulls a node under its only parent: a chain hanging off a wide layer stays vertical."""
    nodes = ["root", "a", "b", "c", "x1", "x2", "x3"]
    edges = [("root", "a"), ("root", "x1"), ("root", "x2"), ("root", "x3"), ("a", "b"), ("b", "c")]
    pos = layout.layout_dag(nodes, edges).positions
    assert pos["a"][0] == pos["b"][0] == pos["c"][0]
