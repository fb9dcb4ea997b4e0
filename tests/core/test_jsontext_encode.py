"""The upstream-identical writer (§2.2–§2.5; B-009…B-017, B-035, B-036)."""

from __future__ import annotations

import json

import pytest

from swarmview.core.jsontext import U64, EncodeError, decode, dumps_compact, dumps_pretty
from swarmview.core.jsontext.schema import ATTR_VALUE, CANON_VALUE, Map
from swarmview.core.jsontext.types import (
    DATASET_LINEAGE_V1,
    DATASET_REGISTRY_V1,
    EVENT_RECORD,
    GRAPH_V1,
    MATERIALIZATION_COMPAT,
    MATERIALIZATION_V1,
    MATERIALIZATION_V2,
    NODE_V1,
    RUN_FILE_V1,
    SPAN_RECORD,
    TRACE_ID,
)
from tests.helpers import FIXTURES

T1 = "01" * 16


def test_b009_pretty_layout_matches_fresh_bundle_files() -> None:
    """B-009: two-space indent, `": "`, `[]`/`{}` for empty containers, no trailing newline —
    byte for byte what `create` wrote into the `minimal` fixture."""
    root = FIXTURES / "minimal"
    for rel, schema in (("run.json", RUN_FILE_V1), ("graph.json", GRAPH_V1),
                        ("datasets/registry.json", DATASET_REGISTRY_V1), ("datasets/lineage.json", DATASET_LINEAGE_V1)):
        raw = (root / rel).read_bytes()
        value = json.loads(raw)
        assert dumps_pretty(value, schema) == raw, rel
    assert dumps_pretty({"schema_version": 1, "datasets": []}, DATASET_REGISTRY_V1) == b'{\n  "schema_version": 1,\n  "datasets": []\n}'
    assert len(dumps_pretty({"schema_version": 1, "edges": []}, DATASET_LINEAGE_V1)) == 40
    assert not dumps_pretty({"schema_version": 1}, GRAPH_V1).endswith(b"\n")


def test_b009_pretty_matches_python_json_layout() -> None:
    """B-009: nested objects/arrays are laid out like `json.dumps(indent=2)` (floats pre-rendered)."""
    node = {"node_key": "k", "op_kind": "data", "op_type": "t", "params": {"b": [1, {"c": "x"}], "a": {}, "e": []}}
    out = dumps_pretty({"schema_version": 1, "nodes": [node]}, GRAPH_V1).decode()
    expected = {"schema_version": 1, "nodes": [{"node_key": "k", "op_kind": "data", "op_type": "t", "inputs": [], "outputs": [],
                "params": {"a": {}, "b": [1, {"c": "x"}], "e": []}, "unsafe_surface": False, "execution_trust": "core"}], "edges": []}
    assert out == json.dumps(expected, indent=2, ensure_ascii=False)


def test_b010_compact_record() -> None:
    """B-010: NDJSON records have no whitespace at all (e.g. `"unsafe_surface":true`)."""
    rec = {"schema_version": 1, "ts_unix_nanos": 1000, "trace_id": T1, "span_id": None, "name": "event/a", "attrs": {}}
    assert dumps_compact(rec, EVENT_RECORD) == (
        b'{"schema_version":1,"ts_unix_nanos":1000,"trace_id":"01010101010101010101010101010101","span_id":null,"name":"event/a","attrs":{}}')
    v1 = {"schema_version": 1, "ts_unix_nanos": 5, "asset_key": "a", "fingerprint_v0": "deadbeef", "node_id": T1,
          "node_def_hash": "h", "unsafe_surface": True}
    assert b'"unsafe_surface":true}' in dumps_compact(v1, MATERIALIZATION_V1)


