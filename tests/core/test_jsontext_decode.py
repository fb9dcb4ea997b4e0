"""The strict reader against upstream's error vectors and the §18.3/§18.4 reading rules."""

from __future__ import annotations

import json
import math

import pytest

from swarmview.core.ids import id_error, is_canonical_id
from swarmview.core.jsontext import TYPES_BY_NAME, U64, Diagnostic, JsonError, decode, dumps_compact
from swarmview.core.jsontext.schema import ATTR_VALUE, CANON_VALUE, Map, Vec
from swarmview.core.jsontext.types import (
    DATASET_ENTRY_V1,
    EVENT_RECORD,
    GRAPH_V1,
    LINEAGE_EDGE_V1,
    MANIFEST_V1,
    MATERIALIZATION_COMPAT,
    METRIC_RECORD,
    NODE_V1,
    RUN_FILE_V1,
    SPAN_ID,
    SPAN_RECORD,
    TRACE_ID,
)
from tests.helpers import VECTORS

ERRORS = [json.loads(line) for line in (VECTORS / "serde_json_error_positions.ndjson").open()]
T1 = "01" * 16
S1 = "01" * 8


def _message(text: str | bytes, schema: object, reader: str = "slice") -> str | None:
    try:
        decode(text, schema, reader=reader)  # type: ignore[arg-type]
    except JsonError as exc:
        return exc.serde_text()
    return None


def _span(attrs: str = "{}", **over: str) -> str:
    fields = {"schema_version": "1", "trace_id": f'"{T1}"', "span_id": f'"{S1}"', "parent_span_id": "null",
              "name": '"s"', "start_unix_nanos": "1", "end_unix_nanos": "2", "attrs": attrs}
    fields.update(over)
    return "{" + ",".join(f'"{k}":{v}' for k, v in fields.items()) + "}"


@pytest.mark.parametrize("case", ERRORS, ids=[f"{n}-{d['reader']}-{d['type']}" for n, d in enumerate(ERRORS)])
def test_error_position_vectors(case: dict[str, str]) -> None:
    """All 83 lines of serde_json_error_positions.ndjson, both readers (B-019…B-027, B-032…B-034)."""
    assert _message(case["input"].encode(), TYPES_BY_NAME[case["type"]], case["reader"]) == case["message"]


def test_error_vector_count() -> None:
    assert len(ERRORS) == 83


def test_jsonerror_fields_and_serde_text() -> None:
    """JsonError carries message, line, column (column 0 names an LF), offset of the named byte."""
    text = b'{\n  "nodes": [],\n  "schema_version": 2.5\n}'
    with pytest.raises(JsonError) as exc:
        decode(text, GRAPH_V1, reader="io")
    e = exc.value
    assert (e.message, e.line, e.column, e.suffix) == ("invalid type: floating point `2.5`, expected u32", 4, 0, True)
    assert text[e.offset] == 0x0A  # type: ignore[index]
    with pytest.raises(JsonError) as exc:
        decode(text, GRAPH_V1, reader="slice")
    assert (exc.value.line, exc.value.column) == (3, 23)
    assert text[exc.value.offset] == ord("5")  # type: ignore[index]
    with pytest.raises(JsonError) as exc:
        decode(b"", GRAPH_V1)
    assert exc.value.offset is None and exc.value.serde_text() == "EOF while parsing a value at line 1 column 0"


def test_b018_unknown_keys_ignored_everywhere() -> None:
    """B-018: unknown keys at every level are ignored (and reported as diagnostics)."""
    diags: list[Diagnostic] = []
    text = '{"schema_version":1,"zz":{"a":[1,{"b":null}]},"nodes":[{"node_key":"a","op_kind":"data","op_type":"t","extra":"\\udc00"}]}'
    graph = decode(text, GRAPH_V1, diagnostics=diags)
    assert graph["nodes"][0]["node_key"] == "a"
    assert [(d.kind, d.key) for d in diags] == [("unknown_field", "zz"), ("unknown_field", "extra")]


def test_b019_duplicate_struct_field_fails_duplicate_map_key_keeps_last() -> None:
    """B-019: duplicate struct key → `duplicate field`; duplicate attrs/params key → last value."""
    dup = _span().replace('"name":"s"', '"name":"s","name":"t"')
    quote = dup.index('"name":"t"') + len('"name"')  # the repeated key's closing quote (slice reader)
    assert _message(dup, SPAN_RECORD) == f"duplicate field `name` at line 1 column {quote}"
    assert _message(dup, SPAN_RECORD, "io") == f"duplicate field `name` at line 1 column {quote + 1}"
    diags: list[Diagnostic] = []
    span = decode(_span('{"x":1,"x":"y"}'), SPAN_RECORD, diagnostics=diags)
    assert span["attrs"] == {"x": "y"}
    assert [(d.kind, d.path) for d in diags] == [("duplicate_key", "attrs/x")]


