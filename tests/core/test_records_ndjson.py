"""Line splitting (§16.2), per-line recovery (F-10) and content findings of the records reader."""

from __future__ import annotations

import math

import numpy as np
import orjson
import pytest

from swarmview.core.records import NdjsonFile, load_records
from swarmview.core.records.notes import LINE_CAP

TRACE = "0123456789abcdef0123456789abcdef"


def span(i: int, *, parent: str | None = None, name: str = "op/x", attrs: dict | None = None,
         end: int | None = 2000, trace: str = TRACE) -> dict:
    return {"schema_version": 1, "trace_id": trace, "span_id": f"{i + 1:016x}", "parent_span_id": parent,
            "name": name, "start_unix_nanos": 1000 + i, "end_unix_nanos": end, "attrs": attrs or {}}


def metric(i: int, value, *, attrs: dict | None = None, unit: str | None = None, name: str = "train/loss") -> dict:
    return {"schema_version": 1, "ts_unix_nanos": 1000 + i, "trace_id": TRACE, "span_id": None, "name": name,
            "value": value, "unit": unit, "attrs": attrs if attrs is not None else {"step": i}}


def line(d: dict) -> bytes:
    return orjson.dumps(d)


def read(kind: str, data: bytes, *, chunk: int | None = None, **kw):
    f = NdjsonFile(kind, f"{kind}.ndjson", **kw)
    step = chunk or max(len(data), 1)
    for i in range(0, len(data), step):
        f.feed(data[i : i + step])
    return f.close()


def by_code(r, code):
    return [f for f in r.findings if f.code == code]


def test_blank_whitespace_and_crlf_lines_B140():
    """B-140: blank and Rust-whitespace-only lines are skipped, CRLF accepted, every line counted."""
    nbsp, ideo = "\u00a0".encode(), "\u3000".encode()
    data = b"".join([
        line(span(0)) + b"\r\n",
        b"\n",
        b"  \t\r\n",
        nbsp + ideo + b"\n",
        line(span(1)) + b"\n",
        b"\x0b\x0c\n",
    ])  # fmt: skip
    for chunk in (None, 1, 3, 64):
        r = read("spans", data, chunk=chunk)
        assert r.upstream_error is None
        assert r.table.line.tolist() == [1, 5]
        assert [f.line for f in by_code(r, "NDJSON_BLANK_LINE")] == [2, 3, 4, 6]
        assert {f.severity for f in r.findings} == {"info"}
        (crlf,) = by_code(r, "NON_CANONICAL_JSON")
        assert "CRLF line ending" in crlf.message and crlf.line == 1 and crlf.found == 2


def test_bom_and_file_separator_are_not_whitespace():
    """U+FEFF and U+001C..U+001F are not Rust whitespace: such lines are parse errors, as upstream says."""
    r = read("spans", "\ufeff".encode() + b"\n" + line(span(0)) + b"\n")
    assert r.upstream_error == "invalid ndjson at line 1: expected value at line 1 column 1"
    assert [(f.code, f.line) for f in r.findings] == [("NDJSON_PARSE_ERROR", 1)]
    r = read("spans", b"\x1c\n")
    assert r.upstream_error.startswith("invalid ndjson at line 1: expected value")


def test_invalid_utf8_B141():
    """B-141: invalid UTF-8 → upstream's whole-file text; swarmview names line and byte and reads the rest."""
    good = line(span(0)) + b"\n"
    bad = line(span(1)).replace(b"op/x", b"op/\xff") + b"\n"
    data = good + bad + line(span(2)) + b"\n"
    for chunk in (None, 5, 100):
        r = read("spans", data, chunk=chunk)
        assert r.upstream_error == "stream did not contain valid UTF-8"
        (f,) = by_code(r, "NDJSON_INVALID_UTF8")
        assert f.line == 2 and f.severity == "error"
        at = len(good) + bad.index(b"\xff")
        assert f.message == f"spans.ndjson:2: not valid UTF-8 at byte {at}"
        assert r.table.line.tolist() == [1, 3]


