"""Span/event/metric appends: §4.5 bounds in upstream's order, value typing, exact NDJSON text (§2.3–§2.5)."""

from __future__ import annotations

import math
import random
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("swarmview.core.jsontext.encode")

from swarmview.core.errors import BundleWriteError
from swarmview.core.jsontext import types
from swarmview.core.jsontext.encode import U64, dumps_compact
from swarmview.core.writer import BundleWriter
from swarmview.core.writer import records as rec_text
from tests.core._writer_support import FIXTURE_CLOCK, SEC, assert_same_tree

TRACE = "0123456789abcdef0123456789abcdef"
SPAN = "0011223344556677"


@pytest.fixture
def writer(tmp_path: Path) -> BundleWriter:
    w = BundleWriter.create(tmp_path, bytes([1] * 16), clock_ns=FIXTURE_CLOCK)
    yield w
    w.close()


def _refused(call, message: str, kind: str = "InvalidInput") -> BundleWriteError:
    with pytest.raises(BundleWriteError) as info:
        call()
    assert (info.value.kind, info.value.message) == (kind, message)
    return info.value


def _text(writer: BundleWriter, rel: str) -> str:
    return (writer.root / rel).read_text(encoding="utf-8")


# --- bounds (§4.5) ---------------------------------------------------------------------------------


def test_b039_span_name_257_refused_nothing_appended(writer: BundleWriter) -> None:
    """B-039: a 257-byte span name → InvalidInput ``record name length 257 exceeds maximum``; no line."""
    _refused(lambda: writer.append_span(TRACE, SPAN, "n" * 257, 1), "record name length 257 exceeds maximum")
    assert _text(writer, "spans.ndjson") == ""


def test_b040_too_many_attrs(writer: BundleWriter) -> None:
    """B-040: 65 attributes on a span or an event → ``record attribute count 65 exceeds maximum``."""
    attrs = {f"k{i:02}": i for i in range(65)}
    _refused(lambda: writer.append_span(TRACE, SPAN, "s", 1, attrs=attrs), "record attribute count 65 exceeds maximum")
    _refused(lambda: writer.append_event(1, TRACE, "e", attrs=attrs), "record attribute count 65 exceeds maximum")
    assert _text(writer, "events.ndjson") == ""


def test_b041_valid_span_exact_line(writer: BundleWriter) -> None:
    """B-041 / B-010 / B-011: ``ok`` with one string attr is written compactly, nulls kept, one ``\\n``."""
    writer.append_span(TRACE, SPAN, "ok", 5, attrs={"k": "v"})
    assert _text(writer, "spans.ndjson") == (
        '{"schema_version":1,"trace_id":"0123456789abcdef0123456789abcdef","span_id":"0011223344556677",'
        '"parent_span_id":null,"name":"ok","start_unix_nanos":5,"end_unix_nanos":null,"attrs":{"k":"v"}}\n'
    )


def test_b042_metric_with_unit(writer: BundleWriter) -> None:
    """B-042 / B-011: a metric with unit ``count``; ``span_id`` none is written ``null``."""
    writer.append_metric(7, TRACE, "m", 3, unit="count")
    assert _text(writer, "metrics.ndjson") == (
        '{"schema_version":1,"ts_unix_nanos":7,"trace_id":"0123456789abcdef0123456789abcdef","span_id":null,'
        '"name":"m","value":3.0,"unit":"count","attrs":{}}\n'
    )


def test_b043_unit_65_refused(writer: BundleWriter) -> None:
    """B-043: a 65-byte unit → ``metric unit length 65 exceeds maximum``."""
    _refused(lambda: writer.append_metric(1, TRACE, "m", 1.0, unit="u" * 65), "metric unit length 65 exceeds maximum")


def test_b044_limits_inclusive_and_in_bytes(writer: BundleWriter) -> None:
    """B-044: exactly 256/64/128/1024/64 pass; lengths are UTF-8 bytes (``é`` counts 2)."""
    attrs = {f"{i:03}" + "k" * 125: "v" * 1024 for i in range(64)}
    writer.append_metric(1, TRACE, "n" * 256, 1.0, unit="u" * 64, attrs=attrs)
    writer.append_span(TRACE, SPAN, "é" * 128, 1)
    _refused(lambda: writer.append_span(TRACE, SPAN, "é" * 129, 1), "record name length 258 exceeds maximum")
    _refused(lambda: writer.append_event(1, TRACE, "e", attrs={"ü" * 65: 1}),
             f"attribute key '{'ü' * 65}' length 130 exceeds maximum")  # fmt: skip
    _refused(lambda: writer.append_event(1, TRACE, "e", attrs={"k": "€" * 342}),
             "string attribute value for key 'k' length 1026 exceeds maximum")  # fmt: skip
    assert len(_text(writer, "metrics.ndjson").splitlines()) == 1