def test_b019_lenient_keeps_last_duplicate_field() -> None:
    """B-019 in lenient mode: swarmview keeps the last value and reports it."""
    diags: list[Diagnostic] = []
    span = decode(_span().replace('"name":"s"', '"name":"s","name":"t"'), SPAN_RECORD, lenient=True, diagnostics=diags)
    assert span["name"] == "t"
    assert [d.kind for d in diags] == ["duplicate_field"]


def test_b020_missing_option_default_and_required() -> None:
    """B-020: missing Option → None, missing default → default, other missing → `missing field`."""
    node = decode('{"node_key":"a","op_kind":"data","op_type":"t"}', NODE_V1)
    assert node["node_id"] is None and node["inputs"] == [] and node["params"] == {}
    assert node["unsafe_surface"] is False and node["execution_trust"] == "core"
    span = decode(_span().replace(',"parent_span_id":null', "").replace(',"end_unix_nanos":2', ""), SPAN_RECORD)
    assert span["parent_span_id"] is None and span["end_unix_nanos"] is None
    entry = decode('{"asset_key":"a","fingerprint_v0":"","source_fingerprint_v0":"","schema_hash_v0":"","recipe_hash_v0":""}', DATASET_ENTRY_V1)
    assert entry["trust"] == "trusted" and entry["license_flags"] == [] and entry["source"] is None
    assert _message('{"node_key":"a","op_type":"t"}', NODE_V1) == "missing field `op_kind` at line 1 column 30"


def test_b021_bom_rejected() -> None:
    """B-021: a UTF-8 BOM is not whitespace."""
    assert _message(b"\xef\xbb\xbf{}", GRAPH_V1) == "expected value at line 1 column 1"
    assert _message(b"\xef\xbb\xbf{}", RUN_FILE_V1, "io") == "expected value at line 1 column 1"


def test_b023_trailing_characters_and_commas() -> None:
    """B-023: text after the value → `trailing characters`; `[1,]`/`{"a":1,}` → `trailing comma`."""
    assert _message('{"schema_version":1} x', GRAPH_V1) == "trailing characters at line 1 column 22"
    assert _message('{"schema_version":1,}', GRAPH_V1) == "trailing comma at line 1 column 21"
    assert _message('{"schema_version":1,"nodes":[],"edges":[],}', GRAPH_V1) == "trailing comma at line 1 column 43"
    assert _message('[1,]', Vec(ATTR_VALUE)) == "trailing comma at line 1 column 4"
    assert _message('{"schema_version":1}\n\n  ', GRAPH_V1) is None


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_b024_depth_limit_and_ignored_containers() -> None:
    """B-024: 127 nested containers parse, the 128th fails naming its bracket; unknown keys skip."""
    ok = '{"p":' + _nested(126) + "}"
    assert decode(ok, Map(CANON_VALUE)) == {"p": json.loads(_nested(126))}
    bad = '{"p":' + _nested(127) + "}"
    assert _message(bad, Map(CANON_VALUE)) == f"recursion limit exceeded at line 1 column {5 + 127}"
    deep = '{"schema_version":1,"x":' + _nested(5000) + "}"
    assert decode(deep, GRAPH_V1)["schema_version"] == 1
    line = _span('{"a":' + _nested(125) + "}")
    assert _message(line, SPAN_RECORD).startswith("data did not match any variant of untagged enum AttrValue")  # type: ignore[union-attr]
    line = _span('{"a":' + _nested(126) + "}")
    assert _message(line, SPAN_RECORD).startswith("recursion limit exceeded")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("escape", "message"),
    [("\\udc00", "lone leading surrogate in hex escape"), ("\\ud800", "unexpected end of hex escape"),
     ("\\ud800x", "unexpected end of hex escape"), ("\\ud800\\n", "unexpected end of hex escape"),
     ("\\ud800\\u0041", "lone leading surrogate in hex escape"), ("\\x", "invalid escape"), ("\\u12g4", "invalid escape")],
)
def test_b025_escapes_in_kept_and_ignored_strings(escape: str, message: str) -> None:
    """B-025: lone surrogates fail in kept strings but pass inside ignored fields."""
    kept = '{"schema_version":1,"ts_unix_nanos":1,"trace_id":"' + T1 + '","name":"' + escape + '","attrs":{}}'
    assert (_message(kept, EVENT_RECORD) or "").startswith(message)
    ignored = '{"schema_version":1,"ts_unix_nanos":1,"trace_id":"' + T1 + '","name":"e","attrs":{},"x":"' + escape + '"}'
    if "surrogate" in message or "hex escape" in message:
        assert _message(ignored, EVENT_RECORD) is None
    else:
        assert (_message(ignored, EVENT_RECORD) or "").startswith("invalid escape")