def test_b011_key_order_omitted_and_null_fields() -> None:
    """B-011: declaration order; omitted-if-none fields vanish; other Nones are `null`."""
    span = {"attrs": {}, "name": "s", "end_unix_nanos": None, "parent_span_id": None, "start_unix_nanos": 3,
            "span_id": "02" * 8, "trace_id": T1, "schema_version": 1}
    text = dumps_compact(span, SPAN_RECORD).decode()
    assert list(json.loads(text)) == ["schema_version", "trace_id", "span_id", "parent_span_id", "name",
                                      "start_unix_nanos", "end_unix_nanos", "attrs"]
    assert '"parent_span_id":null' in text and '"end_unix_nanos":null' in text
    node = dumps_compact({"node_key": "k", "op_kind": "data", "op_type": "t"}, NODE_V1).decode()
    assert "node_id" not in node and "code_ref" not in node and "op_hash" not in node and "execution_hint" not in node
    assert '"params":{}' in node and '"execution_trust":"core"' in node


def test_b012_map_keys_sorted_by_utf8_bytes() -> None:
    """B-012: attrs/params keys in ascending UTF-8 byte order."""
    attrs = {"é": 1, "z": 2, "A": 3, "a": 4, "\U0001f600": 5, "\uffff": 6}
    out = dumps_compact(attrs, Map(ATTR_VALUE)).decode()
    keys = list(json.loads(out))
    assert keys == sorted(attrs, key=lambda k: k.encode("utf-8"))
    nested = dumps_compact({"b": {"y": 1, "x": [{"q": 1, "p": 2}]}, "a": None}, Map(CANON_VALUE))
    assert nested == b'{"a":null,"b":{"x":[{"p":2,"q":1}],"y":1}}'


@pytest.mark.parametrize(
    ("text", "escaped"),
    [('"', '\\"'), ("\\", "\\\\"), ("\n", "\\n"), ("\t", "\\t"), ("\b", "\\b"), ("\f", "\\f"), ("\r", "\\r"),
     ("\x00", "\\u0000"), ("\x1f", "\\u001f"), ("/", "/"), ("\x7f", "\x7f"), ("\u2028", "\u2028"), ("é😀", "é😀")],
)
def test_b014_string_escaping(text: str, escaped: str) -> None:
    """B-014: only `"`, `\\` and U+0000–U+001F are escaped (short forms, else lowercase `\\u00xx`)."""
    assert dumps_compact({"k": text}, Map(ATTR_VALUE)).decode() == '{"k":"' + escaped + '"}'


def _node_full() -> dict[str, object]:
    return {"node_key": "train/step", "node_id": "1325e6a3bb11efd3cacbcafdcdae340b", "op_kind": "train", "op_type": "sgd",
            "inputs": [{"asset_key": "dataset://ns/a", "fingerprint": "f" * 64}], "outputs": [{"asset_key": "dataset://ns/b"}],
            "params": {"lr": 0.001, "steps": 10, "big": U64(1 << 63), "flags": [True, None, "x"], "nested": {"k": -1.5e-7}},
            "code_ref": "swarm-torch@0.1.0", "unsafe_surface": True, "execution_trust": "sandboxed_extension",
            "node_def_hash": "a" * 64,
            "execution_hint": {"preferred_profile": "edge_std", "device_affinity": "any_participant", "memory_budget_bytes": 1 << 40},
            "cache_policy": "prefer_reuse", "materialization_policy": "metadata_only",
            "resources": {"cpu_millis": 1500, "memory_bytes": 1 << 33, "accelerator": "gpu"}, "op_hash": "b" * 64}


def test_b015_execution_hint_none_absent_full_roundtrips() -> None:
    """B-015: no `execution_hint` key when none; a full hint round-trips unchanged."""
    node = _node_full()
    text = dumps_compact({**node, "execution_hint": None}, NODE_V1)
    assert b"execution_hint" not in text
    assert decode(dumps_compact(node, NODE_V1), NODE_V1)["execution_hint"] == node["execution_hint"]
    assert dumps_compact({**node, "execution_hint": {}}, NODE_V1).count(b'"execution_hint":{}') == 1


def test_b016_node_optional_fields_roundtrip() -> None:
    """B-016: cache_policy, materialization_policy, resources and op_hash round-trip unchanged."""
    node = _node_full()
    back = decode(dumps_pretty(node, NODE_V1), NODE_V1)
    for key in ("cache_policy", "materialization_policy", "resources", "op_hash", "params"):
        assert back[key] == node[key], key
    assert dumps_pretty(back, NODE_V1) == dumps_pretty(node, NODE_V1)


