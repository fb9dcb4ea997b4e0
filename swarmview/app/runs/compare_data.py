"""What the compare window computes off the GUI thread, over the comparison functions of core.

``prepare_compare`` runs once when every run is loaded (metric overlays in both x alignments, span
statistics per run); ``prepare_pair`` runs for each pair the user picks (graph, dataset and artifact
diffs of ``core.runs.compare``, already formatted as table rows); ``smooth_overlay`` re-smooths the
shown series when the slider moves. No Qt widgets here: only the row dataclass of the tables.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from swarmview.app.models.format import duration, short_hex, size
from swarmview.app.plot.curves import CurveData, prepare_curve
from swarmview.app.runs.compare_tables import DOWN, UP, DiffRow
from swarmview.core.bundle import Bundle
from swarmview.core.records.ema import ema_segments
from swarmview.core.runs.compare import (
    ArtifactDiff,
    DatasetDiff,
    GraphDiff,
    OverlaySeries,
    SpanStats,
    compare_artifacts,
    compare_datasets,
    compare_graph,
    overlay,
    span_stats,
)

#: one colour per run (legend, curves, column headers), distinguishable for common colour blindness
RUN_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
               "#bcbd22", "#7f7f7f")
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def run_letter(i: int) -> str:
    return LETTERS[i] if i < len(LETTERS) else f"R{i + 1}"


def run_colour(i: int) -> str:
    return RUN_COLOURS[i % len(RUN_COLOURS)]


@dataclass(frozen=True)
class RunLabel:
    letter: str
    colour: str
    root: Path
    run_id: str | None
    created_ns: int | None

    @property
    def short(self) -> str:
        """Column header: the letter and the run id's first 8 digits."""
        return f"{self.letter} · {(self.run_id or self.root.name)[:8]}"

    @property
    def text(self) -> str:
        return f"{self.letter} · {self.run_id or self.root.name}"


@dataclass(frozen=True)
class CompareData:
    runs: list[RunLabel]
    by_step: list[OverlaySeries]     # same keys, same order in both lists
    by_time: list[OverlaySeries]
    spans: list[dict[str, SpanStats]]


def prepare_compare(bundles: Sequence[Bundle]) -> CompareData:
    runs = []
    for i, b in enumerate(bundles):
        created = (b.run or {}).get("created_unix_nanos")
        runs.append(RunLabel(run_letter(i), run_colour(i), Path(b.root), b.run_id,
                             created if isinstance(created, int) else None))
    return CompareData(runs, overlay(bundles, "step"), overlay(bundles, "time"), [span_stats(b) for b in bundles])


def _segment_starts(x: np.ndarray) -> np.ndarray:
    """Offsets where x decreases (a restart, VERIFY.md §11): each segment is smoothed on its own."""
    if x.shape[0] == 0:
        return np.zeros(1, dtype=np.int64)
    return np.concatenate(([0], np.flatnonzero(np.diff(x) < 0) + 1)).astype(np.int64)


def smooth_overlay(series: Sequence[OverlaySeries], weight: float) -> dict[tuple[str, int], CurveData]:
    """(series key, run index) → curve data with the same EMA weight for every run."""
    out: dict[tuple[str, int], CurveData] = {}
    for s in series:
        for i, (x, y) in enumerate(zip(s.x, s.y, strict=True)):
            if x is None or y is None:
                continue
            y = np.asarray(y, dtype=np.float64)
            smooth = ema_segments(y, _segment_starts(np.asarray(x, dtype=np.float64)), weight) if weight > 0 else y
            out[(s.key, i)] = prepare_curve(y, smooth)
    return out


# --- pair diffs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PairData:
    a: int
    b: int
    graph: GraphDiff
    graph_rows: list[DiffRow]
    datasets: list[DatasetDiff]
    dataset_rows: list[DiffRow]
    artifacts: list[ArtifactDiff]
    artifact_rows: list[DiffRow]


def _spelled(v: str | None) -> str:
    return "—" if v is None else v


