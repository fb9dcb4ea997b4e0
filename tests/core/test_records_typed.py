"""The three fast paths (compiled kernel, typed msgspec, orjson) accept exactly what the strict reader
would, with the same result.

Every case is read in each mode — the kernel forced on for small blocks, the typed path alone, orjson
alone — and the tables and findings must be identical. Among the cases: the spellings where msgspec
and serde_json differ, every kind of damage the kernel must refuse, and random byte mutations.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as stg

from swarmview.core.records import kernelpath, ndjson, typed
from swarmview.core.records.tables import SpanTable

from .test_records_ndjson import TRACE, metric, read, span

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "upstream"
HAVE_KERNEL = kernelpath.available()


def _table_state(r) -> dict:
    t = r.table
    # floats by their bits and attributes by repr, so NaN (read from null) compares equal to itself
    cols = {k: (v.view(np.uint64) if v.dtype == np.float64 else v).tolist()
            for k, v in vars(t).items() if isinstance(v, np.ndarray)}  # fmt: skip
    attrs = [repr(t.attrs.get(i)) for i in range(len(t))]
    names = {k: v for k, v in vars(t).items() if isinstance(v, list)}
    return {"cols": cols, "attrs": attrs, "names": names, "keys": t.attrs.keys() if hasattr(t.attrs, "keys") else None,
            "findings": [(f.code, f.line, f.severity, f.message) for f in r.findings],
            "upstream": r.upstream_error}  # fmt: skip


class _Modes:
    """Reads data in each mode; counts blocks each fast path accepted."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.mp = monkeypatch
        self.typed_blocks = 0
        real = typed.decode_block

        def counting(*a):
            rows = real(*a)
            self.typed_blocks += rows is not None
            return rows

        self._typed = counting

    def read_all(self, kind: str, data: bytes, chunk: int | None = None) -> dict[str, dict]:
        out = {}
        self.mp.setattr(ndjson, "decode_block", self._typed)
        if HAVE_KERNEL:
            self.mp.setattr(kernelpath, "MIN_BLOCK_BYTES", 0)
            out["kernel"] = _table_state(read(kind, data, chunk=chunk))
            self.mp.setattr(kernelpath, "PARALLEL_MIN_BYTES", 0)  # every block in two halves, two threads
            out["kernel, two threads"] = _table_state(read(kind, data, chunk=chunk))
            self.mp.setattr(kernelpath, "PARALLEL_MIN_BYTES", 1 << 62)
        self.mp.setattr(kernelpath, "MIN_BLOCK_BYTES", 1 << 62)
        out["typed"] = _table_state(read(kind, data, chunk=chunk))
        self.mp.setattr(ndjson, "decode_block", lambda *a: None)
        out["orjson"] = _table_state(read(kind, data, chunk=chunk))
        return out


def _agree(results: dict[str, dict]) -> dict:
    first = results["orjson"]
    for mode, r in results.items():
        assert r == first, mode
    return first


@pytest.fixture
def modes(monkeypatch):
    return _Modes(monkeypatch)


def test_canonical_lines_take_the_typed_path(modes):
    data = b"".join(orjson.dumps(span(i, attrs={"a": i, "b": 0.5, "c": "x", "d": True})) + b"\n" for i in range(50))
    r = _agree(modes.read_all("spans", data))
    assert modes.typed_blocks == 1  # the typed mode (the kernel mode took it before)
    assert r["findings"] == []


@pytest.mark.skipif(not HAVE_KERNEL, reason="numba not installed")
def test_kernel_accepts_canonical_blocks_of_every_kind(monkeypatch):
    monkeypatch.setattr(kernelpath, "MIN_BLOCK_BYTES", 0)
    calls = []
    real = kernelpath.scan_block
    monkeypatch.setattr(kernelpath, "scan_block", lambda *a: calls.append(real(*a)) or calls[-1])
    spans = b"".join(orjson.dumps(span(i, attrs={"a": i, "lr": 1e-7, "é": "ü"})) + b"\n" for i in range(40))
    metrics = b"".join(orjson.dumps(metric(i, i / 7, unit="s" if i % 2 else None)) + b"\n" for i in range(40))
    events = b"".join(orjson.dumps({"schema_version": 1, "ts_unix_nanos": i, "trace_id": TRACE,
                                    "span_id": None if i % 2 else f"{i + 1:016x}", "name": "e", "attrs": {"k": i}})
                      + b"\n" for i in range(40))  # fmt: skip
    for kind, data in (("spans", spans), ("metrics", metrics), ("events", events)):
        r = read(kind, data)
        assert len(r.table) == 40 and not r.findings and r.slow_lines == 0
        ((prep, rejected, lines),) = calls[-1]
        assert (len(prep), len(rejected), lines) == (40, 0, 40), kind


