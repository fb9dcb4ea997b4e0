"""Metric series (VERIFY.md §11), TensorBoard smoothing and the min/max pyramid."""

from __future__ import annotations

import math

import numpy as np
import orjson
import pytest

from swarmview.core.records import NdjsonFile, load_records
from swarmview.core.records.ema import ema, ema_segments
from swarmview.core.records.pyramid import decimate_for_view, minmax_pyramid
from swarmview.core.records.series import metric_series
from tests.helpers import FIXTURES

TRACE = "0123456789abcdef0123456789abcdef"


def table(records: list[dict]):
    f = NdjsonFile("metrics", "metrics.ndjson")
    f.feed(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return f.close().table


def m(ts: int, value, attrs: dict, name: str = "loss", unit: str | None = None) -> dict:
    return {"schema_version": 1, "ts_unix_nanos": ts, "trace_id": TRACE, "span_id": None, "name": name,
            "value": value, "unit": unit, "attrs": attrs}


def test_rich_has_exactly_the_23_series_of_the_table():
    t = load_records("metrics", FIXTURES / "rich" / "metrics.ndjson", "metrics.ndjson").table
    ss = metric_series(t)
    assert len(ss) == 23
    per_name: dict[str, list] = {}
    for s in ss:
        per_name.setdefault(s.name, []).append(s)
    for name in ("train/loss", "train/accuracy", "train/grad_norm"):
        group = per_name[name]
        assert len(group) == 4 and {s.group_key for s in group} == {f"{name}{{}}"}
        assert sorted(s.attrs["swarmtorch.peer_id"] for s in group) == [f"peer-{i}" for i in range(4)]
        for s in group:
            assert s.x_kind == "step" and len(s) == 160 and s.x.tolist() == list(range(160))
            assert len(s.segments) == 1
    assert {s.label for s in per_name["train/accuracy"]} == {"train/accuracy [1]"}
    assert {s.label for s in per_name["train/loss"]} == {"train/loss"}
    (tp,) = per_name["swarm/throughput"]
    assert (tp.x_kind, len(tp), tp.label, tp.attrs) == ("time", 40, "swarm/throughput [samples/s]", {})
    (bw,) = per_name["swarm/bytes_on_wire"]
    assert (bw.x_kind, len(bw), bw.label, bw.attrs) == ("time", 40, "swarm/bytes_on_wire [By]", {"direction": "tx"})
    edges = per_name["debug/edge_values"]
    assert len(edges) == 9 and {len(s) for s in edges} == {1} and {s.x_kind for s in edges} == {"time"}
    assert len({s.group_key for s in edges}) == 9  # `i` is not a grouping key: separate plots
    assert sum(len(s) for s in ss) == 2009
    assert len({s.key for s in ss}) == 23


def test_identity_is_variant_aware():
    """``1``, ``1.0``, ``"1"`` and ``true`` are four different series (VERIFY.md §11)."""
    t = table([m(1, 1.0, {"k": 1}), m(2, 1.0, {"k": 1.0}), m(3, 1.0, {"k": "1"}), m(4, 1.0, {"k": True}),
               m(5, 2.0, {"k": 1})])
    ss = metric_series(t)
    assert len(ss) == 4 and [len(s) for s in ss] == [2, 1, 1, 1]


def test_x_is_step_time_or_index():
    t = table([m(10, 1.0, {"step": 3}), m(20, 2.0, {"step": 1}), m(30, 3.0, {"step": 2})])
    (s,) = metric_series(t)
    assert s.x_kind == "step" and s.x.tolist() == [3, 1, 2]
    assert s.segments.tolist() == [0, 1]  # 3 → 1 is a restart
    # a non-integer step is an ordinary attribute: two series, x = time
    ss = metric_series(table([m(10, 1.0, {"step": 1.0}), m(20, 1.0, {"step": "3"})]))
    assert [s.x_kind for s in ss] == ["time", "time"] and len(ss) == 2
    # mixed: some integer steps, some none → time
    (s,) = metric_series(table([m(10, 1.0, {"step": 1}), m(20, 2.0, {})]))
    assert s.x_kind == "time" and s.x.tolist() == [10, 20]
    # all points at one timestamp → ordinal index
    (s,) = metric_series(table([m(7, 1.0, {}), m(7, 2.0, {}), m(7, 3.0, {})]))
    assert s.x_kind == "index" and s.x.tolist() == [0, 1, 2]


def test_nan_points_count_and_unit_label():
    (s,) = metric_series(table([m(1, 1.0, {"step": 0}), m(2, None, {"step": 1}), m(3, 2.0, {"step": 2}, unit="s")]))
    assert len(s) == 3 and math.isnan(s.y[1]) and s.label == "loss [s]"


def _tb_reference(y: list[float], w: float) -> list[float]:
    """TensorBoard's classicSmoothing, transcribed (VIEWER_ANCHORS §a.2)."""
    w = 0.0 if not math.isfinite(w) else min(1.0, max(0.0, w))
    if all(v == y[0] for v in y):
        return list(y)
    last, n, out = 0.0, 0, []
    for v in y:
        if not math.isfinite(v):
            out.append(v)
            continue
        last = last * w + (1 - w) * v
        n += 1
        debias = 1.0 if w == 1 else 1 - w**n
        out.append(last / debias)
    return out


@pytest.mark.parametrize("w", [0.0, 0.3, 0.6, 0.9, 0.999, 1.0, float("nan"), 1.7, -1.0])
def test_ema_matches_tensorboard(w):
    rng = np.random.default_rng(3)
    y = rng.normal(size=5000).cumsum()
    y[[5, 100, 4000]] = [np.nan, np.inf, -np.inf]
    got = ema(y, w)
    ref = np.array(_tb_reference(y.tolist(), w))
    fin = np.isfinite(ref)
    assert np.array_equal(np.isfinite(got), fin)
    assert np.allclose(got[fin], ref[fin], rtol=1e-9, atol=1e-9)
    assert np.array_equal(got[~fin], y[~fin], equal_nan=True)


def test_ema_constant_and_segments():
    assert ema(np.full(10, 2.5)).tolist() == [2.5] * 10
    y = np.array([1.0, 2.0, 3.0, 10.0, 20.0])
    out = ema_segments(y, np.array([0, 3]))
    assert np.allclose(out[:3], ema(y[:3])) and np.allclose(out[3:], ema(y[3:]))


def test_pyramid_keeps_extremes_and_bounds_the_point_count():
    rng = np.random.default_rng(7)
    n = 100_003
    x = np.arange(n, dtype=np.int64) * 10
    y = rng.normal(size=n)
    y[rng.integers(0, n, 50)] = np.nan
    p = minmax_pyramid(x, y)
    for x0, x1, px in [(0, x[-1], 800), (12345, 567890, 300), (500, 520, 100), (0, x[-1], 1)]:
        dx, dy = decimate_for_view(p, x0, x1, px)
        vis = (x >= x0) & (x <= x1)
        assert len(dx) <= max(2 * px, int(vis.sum()))
        if vis.sum():
            assert np.nanmax(dy) == np.nanmax(y[vis]) and np.nanmin(dy) == np.nanmin(y[vis])
            assert dx.min() >= x0 and dx.max() <= x1
        assert np.all(np.diff(dx) >= 0)
        # only real points
        idx = np.searchsorted(x, dx)
        assert np.array_equal(x[idx], dx) and np.array_equal(y[idx], dy, equal_nan=True)
