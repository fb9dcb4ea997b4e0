"""Series identity works on attr text: removing ``step`` anywhere in the map keeps canonical JSON (VERIFY.md §11)."""

from __future__ import annotations

import numpy as np
import orjson
import pytest

from swarmview.core.records.series import _split_step


@pytest.mark.parametrize(
    ("attrs", "step"),
    [
        ({"step": 3}, 3),
        ({"i": 1, "step": -2}, -2),
        ({"a": "x", "step": 7, "swarmtorch.peer_id": "p"}, 7),
        ({"step": 1.0, "z": 1}, None),  # a float step is an ordinary attribute
        ({"step": "3"}, None),
        ({"k": 'v"step":9}'}, None),  # inside a string value: escaped, never matched
    ],
)
def test_step_is_split_from_the_identity_text(attrs: dict, step: int | None) -> None:
    text = orjson.dumps(dict(sorted(attrs.items())))
    rest, found = _split_step(text)
    assert found == step
    expected = {k: v for k, v in attrs.items() if not (k == "step" and type(v) is int)}
    assert orjson.loads(rest) == expected


def _series_state(series) -> list:
    return [(s.key, s.name, s.label, s.group_key, s.group_label, s.x_kind, s.rows.tolist(), s.x.tolist(),
             s.y.tolist(), s.segments.tolist()) for s in series]  # fmt: skip


@pytest.mark.skipif(not __import__("swarmview.core.records.kernelpath", fromlist=["x"]).available(),
                    reason="numba not installed")  # fmt: skip
@pytest.mark.parametrize("chunk", [None, 997])
def test_kernel_series_identities_equal_the_python_ones(monkeypatch, chunk) -> None:
    """metric_series with the kernel's identities (forced on small tables) gives exactly the series of
    the per-point Python loop, for steps anywhere in the map, negative, float, string or absent."""
    from swarmview.core.records import series as series_mod
    from tests.core.test_records_ndjson import metric, read

    shapes = [{"step": 3}, {"i": 1, "step": -2}, {"a": "x", "step": 7, "swarmtorch.peer_id": "p"},
              {"step": 1.0, "z": 1}, {"step": "3"}, {"k": 'v"step":9}'}, {}, {"step": 0},
              {"swarmtorch.peer_id": "p-2", "step": 12}, {"steps": 4}, {"a": True, "step": 5, "z": None}]  # fmt: skip
    lines = []
    for i in range(400):
        attrs = dict(shapes[i % len(shapes)])
        if "step" in attrs and type(attrs["step"]) is int:
            attrs["step"] += i // len(shapes)
        if attrs.get("z", 0) is None:
            attrs["z"] = float("nan")
        lines.append(orjson.dumps(metric(i, i / 3, attrs=dict(sorted(attrs.items())), name=f"m{i % 3}")))
    data = b"\n".join(lines).replace(b"NaN", b"null") + b"\n"
    table = read("metrics", data, chunk=chunk).table
    monkeypatch.setattr(series_mod, "KERNEL_MIN_ROWS", 1 << 62)
    python = _series_state(series_mod.metric_series(table))
    monkeypatch.setattr(series_mod, "KERNEL_MIN_ROWS", 0)
    assert series_mod._identities_kernel(table) is not None
    assert _series_state(series_mod.metric_series(table)) == python


def test_a_step_beyond_int64_leaves_the_kernel_for_python(monkeypatch) -> None:
    from swarmview.core.records import kernelpath
    from swarmview.core.records import series as series_mod
    from tests.core.test_records_ndjson import metric, read

    if not kernelpath.available():
        pytest.skip("numba not installed")
    data = b"".join(orjson.dumps(metric(i, 1.0, attrs={"step": 10**19 + i})) + b"\n" for i in range(5))
    table = read("metrics", data).table
    monkeypatch.setattr(series_mod, "KERNEL_MIN_ROWS", 0)
    assert series_mod._identities_kernel(table) is None
    (s,) = series_mod.metric_series(table)
    assert s.x.dtype == np.float64 and s.x_kind == "step"