def test_b017_v2_full_and_transform_audit_roundtrip() -> None:
    """B-017: a V2 record with every field (quality included) and its TransformAuditV0 round-trip."""
    v2 = {"schema_version": 2, "record_seq": 7, "ts_unix_nanos": 1000, "asset_key": "dataset://ns/clean",
          "fingerprint_v0": "1" * 64, "node_id": T1, "node_def_hash": "2" * 64, "op_type": "transform",
          "input_asset_keys": ["dataset://ns/raw"], "input_fingerprints_v0": ["3" * 64], "rows": 100, "bytes": 1000,
          "duration_ms": 50, "cache_decision": "miss", "cache_reason": "cold", "cache_key_v0": "4" * 64, "cache_hit": False,
          "unsafe_surface": True, "unsafe_reasons": ["untrusted_input", "missing_provenance"],
          "applied_transforms": [{"transform_name": "dedupe", "core_trusted": True, "round_id": 3}],
          "status": "error", "error_code": "E42", "quality": {"null_rate": 0.25, "row_count_delta": -4, "schema_changed": True}}
    line = dumps_compact(v2, MATERIALIZATION_V2)
    assert decode(line, MATERIALIZATION_V2) == v2
    compat = decode(line, MATERIALIZATION_COMPAT)
    assert compat.pop("__variant__") == "V2" and compat == v2
    assert list(json.loads(line)) == [f.name for f in MATERIALIZATION_V2.fields]


def test_b035_b036_ids_written_lowercase_and_width_checked() -> None:
    """B-035: ids are written lowercase; B-036: a 20-byte id cannot be serialized."""
    assert dumps_compact("ABCDEF" + "0" * 26, TRACE_ID) == b'"abcdef' + b"0" * 26 + b'"'
    assert dumps_compact(bytes(range(1, 17)), TRACE_ID) == b'"' + bytes(range(1, 17)).hex().encode() + b'"'
    with pytest.raises(EncodeError, match="at most 16-byte IDs"):
        dumps_compact(b"\x01" * 20, TRACE_ID)


def test_attr_value_types_and_ranges() -> None:
    """AttrValue: bool before int, floats always carry `.`/`e`, ints outside i64/u64 refused."""
    out = dumps_compact({"a": True, "b": 1, "c": 1.0, "d": 1e20, "e": U64((1 << 64) - 1), "f": -(1 << 63)}, Map(ATTR_VALUE))
    assert out == b'{"a":true,"b":1,"c":1.0,"d":1e+20,"e":18446744073709551615,"f":-9223372036854775808}'
    for bad in (1 << 64, -(1 << 63) - 1):
        with pytest.raises(EncodeError):
            dumps_compact({"x": bad}, Map(ATTR_VALUE))
    with pytest.raises(EncodeError):
        dumps_compact({"x": None}, Map(ATTR_VALUE))
    with pytest.raises(EncodeError):
        dumps_compact({"schema_version": 1.5}, GRAPH_V1)


def test_custom_auth_mode_pretty_layout() -> None:
    """AuthModeMarker::Custom is written as a one-key object, indented like any object (§9.1)."""
    registry = {"schema_version": 1, "datasets": [{"asset_key": "a", "fingerprint_v0": "f", "source_fingerprint_v0": "s",
                "schema_hash_v0": "h", "recipe_hash_v0": "r", "trust": "untrusted",
                "source": {"uri": "u", "content_type": "c", "auth_mode": {"custom": "tok"}, "etag_or_version": None}}]}
    out = dumps_pretty(registry, DATASET_REGISTRY_V1).decode()
    expected = json.loads(json.dumps(registry))
    del expected["datasets"][0]["source"]["etag_or_version"]
    assert out == json.dumps(expected, indent=2)
    assert decode(out, DATASET_REGISTRY_V1)["datasets"][0]["source"]["auth_mode"] == {"custom": "tok"}