def test_b025_surrogate_pair_and_invalid_utf8() -> None:
    """B-025: a proper surrogate pair decodes; invalid UTF-8 in a kept string is refused, in an
    ignored one accepted; raw control characters are refused in both."""
    ev = '{"schema_version":1,"ts_unix_nanos":1,"trace_id":"' + T1 + '","name":"\\ud83d\\ude00","attrs":{}}'
    assert decode(ev, EVENT_RECORD)["name"] == "\U0001f600"
    raw = ('{"schema_version":1,"ts_unix_nanos":1,"trace_id":"' + T1 + '","name":"a\xff","attrs":{}}').encode("latin-1")
    assert _message(raw, EVENT_RECORD) == "invalid unicode code point at line 1 column 95"  # closing quote
    raw = ('{"schema_version":1,"ts_unix_nanos":1,"trace_id":"' + T1 + '","name":"a","attrs":{},"x":"\xff"}').encode("latin-1")
    assert _message(raw, EVENT_RECORD) is None
    ctl = '{"schema_version":1,"x":"a\x01"}'
    assert _message(ctl, GRAPH_V1) == "control character (\\u0000-\\u001F) found while parsing a string at line 1 column 26"
    assert _message(ctl, GRAPH_V1, "io") == "control character (\\u0000-\\u001F) found while parsing a string at line 1 column 27"


def test_b026_struct_as_array() -> None:
    """B-026: a struct given as an array of its field values in declaration order is accepted."""
    diags: list[Diagnostic] = []
    edge = decode(f'["a","b","{T1}","data"]', LINEAGE_EDGE_V1, diagnostics=diags)
    assert edge == {"input_fingerprint_v0": "a", "output_fingerprint_v0": "b", "node_id": T1, "op_kind": "data"}
    assert [d.kind for d in diags] == ["non_canonical"]
    assert _message(f'["a","b","{T1}","data",1]', LINEAGE_EDGE_V1) == "trailing characters at line 1 column 52"
    short = _message(f'["a","b","{T1}"]', LINEAGE_EDGE_V1)
    assert short == "invalid length 3, expected struct LineageEdgeV1 with 4 elements at line 1 column 44"  # the `]`


def test_b027_attr_value_typing() -> None:
    """B-027: 1 → I64, 18446744073709551615 → U64, 1.0 → F64, "x" → Str, true → Bool, -0 → F64(-0.0);
    null/arrays/objects fail."""
    attrs = decode('{"a":1,"b":18446744073709551615,"c":1.0,"d":"x","e":true,"f":-0,"g":9223372036854775808,"h":-9223372036854775808}', Map(ATTR_VALUE))
    assert attrs["a"] == 1 and type(attrs["a"]) is int
    assert type(attrs["b"]) is U64 and attrs["b"] == (1 << 64) - 1 and type(attrs["g"]) is U64
    assert type(attrs["c"]) is float and attrs["d"] == "x" and attrs["e"] is True
    assert math.copysign(1.0, attrs["f"]) < 0 and type(attrs["f"]) is float
    assert attrs["h"] == -(1 << 63)
    for bad in ("null", "[]", "{}", "[1]"):
        assert _message('{"a":' + bad + "}", Map(ATTR_VALUE)) == (
            f"data did not match any variant of untagged enum AttrValue at line 1 column {6 + len(bad)}")


def test_b028_canon_value_typing() -> None:
    """B-028: null → Null, arrays/objects → Array/Object (last duplicate wins), numbers as for attrs."""
    params = decode('{"n":null,"a":[1,2.5,"s",{"k":1,"k":2}],"o":{"z":true},"u":18446744073709551615}', Map(CANON_VALUE))
    assert params == {"n": None, "a": [1, 2.5, "s", {"k": 2}], "o": {"z": True}, "u": (1 << 64) - 1}
    assert type(params["u"]) is U64


def test_b029_node_params_read_with_upstream_doubles() -> None:
    """B-029/B-030: `floats="upstream"` makes params carry the doubles upstream's loader hashes."""
    text = '{"node_key":"a","op_kind":"data","op_type":"t","params":{"x":0.030000000000000002}}'
    exact = decode(text, NODE_V1)["params"]["x"]
    upstream = decode(text, NODE_V1, floats="upstream")["params"]["x"]
    assert exact == 0.030000000000000002 and upstream != exact


