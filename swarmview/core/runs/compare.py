"""Comparing runs (issue 11): metrics, graph, span statistics, datasets and artifacts, as plain data.

Users compare runs above all to see what changed: a learning-rate param, a loss curve, a slower step,
a re-ingested dataset, a different checkpoint. Pure functions over loaded :class:`Bundle` objects that
return frozen dataclasses, so ``swarmview diff`` prints them and the GUI compare views draw them.
Nodes are matched by ``node_key`` (their id derives from it), series by their §11 key, spans by name,
datasets by ``asset_key`` and artifacts by path. Values are compared with their JSON spelling, so
``1``, ``1.0`` and ``true`` differ, as they do for upstream's hashes.
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from swarmview.core.bundle import Bundle, find_bundle_root, load_bundle
from swarmview.core.records.series import Series, metric_series

SCHEMA = "swarmview.diff/1"
Status = Literal["added", "removed", "changed", "same"]
Align = Literal["step", "time"]
#: Node fields compared besides the hashes and params (what a user changes in a pipeline).
NODE_FIELDS = ("op_kind", "op_type", "code_ref", "execution_trust", "unsafe_surface", "cache_policy",
               "materialization_policy", "execution_hint", "resources", "inputs", "outputs")
DATASET_FIELDS = ("fingerprint_v0", "source_fingerprint_v0", "schema_hash_v0", "recipe_hash_v0", "trust",
                  "license_flags", "pii_tags", "source", "schema")


def spell(value: Any) -> str:
    """JSON spelling of a value, variant-aware (``1`` ≠ ``1.0`` ≠ ``true``), NaN/inf spelled out."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=True, default=str)


# --- run identity -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunInfo:
    root: str
    run_id: str | None
    created_unix_nanos: int | None
    swarmtorch_version: str | None
    time_range: tuple[int, int] | None
    counts: dict[str, int]


def run_info(bundle: Bundle) -> RunInfo:
    run = bundle.run or {}
    created = run.get("created_unix_nanos")
    version = run.get("swarmtorch_version")
    return RunInfo(str(bundle.root), bundle.run_id, created if isinstance(created, int) else None,
                   version if isinstance(version, str) else None, bundle.time_range, dict(bundle.counts))


def origin_ns(bundle: Bundle) -> int:
    """Time zero for "relative time" alignment: run.json's creation time, else the first record."""
    info = run_info(bundle)
    if info.created_unix_nanos is not None:
        return info.created_unix_nanos
    return bundle.time_range[0] if bundle.time_range else 0


# --- metrics ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeriesStats:
    points: int
    last: float        # the last point's value (NaN where the file has null)
    min: float         # over finite values; NaN when none
    max: float
    x_kind: str


@dataclass(frozen=True)
class SeriesDiff:
    key: str
    name: str
    label: str
    attrs: str           # the identity attrs as JSON ("" when none): what tells same-name series apart
    a: SeriesStats | None
    b: SeriesStats | None

    @property
    def status(self) -> Status:
        if self.a is None:
            return "added"
        if self.b is None:
            return "removed"
        return "same" if (spell(self.a.last), self.a.points) == (spell(self.b.last), self.b.points) else "changed"

    @property
    def change(self) -> float | None:
        """b.last − a.last (None when the series is in one run only)."""
        if self.a is None or self.b is None:
            return None
        return self.b.last - self.a.last


def series_stats(s: Series) -> SeriesStats:
    y = np.asarray(s.y, dtype=np.float64)
    finite = y[np.isfinite(y)]
    lo = float(finite.min()) if finite.size else math.nan
    hi = float(finite.max()) if finite.size else math.nan
    return SeriesStats(len(y), float(y[-1]) if y.size else math.nan, lo, hi, s.x_kind)


def compare_series(a: Bundle, b: Bundle) -> list[SeriesDiff]:
    """Every series of either run (by §11 key, sorted), with last/min/max per run."""
    sa = {s.key: s for s in metric_series(a.metrics)}
    sb = {s.key: s for s in metric_series(b.metrics)}
    out = []
    for key in sorted(sa.keys() | sb.keys()):
        ref = sa.get(key) or sb[key]
        attrs = spell(ref.attrs) if ref.attrs else ""
        out.append(SeriesDiff(key, ref.name, ref.label, attrs, series_stats(sa[key]) if key in sa else None,
                              series_stats(sb[key]) if key in sb else None))
    return out


@dataclass(frozen=True)
class OverlaySeries:
    """One series key across runs (the GUI draws one colour per run): ``x``/``y`` None where absent."""

    key: str
    name: str
    label: str
    x: tuple[np.ndarray | None, ...]   # step, or seconds since the run's origin
    y: tuple[np.ndarray | None, ...]
    x_label: str


