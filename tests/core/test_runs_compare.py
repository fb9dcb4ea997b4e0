"""Run comparison (issue 11 "Compare"): two runs that differ in known ways, written with the writer."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from swarmview.core.bundle import Bundle, load_bundle
from swarmview.core.runs.compare import (
    compare_artifacts,
    compare_datasets,
    compare_graph,
    compare_runs,
    compare_series,
    compare_spans,
    flatten_params,
    overlay,
)
from swarmview.core.writer import BundleWriter
from swarmview.core.writer.session import DataOpsSession

TRACE = "cd" * 16
T0 = 1_775_476_800_000_000_000
MS = 1_000_000


def node(key: str, params: dict[str, Any], inputs: list[str] = (), outputs: list[str] = (), **extra: Any) -> dict:
    return {"node_key": key, "op_kind": "data", "op_type": "transform", "code_ref": "test@1",
            "inputs": [{"asset_key": a} for a in inputs], "outputs": [{"asset_key": a} for a in outputs],
            "params": params, **extra}


def build(base: Path, run_id: str, variant: str) -> Path:
    """Run A ("a") or B ("b"); B differs from A in every section, in ways the tests name."""
    b = variant == "b"
    created = T0 + (3600 * 10**9 if b else 0)
    with BundleWriter.create(base, run_id, clock_ns=created) as w:
        scale = 2.0 if b else 1.0
        for step in range(10):
            w.append_metric(created + step * MS, TRACE, "train/loss", scale / (step + 1), attrs={"step": step})
            w.append_metric(created + step * MS, TRACE, "train/acc", 0.5, attrs={"step": step, "peer": "p0"})
        if b:
            w.append_metric(created + MS, TRACE, "eval/f1", 0.9, attrs={"step": 0})
        for i in range(10):
            dur = (2 if b else 1) * MS * (i + 1)
            w.append_span(TRACE, f"{i + 1:016x}", "train/step", created + i * 10 * MS, created + i * 10 * MS + dur)
        w.append_span(TRACE, "00000000000000ff", "train/step", created, None)  # unfinished: counted, not timed
        if b:
            w.append_span(TRACE, "00000000000000aa", "eval", created, created + 5 * MS)
        session = DataOpsSession(w)
        ingest = node("ingest/raw", {"format": "csv"}, outputs=["dataset://t/raw"])
        uri = "s3://bucket/raw-v2.csv" if b else "s3://bucket/raw.csv"
        session.register_source("dataset://t/raw", "trusted", {"uri": uri, "content_type": "text/csv"}, None, ingest)
        if not b:
            session.register_source("dataset://t/old", "trusted", {"uri": "s3://bucket/old.csv", "content_type": "text/csv"}, None,
                                    node("ingest/old", {}, outputs=["dataset://t/old"]))
        nodes = [ingest,
                 node("prep/clean", {"lr": 0.2 if b else 0.1, "opt": {"name": "adamw", "betas": [0.9, 0.99 if b else 0.999]},
                                     "seed": 7}, ["dataset://t/raw"], ["dataset://t/clean"]),
                 node("train/fit", {"epochs": 3}, ["dataset://t/clean"], [])]
        nodes.append(node("eval/new", {}, ["dataset://t/clean"], []) if b else node("old/gone", {}, [], []))
        w.write_graph({"graph_id": "g", "nodes": nodes, "edges": []})
        art = w.root / "artifacts"
        (art / "model.bin").write_bytes(b"\x01" * (200 if b else 100))
        (art / "same.txt").write_bytes(b"same\n")
        if b:
            (art / "notes.md").write_text("new\n")
        session.finalize()
        return w.root


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Bundle, Bundle]:
    base = tmp_path_factory.mktemp("cmp")
    ra = build(base, "000000000000000000000000000000a1", "a")
    rb = build(base, "000000000000000000000000000000b1", "b")
    return load_bundle(ra), load_bundle(rb)


def test_series_last_min_max_and_change(pair: tuple[Bundle, Bundle]) -> None:
    a, b = pair
    diffs = {(s.name, s.attrs): s for s in compare_series(a, b)}
    loss = diffs[("train/loss", "")]
    assert loss.status == "changed" and loss.a and loss.b
    assert loss.a.last == pytest.approx(0.1) and loss.b.last == pytest.approx(0.2)
    assert loss.change == pytest.approx(0.1)
    assert (loss.a.min, loss.a.max, loss.b.max, loss.a.points) == (pytest.approx(0.1), 1.0, 2.0, 10)
    assert diffs[("train/acc", '{"peer": "p0"}')].status == "same"
    f1 = diffs[("eval/f1", "")]
    assert f1.status == "added" and f1.a is None and f1.change is None


def test_overlay_by_step_and_relative_time(pair: tuple[Bundle, Bundle]) -> None:
    a, b = pair
    by_step = {o.key: o for o in overlay([a, b], "step")}
    loss = next(o for o in by_step.values() if o.name == "train/loss")
    assert loss.x[0] is not None and loss.x[1] is not None
    assert np.array_equal(loss.x[0], loss.x[1]) and loss.x[0].tolist() == list(range(10))
    f1 = next(o for o in by_step.values() if o.name == "eval/f1")
    assert f1.x[0] is None and f1.y[1] is not None
    timed = next(o for o in overlay([a, b], "time") if o.name == "train/loss")
    # B was created an hour later: relative time lines the runs up anyway
    assert timed.x[0] is not None and timed.x[1] is not None
    assert np.allclose(timed.x[0], timed.x[1]) and timed.x[0][1] == pytest.approx(0.001)


def test_graph_diff(pair: tuple[Bundle, Bundle]) -> None:
    a, b = pair
    g = compare_graph(a, b)
    by_key = {n.node_key: n for n in g.nodes}
    assert by_key["eval/new"].status == "added" and by_key["old/gone"].status == "removed"
    clean = by_key["prep/clean"]
    assert clean.status == "changed" and clean.node_def_hash[0] != clean.node_def_hash[1]
    assert {(d.path, d.a, d.b) for d in clean.params} == {("lr", "0.1", "0.2"),
                                                          ("opt/betas", "[0.9, 0.999]", "[0.9, 0.99]")}
    assert "train/fit" not in by_key and "ingest/raw" not in by_key and g.unchanged == 2
    assert (g.count("added"), g.count("removed"), g.count("changed")) == (1, 1, 1)


def test_flatten_params_keeps_variants() -> None:
    assert flatten_params({"a": {"b": 1, "c": {}}, "d": [1, 2]}) == {"a/b": 1, "a/c": {}, "d": [1, 2]}


def test_span_statistics(pair: tuple[Bundle, Bundle]) -> None:
    a, b = pair
    spans = {s.name: s for s in compare_spans(a, b)}
    step = spans["train/step"]
    assert step.a and step.b
    assert (step.a.count, step.a.finished) == (11, 10)
    assert step.a.total_ns == 55 * MS and step.b.total_ns == 110 * MS
    assert step.change_total_ns == 55 * MS
    assert step.a.p50_ns == pytest.approx(5.5 * MS) and step.b.p95_ns == pytest.approx(2 * 9.55 * MS)
    assert spans["eval"].a is None and spans["eval"].b and spans["eval"].b.total_ns == 5 * MS


def test_dataset_and_artifact_differences(pair: tuple[Bundle, Bundle]) -> None:
    a, b = pair
    ds = {d.asset_key: d for d in compare_datasets(a, b)}
    raw = ds["dataset://t/raw"]
    assert raw.status == "changed"
    changed = {f.path for f in raw.fields}
    assert {"fingerprint_v0", "source_fingerprint_v0", "source"} <= changed and "trust" not in changed
    assert ds["dataset://t/old"].status == "removed"
    arts = {x.path: x for x in compare_artifacts(a, b)}
    model = arts["artifacts/model.bin"]
    assert model.status == "changed" and model.bytes == (100, 200)
    assert model.sha256[0] and model.sha256[1] and model.sha256[0] != model.sha256[1]
    assert arts["artifacts/same.txt"].status == "same" and arts["artifacts/notes.md"].status == "added"


def test_whole_comparison_json_is_plain(pair: tuple[Bundle, Bundle]) -> None:
    import json

    a, b = pair
    doc = compare_runs(a, b).to_json()
    text = json.dumps(doc, allow_nan=False)  # NaN/inf became null
    assert doc["schema"] == "swarmview.diff/1" and doc["graph"]["changed"] == 1
    assert doc["a"]["run_id"] == "000000000000000000000000000000a1" and "train/loss" in text
    same = compare_runs(a, a)
    assert all(s.status == "same" for s in same.series) and not same.graph.nodes
    assert all(s.change_total_ns == 0 for s in same.spans)
    assert all(d.status == "same" for d in same.datasets) and all(x.status == "same" for x in same.artifacts)
    assert not math.isnan(same.spans[0].a.p50_ns)  # type: ignore[union-attr]