def test_first_failing_line_decides_upstreams_message_B141():
    data = line(span(0)) + b"\n" + b'{"schema_version":1,}\n' + b"\xc3\n"
    r = read("spans", data)
    assert r.upstream_error == "invalid ndjson at line 2: trailing comma at line 1 column 21"
    assert [(f.code, f.line) for f in r.findings if f.severity == "error"] == [
        ("NDJSON_PARSE_ERROR", 2), ("NDJSON_INVALID_UTF8", 3)]


def test_zero_ids_B038():
    """B-038: an all-zero id was written without complaint; upstream's reader refuses it (F-09)."""
    zero = span(0, trace="0" * 32)
    data = line(span(1)) + b"\n" + line(zero) + b"\n"
    r = read("spans", data)
    assert r.upstream_error == "invalid ndjson at line 2: all-zero id is invalid at line 1 column 65"
    (f,) = by_code(r, "ZERO_ID")
    assert f.line == 2 and f.severity == "error" and "trace_id is all zeros" in f.message
    assert len(r.table) == 2  # swarmview still shows it
    zs = dict(span(2), span_id="0" * 16)
    r = read("spans", line(zs) + b"\n")
    assert by_code(r, "ZERO_ID") and r.upstream_error.startswith("invalid ndjson at line 1: all-zero id is invalid")


def test_invalid_ids_are_reported_and_skipped():
    bad = dict(span(0), span_id="abcd")
    r = read("spans", line(span(1)) + b"\n" + line(bad) + b"\n")
    (f,) = by_code(r, "INVALID_ID")
    assert f.line == 2 and 'span_id "abcd" is not 16 hexadecimal digits' in f.message
    assert r.upstream_error.startswith("invalid ndjson at line 2: invalid id length at line 1 column")
    assert r.table.line.tolist() == [1]


def test_record_bounds_not_checked_on_read_B046():
    """B-046: oversized records load (upstream's reader checks no bound); swarmview warns (F-30)."""
    attrs = {f"k{i:03d}": i for i in range(65)}
    recs = [
        span(0, name="n" * 300),
        span(1, attrs=attrs),
        span(2, attrs={"k" * 129: 1}),
        span(3, attrs={"v": "x" * 1025}),
        span(4, name="n" * 256, attrs={"k" * 128: "x" * 1024}),  # exactly at the limits (B-044)
    ]
    r = read("spans", b"".join(line(d) + b"\n" for d in recs))
    assert r.upstream_error is None and len(r.table) == 5
    found = by_code(r, "RECORD_BOUNDS_EXCEEDED")
    assert [f.line for f in found] == [1, 2, 3, 4]
    assert {f.severity for f in found} == {"warning"}
    assert "name is 300 bytes (upstream writer limit 256)" in found[0].message
    m = read("metrics", line(metric(0, 1.0, unit="u" * 65)) + b"\n")
    assert [f.message for f in by_code(m, "RECORD_BOUNDS_EXCEEDED")] == [
        "metrics.ndjson:1: unit is 65 bytes (upstream writer limit 64)"]


def test_metric_value_null_B047():
    """B-047: ``"value":null`` (NaN written by upstream) is read as NaN with a warning."""
    data = line(metric(0, 1.0)) + b"\n" + line(metric(1, None)) + b"\n" + line(metric(2, 3)) + b"\n"
    r = read("metrics", data)
    assert r.upstream_error.startswith("invalid ndjson at line 2: invalid type: null, expected f64 at line 1 column")
    assert [f.line for f in by_code(r, "NONFINITE_AS_NULL")] == [2]
    assert r.table.value[0] == 1.0 and math.isnan(r.table.value[1]) and r.table.value[2] == 3.0


def test_attr_null_B048():
    """B-048: an F64 attribute written as null is NaN for swarmview and fatal upstream."""
    r = read("metrics", line(metric(0, 1.0, attrs={"a": None, "step": 0})) + b"\n")
    assert "untagged enum AttrValue" in r.upstream_error
    assert [f.line for f in by_code(r, "NONFINITE_AS_NULL")] == [1]
    a = r.table.attrs.get(0)
    assert math.isnan(a["a"]) and a["step"] == 0