def overlay(bundles: Sequence[Bundle], align: Align = "step") -> list[OverlaySeries]:
    """Series of the same key across ``bundles``, x aligned by step or by relative time.

    ``align="step"`` keeps each series' own x (step, else time or index, VERIFY.md §11), so the step
    axis is shared; ``align="time"`` uses each point's timestamp minus the run's :func:`origin_ns`, in
    seconds, so runs started at different times line up.
    """
    per_run = [{s.key: s for s in metric_series(b.metrics)} for b in bundles]
    keys: dict[str, Series] = {}
    for series in per_run:
        for key, s in series.items():
            keys.setdefault(key, s)
    out = []
    for key in sorted(keys):
        xs: list[np.ndarray | None] = []
        ys: list[np.ndarray | None] = []
        for bundle, series in zip(bundles, per_run, strict=True):
            s = series.get(key)
            if s is None:
                xs.append(None)
                ys.append(None)
                continue
            if align == "time":
                ts = bundle.metrics.ts[s.rows].astype(np.int64)
                xs.append((ts - origin_ns(bundle)) / 1e9)
            else:
                xs.append(s.x)
            ys.append(s.y)
        ref = keys[key]
        label = "seconds since start" if align == "time" else ref.x_kind
        out.append(OverlaySeries(key, ref.name, ref.label, tuple(xs), tuple(ys), label))
    return out


# --- graph ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ValueDiff:
    path: str          # "lr", "optimizer/betas", or a node field name
    a: str | None      # JSON spelling; None when absent on that side
    b: str | None


@dataclass(frozen=True)
class NodeDiff:
    node_key: str
    status: Status
    op: str                                  # "op_kind/op_type" of the run that has it (B's if both)
    node_def_hash: tuple[str | None, str | None]
    op_hash: tuple[str | None, str | None]
    params: tuple[ValueDiff, ...] = ()
    fields: tuple[ValueDiff, ...] = ()


@dataclass(frozen=True)
class GraphDiff:
    nodes: tuple[NodeDiff, ...]              # added, removed and changed nodes (sorted by node_key)
    unchanged: int
    edges_added: tuple[tuple[str, str, str], ...]    # (from node_key, to node_key, asset_key)
    edges_removed: tuple[tuple[str, str, str], ...]

    def count(self, status: Status) -> int:
        return sum(1 for n in self.nodes if n.status == status)


def flatten_params(params: Any, prefix: str = "") -> dict[str, Any]:
    """Nested param maps as ``a/b`` paths → leaf values (lists are leaves)."""
    if not isinstance(params, dict):
        return {prefix: params} if prefix else {}
    out: dict[str, Any] = {}
    for k, v in params.items():
        path = f"{prefix}/{k}" if prefix else str(k)
        if isinstance(v, dict) and v:
            out.update(flatten_params(v, path))
        else:
            out[path] = v
    return out


def _value_diffs(a: dict[str, Any], b: dict[str, Any], keys: Sequence[str] | None = None) -> tuple[ValueDiff, ...]:
    names = list(keys) if keys is not None else sorted(a.keys() | b.keys())
    diffs = []
    for name in names:
        va = spell(a[name]) if name in a else None
        vb = spell(b[name]) if name in b else None
        if va != vb:
            diffs.append(ValueDiff(name, va, vb))
    return tuple(diffs)


def _nodes(bundle: Bundle) -> dict[str, dict[str, Any]]:
    graph = bundle.graph or {}
    return {str(n.get("node_key")): n for n in graph.get("nodes") or [] if isinstance(n, dict)}


def _edges(bundle: Bundle, nodes: dict[str, dict[str, Any]]) -> set[tuple[str, str, str]]:
    key_of = {n.get("node_id"): key for key, n in nodes.items()}
    out = set()
    for e in (bundle.graph or {}).get("edges") or []:
        if isinstance(e, dict):
            src, dst = e.get("from_node_id"), e.get("to_node_id")
            asset = e.get("asset_key")
            out.add((key_of.get(src, str(src)), key_of.get(dst, str(dst)), "" if asset is None else str(asset)))
    return out


