"""Telemetry records: caller values → upstream records, and a fast NDJSON formatter for bulk writes.

``prepare_span/event/metric`` validate (§4.5 order and texts first, then swarmview's refusals) and
return the record dict in the shape ``jsontext.encode`` takes (ids as lowercase hex). Single appends
encode that dict with ``jsontext`` (the reference); batch appends and the large demo use
``span_line/event_line/metric_line``, plain string formatting that the tests prove byte-identical to
the encoder, because a schema-driven encoder costs too much per record at millions of lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from json.encoder import encode_basestring  # C-accelerated; serde_json's escaping exactly (§2.4)
from typing import Any

from swarmview.core.jsontext.encode import U64
from swarmview.core.jsontext.floatfmt import format_f64
from swarmview.core.writer import bounds

TRACE_ID_BYTES = 16
SPAN_ID_BYTES = 8
_HEX = frozenset("0123456789abcdefABCDEF")


_ID_CACHE: dict[tuple[str, int], str] = {}


def id_hex(value: object, nbytes: int, what: str) -> str:
    """An id as 2×nbytes lowercase hex; accepts hex text (either case) or raw bytes. Zero is refused.

    Upstream writes an all-zero id without complaint and then cannot read it (F-09). Trace ids repeat
    on every record, so validated texts are cached (bounded).
    """
    if type(value) is str:
        cached = _ID_CACHE.get((value, nbytes))
        if cached is not None:
            return cached
        text = _id_hex(value, nbytes, what)
        if len(_ID_CACHE) < 4096:
            _ID_CACHE[(value, nbytes)] = text
        return text
    return _id_hex(value, nbytes, what)


def _id_hex(value: object, nbytes: int, what: str) -> str:
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        if len(raw) != nbytes:
            raise bounds.invalid(f"{what} must be {nbytes} bytes, got {len(raw)}")
        text = raw.hex()
    elif isinstance(value, str):
        if len(value) != 2 * nbytes or not _HEX.issuperset(value):
            raise bounds.invalid(f"{what} must be {2 * nbytes} hex digits, got {value!r}")
        text = value.lower()
    else:
        raise bounds.invalid(f"{what} must be hex text or bytes, got {type(value).__name__}")
    if text.count("0") == len(text):
        raise bounds.invalid(f"{what} is all zeros: upstream's reader rejects all-zero ids (F-09); refused")
    return text


def _opt_id(value: object, nbytes: int, what: str) -> str | None:
    return None if value is None else id_hex(value, nbytes, what)


def _opt_u64(value: object, what: str) -> int | None:
    return None if value is None else bounds.check_u64(value, what)


def prepare_span(
    trace_id: object,
    span_id: object,
    name: str,
    start_unix_nanos: int,
    end_unix_nanos: int | None = None,
    parent_span_id: object = None,
    attrs: Mapping[str, object] | None = None,
    *,
    allow_nonfinite: bool = False,
) -> dict[str, Any]:
    """A ``SpanRecord`` (§4.1) ready to encode; raises ``BundleWriteError`` (InvalidInput)."""
    bounds.check_record(name, attrs)
    return {
        "schema_version": 1,
        "trace_id": id_hex(trace_id, TRACE_ID_BYTES, "trace_id"),
        "span_id": id_hex(span_id, SPAN_ID_BYTES, "span_id"),
        "parent_span_id": _opt_id(parent_span_id, SPAN_ID_BYTES, "parent_span_id"),
        "name": name,
        "start_unix_nanos": bounds.check_u64(start_unix_nanos, "start_unix_nanos"),
        "end_unix_nanos": _opt_u64(end_unix_nanos, "end_unix_nanos"),
        "attrs": bounds.coerce_attrs(attrs, allow_nonfinite=allow_nonfinite),
    }


def prepare_event(
    ts_unix_nanos: int,
    trace_id: object,
    name: str,
    span_id: object = None,
    attrs: Mapping[str, object] | None = None,
    *,
    allow_nonfinite: bool = False,
) -> dict[str, Any]:
    """An ``EventRecord`` (§4.2) ready to encode."""
    bounds.check_record(name, attrs)
    return {
        "schema_version": 1,
        "ts_unix_nanos": bounds.check_u64(ts_unix_nanos, "ts_unix_nanos"),
        "trace_id": id_hex(trace_id, TRACE_ID_BYTES, "trace_id"),
        "span_id": _opt_id(span_id, SPAN_ID_BYTES, "span_id"),
        "name": name,
        "attrs": bounds.coerce_attrs(attrs, allow_nonfinite=allow_nonfinite),
    }


def prepare_metric(
    ts_unix_nanos: int,
    trace_id: object,
    name: str,
    value: float,
    span_id: object = None,
    unit: str | None = None,
    attrs: Mapping[str, object] | None = None,
    *,
    allow_nonfinite: bool = False,
) -> dict[str, Any]:
    """A ``MetricRecord`` (§4.3) ready to encode; a non-finite ``value`` is refused (F-08)."""
    bounds.check_record(name, attrs, unit)
    return {
        "schema_version": 1,
        "ts_unix_nanos": bounds.check_u64(ts_unix_nanos, "ts_unix_nanos"),
        "trace_id": id_hex(trace_id, TRACE_ID_BYTES, "trace_id"),
        "span_id": _opt_id(span_id, SPAN_ID_BYTES, "span_id"),
        "name": name,
        "value": bounds.coerce_float(value, f"metric '{name}' value", allow_nonfinite=allow_nonfinite),
        "unit": unit,
        "attrs": bounds.coerce_attrs(attrs, allow_nonfinite=allow_nonfinite),
    }


# --- fast text -------------------------------------------------------------------------------------

_STR_CACHE: dict[str, str] = {}


def json_str(text: str) -> str:
    """serde_json string text; names and keys repeat, so their texts are cached (bounded)."""
    cached = _STR_CACHE.get(text)
    if cached is None:
        cached = encode_basestring(text)
        if len(_STR_CACHE) < 65536 and len(text) <= 256:
            _STR_CACHE[text] = cached
    return cached


def float_text(x: float) -> str:
    """``format_f64``; Python's ``repr`` is the same text for 0 and 1e-4 <= |x| < 1e16 (§2.4)."""
    if x == 0.0 or 1e-4 <= abs(x) < 1e16:  # False for NaN and ±inf, which format_f64 writes as null
        return repr(x)
    return format_f64(x)