def test_b031_b035_ids_roundtrip_and_case() -> None:
    """B-031: hex ids parse back to the same bytes; B-035: upper/mixed case accepted, written lower."""
    diags: list[Diagnostic] = []
    span = decode(_span().replace(T1, "AbAB" * 8).replace(S1, "ABCDEF0123456789"), SPAN_RECORD, diagnostics=diags)
    assert span["trace_id"] == "abab" * 8 and span["span_id"] == "abcdef0123456789"
    assert [(d.kind, d.path) for d in diags] == [("non_canonical", "trace_id"), ("non_canonical", "span_id")]
    assert dumps_compact(span, SPAN_RECORD).count(b"abab") == 8
    assert decode(f'"{T1}"', TRACE_ID) == T1 and is_canonical_id(T1) and not is_canonical_id("AB")


def test_b032_b033_b034_id_errors() -> None:
    """B-032 all-zero, B-033 `abcd` → invalid id length, B-034 non-hex and non-string ids."""
    for schema, n in ((TRACE_ID, 16), (SPAN_ID, 8)):
        assert _message(f'"{"0" * 2 * n}"', schema) == "all-zero id is invalid"
        assert _message('"abcd"', schema) == "invalid id length at line 1 column 6"
        assert _message(f'"{"g" * 2 * n}"', schema) == f"invalid hex in id at line 1 column {2 * n + 2}"
        assert _message("12", schema) == f"invalid type: integer `12`, expected a lowercase hex string of length {2 * n} at line 1 column 2"
        assert id_error("0" * 2 * n, n) == "all-zero id is invalid"
        assert id_error("abcd", n) == "invalid id length"
        assert id_error("g" * 2 * n, n) == "invalid hex in id"
        assert id_error("Ab" * n, n) is None
    assert id_error("0" * 31 + "é", 16) == "invalid id length"  # 32 characters, 33 bytes


def test_b038_zero_ids_written_but_not_read() -> None:
    """B-038: the writer emits an all-zero trace id without complaint; reading it back fails (strict)
    and is accepted with a `zero_id` diagnostic in lenient mode."""
    rec = {"schema_version": 1, "trace_id": "0" * 32, "span_id": "0" * 16, "parent_span_id": None, "name": "s",
           "start_unix_nanos": 1, "end_unix_nanos": None, "attrs": {}}
    line = dumps_compact(rec, SPAN_RECORD)
    assert _message(line, SPAN_RECORD) == "all-zero id is invalid at line 1 column 65"
    diags: list[Diagnostic] = []
    assert decode(line, SPAN_RECORD, lenient=True, diagnostics=diags)["trace_id"] == "0" * 32
    assert [d.kind for d in diags] == ["zero_id", "zero_id"]


def test_lenient_nulls_become_nan() -> None:
    """F-08: `null` metric values and attribute values are NaN in lenient mode, errors otherwise."""
    metric = '{"schema_version":1,"ts_unix_nanos":1,"trace_id":"' + T1 + '","span_id":null,"name":"m","value":null,"unit":null,"attrs":{"g":null}}'
    assert _message(metric, METRIC_RECORD) == "invalid type: null, expected f64 at line 1 column 122"
    diags: list[Diagnostic] = []
    rec = decode(metric, METRIC_RECORD, lenient=True, diagnostics=diags)
    assert math.isnan(rec["value"]) and math.isnan(rec["attrs"]["g"])
    assert [(d.kind, d.path) for d in diags] == [("nonfinite_null", "value"), ("nonfinite_null", "attrs/g")]
    assert dumps_compact(rec, METRIC_RECORD) == metric.encode()


def test_integer_typing_messages() -> None:
    """Integer fields: float text, negatives, overflow (§2.6 table)."""
    assert _message('{"schema_version":1.0}', GRAPH_V1) == "invalid type: floating point `1.0`, expected u32 at line 1 column 21"
    assert _message('{"schema_version":-1}', GRAPH_V1) == "invalid value: integer `-1`, expected u32 at line 1 column 20"
    assert _message('{"schema_version":1e3}', GRAPH_V1) == "invalid type: floating point `1000.0`, expected u32 at line 1 column 21"
    assert _message('{"schema_version":"1"}', GRAPH_V1) == 'invalid type: string "1", expected u32 at line 1 column 21'
    assert _message('{"schema_version":true}', GRAPH_V1) == "invalid type: boolean `true`, expected u32 at line 1 column 22"
    assert _message('{"schema_version":[]}', GRAPH_V1, "io") == "invalid type: sequence, expected u32 at line 1 column 19"
    node = '{"node_key":"a","op_kind":"data","op_type":"t","resources":{"memory_bytes":-3}}'
    assert _message(node, NODE_V1) == "invalid value: integer `-3`, expected u64 at line 1 column 77"