def compare_graph(a: Bundle, b: Bundle) -> GraphDiff:
    """Nodes added/removed, and changed by ``node_def_hash``/``op_hash`` with the params that differ.

    Uses the graphs as upstream's loader normalizes them (hashes recomputed, §7.5), so two runs whose
    stored hashes drifted differently are still compared on their definitions.
    """
    na, nb = _nodes(a), _nodes(b)
    diffs: list[NodeDiff] = []
    unchanged = 0
    for key in sorted(na.keys() | nb.keys(), key=lambda k: k.encode("utf-8", "surrogateescape")):
        x, y = na.get(key), nb.get(key)
        ref = y if y is not None else x
        assert ref is not None
        op = f"{ref.get('op_kind')}/{ref.get('op_type')}"
        hashes = ((x or {}).get("node_def_hash"), (y or {}).get("node_def_hash"))
        ops = ((x or {}).get("op_hash"), (y or {}).get("op_hash"))
        if x is None or y is None:
            diffs.append(NodeDiff(key, "added" if x is None else "removed", op, hashes, ops))
            continue
        params = _value_diffs(flatten_params(x.get("params") or {}), flatten_params(y.get("params") or {}))
        fields = _value_diffs({f: x[f] for f in NODE_FIELDS if f in x}, {f: y[f] for f in NODE_FIELDS if f in y},
                              NODE_FIELDS)
        if hashes[0] != hashes[1] or ops[0] != ops[1] or params or fields:
            diffs.append(NodeDiff(key, "changed", op, hashes, ops, params, fields))
        else:
            unchanged += 1
    ea, eb = _edges(a, na), _edges(b, nb)
    return GraphDiff(tuple(diffs), unchanged, tuple(sorted(eb - ea)), tuple(sorted(ea - eb)))


# --- spans ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpanStats:
    count: int           # every span of that name
    finished: int        # spans with an end time (durations below are over these)
    total_ns: int
    p50_ns: float
    p95_ns: float


@dataclass(frozen=True)
class SpanDiff:
    name: str
    a: SpanStats | None
    b: SpanStats | None

    @property
    def change_total_ns(self) -> int | None:
        return None if self.a is None or self.b is None else self.b.total_ns - self.a.total_ns

    @property
    def change_p50_ns(self) -> float | None:
        return None if self.a is None or self.b is None else self.b.p50_ns - self.a.p50_ns


def span_stats(bundle: Bundle) -> dict[str, SpanStats]:
    """Count, total and p50/p95 duration per span name (unfinished spans counted, not timed)."""
    t = bundle.spans
    if len(t.name) == 0:
        return {}
    ended = np.asarray(t.has_end, dtype=bool) & (t.end >= t.start)
    dur = np.zeros(len(t.name), dtype=np.int64)
    dur[ended] = (t.end[ended] - t.start[ended]).astype(np.int64)
    out: dict[str, SpanStats] = {}
    codes = np.asarray(t.name)
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    for group in np.split(order, bounds):
        name = t.names[int(codes[group[0]])]
        done = group[ended[group]]
        d = dur[done]
        p50, p95 = (np.percentile(d, [50, 95]).tolist() if d.size else [math.nan, math.nan])
        out[name] = SpanStats(int(group.size), int(done.size), int(d.sum()), float(p50), float(p95))
    return out


def compare_spans(a: Bundle, b: Bundle) -> list[SpanDiff]:
    sa, sb = span_stats(a), span_stats(b)
    return [SpanDiff(n, sa.get(n), sb.get(n)) for n in sorted(sa.keys() | sb.keys())]


# --- datasets and artifacts -------------------------------------------------------------------------


@dataclass(frozen=True)
class DatasetDiff:
    asset_key: str
    status: Status
    fields: tuple[ValueDiff, ...]                # registry fields that differ (fingerprints first)
    materializations: tuple[int, int]            # records per run


def compare_datasets(a: Bundle, b: Bundle) -> list[DatasetDiff]:
    """Registry entries (merged as upstream's loader merges them) by asset key; every key listed."""
    ra = {str(e.get("asset_key")): e for e in a.registry if isinstance(e, dict)}
    rb = {str(e.get("asset_key")): e for e in b.registry if isinstance(e, dict)}
    ma = _materialization_counts(a)
    mb = _materialization_counts(b)
    out = []
    for key in sorted(ra.keys() | rb.keys() | ma.keys() | mb.keys()):
        x, y = ra.get(key), rb.get(key)
        counts = (ma.get(key, 0), mb.get(key, 0))
        if x is None and y is None:
            fields: tuple[ValueDiff, ...] = ()
            status: Status = "same" if counts[0] == counts[1] else "changed"
        elif x is None or y is None:
            fields = ()
            status = "added" if x is None else "removed"
        else:
            fields = _value_diffs({f: x[f] for f in DATASET_FIELDS if f in x},
                                  {f: y[f] for f in DATASET_FIELDS if f in y}, DATASET_FIELDS)
            status = "changed" if fields or counts[0] != counts[1] else "same"
        out.append(DatasetDiff(key, status, fields, counts))
    return out


