"""``graph.json`` semantics: the loader's normalization (§7.5), the writer's checks (§7.4) and findings.

Upstream recomputes ``node_id``/``node_def_hash``/``op_hash`` on every load and never compares them
with what was stored; swarmview recomputes them the same way and explains the differences (F-21),
and reports the write-path invariants the loader does not check (F-30).
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from swarmview.core.errors import BundleWriteError
from swarmview.core.findings import Finding, finding
from swarmview.core.identity import hashes
from swarmview.core.identity.postcard import I64_MAX
from swarmview.core.jsontext.encode import U64

GRAPH_PATH = "graph.json"

#: ``NodeV1`` field order (§7.2); normalization keeps it.
NODE_FIELDS: tuple[str, ...] = (
    "node_key", "node_id", "op_kind", "op_type", "inputs", "outputs", "params", "code_ref",
    "unsafe_surface", "execution_trust", "node_def_hash", "execution_hint", "cache_policy",
    "materialization_policy", "resources", "op_hash",
)  # fmt: skip

MAX_NODE_KEY_LEN = 256
MAX_OP_TYPE_LEN = 128
MAX_INPUTS = 256
MAX_OUTPUTS = 256
MAX_PARAMS = 128

#: How many alternative typings of a node's params are tried to explain a stored hash.
MAX_TYPING_CANDIDATES = 4096


def _blen(s: str) -> int:
    return len(s.encode("utf-8", "surrogatepass"))


# --- normalization (§7.5) -------------------------------------------------------------------------


def normalize_node(node: Mapping[str, Any]) -> dict[str, Any]:
    """``normalize_node_v1``: key-derived id and recomputed hashes; ``code_ref`` is not filled."""
    out = dict(node)
    out["node_id"] = hashes.node_id_from_key(node["node_key"])
    out["node_def_hash"] = hashes.node_def_hash(node)
    out["op_hash"] = hashes.op_hash(node)
    return {k: out.get(k) for k in NODE_FIELDS} | {k: v for k, v in out.items() if k not in NODE_FIELDS}


def normalize_graph(graph: Mapping[str, Any]) -> dict[str, Any]:
    """What upstream's loader holds after reading ``graph.json`` (B-086): schema 1, ids and hashes recomputed."""
    return {
        "schema_version": 1,
        "graph_id": graph.get("graph_id"),
        "nodes": [normalize_node(n) for n in graph.get("nodes") or []],
        "edges": [dict(e) for e in graph.get("edges") or []],
    }


# --- write-path validation (§7.4) -----------------------------------------------------------------


def node_bounds_violations(node: Mapping[str, Any]) -> list[tuple[str, int, int]]:
    """Every ``validate_node_v1`` bound the node exceeds, in upstream's check order: (what, value, max)."""
    checks = (
        ("node_key length", _blen(node["node_key"]), MAX_NODE_KEY_LEN),
        ("op_type length", _blen(node["op_type"]), MAX_OP_TYPE_LEN),
        ("input count", len(node.get("inputs") or []), MAX_INPUTS),
        ("output count", len(node.get("outputs") or []), MAX_OUTPUTS),
        ("params count", len(node.get("params") or {}), MAX_PARAMS),
    )
    return [c for c in checks if c[1] > c[2]]


def validate_node_bounds(node: Mapping[str, Any]) -> str | None:
    """``validate_node_v1``'s message for the first failing check, e.g. ``node_key length 257 exceeds maximum 256``."""
    violations = node_bounds_violations(node)
    if not violations:
        return None
    what, value, limit = violations[0]
    return f"{what} {value} exceeds maximum {limit}"


def _effective_id(node: Mapping[str, Any]) -> str:
    node_id = node.get("node_id")
    return node_id.lower() if node_id else hashes.node_id_from_key(node["node_key"])