def graph_rows(diff: GraphDiff) -> list[DiffRow]:
    """One heading row per added/removed/changed node, then one row per hash, param or field that differs."""
    rows: list[DiffRow] = []
    for n in diff.nodes:
        if n.status == "added":
            rows.append(DiffRow((n.status, n.node_key, n.op, "node only in B", "—", short_hex(n.node_def_hash[1], 16)),
                                n.status, bold=True))
            continue
        if n.status == "removed":
            rows.append(DiffRow((n.status, n.node_key, n.op, "node only in A", short_hex(n.node_def_hash[0], 16), "—"),
                                n.status, bold=True))
            continue
        what = []
        if n.params:
            what.append(f"{len(n.params)} param{'s' if len(n.params) != 1 else ''}")
        if n.fields:
            what.append(f"{len(n.fields)} field{'s' if len(n.fields) != 1 else ''}")
        verb = " differs" if len(n.params) + len(n.fields) == 1 else " differ"
        rows.append(DiffRow((n.status, n.node_key, n.op, " and ".join(what) + verb if what else "hashes differ",
                             "", ""), n.status, bold=True))
        if n.node_def_hash[0] != n.node_def_hash[1]:
            rows.append(DiffRow(("", "", "", "node_def_hash", short_hex(n.node_def_hash[0], 16),
                                 short_hex(n.node_def_hash[1], 16)), tooltip=f"{n.node_def_hash[0]}\n{n.node_def_hash[1]}"))
        if n.op_hash[0] != n.op_hash[1]:
            rows.append(DiffRow(("", "", "", "op_hash", short_hex(n.op_hash[0], 16), short_hex(n.op_hash[1], 16)),
                                tooltip=f"{n.op_hash[0]}\n{n.op_hash[1]}"))
        for p in n.params:
            rows.append(DiffRow(("", "", "", f"param {p.path}", _spelled(p.a), _spelled(p.b))))
        for f in n.fields:
            rows.append(DiffRow(("", "", "", f"field {f.path}", _spelled(f.a), _spelled(f.b))))
    for src, dst, asset in diff.edges_added:
        rows.append(DiffRow(("added", f"{src} → {dst}", "edge", asset or "(no asset)", "—", "present"), "added"))
    for src, dst, asset in diff.edges_removed:
        rows.append(DiffRow(("removed", f"{src} → {dst}", "edge", asset or "(no asset)", "present", "—"), "removed"))
    return rows


def dataset_rows(diffs: Sequence[DatasetDiff]) -> list[DiffRow]:
    rows: list[DiffRow] = []
    for d in diffs:
        status = "" if d.status == "same" else d.status
        mat = f"{d.materializations[0]} → {d.materializations[1]}"
        rows.append(DiffRow((d.status, d.asset_key, "materialization records", str(d.materializations[0]),
                             str(d.materializations[1])), status, bold=True, tooltip=f"materialization records {mat}"))
        for f in d.fields:
            rows.append(DiffRow(("", "", f.path, _spelled(f.a), _spelled(f.b))))
    return rows


def artifact_rows(diffs: Sequence[ArtifactDiff]) -> list[DiffRow]:
    rows = []
    for d in diffs:
        status = "" if d.status == "same" else d.status
        rows.append(DiffRow((d.status, d.path, size(d.bytes[0]), size(d.bytes[1]), short_hex(d.sha256[0], 16),
                             short_hex(d.sha256[1], 16)), status,
                            tooltip=f"A: {d.sha256[0] or 'not in the manifest'}\nB: {d.sha256[1] or 'not in the manifest'}"))
    return rows


def prepare_pair(bundles: Sequence[Bundle], a: int, b: int) -> PairData:
    ga = compare_graph(bundles[a], bundles[b])
    ds = compare_datasets(bundles[a], bundles[b])
    ar = compare_artifacts(bundles[a], bundles[b])
    return PairData(a, b, ga, graph_rows(ga), ds, dataset_rows(ds), ar, artifact_rows(ar))


# --- span statistics --------------------------------------------------------------------------------

STATS = ("count", "total", "p50", "p95")


def _stat(s: SpanStats | None, what: str) -> float | None:
    if s is None:
        return None
    value = {"count": s.count, "total": s.total_ns, "p50": s.p50_ns, "p95": s.p95_ns}[what]
    return None if isinstance(value, float) and math.isnan(value) else float(value)


def _change(a: float | None, b: float | None, what: str) -> tuple[str, str | None]:
    """The change from A to B in words, and its colour (red up, green down)."""
    if a is None or b is None:
        return ("only in B" if a is None and b is not None else "only in A" if b is None and a is not None else "—"), None
    delta = b - a
    if delta == 0:
        return "=", None
    arrow = "▲" if delta > 0 else "▼"
    amount = f"{delta:+,.0f}" if what == "count" else ("+" if delta > 0 else "") + duration(delta)
    pct = f" ({delta / a:+.0%})" if a else ""
    return f"{arrow} {amount}{pct}", (UP if delta > 0 else DOWN).name()


def span_rows(spans: Sequence[dict[str, SpanStats]], letters: Sequence[str], a: int, b: int
              ) -> tuple[list[str], list[DiffRow], set[int]]:
    """Headers, rows and numeric columns: per span name, each stat in every run, then B's change from A."""
    headers = ["Span name"]
    for what in STATS:
        headers += [f"{what} {letter}" for letter in letters]
        headers.append(f"Δ {what} {letters[b]}−{letters[a]}")
    rows = []
    for name in sorted(set().union(*[s.keys() for s in spans])):
        cells = [name]
        colours: dict[int, str] = {}
        changed = False
        for what in STATS:
            values = [_stat(s.get(name), what) for s in spans]
            for v in values:
                cells.append("—" if v is None else (f"{v:,.0f}" if what == "count" else duration(v)))
            text, colour = _change(values[a], values[b], what)
            if colour:
                colours[len(cells)] = colour
                changed = True
            cells.append(text)
        rows.append(DiffRow(tuple(cells), "", colours, bold=False, tooltip="" if changed else "no change"))
    return headers, rows, set(range(1, len(headers)))
