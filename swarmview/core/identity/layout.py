"""Layered (Sugiyama-style) layout of ``graph.json`` for the graph view, computed off the GUI thread.

Steps: break cycles (a graph may have them: upstream's loader accepts any graph, F-30) by reversing
DFS back edges; longest-path layering; dummy nodes on edges that span several layers, so edges
route around nodes; barycenter sweeps to reduce crossings; coordinates. numpy does the per-layer
barycenters; everything is O(V + E) per sweep.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

LAYER_GAP = 1.0  # y distance between layers
NODE_GAP = 1.0  # x distance between neighbours in a layer
SWEEPS = 4  # down+up barycenter passes
MAX_DUMMIES_PER_NODE = 20  # dummy-node budget: edges beyond it are drawn straight
MIN_DUMMY_BUDGET = 20_000


@dataclass(frozen=True)
class GraphLayout:
    """Node positions, one polyline per input edge (``[]`` for edges to unknown nodes or self loops)."""

    positions: dict[str, tuple[float, float]]
    edge_paths: list[list[tuple[float, float]]]
    layers: list[list[str]]
    #: indices (into the input edges) reversed to break cycles; their polylines still run from source to target
    reversed_edges: frozenset[int]
    #: long edges left without dummy nodes (over the dummy budget): their polyline is just the two ends
    straight_edges: frozenset[int]
    layer_of: dict[str, int]


def _break_cycles(n: int, succ: list[list[tuple[int, int]]]) -> set[int]:
    """Edge indices to reverse: Eades–Lin–Smyth greedy ordering (sinks last, sources first, else the vertex
    with the largest out−in degree), then every edge pointing backwards in that order. Few reversals keep
    the layering short, unlike DFS back edges on tangled graphs."""
    pred: list[list[int]] = [[] for _ in range(n)]
    for v in range(n):
        for w, _ in succ[v]:
            pred[w].append(v)
    outdeg = [len(s) for s in succ]
    indeg = [len(p) for p in pred]
    alive = [True] * n
    heap = [(-(outdeg[v] - indeg[v]), v) for v in range(n)]
    heapq.heapify(heap)
    sinks = [v for v in range(n) if outdeg[v] == 0]
    sources = [v for v in range(n) if indeg[v] == 0 and outdeg[v] > 0]
    head: list[int] = []
    tail: list[int] = []
    remaining = n

    def remove(v: int) -> None:
        alive[v] = False
        for w, _ in succ[v]:
            if alive[w]:
                indeg[w] -= 1
                if indeg[w] == 0 and outdeg[w] > 0:
                    sources.append(w)
                heapq.heappush(heap, (-(outdeg[w] - indeg[w]), w))
        for u in pred[v]:
            if alive[u]:
                outdeg[u] -= 1
                if outdeg[u] == 0:
                    sinks.append(u)
                heapq.heappush(heap, (-(outdeg[u] - indeg[u]), u))

    while remaining:
        if sinks:
            v = sinks.pop()
            if alive[v]:
                tail.append(v)
                remove(v)
                remaining -= 1
            continue
        if sources:
            v = sources.pop()
            if alive[v] and outdeg[v] > 0 and indeg[v] == 0:
                head.append(v)
                remove(v)
                remaining -= 1
            continue
        delta, v = heapq.heappop(heap)
        if alive[v] and -delta == outdeg[v] - indeg[v]:
            head.append(v)
            remove(v)
            remaining -= 1
    rank = [0] * n
    for i, v in enumerate(head + tail[::-1]):
        rank[v] = i
    return {e for v in range(n) for w, e in succ[v] if rank[w] < rank[v]}


def _longest_path_layers(n: int, oriented: list[tuple[int, int]]) -> np.ndarray:
    """layer[v] = length of the longest path ending at v (sources at 0)."""
    succ: list[list[int]] = [[] for _ in range(n)]
    indeg = np.zeros(n, dtype=np.int64)
    for a, b in oriented:
        succ[a].append(b)
        indeg[b] += 1
    layer = np.zeros(n, dtype=np.int64)
    ready = [v for v in range(n) if indeg[v] == 0]
    while ready:
        v = ready.pop()
        lv = layer[v] + 1
        for w in succ[v]:
            if layer[w] < lv:
                layer[w] = lv
            indeg[w] -= 1
            if indeg[w] == 0:
                ready.append(w)
    return layer


def _sweep(
    order: list[np.ndarray], pos: np.ndarray, adj: list[tuple[np.ndarray, np.ndarray]], down: bool
) -> None:
    """One barycenter pass; ``adj[k]`` holds the (upper, lower) endpoints between layers k and k+1."""
    ks = range(1, len(order)) if down else range(len(order) - 2, -1, -1)
    for k in ks:
        nodes = order[k]
        if len(nodes) < 2:
            continue
        upper, lower = adj[k - 1] if down else adj[k]
        fixed, moving = (upper, lower) if down else (lower, upper)
        local = pos[moving].astype(np.int64)  # index within the layer = position in ``nodes``
        total = np.bincount(local, weights=pos[fixed], minlength=len(nodes))
        count = np.bincount(local, minlength=len(nodes))
        bary = np.where(count > 0, total / np.maximum(count, 1), pos[nodes])
        ranked = nodes[np.lexsort((pos[nodes], bary))]
        order[k] = ranked
        pos[ranked] = np.arange(len(ranked), dtype=np.float64)


def _pack(desired: np.ndarray) -> np.ndarray:
    """Closest positions to ``desired`` (in layer order) keeping ``NODE_GAP`` apart: push right, push left,
    average (a cheap stand-in for the quadratic program of Brandes–Köpf style placement)."""
    steps = np.arange(len(desired)) * NODE_GAP
    right = np.maximum.accumulate(desired - steps) + steps
    left = (np.minimum.accumulate((desired + steps[::-1])[::-1]) - steps[::-1])[::-1]
    mid = (right + left) / 2.0
    return np.maximum.accumulate(mid - steps) + steps  # averaging can close a gap: restore it


def _coordinates(
    order: Sequence[np.ndarray], adj: Sequence[tuple[np.ndarray, np.ndarray]], pos: np.ndarray
) -> np.ndarray:
    """x per node: start centred, then pull each layer towards its neighbours' mean x (down, then up)."""
    xs = np.zeros(len(pos), dtype=np.float64)
    for nodes in order:
        xs[nodes] = (np.arange(len(nodes)) - (len(nodes) - 1) / 2.0) * NODE_GAP
    for down in (True, False, True):
        ks = range(1, len(order)) if down else range(len(order) - 2, -1, -1)
        for k in ks:
            nodes = order[k]
            upper, lower = adj[k - 1] if down else adj[k]
            fixed, moving = (upper, lower) if down else (lower, upper)
            local = pos[moving].astype(np.int64)  # ``pos`` is each node's index within its layer
            total_x = np.bincount(local, weights=xs[fixed], minlength=len(nodes))
            count = np.bincount(local, minlength=len(nodes))
            desired = np.where(count > 0, total_x / np.maximum(count, 1), xs[nodes])
            xs[nodes] = _pack(desired)
    return xs


