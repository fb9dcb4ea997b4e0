"""Typed decoding of a block of records (the fast path's first choice).

msgspec decodes a JSON array straight into structs with the record's exact fields and types, about
twice as fast as orjson building a dict per record, and re-encodes them with struct fields in
declaration order and map keys sorted (``order="deterministic"``). A block is accepted only when that
re-encoding reproduces its text byte for byte: then every line has exactly upstream's keys, in
upstream's order, compact, with canonical escapes and numbers and sorted attribute keys, and no key
twice (msgspec keeps the last duplicate, which re-encodes shorter). msgspec differs from serde_json
in two places, which the caller checks on the accepted columns (:func:`serde_differs`): it writes a
float's positive exponent without ``+`` (serde: ``1e+16``; checked on the metric values and on the
attribute text orjson re-writes, which matches serde), and it keeps integers beyond 64 bits (serde
reads them as floats; orjson refuses to write them). A block failing any of this goes to the orjson
path unchanged (:mod:`.ndjson`).
"""

from __future__ import annotations

from typing import Any

import msgspec
import numpy as np

from .fastpath import Prepared

__all__ = ["decode_block", "serde_differs"]

AttrScalar = bool | int | float | str  # upstream's AttrValue: Bool, I64/U64, F64, Str (§4)


class _Span(msgspec.Struct, gc=False, forbid_unknown_fields=True):
    schema_version: int
    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    start_unix_nanos: int
    end_unix_nanos: int | None
    attrs: dict[str, AttrScalar]


class _Event(msgspec.Struct, gc=False, forbid_unknown_fields=True):
    schema_version: int
    ts_unix_nanos: int
    trace_id: str
    span_id: str | None
    name: str
    attrs: dict[str, AttrScalar]


class _Metric(msgspec.Struct, gc=False, forbid_unknown_fields=True):
    schema_version: int
    ts_unix_nanos: int
    trace_id: str
    span_id: str | None
    name: str
    value: float
    unit: str | None
    attrs: dict[str, AttrScalar]


_DECODERS = {k: msgspec.json.Decoder(list[t]) for k, t in (("spans", _Span), ("events", _Event), ("metrics", _Metric))}
_ENCODER = msgspec.json.Encoder(order="deterministic")


def decode_block(kind: str, text: bytes | bytearray, n: int) -> list[Any] | None:
    """The n records of ``text`` (``[`` + lines joined by ``,`` + ``]``) as structs whose attributes
    are the record's keys, or None unless they provably are the text's canonical reading."""
    try:
        rows = _DECODERS[kind].decode(text)
    except (msgspec.DecodeError, ValueError, RecursionError):  # ValueError: invalid UTF-8
        return None
    if len(rows) != n or _ENCODER.encode(rows) != text:
        return None
    return rows


def serde_differs(p: Prepared) -> bool:
    """True when an accepted text may hold a float exponent written without ``+`` (msgspec's form,
    not upstream's): the attribute text as orjson re-wrote it holds ``e+``, or a metric value is at
    least 1e16 in magnitude (where serde switches to the exponent form)."""
    if b"e+" in p.blob:
        return True
    v = p.cols.get("value")
    return v is not None and bool(np.any(np.abs(v) >= 1e16))