def test_duplicate_keys_F20():
    """B-019: duplicate struct key → error (last value read); duplicate attrs key → warning (last wins)."""
    dup_struct = line(span(0))[:-1].replace(b'"name":"op/x"', b'"name":"op/a","name":"op/b"') + b"}"
    dup_attrs = line(span(1, attrs={"lr": 1}))[:-2] + b',"lr":2}}'
    r = read("spans", dup_struct + b"\n" + dup_attrs + b"\n")
    d = by_code(r, "DUPLICATE_KEY")
    assert [(f.line, f.severity) for f in d] == [(1, "error"), (2, "warning")]
    assert 'key "name" appears 2 times' in d[0].message and 'key "lr" appears 2 times' in d[1].message
    assert r.table.name_of(0) == "op/b" and r.table.attrs.get(1) == {"lr": 2}
    assert r.upstream_error.startswith("invalid ndjson at line 1: duplicate field `name`")


def test_unknown_fields_are_coalesced_B018():
    data = b"".join(line(dict(span(i), owner="me")) + b"\n" for i in range(50))
    r = read("spans", data)
    assert r.upstream_error is None and len(r.table) == 50
    (f,) = by_code(r, "UNKNOWN_FIELD")
    assert f.line == 1 and f.found == 50 and 'unknown key "owner" ignored' in f.message


def test_non_canonical_layout_is_read():
    pretty = b'{"schema_version": 1, "ts_unix_nanos": 5, "trace_id": "%s", "span_id": null, "name": "m", "value": 1e2, "unit": null, "attrs": {}}' % TRACE.encode()
    r = read("metrics", pretty + b"\n")
    assert r.upstream_error is None and r.table.value.tolist() == [100.0]
    assert [f.severity for f in r.findings] == ["info"]


def test_torn_last_line_that_parses_is_a_warning():
    data = line(span(0)) + b"\n" + line(span(1))
    r = read("spans", data, chunk=7)
    (f,) = by_code(r, "NDJSON_TORN_LAST_LINE")
    assert (f.line, f.severity) == (2, "warning")
    assert r.upstream_error is None and r.table.line.tolist() == [1, 2]


@pytest.mark.parametrize("chunk", [None, 10, 33])
def test_line_too_long(chunk):
    long_attrs = {"v": "x" * 200}
    data = line(span(0)) + b"\n" + line(span(1, attrs=long_attrs)) + b"\n" + line(span(2)) + b"\n"
    limit = len(line(span(0))) + 5
    r = read("spans", data, chunk=chunk, max_line_bytes=limit)
    (f,) = by_code(r, "LINE_TOO_LONG")
    assert f.line == 2 and f.message == f"spans.ndjson:2: line longer than {limit} bytes"
    assert r.table.line.tolist() == [1, 3]


def test_unknown_parent_span_F30():
    recs = [span(0), span(1, parent=f"{1:016x}"), span(2, parent="00000000000000ff"),
            span(3, parent=f"{1:016x}", trace="f" * 32)]  # same id, other trace: unknown there
    r = read("spans", b"".join(line(d) + b"\n" for d in recs))
    found = by_code(r, "UNKNOWN_PARENT_SPAN")
    assert [f.line for f in found] == [3, 4]
    assert found[0].message == f"spans.ndjson:3: parent_span_id 00000000000000ff matches no span of trace {TRACE}"


def test_findings_are_capped_per_code():
    data = b"".join(line(metric(i, None)) + b"\n" for i in range(LINE_CAP + 30))
    r = read("metrics", data)
    listed = by_code(r, "NONFINITE_AS_NULL")
    assert len(listed) == LINE_CAP + 1
    (summary,) = [f for f in listed if f.line is None]
    assert summary.found == LINE_CAP + 30 and "30 more NONFINITE_AS_NULL findings" in summary.message
    assert len(r.table) == LINE_CAP + 30


def test_empty_file_and_empty_feeds():
    r = read("events", b"")
    assert len(r.table) == 0 and r.findings == [] and r.upstream_error is None
    f = NdjsonFile("metrics", "metrics.ndjson")
    f.feed(b"")
    assert len(f.close().table) == 0