def graph_problems(graph: Mapping[str, Any]) -> list[tuple[str, str]]:
    """All ``validate_graph_v1`` failures in upstream's order: ("duplicate"|"edge", message)."""
    problems: list[tuple[str, str]] = []
    keys: set[str] = set()
    ids: dict[str, str] = {}
    for node in graph.get("nodes") or []:
        key = node["node_key"]
        node_id = _effective_id(node)
        if key in keys:
            problems.append(("duplicate", f"duplicate node_key in graph: {key}"))
        elif node_id in ids:
            problems.append((
                "duplicate",
                f"duplicate node_id in graph: {node_id} (first node_key: {ids[node_id]}, duplicate node_key: {key})",
            ))  # fmt: skip
        keys.add(key)
        ids.setdefault(node_id, key)
    for edge in graph.get("edges") or []:
        src, dst = edge["from_node_id"].lower(), edge["to_node_id"].lower()
        for end in (src, dst):
            if end not in ids:
                problems.append(
                    ("edge", f"graph edge references unknown node_id: {src} -> {dst} (missing: {end})")
                )
                break
    return problems


def validate_graph(graph: Mapping[str, Any]) -> str | None:
    """``validate_graph_v1``'s first message, or ``None``."""
    problems = graph_problems(graph)
    return problems[0][1] if problems else None


def prepare_graph_for_write(graph: Mapping[str, Any]) -> dict[str, Any]:
    """``write_graph`` steps 1–5: bounds, validate, fill ``code_ref``, normalize, validate again.

    Raises ``BundleWriteError("InvalidData", upstream's text)``; returns the graph to write.
    """
    for node in graph.get("nodes") or []:
        message = validate_node_bounds(node)
        if message is not None:
            raise BundleWriteError("InvalidData", message)
    message = validate_graph(graph)
    if message is not None:
        raise BundleWriteError("InvalidData", message)
    filled = dict(graph)
    filled["nodes"] = [
        {**n, "code_ref": n.get("code_ref") or hashes.DEFAULT_CODE_REF} for n in graph.get("nodes") or []
    ]
    normalized = normalize_graph(filled)
    normalized["schema_version"] = 1
    message = validate_graph(normalized)
    if message is not None:
        raise BundleWriteError("InvalidData", message)
    return normalized


# --- topology ---------------------------------------------------------------------------------------


