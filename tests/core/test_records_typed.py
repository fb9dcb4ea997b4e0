"""The typed (msgspec) path accepts exactly what the orjson path accepts, with the same result.

Every case is read twice, once as shipped and once with the typed path switched off, and the tables
and findings must be identical; the spellings where msgspec and serde_json differ are among them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import orjson
import pytest

from swarmview.core.records import ndjson, typed
from swarmview.core.records.tables import SpanTable

from .test_records_ndjson import metric, read, span

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "upstream"


def _table_state(r) -> dict:
    t = r.table
    # floats by their bits and attributes by repr, so NaN (read from null) compares equal to itself
    cols = {k: (v.view(np.uint64) if v.dtype == np.float64 else v).tolist()
            for k, v in vars(t).items() if isinstance(v, np.ndarray)}  # fmt: skip
    attrs = [repr(t.attrs.get(i)) for i in range(len(t))]
    return {"cols": cols, "attrs": attrs, "findings": [(f.code, f.line, f.severity, f.message) for f in r.findings],
            "upstream": r.upstream_error}  # fmt: skip


def _both(monkeypatch, kind: str, data: bytes) -> tuple[dict, dict, int]:
    """(typed result, orjson-only result, blocks the typed path accepted)."""
    accepted = 0
    real = typed.decode_block

    def counting(*a):
        nonlocal accepted
        rows = real(*a)
        accepted += rows is not None
        return rows

    monkeypatch.setattr(ndjson, "decode_block", counting)
    with_typed = _table_state(read(kind, data))
    monkeypatch.setattr(ndjson, "decode_block", lambda *a: None)
    without = _table_state(read(kind, data))
    return with_typed, without, accepted


def test_canonical_lines_take_the_typed_path(monkeypatch):
    data = b"".join(orjson.dumps(span(i, attrs={"a": i, "b": 0.5, "c": "x", "d": True})) + b"\n" for i in range(50))
    a, b, accepted = _both(monkeypatch, "spans", data)
    assert accepted == 1
    assert a == b
    assert a["findings"] == []


@pytest.mark.parametrize("text", [
    b'{"x":1e16}',  # msgspec's exponent spelling, not serde's (1e+16): non-canonical
    b'{"x":1e+16}',
    b'{"x":123456789012345678901234}',  # beyond 64 bits: serde reads a float
    b'{"x":-9223372036854775809}',
    b'{"x":18446744073709551615}',
    b'{"b":1,"a":2}',  # unsorted keys
    b'{"a":1,"a":2}',  # duplicate key
    b'{"a":-0}',
    b'{"a":1.50}',
    b'{"a":"\\u00e9"}',
    b'{"a":null}',
])  # fmt: skip
def test_spellings_where_msgspec_and_serde_differ_read_as_the_orjson_path(monkeypatch, text):
    good = orjson.dumps(span(0, attrs={"k": 1}))
    odd = orjson.dumps(span(1))[: -len(b'"attrs":{}}')] + b'"attrs":' + text + b"}"
    data = good + b"\n" + odd + b"\n" + good + b"\n"
    a, b, _ = _both(monkeypatch, "spans", data)
    assert a == b


@pytest.mark.parametrize("value", [b"1e16", b"1e+16", b"-2.5e+300", b"1", b"null", b"0.00001", b"1e-7"])
def test_metric_value_spellings(monkeypatch, value):
    base = orjson.dumps(metric(0, 0.25))
    odd = base.replace(b'"value":0.25', b'"value":' + value)
    a, b, _ = _both(monkeypatch, "metrics", base + b"\n" + odd + b"\n")
    assert a == b


def test_invalid_utf8_in_a_block(monkeypatch):
    data = orjson.dumps(span(0)) + b"\n" + orjson.dumps(span(1)).replace(b"op/x", b"op/\xff") + b"\n"
    a, b, accepted = _both(monkeypatch, "spans", data)
    assert accepted == 0
    assert a == b
    assert any(f[0] == "NDJSON_INVALID_UTF8" for f in a["findings"])


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.iterdir() if (p / "run.json").exists()))
def test_every_fixture_file_reads_the_same_with_and_without_the_typed_path(monkeypatch, tmp_path, name):
    src = FIXTURES / name
    for kind in ("spans", "events", "metrics"):
        path = src / f"{kind}.ndjson"
        if not path.is_file() or path.is_symlink():
            continue
        data = path.read_bytes()
        a, b, _ = _both(monkeypatch, kind, data)
        assert a == b, f"{name}/{kind}.ndjson"
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_span_table_from_typed_path_is_a_span_table(monkeypatch):
    monkeypatch.setattr(ndjson, "decode_block", typed.decode_block)
    r = read("spans", orjson.dumps(span(0, parent="00000000000000ff")) + b"\n")
    assert isinstance(r.table, SpanTable)
    assert r.table.parent_id.tolist() == [255]
