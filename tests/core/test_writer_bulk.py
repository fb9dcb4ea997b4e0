"""``writer.bulk``: column-wise NDJSON text equals the reference encoder record by record."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("swarmview.core.jsontext.encode")

from swarmview.core.errors import BundleWriteError
from swarmview.core.jsontext import types
from swarmview.core.jsontext.encode import dumps_compact
from swarmview.core.writer import bulk, records

TRACE = "0123456789abcdef0123456789abcdef"


def _lines(text: str) -> list[bytes]:
    assert text.endswith("\n")
    return [line.encode() for line in text[:-1].split("\n")]


@pytest.mark.parametrize("var_key", [None, "a_first", "m_middle", "zz_last"])
def test_metric_lines_equal_encoder(var_key: str | None) -> None:
    """Every line equals ``dumps_compact`` of the same record, wherever the variable key sorts (B-012)."""
    values = np.array([0.0, -0.0, 1e-4, 0.5, 123.456789, 9999999999999998.0, 1e-7, 1e16, -2.5e-300, 5e-324])
    n = len(values)
    ts = np.arange(n, dtype=np.int64) * 7 + 1_775_476_800_000_000_000
    var = np.arange(n, dtype=np.int64) - 3
    attrs = {"m": "x\ny", "b": True, "n": 2**63, "f": 0.25}
    text = bulk.metric_lines(TRACE, "train/ü", ts, values, attrs=attrs, unit="samples/s", span_id="00" * 7 + "01",
                             var_attr=None if var_key is None else (var_key, var))  # fmt: skip
    for i, line in enumerate(_lines(text)):
        rec_attrs = dict(attrs) if var_key is None else {**attrs, var_key: int(var[i])}
        rec = records.prepare_metric(int(ts[i]), TRACE, "train/ü", float(values[i]), "00" * 7 + "01", "samples/s",
                                     rec_attrs)  # fmt: skip
        assert line == dumps_compact(rec, types.METRIC_RECORD)


def test_span_lines_equal_encoder() -> None:
    """Span columns: parents (0 = none), unfinished ends (-1 → null), a variable ``step`` attribute."""
    ids = np.array([1, 2**64 - 1, 0xABC], dtype=np.uint64)
    parents = np.array([0, 1, 2**64 - 1], dtype=np.uint64)
    starts = np.array([0, 5, 2**62], dtype=np.int64)
    ends = np.array([3, -1, 2**62 + 9], dtype=np.int64)
    for var in (None, ("step", np.array([0, 1, -5]))):
        text = bulk.span_lines(TRACE, "train/step", ids, starts, ends, parent_ids=parents,
                               attrs={"swarmtorch.peer_id": "peer-0"}, var_attr=var)  # fmt: skip
        for i, line in enumerate(_lines(text)):
            attrs = {"swarmtorch.peer_id": "peer-0"} | ({} if var is None else {"step": int(var[1][i])})
            rec = records.prepare_span(TRACE, f"{int(ids[i]):016x}", "train/step", int(starts[i]),
                                       None if ends[i] < 0 else int(ends[i]),
                                       None if parents[i] == 0 else f"{int(parents[i]):016x}", attrs)  # fmt: skip
            assert line == dumps_compact(rec, types.SPAN_RECORD)


def test_bulk_refusals() -> None:
    """Series-level checks: §4.5 bounds (once), non-finite values (F-08), zero span ids (F-09), u64 range."""
    one = np.array([1], dtype=np.int64)
    with pytest.raises(BundleWriteError, match="F-08"):
        bulk.metric_lines(TRACE, "m", one, np.array([np.nan]))
    with pytest.raises(BundleWriteError, match="record name length 257 exceeds maximum"):
        bulk.metric_lines(TRACE, "m" * 257, one, np.array([1.0]))
    with pytest.raises(BundleWriteError, match="attribute count 65"):
        bulk.metric_lines(TRACE, "m", one, np.array([1.0]), attrs={f"k{i}": i for i in range(64)},
                          var_attr=("step", one))  # fmt: skip
    with pytest.raises(BundleWriteError, match="F-09"):
        bulk.span_lines(TRACE, "s", np.array([0], dtype=np.uint64), one, one)
    with pytest.raises(BundleWriteError, match="u64 range"):
        bulk.metric_lines(TRACE, "m", np.array([-1]), np.array([1.0]))
    with pytest.raises(BundleWriteError, match="all zeros"):
        bulk.metric_lines("0" * 32, "m", one, np.array([1.0]))