def test_enum_forms() -> None:
    """Unknown variants list the declaration order; unit variants may be `{"v": null}`; a bare
    `"custom"` AuthModeMarker is a unit variant where a newtype is expected."""
    node = '{"node_key":"a","op_kind":"Data","op_type":"t"}'
    assert _message(node, NODE_V1) == "unknown variant `Data`, expected one of `data`, `train`, `comms`, `governance`, `system` at line 1 column 32"
    assert decode('{"node_key":"a","op_kind":{"train":null},"op_type":"t"}', NODE_V1)["op_kind"] == "train"
    assert _message('{"node_key":"a","op_kind":{"train":1},"op_type":"t"}', NODE_V1) == "invalid type: integer `1`, expected unit at line 1 column 36"
    assert _message('{"node_key":"a","op_kind":5,"op_type":"t"}', NODE_V1) == "expected value at line 1 column 27"
    src = '{"asset_key":"a","fingerprint_v0":"","source_fingerprint_v0":"","schema_hash_v0":"","recipe_hash_v0":"","trust":"trusted","source":{"uri":"u","content_type":"c","auth_mode":{"custom":"x"}}}'
    entry = decode(src, DATASET_ENTRY_V1)
    assert entry["source"]["auth_mode"] == {"custom": "x"}
    assert dumps_compact(entry, DATASET_ENTRY_V1) == src.encode()


def test_materialization_compat_v2_v1_and_fallback() -> None:
    """§11.3 / F-18: V2 first, then V1; a V2 line with a bad V2 value is silently V1 upstream
    (reported as `compat_v1_fallback`); neither → message without position."""
    v1 = '{"schema_version":1,"ts_unix_nanos":5,"asset_key":"a","fingerprint_v0":"f","node_id":"' + T1 + '","node_def_hash":"h","unsafe_surface":false}'
    rec = decode(v1, MATERIALIZATION_COMPAT)
    assert rec["__variant__"] == "V1" and dumps_compact(rec, MATERIALIZATION_COMPAT) == v1.encode()
    v2 = ('{"schema_version":2,"record_seq":1,"ts_unix_nanos":5,"asset_key":"a","fingerprint_v0":"f","node_id":"' + T1
          + '","node_def_hash":"h","op_type":"t","cache_decision":"miss","unsafe_surface":false,"status":"ok"}')
    rec = decode(v2, MATERIALIZATION_COMPAT)
    assert rec["__variant__"] == "V2" and dumps_compact(rec, MATERIALIZATION_COMPAT) == v2.encode()
    diags: list[Diagnostic] = []
    rec = decode(v2.replace('"miss"', '"Miss"'), MATERIALIZATION_COMPAT, diagnostics=diags)
    assert rec["__variant__"] == "V1" and [d.kind for d in diags] == ["compat_v1_fallback"]
    with pytest.raises(JsonError) as exc:
        decode('{"schema_version":2}', MATERIALIZATION_COMPAT)
    assert exc.value.serde_text() == "data did not match any variant of untagged enum MaterializationRecordCompat"
    assert exc.value.suffix is False


def test_manifest_read_through_io() -> None:
    """The manifest is read by `from_reader`: duplicate key names the `:` (fixture
    minimal_dup_keys_manifest), the slice reader the byte before."""
    text = '{"schema_version":1,"run_id":"' + T1 + '","hash_algo":"sha256","hash_algo":"sha256","entries":[]}'
    assert _message(text, MANIFEST_V1, "io") == "duplicate field `hash_algo` at line 1 column 97"
    assert _message(text, MANIFEST_V1, "slice") == "duplicate field `hash_algo` at line 1 column 96"


def test_short_unicode_escape_differs_between_readers() -> None:
    """read.rs: the slice reader checks that 4 bytes remain before a \\u escape (EOF error), the io
    reader reads them one by one and names the first non-hex byte (`invalid escape`)."""
    text = '{"schema_version":1,"graph_id":"\\u12"'  # torn: only 3 bytes after \\u
    assert _message(text, GRAPH_V1) == f"EOF while parsing a string at line 1 column {len(text)}"
    assert _message(text, GRAPH_V1, "io") == f"invalid escape at line 1 column {len(text)}"
    whole = text + "}"  # 4 bytes remain: both readers name the quote
    assert _message(whole, GRAPH_V1) == _message(whole, GRAPH_V1, "io") == f"invalid escape at line 1 column {len(text)}"