ODD_ATTRS = [
    b'{"x":1e16}',  # msgspec's exponent spelling, not serde's (1e+16): non-canonical
    b'{"x":1e+16}',
    b'{"x":123456789012345678901234}',  # beyond 64 bits: serde reads a float
    b'{"x":-9223372036854775809}',
    b'{"x":18446744073709551615}',
    b'{"x":1234567890123456789}',
    b'{"b":1,"a":2}',  # unsorted keys
    b'{"a":1,"a":2}',  # duplicate key
    b'{"a":1,"ab":2,"a":3}',
    b'{"a":-0}',
    b'{"a":01}',
    b'{"a":1.50}',
    b'{"a":1E5}',
    b'{"a":"\\u00e9"}',
    b'{"a":"\\n"}',
    b'{"a":null}',
    b'{"a":[1]}',
    b'{"a":{"b":1}}',
    b'{"a" :1}',
    b'{"a":tru}',
    b'{"a":"x\x01"}',
    b'{"' + b"k" * 129 + b'":1}',
    b'{"a":"' + b"v" * 1100 + b'"}',
    b"{" + b",".join(b'"k%02d":1' % i for i in range(65)) + b"}",
    b'{"\xc3\xa9":"\xe2\x82\xac"}',
    b'{"a":"\xc3"}',  # truncated UTF-8
    b'{"a":"\xed\xa0\x80"}',  # a surrogate in UTF-8
    b'{"a":"\xc0\xaf"}',  # overlong
    b"{}",
    b"[]",
]


@pytest.mark.parametrize("text", ODD_ATTRS)
def test_attribute_spellings_read_the_same_in_every_mode(modes, text):
    good = orjson.dumps(span(0, attrs={"k": 1}))
    odd = orjson.dumps(span(1))[: -len(b'"attrs":{}}')] + b'"attrs":' + text + b"}"
    _agree(modes.read_all("spans", good + b"\n" + odd + b"\n" + good + b"\n"))


def _span_line(**over) -> bytes:
    return orjson.dumps({**span(3, parent="00000000000000aa"), **over})


ODD_LINES = [
    _span_line(trace_id=TRACE.upper()),
    _span_line(span_id="0" * 16),
    _span_line(trace_id="0" * 32),
    _span_line(span_id="abc"),
    _span_line(parent_span_id=None),
    _span_line(parent_span_id="0" * 16),
    _span_line(end_unix_nanos=None),
    _span_line(start_unix_nanos=18446744073709551615),
    _span_line(start_unix_nanos=-1),
    _span_line(start_unix_nanos=1.5),
    _span_line(schema_version=2),
    _span_line(name="a\tb"),
    _span_line(name='a"b'),
    _span_line(name="ñame/€"),
    _span_line(name="n" * 300),
    _span_line(extra=1),
    orjson.dumps({k: v for k, v in span(3).items() if k != "name"}),
    _span_line().replace(b'"start_unix_nanos":1003', b'"start_unix_nanos":01003'),
    _span_line().replace(b"1003", b"18446744073709551616"),
    _span_line().replace(b",", b", ", 1),
    _span_line() + b" ",
    _span_line() + b"{}",
    _span_line().replace(b'"name":"op/x"', b'"name":"op/\xff"'),
    _span_line()[:-5],
    b"",
    b"   ",
    b"\xef\xbb\xbf" + _span_line(),
]


@pytest.mark.parametrize("odd", ODD_LINES, ids=range(len(ODD_LINES)))
def test_damaged_span_lines_read_the_same_in_every_mode(modes, odd):
    good = orjson.dumps(span(0, attrs={"k": 1}))
    _agree(modes.read_all("spans", good + b"\n" + odd + b"\n" + good + b"\n"))


@pytest.mark.parametrize("value", [b"1e16", b"1e+16", b"-2.5e+300", b"1", b"null", b"0.00001", b"1e-7", b"1e400",
                                   b"-0.0", b"0.1", b"01.5", b"true", b'"1"'])  # fmt: skip
def test_metric_value_spellings(modes, value):
    base = orjson.dumps(metric(0, 0.25))
    odd = base.replace(b'"value":0.25', b'"value":' + value)
    _agree(modes.read_all("metrics", base + b"\n" + odd + b"\n" + base + b"\n"))


