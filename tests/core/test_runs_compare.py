"""Run comparison (issue 11 "Compare"): two runs that differ in known ways, written with the writer."""

from __future__ import annotations

import math

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
from tests.core._runs_support import MS, build_compare_run


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Bundle, Bundle]:
    base = tmp_path_factory.mktemp("cmp")
    ra = build_compare_run(base, "000000000000000000000000000000a1", "a")
    rb = build_compare_run(base, "000000000000000000000000000000b1", "b")
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
