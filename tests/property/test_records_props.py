"""Property tests for the records reader: never an exception, same result whatever the chunking."""

from __future__ import annotations

import numpy as np
import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from swarmview.core.records import NdjsonFile

TRACE = "0123456789abcdef0123456789abcdef"


def _good(i: int, kind: str) -> bytes:
    if kind == "spans":
        d = {"schema_version": 1, "trace_id": TRACE, "span_id": f"{i + 1:016x}", "parent_span_id": None,
             "name": "op/x", "start_unix_nanos": i, "end_unix_nanos": i + 1, "attrs": {"step": i}}
    elif kind == "events":
        d = {"schema_version": 1, "ts_unix_nanos": i, "trace_id": TRACE, "span_id": None, "name": "e",
             "attrs": {"k": "v"}}
    else:
        d = {"schema_version": 1, "ts_unix_nanos": i, "trace_id": TRACE, "span_id": None, "name": "m",
             "value": i * 0.5, "unit": None, "attrs": {"step": i}}
    return orjson.dumps(d)


def _mutate(line: bytes, how: int, pos: int, byte: int) -> bytes:
    if not line:
        return bytes([byte])
    pos %= len(line)
    if how == 0:
        return line[:pos]  # torn
    if how == 1:
        return line[:pos] + bytes([byte]) + line[pos + 1 :]  # flipped byte
    if how == 2:
        return line[:pos] + bytes([byte]) + line[pos:]  # inserted byte
    if how == 3:
        return line + line  # two records on one line
    if how == 4:
        return line.replace(b":", b": ", 1)  # whitespace
    return line.upper()


line_st = st.one_of(
    st.builds(lambda i, k: ("good", i), st.integers(0, 50), st.just(0)),
    st.builds(lambda i, how, pos, b: ("bad", i, how, pos, b), st.integers(0, 50), st.integers(0, 5),
              st.integers(0, 400), st.integers(0, 255)),
    st.sampled_from([("raw", b""), ("raw", b"   "), ("raw", b"\r"), ("raw", b"\xff\xfe"), ("raw", b"{}"),
                     ("raw", b"null"), ("raw", "\u00a0".encode()), ("raw", "\ufeff".encode()), ("raw", b"[]")]),
)


def _render(spec, kind: str) -> bytes:
    if spec[0] == "good":
        return _good(spec[1], kind)
    if spec[0] == "bad":
        return _mutate(_good(spec[1], kind), *spec[2:])
    return spec[1]


def _read(kind: str, data: bytes, cuts: list[int], max_line_bytes: int = 300):
    f = NdjsonFile(kind, f"{kind}.ndjson", max_line_bytes=max_line_bytes)
    prev = 0
    for c in [*sorted(set(c for c in cuts if 0 < c < len(data))), len(data)]:
        f.feed(data[prev:c])
        prev = c
    return f.close()


def _same(a, b) -> None:
    assert a.findings == b.findings
    assert a.upstream_error == b.upstream_error
    ta, tb = a.table, b.table
    assert np.array_equal(ta.line, tb.line)
    assert np.array_equal(ta.trace, tb.trace) and ta.trace_ids == tb.trace_ids
    assert np.array_equal(ta.span_id, tb.span_id) and ta.names == tb.names
    assert [ta.attrs.text(i) for i in range(len(ta))] == [tb.attrs.text(i) for i in range(len(tb))]
    if hasattr(ta, "value"):
        assert np.array_equal(ta.value, tb.value, equal_nan=True)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["spans", "events", "metrics"]), st.lists(line_st, max_size=25),
       st.sampled_from([b"\n", b"\r\n"]), st.booleans(), st.lists(st.integers(0, 4000), max_size=8),
       st.sampled_from([300, 1 << 20]))
def test_random_lines_any_chunking(kind, specs, eol, final_eol, cuts, limit):
    """Same findings, verdict and table whatever the chunk boundaries (B-140, B-141)."""
    data = eol.join(_render(s, kind) for s in specs) + (eol if final_eol and specs else b"")
    whole = _read(kind, data, [], limit)
    _same(whole, _read(kind, data, cuts, limit))
    _same(whole, _read(kind, data, list(range(1, len(data), 7)), limit))
    # every row points at a line that exists; upstream fails iff some line is not readable for it
    nlines = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    assert all(1 <= n <= nlines for n in whole.table.line.tolist())
    if whole.upstream_error is None:
        assert not [f for f in whole.findings if f.code in ("NDJSON_PARSE_ERROR", "NDJSON_INVALID_UTF8")]


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=600), st.lists(st.integers(0, 600), max_size=6), st.sampled_from(["spans", "metrics"]))
def test_random_bytes_never_raise(data, cuts, kind):
    _same(_read(kind, data, []), _read(kind, data, cuts))


def test_two_records_on_one_line_are_not_split():
    """A line holding two records is one bad line (upstream: trailing characters), even when another
    record spread over two lines keeps the element count equal (the block fast path must notice)."""
    a, b, c = (_good(i, "spans") for i in range(3))
    cut = c.index(b',"name"')
    data = a + b"," + b + b"\n" + c[:cut] + b"\n" + c[cut + 1 :] + b"\n"
    r = _read("spans", data, [], max_line_bytes=1 << 20)
    assert r.upstream_error.startswith("invalid ndjson at line 1: trailing characters")
    assert len(r.table) == 0
    assert [f.line for f in r.findings if f.code == "NDJSON_PARSE_ERROR"] == [1, 2, 3]