def test_load_records_and_cancel(tmp_path):
    import threading

    p = tmp_path / "metrics.ndjson"
    p.write_bytes(b"".join(line(metric(i, i * 0.5, unit="s")) + b"\n" for i in range(1000)))
    r = load_records("metrics", p, "metrics.ndjson")
    assert len(r.table) == 1000 and r.table.units == ["s"] and np.all(r.table.unit == 0)
    ev = threading.Event()
    ev.set()
    with pytest.raises(InterruptedError):
        load_records("metrics", p, "metrics.ndjson", cancel=ev)


def test_big_ints_and_minus_zero_in_attrs_B027():
    """Attr ints ≤ 2**63-1 are I64, larger U64, ``-0`` is F64(-0.0) — orjson alone would say int 0."""
    raw = line(span(0))[:-3] + b'{"a":18446744073709551615,"b":-0,"c":9223372036854775807}}'
    r = read("spans", raw + b"\n")
    a = r.table.attrs.get(0)
    assert a["a"] == 18446744073709551615 and a["c"] == 2**63 - 1
    assert type(a["b"]) is float and math.copysign(1, a["b"]) == -1.0


def test_attr_text_with_brace_patterns_and_empty_maps():
    """Row boundaries inside the attribute text are found even when strings look like boundaries."""
    tricky = [{}, {"s": "},{}"}, {}, {"s": '},{"x":1}'}, {"a": "{", "b": "}"}, {}]
    recs = [span(i, attrs=a) for i, a in enumerate(tricky)]
    for chunk in (None, 50):
        r = read("spans", b"".join(line(d) + b"\n" for d in recs), chunk=chunk)
        assert r.upstream_error is None and r.findings == []
        assert [r.table.attrs.get(i) for i in range(len(tricky))] == tricky == r.table.attrs.all()
        assert [r.table.attrs.text(i) for i in range(len(tricky))] == [orjson.dumps(a) for a in tricky]


def test_attr_column_across_many_chunks():
    """Small feeds make many internal chunks; every row's attributes still come back exactly."""
    from tests.helpers import FIXTURES

    data = (FIXTURES / "rich" / "spans.ndjson").read_bytes()
    r = read("spans", data, chunk=500)
    lines = data.split(b"\n")[:-1]
    assert len(r.table) == len(lines) == 226
    expected = [orjson.loads(ln)["attrs"] for ln in lines]
    assert r.table.attrs.all() == expected
    assert [r.table.attrs.get(i) for i in range(226)] == expected
    assert r.table.attrs.get(-1) == expected[-1]
    with pytest.raises(IndexError):
        r.table.attrs.get(226)


def test_long_attr_key_flagged_on_every_line_B046():
    """A key over 128 bytes is reported on each line using it, also in later blocks of the file."""
    key = "k" * 129
    recs = [span(i, attrs={key: i}) for i in range(3000)]
    r = read("spans", b"".join(line(d) + b"\n" for d in recs), chunk=1 << 20)
    found = [f for f in r.findings if f.code == "RECORD_BOUNDS_EXCEEDED"]
    assert len([f for f in found if f.line is not None]) == LINE_CAP
    assert [f.found for f in found if f.line is None] == [3000]


def test_upstream_stops_at_the_first_refusal_on_a_line():
    """Duplicate struct key first, syntax error later: upstream names the duplicate (B-019)."""
    text = line(span(0))[:-1].replace(b'"name":"op/x"', b'"name":"a","name":"b"') + b',"x":}'
    r = read("spans", text + b"\n")
    assert r.upstream_error.startswith("invalid ndjson at line 1: duplicate field `name` at line 1 column")
    assert [f.code for f in r.findings] == ["NDJSON_PARSE_ERROR"]


@pytest.mark.parametrize("chunk", [None, 97])
def test_crlf_file_fast_path_keeps_line_numbers_B140(chunk):
    recs = [metric(i, None if i == 9 else float(i)) for i in range(50)]
    r = read("metrics", b"".join(line(d) + b"\r\n" for d in recs), chunk=chunk)
    assert r.table.line.tolist() == list(range(1, 51))
    assert [f.line for f in by_code(r, "NONFINITE_AS_NULL")] == [10]
    assert r.upstream_error.startswith("invalid ndjson at line 10: invalid type: null, expected f64")
    (crlf,) = by_code(r, "NON_CANONICAL_JSON")
    assert (crlf.line, crlf.found) == (1, 50)