def test_b045_check_order(writer: BundleWriter) -> None:
    """B-045: name, then count, then per key (byte order) its key then its string value, then unit."""
    long_key = "k" * 129
    _refused(lambda: writer.append_metric(1, TRACE, "n" * 300, 1.0, unit="u" * 99, attrs={long_key: 1}),
             "record name length 300 exceeds maximum")  # fmt: skip
    many = {long_key: 1, **{f"a{i}": 1 for i in range(64)}}
    _refused(lambda: writer.append_metric(1, TRACE, "m", 1.0, attrs=many), "record attribute count 65 exceeds maximum")
    # "a" sorts before "b": a's long string value is reported before b's long key.
    _refused(lambda: writer.append_event(1, TRACE, "e", attrs={"b" + "k" * 128: 1, "a": "v" * 1025}),
             "string attribute value for key 'a' length 1025 exceeds maximum")  # fmt: skip
    _refused(lambda: writer.append_event(1, TRACE, "e", attrs={"a" + "k" * 128: "v" * 2000}),
             f"attribute key 'a{'k' * 128}' length 129 exceeds maximum")  # fmt: skip
    _refused(lambda: writer.append_metric(1, TRACE, "m", 1.0, unit="u" * 65, attrs={"z": "v" * 1025}),
             "string attribute value for key 'z' length 1025 exceeds maximum")  # fmt: skip


# --- values ----------------------------------------------------------------------------------------


def test_nonfinite_refused_unless_upstream_mode(writer: BundleWriter) -> None:
    """F-08: NaN/±inf metric values and F64 attrs are refused (upstream writes null it cannot read back)."""
    for bad in (math.nan, math.inf, -math.inf, np.float32("nan")):
        with pytest.raises(BundleWriteError, match="F-08") as info:
            writer.append_metric(1, TRACE, "loss", bad)
        assert info.value.kind == "InvalidInput"
    with pytest.raises(BundleWriteError, match="attribute 'lr'"):
        writer.append_span(TRACE, SPAN, "s", 1, attrs={"lr": math.nan})
    assert _text(writer, "metrics.ndjson") == _text(writer, "spans.ndjson") == ""
    writer.allow_nonfinite = True
    writer.append_metric(1, TRACE, "loss", math.nan, attrs={"g": math.inf})
    assert '"value":null,"unit":null,"attrs":{"g":null}}\n' in _text(writer, "metrics.ndjson")


def test_attr_value_typing(writer: BundleWriter) -> None:
    """§4.4: bool before int; plain ints I64; U64 marks and ints above i64::MAX are u64; numpy converted."""
    attrs = {
        "b": True, "np_b": np.bool_(False), "i": -3, "np_i": np.int32(-7), "u": U64(5),
        "big": 2**63, "np_u": np.uint64(2**64 - 1), "f": 2.0, "np_f": np.float32(0.1), "s": "x",
    }  # fmt: skip
    rec = writer.append_event(1, TRACE, "e", attrs=attrs)
    assert type(rec["attrs"]["big"]) is U64 and type(rec["attrs"]["np_u"]) is U64
    assert type(rec["attrs"]["np_i"]) is int and rec["attrs"]["np_b"] is False
    assert _text(writer, "events.ndjson").endswith(
        '"attrs":{"b":true,"big":9223372036854775808,"f":2.0,"i":-3,"np_b":false,"np_f":0.10000000149011612,'
        '"np_i":-7,"np_u":18446744073709551615,"s":"x","u":5}}\n'
    )
    _refused(lambda: writer.append_event(1, TRACE, "e", attrs={"x": 2**64}), "attribute 'x' 18446744073709551616 fits neither i64 nor u64")
    with pytest.raises(BundleWriteError, match="unsupported type list"):
        writer.append_event(1, TRACE, "e", attrs={"x": [1]})
    with pytest.raises(BundleWriteError, match="u64 range"):
        writer.append_event(-1, TRACE, "e")
    with pytest.raises(BundleWriteError, match="beyond the f64 range"):
        writer.append_metric(1, TRACE, "m", 10**400)
    writer.append_metric(1, TRACE, "m", np.int64(3))  # integers are exact f64 values here
    assert '"value":3.0,' in _text(writer, "metrics.ndjson")