def count_crossings(order: Sequence[np.ndarray], adj: Sequence[tuple[np.ndarray, np.ndarray]]) -> int:
    """Edge crossings between consecutive layers (for tests and tuning; O(E log E) per layer pair)."""
    total = 0
    for k, (upper, lower) in enumerate(adj):
        if len(upper) < 2:
            continue
        pu = np.empty(int(max(order[k].max(), order[k + 1].max())) + 1)
        pu[order[k]] = np.arange(len(order[k]))
        pl = np.empty_like(pu)
        pl[order[k + 1]] = np.arange(len(order[k + 1]))
        idx = np.lexsort((pl[lower], pu[upper]))
        seq = pl[lower][idx]
        total += _inversions(seq.tolist())
    return total


def _inversions(seq: list[float]) -> int:
    if len(seq) < 2:
        return 0
    mid = len(seq) // 2
    left, right = sorted(seq[:mid]), sorted(seq[mid:])
    inv = _inversions(seq[:mid]) + _inversions(seq[mid:])
    j = 0
    for x in left:
        while j < len(right) and right[j] < x:
            j += 1
        inv += j
    return inv


def layout_dag(
    node_ids: Sequence[str], edges: Sequence[tuple[str, str]], *, sweeps: int = SWEEPS
) -> GraphLayout:
    """Full layered layout: positions, edge polylines (through dummy nodes), layers, reversed edges."""
    index: dict[str, int] = {}
    for nid in node_ids:
        index.setdefault(nid, len(index))
    names = list(index)
    n = len(names)
    succ: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    valid: list[tuple[int, int, int]] = []
    for e, (a, b) in enumerate(edges):
        if a in index and b in index and a != b:
            succ[index[a]].append((index[b], e))
            valid.append((e, index[a], index[b]))
    back = _break_cycles(n, succ)
    oriented = [(b, a) if e in back else (a, b) for e, a, b in valid]
    layer = _longest_path_layers(n, oriented)

    # dummy chains for long edges, shortest first, within a budget (tangled graphs would need millions)
    node_layer = list(layer.tolist())
    chains: dict[int, list[int]] = {}
    segments: list[tuple[int, int]] = []
    straight: set[int] = set()
    budget = max(MAX_DUMMIES_PER_NODE * n, MIN_DUMMY_BUDGET)
    pairs = sorted(zip(valid, oriented, strict=True), key=lambda p: node_layer[p[1][1]] - node_layer[p[1][0]])
    for (e, _, _), (a, b) in pairs:
        span = node_layer[b] - node_layer[a]
        if span - 1 > budget:
            straight.add(e)
            chains[e] = [a, b]
            continue
        budget -= span - 1
        chain = [a]
        for lv in range(node_layer[a] + 1, node_layer[b]):
            node_layer.append(lv)
            chain.append(len(node_layer) - 1)
        chain.append(b)
        chains[e] = chain
        segments.extend(itertools.pairwise(chain))
    total = len(node_layer)
    layer_arr = np.asarray(node_layer, dtype=np.int64)
    n_layers = int(layer_arr.max()) + 1 if total else 0

    # initial order: input order (dummies after real nodes, in edge order), then sweeps
    by_layer = np.argsort(layer_arr, kind="stable")
    order = np.split(by_layer, np.searchsorted(layer_arr[by_layer], np.arange(1, n_layers)))
    pos = np.zeros(total, dtype=np.float64)
    for nodes in order:
        pos[nodes] = np.arange(len(nodes), dtype=np.float64)
    seg = np.asarray(segments, dtype=np.int64).reshape(-1, 2)
    seg_layer = layer_arr[seg[:, 0]] if len(seg) else np.zeros(0, dtype=np.int64)
    seg = seg[np.argsort(seg_layer, kind="stable")]
    cuts = np.searchsorted(np.sort(seg_layer), np.arange(1, max(n_layers - 1, 1)))
    adj = [(part[:, 0], part[:, 1]) for part in np.split(seg, cuts)][: max(n_layers - 1, 0)]
    for _ in range(sweeps):
        _sweep(order, pos, adj, down=True)
        _sweep(order, pos, adj, down=False)

    xs = _coordinates(order, adj, pos)
    ys = layer_arr.astype(np.float64) * LAYER_GAP
    positions = {names[i]: (float(xs[i]), float(ys[i])) for i in range(n)}
    paths: list[list[tuple[float, float]]] = [[] for _ in edges]
    for e, chain in chains.items():
        pts = [(float(xs[v]), float(ys[v])) for v in chain]
        paths[e] = pts[::-1] if e in back else pts
    return GraphLayout(
        positions=positions,
        edge_paths=paths,
        layers=[[names[v] for v in nodes if v < n] for nodes in order],
        reversed_edges=frozenset(back),
        straight_edges=frozenset(straight),
        layer_of={names[i]: int(layer[i]) for i in range(n)},
    )


def layered_layout(
    node_ids: Sequence[str], edges: Sequence[tuple[str, str]]
) -> dict[str, tuple[float, float]]:
    """Node id → (x, y), y growing downwards by layer (see ``layout_dag`` for polylines)."""
    return layout_dag(node_ids, edges).positions
