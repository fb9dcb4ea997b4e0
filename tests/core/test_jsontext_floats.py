"""Float text and number reading against upstream's vectors (B-013, B-022, B-029)."""

from __future__ import annotations

import json
import math
import struct

import pytest

from swarmview.core.jsontext import JsonError, decode, dumps_compact, format_f64, parse_number_upstream
from swarmview.core.jsontext.numparse import UpstreamNumberError, _slow_scan, scan_number
from swarmview.core.jsontext.schema import F64, U64, Vec
from swarmview.core.jsontext.types import METRIC_RECORD
from tests.helpers import VECTORS


def _f64(bits: str) -> float:
    return struct.unpack(">d", bytes.fromhex(bits))[0]


def _bits(x: float) -> str:
    return struct.pack(">d", x).hex()


_VEC_F64 = Vec(F64)
FORMAT = [json.loads(line) for line in (VECTORS / "serde_json_f64_format.ndjson").open()]
PARSE = [json.loads(line) for line in (VECTORS / "serde_json_f64_parse.ndjson").open()]


def test_b013_format_vectors_all_20000() -> None:
    """B-013: every one of the 20,000 texts of serde_json_f64_format.ndjson, null for NaN/inf."""
    assert len(FORMAT) == 20000
    bad = [(d["bits"], d["text"], format_f64(_f64(d["bits"]))) for d in FORMAT if format_f64(_f64(d["bits"])) != d["text"]]
    assert bad == [], f"{len(bad)}/20000 differ, e.g. {bad[:3]}"


@pytest.mark.parametrize(
    ("value", "text"),
    [(1.0, "1.0"), (0.1, "0.1"), (1e16, "1e+16"), (1e-5, "0.00001"), (1e-6, "1e-6"), (-0.0, "-0.0"),
     (1e15, "1000000000000000.0"), (5e-324, "5e-324"), (1.7976931348623157e308, "1.7976931348623157e+308"),
     (float("nan"), "null"), (float("inf"), "null"), (float("-inf"), "null"), (-12.34, "-12.34")],
)
def test_b013_layout_examples(value: float, text: str) -> None:
    """B-013: the zmij layout of §2.4 (decimal for 1e-5 <= |x| < 1e16, `e+`/`e-` outside)."""
    assert format_f64(value) == text


def test_b013_nonfinite_written_as_null_in_records() -> None:
    """B-013: a metric whose value is NaN is written with `"value":null`."""
    rec = {"schema_version": 1, "ts_unix_nanos": 1, "trace_id": "01" * 16, "span_id": None, "name": "m",
           "value": float("nan"), "unit": None, "attrs": {"x": float("inf")}}
    assert b'"value":null' in dumps_compact(rec, METRIC_RECORD)
    assert b'"attrs":{"x":null}' in dumps_compact(rec, METRIC_RECORD)


def test_b029_parse_vectors_all_5221() -> None:
    """B-029: upstream's (not correctly rounded) result or error for all 5,221 texts, and
    `float()` gives the correctly rounded bits."""
    assert len(PARSE) == 5221
    bad = []
    for d in PARSE:
        try:
            got, err = _bits(float(parse_number_upstream(d["text"]))), None
        except UpstreamNumberError as exc:
            got, err = None, exc.serde_text
        if got != d["upstream_bits"] or err != d.get("upstream_error"):
            bad.append((d["text"], got, err))
        if d["text"] not in ("NaN", "Infinity"):
            assert _bits(float(d["text"].replace("+", "", 1) if d["text"].startswith("+") else d["text"])) == d["correctly_rounded_bits"]
    assert bad == [], f"{len(bad)}/5221 differ, e.g. {bad[:3]}"