def test_zero_and_malformed_ids_refused(writer: BundleWriter) -> None:
    """F-09: all-zero ids are refused (upstream writes them, then its reader fails); bytes ids accepted."""
    with pytest.raises(BundleWriteError, match="all zeros"):
        writer.append_span("0" * 32, SPAN, "s", 1)
    with pytest.raises(BundleWriteError, match="parent_span_id is all zeros"):
        writer.append_span(TRACE, SPAN, "s", 1, parent_span_id=bytes(8))
    with pytest.raises(BundleWriteError, match="16 hex digits"):
        writer.append_event(1, TRACE, "e", span_id="xyz")
    rec = writer.append_span(bytes.fromhex(TRACE.upper()), SPAN.upper(), "s", 1)
    assert (rec["trace_id"], rec["span_id"]) == (TRACE, SPAN)  # B-035: written lowercase


def test_b012_b013_b014_text_rules(writer: BundleWriter) -> None:
    """B-012 keys by UTF-8 bytes; B-013 zmij float layout; B-014 only ``"``, ``\\`` and controls escaped."""
    attrs = {"é": 1, "Z": 2, "a": 3, "~": 4}
    writer.append_event(1, TRACE, "e", attrs=attrs)
    assert '"attrs":{"Z":2,"a":3,"~":4,"é":1}' in _text(writer, "events.ndjson")
    for value, text in [(1.0, "1.0"), (0.1, "0.1"), (1e16, "1e+16"), (1e-5, "0.00001"), (1e-6, "1e-6"),
                        (-0.0, "-0.0"), (5e-324, "5e-324"), (123456789012345.6, "123456789012345.6")]:  # fmt: skip
        writer.append_metric(1, TRACE, "m", value)
        assert _text(writer, "metrics.ndjson").splitlines()[-1].split('"value":')[1].startswith(text + ",")
    writer.append_event(2, TRACE, 'q"\\/\b\t\n\f\r\x01\x1f\x7f é\u2028', attrs={"k": "\x00"})
    assert _text(writer, "events.ndjson").split("\n")[-2].endswith(
        '"name":"q\\"\\\\/\\b\\t\\n\\f\\r\\u0001\\u001f\x7f é\u2028","attrs":{"k":"\\u0000"}}'
    )
    with pytest.raises(BundleWriteError, match="surrogate"):
        writer.append_event(1, TRACE, "bad\ud800")


# --- batches and the fast formatter ----------------------------------------------------------------


def _random_records(seed: int, n: int) -> tuple[list[dict], list[dict], list[dict]]:
    """Records exercising every text path: floats of all magnitudes, escapes, Unicode, ints, optional ids."""
    rnd = random.Random(seed)
    names = ["train/loss", "op/x", "ü/名前", 'q"\\\n', "a\x7f", "s" * 256]

    def value() -> object:
        kind = rnd.randrange(7)
        if kind == 0:
            return rnd.choice([True, False])
        if kind == 1:
            return rnd.randrange(-(2**63), 2**63)
        if kind == 2:
            return U64(rnd.randrange(0, 2**64))
        if kind == 3:
            return rnd.choice(names)
        if kind == 4:
            return float(np.frombuffer(rnd.randbytes(8), dtype="<f8")[0])
        return rnd.choice([0.0, -0.0, 1e-5, 1e-4, 9.999e-5, 1e15, 1e16, 9999999999999998.0, 0.1, 5e-324, -1.5e300])

    def finite(v: object) -> bool:
        return not (isinstance(v, float) and not math.isfinite(v))

    def attrs() -> dict:
        out = {rnd.choice(names[:5]) + str(rnd.randrange(9)): value() for _ in range(rnd.randrange(6))}
        return {k: v for k, v in out.items() if finite(v)}

    def sid() -> str:
        return rnd.randbytes(8).hex() if rnd.random() < 0.7 else None

    spans, events, metrics = [], [], []
    for _ in range(n):
        start = rnd.randrange(0, 2**64)
        spans.append({"trace_id": rnd.randbytes(16).hex(), "span_id": rnd.randbytes(8).hex(),
                      "name": rnd.choice(names), "start_unix_nanos": start,
                      "end_unix_nanos": rnd.choice([None, start]), "parent_span_id": sid(), "attrs": attrs()})  # fmt: skip
        events.append({"ts_unix_nanos": start, "trace_id": rnd.randbytes(16), "name": rnd.choice(names),
                       "span_id": sid(), "attrs": attrs()})  # fmt: skip
        v = value()
        v = float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and finite(v) else 0.25
        metrics.append({"ts_unix_nanos": start, "trace_id": rnd.randbytes(16).hex(), "name": rnd.choice(names),
                        "value": v, "span_id": sid(), "unit": rnd.choice([None, "By", "samples/s", "é"]),
                        "attrs": attrs()})  # fmt: skip
    return spans, events, metrics