def value_text(value: object) -> str:
    """An ``AttrValue`` as coerced by ``bounds.coerce_attr_value``."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return encode_basestring(value)
    if isinstance(value, int):
        return str(int(value)) if isinstance(value, U64) else str(value)
    return float_text(value)  # type: ignore[arg-type]


def attrs_text(attrs: Mapping[str, object]) -> str:
    """A map with keys in UTF-8 byte order (code point order for valid UTF-8)."""
    if not attrs:
        return "{}"
    return "{" + ",".join(f"{json_str(k)}:{value_text(attrs[k])}" for k in sorted(attrs)) + "}"


def _opt_quoted(text: str | None) -> str:
    return "null" if text is None else f'"{text}"'


def _opt_int(number: int | None) -> str:
    return "null" if number is None else str(number)


def span_line(rec: Mapping[str, Any]) -> str:
    """``SpanRecord`` compact text (no newline) for a record from ``prepare_span``."""
    return (
        f'{{"schema_version":{rec["schema_version"]},"trace_id":"{rec["trace_id"]}","span_id":"{rec["span_id"]}",'
        f'"parent_span_id":{_opt_quoted(rec["parent_span_id"])},"name":{json_str(rec["name"])},'
        f'"start_unix_nanos":{rec["start_unix_nanos"]},"end_unix_nanos":{_opt_int(rec["end_unix_nanos"])},'
        f'"attrs":{attrs_text(rec["attrs"])}}}'
    )


def event_line(rec: Mapping[str, Any]) -> str:
    """``EventRecord`` compact text for a record from ``prepare_event``."""
    return (
        f'{{"schema_version":{rec["schema_version"]},"ts_unix_nanos":{rec["ts_unix_nanos"]},'
        f'"trace_id":"{rec["trace_id"]}","span_id":{_opt_quoted(rec["span_id"])},"name":{json_str(rec["name"])},'
        f'"attrs":{attrs_text(rec["attrs"])}}}'
    )


def metric_line(rec: Mapping[str, Any]) -> str:
    """``MetricRecord`` compact text for a record from ``prepare_metric``."""
    unit = rec["unit"]
    return (
        f'{{"schema_version":{rec["schema_version"]},"ts_unix_nanos":{rec["ts_unix_nanos"]},'
        f'"trace_id":"{rec["trace_id"]}","span_id":{_opt_quoted(rec["span_id"])},"name":{json_str(rec["name"])},'
        f'"value":{float_text(rec["value"])},"unit":{"null" if unit is None else json_str(unit)},'
        f'"attrs":{attrs_text(rec["attrs"])}}}'
    )