def _materialization_counts(bundle: Bundle) -> dict[str, int]:
    counts: dict[str, int] = {}
    for rec in bundle.materializations:
        key = str(rec.get("asset_key"))
        counts[key] = counts.get(key, 0) + 1
    return counts


@dataclass(frozen=True)
class ArtifactDiff:
    path: str
    status: Status
    bytes: tuple[int | None, int | None]
    sha256: tuple[str | None, str | None]    # the manifest's digest (None: not listed there)


def _manifest_digests(bundle: Bundle) -> dict[str, tuple[str, int]]:
    entries = (bundle.manifest or {}).get("entries") or []
    return {str(e.get("path")): (str(e.get("sha256")), e.get("bytes")) for e in entries if isinstance(e, dict)}


def compare_artifacts(a: Bundle, b: Bundle) -> list[ArtifactDiff]:
    """Files under ``artifacts/`` by path: sizes on disk and the manifest's digests (no re-hashing)."""
    da, db = _manifest_digests(a), _manifest_digests(b)
    fa, fb = dict(a.artifacts), dict(b.artifacts)
    out = []
    for path in sorted(fa.keys() | fb.keys(), key=lambda p: p.encode("utf-8", "surrogateescape")):
        size = (fa.get(path), fb.get(path))
        digest = (_digest(da, path, size[0]), _digest(db, path, size[1]))
        if size[0] is None or size[1] is None:
            status: Status = "added" if size[0] is None else "removed"
        elif size[0] != size[1] or digest[0] != digest[1] or None in digest:
            status = "changed" if size[0] != size[1] or digest[0] != digest[1] else "same"
        else:
            status = "same"
        out.append(ArtifactDiff(path, status, size, digest))
    return out


def _digest(entries: dict[str, tuple[str, int]], path: str, size: int | None) -> str | None:
    """The manifest digest when it describes the file as it is (same size), else None."""
    entry = entries.get(path)
    if size is None or entry is None or entry[1] != size:
        return None
    return entry[0].lower()


# --- everything -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunComparison:
    a: RunInfo
    b: RunInfo
    series: list[SeriesDiff]
    graph: GraphDiff
    spans: list[SpanDiff]
    datasets: list[DatasetDiff]
    artifacts: list[ArtifactDiff]
    unreadable: dict[str, dict[str, str]] = field(default_factory=dict)   # "a"/"b" → path → OS error

    def to_json(self) -> dict[str, Any]:
        """``swarmview diff --json``: plain JSON (NaN → null), with statuses and changes spelled out."""
        return _jsonable({
            "schema": SCHEMA,
            "a": self.a, "b": self.b,
            "metrics": [{"key": s.key, "name": s.name, "attrs": s.attrs, "status": s.status, "a": s.a, "b": s.b,
                         "change": s.change} for s in self.series],
            "graph": {"added": self.graph.count("added"), "removed": self.graph.count("removed"),
                      "changed": self.graph.count("changed"), "unchanged": self.graph.unchanged,
                      "nodes": self.graph.nodes, "edges_added": self.graph.edges_added,
                      "edges_removed": self.graph.edges_removed},
            "spans": [{"name": s.name, "a": s.a, "b": s.b, "change_total_ns": s.change_total_ns,
                       "change_p50_ns": s.change_p50_ns} for s in self.spans],
            "datasets": self.datasets,
            "artifacts": self.artifacts,
            "unreadable": self.unreadable,
        })


def _jsonable(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "__dataclass_fields__"):
        return {k: _jsonable(getattr(value, k)) for k in value.__dataclass_fields__}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def compare_runs(a: Bundle, b: Bundle) -> RunComparison:
    """The whole comparison of run ``a`` (before) with run ``b`` (after)."""
    unreadable = {side: dict(x.unreadable) for side, x in (("a", a), ("b", b)) if x.unreadable}
    return RunComparison(run_info(a), run_info(b), compare_series(a, b), compare_graph(a, b),
                         compare_spans(a, b), compare_datasets(a, b), compare_artifacts(a, b), unreadable)


def load_pair(path_a: str | os.PathLike[str], path_b: str | os.PathLike[str],
              cancel: threading.Event | None = None) -> tuple[Bundle, Bundle]:
    """Both bundles (roots found as VERIFY.md §1 says); raises ``NotABundleError``/``LoadCancelled``."""
    root_a, root_b = find_bundle_root(path_a), find_bundle_root(path_b)
    return load_bundle(root_a, cancel=cancel), load_bundle(root_b, cancel=cancel)