@pytest.mark.parametrize("unit", [b'"ms"', b"null", b'"' + b"u" * 70 + b'"', b"1", b'"\xff"'])
def test_metric_units(modes, unit):
    base = orjson.dumps(metric(0, 0.25))
    odd = base.replace(b'"unit":null', b'"unit":' + unit)
    _agree(modes.read_all("metrics", base + b"\n" + odd + b"\n"))


def test_invalid_utf8_in_a_block(modes):
    data = orjson.dumps(span(0)) + b"\n" + orjson.dumps(span(1)).replace(b"op/x", b"op/\xff") + b"\n"
    r = _agree(modes.read_all("spans", data))
    assert any(f[0] == "NDJSON_INVALID_UTF8" for f in r["findings"])


@pytest.mark.parametrize("chunk", [None, 7, 64, 1000])
def test_chunk_boundaries_and_a_torn_last_line(modes, chunk):
    lines = [orjson.dumps(span(i, attrs={"i": i, "f": i / 3})) for i in range(30)]
    data = b"\n".join(lines) + b"\n" + lines[0][:-9]
    _agree(modes.read_all("spans", data, chunk=chunk))


def _sample(kind: str) -> list[bytes]:
    if kind == "spans":
        return [orjson.dumps(span(i, attrs={"a": i, "b": "x", "c": 0.25}, parent=None if i % 3 else "00000000000000aa"))
                for i in range(6)]  # fmt: skip
    if kind == "metrics":
        return [orjson.dumps(metric(i, i / 3, unit=None if i % 2 else "s", attrs={"peer": "p-1", "step": i}))
                for i in range(6)]  # fmt: skip
    return [orjson.dumps({"schema_version": 1, "ts_unix_nanos": 10 + i, "trace_id": TRACE,
                          "span_id": None if i % 2 else f"{i + 1:016x}", "name": "ev", "attrs": {"k": True}})
            for i in range(6)]  # fmt: skip


@pytest.mark.parametrize("kind", ["spans", "events", "metrics"])
@settings(max_examples=int(os.environ.get("SWARMVIEW_PATH_EXAMPLES", "100")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(edits=stg.lists(stg.tuples(stg.integers(0, 10_000), stg.integers(0, 3), stg.binary(max_size=3)), max_size=4))
def test_random_mutations_read_the_same_in_every_mode(modes, kind, edits):
    data = bytearray(b"\n".join(_sample(kind)) + b"\n")
    for at, cut, ins in edits:
        at %= len(data)
        data[at : at + cut] = ins
    _agree(modes.read_all(kind, bytes(data)))


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.iterdir() if (p / "run.json").exists()))
def test_every_fixture_file_reads_the_same_in_every_mode(modes, name):
    for kind in ("spans", "events", "metrics"):
        path = FIXTURES / name / f"{kind}.ndjson"
        if path.is_file() and not path.is_symlink():
            _agree(modes.read_all(kind, path.read_bytes()))


def test_span_table_from_the_fast_paths(monkeypatch):
    monkeypatch.setattr(kernelpath, "MIN_BLOCK_BYTES", 0)
    r = read("spans", orjson.dumps(span(0, parent="00000000000000ff")) + b"\n")
    assert isinstance(r.table, SpanTable)
    assert r.table.parent_id.tolist() == [255]


@pytest.mark.skipif(not HAVE_KERNEL, reason="numba not installed")
def test_unknown_parents_found_by_the_kernel_join_equal_the_sorted_lookup(monkeypatch):
    """F-30 on big tables goes through the kernel's hash join: same findings as the sort-and-search,
    with parents in another trace, duplicate span ids, self-parents and unknown ids."""
    from swarmview.core.records import parents

    other = "f" * 32
    lines = []
    for i in range(60):
        parent = [None, f"{i:016x}", f"{i + 1:016x}", f"{(i * 7) % 50 + 1:016x}", "00000000000000ee"][i % 5]
        trace = TRACE if i % 4 else other
        lines.append(orjson.dumps(span(i % 45, parent=parent, trace=trace)))
    data = b"\n".join(lines) + b"\n"
    monkeypatch.setattr(parents, "KERNEL_MIN_SPANS", 1 << 62)
    sorted_lookup = [(f.code, f.line, f.message) for f in read("spans", data).findings]
    monkeypatch.setattr(parents, "KERNEL_MIN_SPANS", 0)
    kernel_join = [(f.code, f.line, f.message) for f in read("spans", data).findings]
    assert kernel_join == sorted_lookup
    assert any(code == "UNKNOWN_PARENT_SPAN" for code, _, _ in kernel_join)