def test_b029_decode_upstream_and_exact_modes_agree_with_vectors() -> None:
    """B-029 through the decoder: `floats="upstream"` gives upstream_bits, `"exact"` the
    correctly rounded bits; rejected texts raise the same error in both modes."""
    for d in PARSE:
        for mode, key in (("upstream", "upstream_bits"), ("exact", "correctly_rounded_bits")):
            try:
                got = _bits(decode(d["text"], F64, floats=mode))  # type: ignore[arg-type]
                err = None
            except JsonError as exc:
                got, err = None, exc.serde_text()
            if d["upstream_bits"] is None:
                assert err == d["upstream_error"], d
            else:
                assert got == d[key], (d, mode)


def test_b029_formatted_texts_not_listed_parse_back_exactly() -> None:
    """B-029: texts of the format file that the parse file does not list read back to their bits."""
    listed = {d["text"] for d in PARSE if d["why"] == "fmt"}
    assert len(listed) == 4276
    for d in FORMAT:
        if d["text"] != "null" and d["text"] not in listed:
            assert _bits(float(parse_number_upstream(d["text"]))) == d["bits"]


def test_b029_examples() -> None:
    """B-029: 9007199254740993 into an f64 becomes 9007199254740992; 1.7976931348623158e308 is refused."""
    assert decode("9007199254740993", F64) == 9007199254740992.0
    with pytest.raises(JsonError, match="number out of range at line 1 column 22"):
        decode("1.7976931348623158e308", F64)
    assert _bits(decode("1e-30", F64, floats="upstream")) != _bits(1e-30)
    assert decode("1e-30", F64) == 1e-30


@pytest.mark.parametrize(
    ("text", "message"),
    [("NaN", "expected value at line 1 column 1"), ("Infinity", "expected value at line 1 column 1"),
     ("-Infinity", "invalid number at line 1 column 2"), ("1e309", "number out of range at line 1 column 5"),
     ("01", "invalid number at line 1 column 2"), ("1.", "EOF while parsing a value at line 1 column 2"),
     ("1.x", "invalid number at line 1 column 3"), ("1e", "EOF while parsing a value at line 1 column 2"),
     ("-", "EOF while parsing a value at line 1 column 1"), ("+1", "expected value at line 1 column 1")],
)
def test_b022_number_literals_refused(text: str, message: str) -> None:
    """B-022: NaN/Infinity are not values, -Infinity is an invalid number, 1e309 is out of range."""
    with pytest.raises(JsonError) as exc:
        decode(text, F64)
    assert exc.value.serde_text() == message


def test_integer_texts_keep_integer_type() -> None:
    """§2.7 step 2: integers stay integers (u64 / negative i64); -0 and overflow become floats."""
    assert parse_number_upstream("18446744073709551615") == 18446744073709551615
    assert parse_number_upstream("-9223372036854775808") == -(1 << 63)
    assert isinstance(parse_number_upstream("18446744073709551616"), float)
    zero = parse_number_upstream("-0")
    assert isinstance(zero, float) and math.copysign(1.0, zero) < 0
    assert decode("18446744073709551615", U64) == (1 << 64) - 1


def test_quirks_of_the_long_integer_path() -> None:
    """serde_json accepts `18446744073709551616.` (no fraction digit after an overflowed integer)
    and refuses `18446744073709551619.5` (the fraction fits and leaves the exponent at 0)."""
    assert parse_number_upstream("18446744073709551616.") == 18446744073709551616.0
    with pytest.raises(UpstreamNumberError, match="EOF while parsing a value"):
        parse_number_upstream("18446744073709551619.5")
    with pytest.raises(JsonError, match="invalid number at line 1 column 24"):
        decode("[18446744073709551619.5]", _VEC_F64)
    assert parse_number_upstream("1e-99999999999") == 0.0
    with pytest.raises(UpstreamNumberError, match="number out of range"):
        parse_number_upstream("1e99999999999")
    assert parse_number_upstream("0e99999999999") == 0.0


@pytest.mark.parametrize("text", [b"12.5e-3,", b"-0.000001]", b"123456789012345678.9e2}", b"7", b"1.25E+2 "])
def test_fast_and_exact_scanner_agree(text: bytes) -> None:
    """The regex fast path gives exactly what the byte-by-byte transcription gives."""
    assert scan_number(text, 0) == _slow_scan(text, 0)
