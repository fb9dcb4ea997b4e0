"""Property tests for the strict reader and the writer: no crash but JsonError, no hang, and
encode∘decode is the identity on encoder output."""

from __future__ import annotations

import json
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from swarmview.core.jsontext import U64, JsonError, decode, dumps_compact, dumps_pretty, format_f64
from swarmview.core.jsontext.numparse import _slow_scan, scan_number
from swarmview.core.jsontext.schema import ATTR_VALUE, CANON_VALUE, Map, Vec
from swarmview.core.jsontext.types import (
    GRAPH_V1,
    MANIFEST_V1,
    MATERIALIZATION_COMPAT,
    METRIC_RECORD,
    NODE_V1,
    SPAN_RECORD,
)

SCHEMAS = [SPAN_RECORD, METRIC_RECORD, GRAPH_V1, MANIFEST_V1, MATERIALIZATION_COMPAT, Map(CANON_VALUE), Vec(ATTR_VALUE)]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _only_json_errors(data: bytes) -> None:
    for schema in SCHEMAS:
        for reader in ("slice", "io"):
            for lenient in (False, True):
                try:
                    decode(data, schema, reader=reader, lenient=lenient, diagnostics=[])  # type: ignore[arg-type]
                except JsonError as exc:
                    assert exc.serde_text()


@SETTINGS
@given(st.binary(max_size=200))
def test_random_bytes_raise_only_json_error(data: bytes) -> None:
    """Arbitrary bytes (BOMs, invalid UTF-8, control characters, B-021/B-025) only ever raise JsonError."""
    _only_json_errors(data)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(1 << 70), max_value=1 << 70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)
_KEYS = st.sampled_from(["schema_version", "trace_id", "span_id", "name", "attrs", "value", "nodes", "params",
                         "node_key", "op_kind", "entries", "run_id", "x"])


@SETTINGS
@given(st.dictionaries(_KEYS, _JSON, max_size=8), st.sampled_from([None, 2]), st.integers(0, 3))
def test_random_json_texts_raise_only_json_error(value: dict[str, object], indent: int | None, cut: int) -> None:
    """Well-formed JSON of the wrong shape, and torn copies of it, only raise JsonError (B-018…B-028)."""
    text = json.dumps(value, indent=indent, ensure_ascii=bool(cut % 2)).encode()
    _only_json_errors(text)
    _only_json_errors(text[: len(text) * cut // 4])  # torn copies


@SETTINGS
@given(st.integers(1, 400), st.sampled_from(["[", '{"a":', '{"x":[', '{"attrs":{"k":']), st.booleans())
def test_random_nesting_never_overflows(depth: int, opener: str, closed: bool) -> None:
    """B-024: any nesting depth ends in a value or a JsonError, never a RecursionError."""
    closers = {"[": "]", '{"a":': "}", '{"x":[': "]}", '{"attrs":{"k":': "}}"}
    text = opener * depth + ("1" + closers[opener] * depth if closed else "")
    _only_json_errors(text.encode())


_ID16 = st.binary(min_size=16, max_size=16).filter(any).map(bytes.hex)
_ID8 = st.binary(min_size=8, max_size=8).filter(any).map(bytes.hex)
_ATTR = (st.text(max_size=10) | st.booleans() | st.integers(-(1 << 63), (1 << 63) - 1)
         | st.integers(1 << 63, (1 << 64) - 1).map(U64) | st.floats(allow_nan=False, allow_infinity=False))
_SPANS = st.fixed_dictionaries({
    "schema_version": st.integers(0, (1 << 32) - 1), "trace_id": _ID16, "span_id": _ID8,
    "parent_span_id": st.none() | _ID8, "name": st.text(max_size=20), "start_unix_nanos": st.integers(0, (1 << 64) - 1),
    "end_unix_nanos": st.none() | st.integers(0, (1 << 64) - 1), "attrs": st.dictionaries(st.text(max_size=8), _ATTR, max_size=6),
})
_CANON = st.recursive(
    st.none() | st.booleans() | st.integers(-(1 << 63), (1 << 63) - 1) | st.integers(1 << 63, (1 << 64) - 1).map(U64)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=12,
)
_NODES = st.fixed_dictionaries({
    "node_key": st.text(max_size=12), "node_id": st.none() | _ID16, "op_kind": st.sampled_from(["data", "train", "system"]),
    "op_type": st.text(max_size=8), "inputs": st.lists(st.fixed_dictionaries({"asset_key": st.text(max_size=6), "fingerprint": st.none() | st.text(max_size=4)}), max_size=2),
    "outputs": st.just([]), "params": st.dictionaries(st.text(max_size=6), _CANON, max_size=4), "code_ref": st.none() | st.text(max_size=5),
    "unsafe_surface": st.booleans(), "execution_trust": st.sampled_from(["core", "unsafe_extension"]),
    "node_def_hash": st.none(), "execution_hint": st.none() | st.just({"preferred_profile": None, "device_affinity": "coordinator", "memory_budget_bytes": 5}),
    "cache_policy": st.none() | st.just("bypass"), "materialization_policy": st.none(), "resources": st.none(), "op_hash": st.none(),
})


def _same(a: object, b: object) -> bool:
    """``b`` (decoded) equals ``a`` (written) as upstream reads it: -0.0 keeps its sign, floats stay
    floats, integers above i64::MAX come back as U64 and the others as plain ints."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, float) or isinstance(b, float):
        return type(a) is float and type(b) is float and a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, int) and isinstance(b, int):
        return a == b and (type(b) is U64) == (b > (1 << 63) - 1)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


@SETTINGS
@given(_SPANS)
def test_span_encode_decode_identity(span: dict[str, object]) -> None:
    """B-010/B-011/B-027: a written span reads back to the same record and the same bytes."""
    text = dumps_compact(span, SPAN_RECORD)
    back = decode(text, SPAN_RECORD)
    assert dumps_compact(back, SPAN_RECORD) == text
    assert _same(span["attrs"], back["attrs"])  # AttrValue typing as upstream reads it
    assert {k: v for k, v in back.items() if k != "attrs"} == {k: v for k, v in span.items() if k != "attrs"}


@SETTINGS
@given(_NODES)
def test_node_encode_decode_identity_pretty_and_compact(node: dict[str, object]) -> None:
    """B-009/B-012/B-015/B-028: nodes with nested params survive both printers and the reader."""
    for dump in (dumps_compact, dumps_pretty):
        text = dump(node, NODE_V1)
        back = decode(text, NODE_V1)
        assert dump(back, NODE_V1) == text
        assert _same(back["params"], node["params"])


@SETTINGS
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_float_text_round_trips(x: float) -> None:
    """B-013: the zmij text of any finite double reads back (with float()) to that double."""
    assert float(format_f64(x)) == x
    assert decode(format_f64(x), Vec(ATTR_VALUE).inner) == x


@SETTINGS
@given(st.from_regex(r"\A-?(0|[1-9][0-9]{0,24})(\.[0-9]{1,25})?([eE][+-]?[0-9]{1,12})?[,\]} ]?\Z"))
def test_number_fast_path_matches_transcription(text: str) -> None:
    """B-029: the regex fast path and the byte-by-byte transcription of de.rs agree on every number."""
    data = text.encode()
    try:
        fast = ("ok", repr(scan_number(data, 0)))
    except ValueError as exc:
        fast = ("err", str(exc))
    try:
        slow = ("ok", repr(_slow_scan(data, 0)))
    except ValueError as exc:
        slow = ("err", str(exc))
    assert fast == slow