def test_fast_formatter_equals_encoder() -> None:
    """The bulk formatter is byte-identical to ``jsontext.dumps_compact`` on 3×3000 varied records."""
    spans, events, metrics = _random_records(1, 3000)
    for items, prepare, line, schema in [
        (spans, rec_text.prepare_span, rec_text.span_line, types.SPAN_RECORD),
        (events, rec_text.prepare_event, rec_text.event_line, types.EVENT_RECORD),
        (metrics, rec_text.prepare_metric, rec_text.metric_line, types.METRIC_RECORD),
    ]:
        for item in items:
            rec = prepare(**item)
            assert line(rec).encode() == dumps_compact(rec, schema)


def test_batch_appends_equal_one_by_one(tmp_path: Path) -> None:
    """``append_spans/events/metrics`` write the same bytes as the same records appended one by one."""
    spans, events, metrics = _random_records(2, 500)
    with BundleWriter.create(tmp_path / "a", bytes([1] * 16), clock_ns=FIXTURE_CLOCK) as one:
        for s in spans:
            one.append_span(**s)
        for e in events:
            one.append_event(**e)
        for m in metrics:
            one.append_metric(**m)
    with BundleWriter.create(tmp_path / "b", bytes([1] * 16), clock_ns=FIXTURE_CLOCK) as batch:
        assert batch.append_spans(spans) == 500
        batch.append_events(iter(events))
        batch.append_metrics(metrics)
    for rel in ("spans.ndjson", "events.ndjson", "metrics.ndjson"):
        assert (one.root / rel).read_bytes() == (batch.root / rel).read_bytes()
        assert (one.root / rel).read_bytes().count(b"\n") == 500


def test_batch_refuses_whole_chunk(writer: BundleWriter) -> None:
    """A refused record in a batch raises before its chunk is written."""
    good = {"ts_unix_nanos": 1, "trace_id": TRACE, "name": "m", "value": 1.0}
    with pytest.raises(BundleWriteError, match="F-08"):
        writer.append_metrics([good, {**good, "value": math.nan}])
    assert _text(writer, "metrics.ndjson") == ""


# --- upstream fixtures reproduced --------------------------------------------------------------------


def test_reproduces_nonfinite_fixture(tmp_path: Path) -> None:
    """``nonfinite``: six metrics (NaN, +inf, -inf written null) in upstream mode, then finalize: all bytes."""
    trace = "0000000000000000000000000000f10a"
    with BundleWriter.create(tmp_path, trace, clock_ns=FIXTURE_CLOCK, allow_nonfinite=True) as w:
        for step, value in enumerate([1.5, math.nan, math.inf, -math.inf, -0.0, 2.5]):
            w.append_metric(FIXTURE_CLOCK + (step + 1) * SEC, trace, "train/loss", value, attrs={"step": step})
        w.finalize_manifest()
        root = w.root
    assert_same_tree(root, "nonfinite")


def test_reproduces_nonfinite_attr_fixture(tmp_path: Path) -> None:
    """``nonfinite_attr``: two spans, F64 attrs NaN/+inf written null in upstream mode: all bytes."""
    trace = "0000000000000000000000000000f10b"
    with BundleWriter.create(tmp_path, trace, clock_ns=FIXTURE_CLOCK, allow_nonfinite=True) as w:
        w.append_span(trace, "8b06f3e9d131aa8e", "step", FIXTURE_CLOCK + 1000, FIXTURE_CLOCK + 2000, attrs={"ok": 0.5})
        w.append_span(trace, "47b9cd8f3883a05b", "step", FIXTURE_CLOCK + 3000, FIXTURE_CLOCK + 4000,
                      attrs={"grad_norm": math.nan, "lr": math.inf})  # fmt: skip
        w.finalize_manifest()
        root = w.root
    assert_same_tree(root, "nonfinite_attr")


@pytest.mark.parametrize("fixture", ["rich", "nonfinite", "nonfinite_attr", "crashed_midrun", "legacy_alpha6"])
def test_fast_formatter_reproduces_upstream_lines(fixture: str) -> None:
    """Every span/event/metric line upstream wrote, decoded and re-formatted by the bulk formatter, is identical."""
    from swarmview.core.jsontext.decode import decode
    from tests.helpers import FIXTURES

    for rel, schema, line in [("spans.ndjson", types.SPAN_RECORD, rec_text.span_line),
                              ("events.ndjson", types.EVENT_RECORD, rec_text.event_line),
                              ("metrics.ndjson", types.METRIC_RECORD, rec_text.metric_line)]:  # fmt: skip
        data = (FIXTURES / fixture / rel).read_bytes()
        for raw in data.splitlines():
            value = decode(raw, schema, lenient=True)
            assert line(value).encode() == raw