def _known_edges(graph: Mapping[str, Any]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """node_id → node_key (first wins) and the edges between known nodes (as upstream's report draws)."""
    keys: dict[str, str] = {}
    for node in graph.get("nodes") or []:
        keys.setdefault(_effective_id(node), node["node_key"])
    edges = []
    for edge in graph.get("edges") or []:
        src, dst = edge["from_node_id"].lower(), edge["to_node_id"].lower()
        if src in keys and dst in keys:
            edges.append((src, dst))
    return keys, edges


def topo_layers(graph: Mapping[str, Any]) -> tuple[list[list[str]], list[str]]:
    """Kahn layers of node ids (ties by ``node_key``) and the node keys left over by cycles.

    The leftover keys (sorted) are what the scheduler names in ``graph contains cycle(s): …``.
    """
    keys, edges = _known_edges(graph)
    indeg = dict.fromkeys(keys, 0)
    succ: dict[str, list[str]] = {k: [] for k in keys}
    for src, dst in edges:
        succ[src].append(dst)
        indeg[dst] += 1
    layer = sorted((n for n, d in indeg.items() if d == 0), key=lambda n: keys[n])
    layers: list[list[str]] = []
    while layer:
        layers.append(layer)
        nxt: list[str] = []
        for n in layer:
            for m in succ[n]:
                indeg[m] -= 1
                if indeg[m] == 0:
                    nxt.append(m)
        layer = sorted(nxt, key=lambda n: keys[n])
    left = sorted(keys[n] for n, d in indeg.items() if d > 0)
    return layers, left


def topological_order(graph: Mapping[str, Any]) -> list[str]:
    """Scheduler order (ready nodes by ``node_key``); raises ``ValueError`` with the cycle text."""
    keys, edges = _known_edges(graph)
    indeg = dict.fromkeys(keys, 0)
    succ: dict[str, list[str]] = {k: [] for k in keys}
    for src, dst in edges:
        succ[src].append(dst)
        indeg[dst] += 1
    heap = [(keys[n], n) for n, d in indeg.items() if d == 0]
    heapq.heapify(heap)
    order: list[str] = []
    while heap:
        _, n = heapq.heappop(heap)
        order.append(n)
        for m in succ[n]:
            indeg[m] -= 1
            if indeg[m] == 0:
                heapq.heappush(heap, (keys[m], m))
    if len(order) < len(keys):
        left = sorted(keys[n] for n, d in indeg.items() if d > 0)
        raise ValueError("graph contains cycle(s): " + ",".join(left))
    return order


# --- explaining a stored hash (F-21) ------------------------------------------------------------------

_NONFINITE = (float("nan"), float("inf"), float("-inf"))


def _alternatives(exact: Any, upstream: Any) -> list[tuple[Any, str | None]]:
    """Values a writer may have held for a param the loader reads as ``upstream``, with the cause each implies."""
    if upstream is None and exact is None:
        return [(None, None)] + [(x, "nonfinite") for x in _NONFINITE]
    if isinstance(upstream, bool):
        return [(upstream, None)]
    if isinstance(upstream, int) and 0 < upstream <= I64_MAX:
        return [(upstream, None), (U64(upstream), "u64")]
    if isinstance(upstream, float) and isinstance(exact, float):
        same = upstream == exact or (math.isnan(upstream) and math.isnan(exact))
        return [(upstream, None)] if same else [(upstream, None), (exact, "float")]
    return [(upstream, None)]


_Path = tuple[str | int, ...]
_Slot = tuple[_Path, list[tuple[Any, str | None]]]


def _slots(exact: Any, upstream: Any, path: _Path, out: list[_Slot]) -> None:
    """Every param leaf whose writer-side value JSON cannot pin down, with its alternatives."""
    if isinstance(upstream, dict) and isinstance(exact, dict):
        for k in upstream:
            _slots(exact.get(k), upstream[k], (*path, k), out)
    elif isinstance(upstream, list) and isinstance(exact, list) and len(exact) == len(upstream):
        for i, (e, u) in enumerate(zip(exact, upstream, strict=True)):
            _slots(e, u, (*path, i), out)
    else:
        alts = _alternatives(exact, upstream)
        if len(alts) > 1:
            out.append((path, alts))


def _rebuild(value: Any, path: _Path, chosen: Mapping[_Path, Any]) -> Any:
    if path in chosen:
        return chosen[path]
    if isinstance(value, dict):
        return {k: _rebuild(v, (*path, k), chosen) for k, v in value.items()}
    if isinstance(value, list):
        return [_rebuild(v, (*path, i), chosen) for i, v in enumerate(value)]
    return value


def _path_text(path: _Path) -> str:
    """``lr``, ``optimizer.momentum``, ``lrs[0]`` (the spelling of the float vectors)."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _typings(slots: Sequence[_Slot]) -> Iterator[dict[_Path, tuple[Any, str | None]]]:
    """Candidate typings: first "every slot of one kind switched" (a writer that held all its ints as U64),
    then fewest changes first, at most ``MAX_TYPING_CANDIDATES`` in all."""
    count = 0
    for kinds in (("u64",), ("float",), ("u64", "float")):
        bulk = {path: alts[1] for path, alts in slots if alts[1][1] in kinds}
        if len(bulk) > 1:
            count += 1
            yield bulk
    for n_changes in range(1, len(slots) + 1):
        for combo in itertools.combinations(range(len(slots)), n_changes):
            for picks in itertools.product(*(range(1, len(slots[i][1])) for i in combo)):
                count += 1
                if count > MAX_TYPING_CANDIDATES:
                    return
                yield {slots[i][0]: slots[i][1][p] for i, p in zip(combo, picks, strict=True)}


CAUSE_TEXT = {
    "u64": "integer param typing: the writer held U64, upstream reads I64",
    "float": "float param read back differently (§2.7)",
    "nonfinite": "non-finite param written as null",
    "code_ref": "code_ref differs from the one hashed",
    "unknown": "node edited after write_graph",
}


def explain_stored_hash(
    node_exact: Mapping[str, Any], node_upstream: Mapping[str, Any], stored: str, field: str = "node_def_hash"
) -> tuple[str, dict[str, Any]]:
    """Why ``stored`` differs from what the loader computes: (cause key, {param path text: value written}).

    Tries the writer-side typings JSON cannot show (U64, NaN/±inf written as null, the correctly
    rounded double) and keeps the first whose hash equals ``stored``; ``"unknown"`` otherwise.
    """
    func = hashes.node_def_hash if field == "node_def_hash" else hashes.op_hash
    slots: list[_Slot] = []
    _slots(node_exact.get("params") or {}, node_upstream.get("params") or {}, (), slots)
    params = node_upstream.get("params") or {}
    for choice in _typings(slots):
        candidate = dict(node_upstream)
        candidate["params"] = _rebuild(params, (), {p: v for p, (v, _) in choice.items()})
        if func(candidate) == stored:
            causes = [c for _, c in choice.values() if c]
            cause = max(set(causes), key=("float", "u64", "nonfinite").index) if causes else "unknown"
            return cause, {_path_text(p): v for p, (v, _) in choice.items()}
    for code_ref in ("", hashes.DEFAULT_CODE_REF):
        if (
            code_ref != (node_upstream.get("code_ref") or "")
            and func({**node_upstream, "code_ref": code_ref}) == stored
        ):
            return "code_ref", {}
    return "unknown", {}


def _float_text(x: float) -> str:
    if math.isnan(x):
        return "NaN"
    return "+inf" if x > 0 else "-inf"


# --- findings -------------------------------------------------------------------------------------------


def graph_findings(
    graph_exact: Mapping[str, Any],
    graph_upstream: Mapping[str, Any] | None = None,
    *,
    registry: Sequence[Mapping[str, Any]] | None = None,
    path: str = GRAPH_PATH,
) -> list[Finding]:
    """Content findings for ``graph.json`` as stored (not normalized).

    ``graph_exact`` is decoded with correctly rounded floats, ``graph_upstream`` with upstream's
    float parsing (§2.7; defaults to ``graph_exact``). With ``registry`` (the merged end-of-run
    registry) stored ``unsafe_surface`` flags are compared with the report's derivation (§13.4).
    """
    from swarmview.core.identity.dataops import node_unsafe_reasons

    graph_upstream = graph_upstream if graph_upstream is not None else graph_exact
    out: list[Finding] = []
    version = graph_exact.get("schema_version")
    if version != 1:
        out.append(finding(
            "UNSUPPORTED_SCHEMA_VERSION", path,
            f"{path}: schema_version {version} is not supported (expected 1); read as version 1",
            expected=1, found=version if isinstance(version, int) else None,
        ))  # fmt: skip
    nodes_exact = graph_exact.get("nodes") or []
    nodes_up = graph_upstream.get("nodes") or []
    registry_index = {e["asset_key"]: e for e in registry} if registry is not None else None
    for exact, up in zip(nodes_exact, nodes_up, strict=False):
        out.extend(_node_findings(exact, up, path))
        if registry_index is not None:
            reasons = node_unsafe_reasons(up, registry_index)
            stored = bool(up.get("unsafe_surface"))
            if stored != bool(reasons):
                derived = "unsafe" if reasons else "safe"
                detail = ", ".join(reasons) if reasons else "core trust, all inputs trusted"
                out.append(finding(
                    "UNSAFE_FLAG_MISMATCH", path,
                    f"{up['node_key']}: {path} says unsafe_surface={str(stored).lower()}, "
                    f"derived status is {derived} ({detail})",
                ))  # fmt: skip
    # duplicates as write_graph's first check sees the stored graph (explicit ids count); edges as the report
    # draws them after normalization (an edge naming a replaced explicit id is dropped there)
    normalized = normalize_graph(graph_upstream)
    problems = [p for p in graph_problems(graph_upstream) if p[0] == "duplicate"]
    problems += [p for p in graph_problems(normalized) if p[0] == "edge"]
    for kind, message in problems:
        code = "GRAPH_DUPLICATE_NODE" if kind == "duplicate" else "GRAPH_EDGE_UNKNOWN_NODE"
        out.append(finding(code, path, f"{path}: {message}"))
    _, left = topo_layers(normalized)
    if left:
        out.append(finding("GRAPH_CYCLE", path, f"{path}: graph contains cycle(s): " + ",".join(left)))
    return out


def _node_findings(exact: Mapping[str, Any], up: Mapping[str, Any], path: str) -> list[Finding]:
    out: list[Finding] = []
    key = up["node_key"]
    derived_id = hashes.node_id_from_key(key)
    stored_id = up.get("node_id")
    if stored_id is not None and stored_id.lower() != derived_id:
        out.append(finding(
            "NODE_ID_NOT_KEY_DERIVED", path,
            f"{path} node {key}: node_id {stored_id} is not derived from node_key; upstream replaces it with "
            f"{derived_id} on load",
            expected=derived_id, found=stored_id,
        ))  # fmt: skip
    for what, value, limit in node_bounds_violations(up):
        out.append(
            finding("NODE_BOUNDS_EXCEEDED", path, f"{path} node {key}: {what} {value} exceeds {limit}")
        )
    nonfinite: dict[str, Any] = {}
    for field, func in (("node_def_hash", hashes.node_def_hash), ("op_hash", hashes.op_hash)):
        stored = up.get(field)
        if stored is None:
            continue  # older writers omitted op_hash; the loader adds it
        computed = func(up)
        if stored == computed:
            continue
        cause, written = explain_stored_hash(exact, up, stored, field)
        if cause == "nonfinite":
            nonfinite.update(
                {p: v for p, v in written.items() if isinstance(v, float) and not math.isfinite(v)}
            )
        out.append(finding(
            "STORED_HASH_MISMATCH", path,
            f"{path} node {key}: stored {field} {stored} differs from the value upstream's loader computes, "
            f"{computed} ({CAUSE_TEXT[cause]})",
            expected=stored, found=computed,
        ))  # fmt: skip
    if nonfinite:
        listed = ", ".join(f"{p} {_float_text(v)}" for p, v in sorted(nonfinite.items()))
        out.append(finding(
            "NONFINITE_AS_NULL", path,
            f"{path} node {key}: params written as null where the writer held non-finite numbers ({listed}), "
            "proven by the stored node_def_hash; upstream reads them as null",
        ))  # fmt: skip
    if _ambiguous(up):
        out.append(finding(
            "AMBIGUOUS_DEFINITION_HASH", path,
            f"node {key}: params or asset refs contain values whose encoding is ambiguous; equal node_def_hash "
            "does not imply equal definitions",
        ))  # fmt: skip
    return out


def _has_null(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, dict):
        return any(_has_null(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_null(v) for v in value)
    return False


def _ambiguous(node: Mapping[str, Any]) -> bool:
    """Null params (encode as nothing) or asset-ref fingerprints (shift the layout) make collisions possible (F-22)."""
    refs = list(node.get("inputs") or []) + list(node.get("outputs") or [])
    return _has_null(node.get("params") or {}) or any(r.get("fingerprint") is not None for r in refs)


__all__ = [
    "CAUSE_TEXT",
    "explain_stored_hash",
    "graph_findings",
    "graph_problems",
    "node_bounds_violations",
    "normalize_graph",
    "normalize_node",
    "prepare_graph_for_write",
    "topo_layers",
    "topological_order",
    "validate_graph",
    "validate_node_bounds",
]
