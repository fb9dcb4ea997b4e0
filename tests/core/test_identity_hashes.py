"""Identity hashes and fingerprints against every line of the upstream vectors (B-085, B-088–B-090, B-096, B-097).

Authored nodes carry writer-side typings JSON cannot show (``U64`` ints, NaN/±inf written as ``null``);
``annotate_from_postcard`` recovers them by walking the vector's postcard bytes next to the JSON shape,
so the encoder is then checked byte for byte on all 210 + 30 nodes.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Iterator
from typing import Any

import pytest

from swarmview.core.errors import BundleWriteError
from swarmview.core.identity import hashes
from swarmview.core.identity import postcard as pc
from swarmview.core.identity.graph import normalize_node, prepare_graph_for_write
from tests.core.test_identity_jsonload import U64, decode_as, load_ndjson, upstream_loads

NODE_VECTORS = load_ndjson("node_def_postcard_v1.ndjson")
FLOAT_VECTORS = load_ndjson("node_def_postcard_v1_floats.ndjson")


# --- recovering the authored typing from the vector bytes ------------------------------------------------


def _match(value: Any, data: bytes, pos: int) -> Iterator[tuple[Any, int]]:
    """Every (typed value, end position) whose canon encoding of ``value``'s JSON shape matches ``data[pos:]``."""
    if value is None:
        yield None, pos
        for x in (float("nan"), float("inf"), float("-inf")):
            if data[pos : pos + 8] == pc.f64(x):
                yield x, pos + 8
        return
    if isinstance(value, bool) or isinstance(value, str) or isinstance(value, float):
        enc = pc.canon_value(value)
        if data[pos : pos + len(enc)] == enc:
            yield value, pos + len(enc)
        return
    if isinstance(value, int):
        cands = [value] if value < 0 or value > pc.I64_MAX else [value, U64(value)]
        for cand in cands:
            enc = pc.canon_value(cand)
            if data[pos : pos + len(enc)] == enc:
                yield cand, pos + len(enc)
        return
    if isinstance(value, list):
        head = pc.varint(len(value))
        if data[pos : pos + len(head)] == head:
            yield from _match_seq(value, data, pos + len(head), [])
        return
    head = pc.varint(len(value))
    if data[pos : pos + len(head)] != head:
        return
    keys = sorted(value, key=pc.utf8_key)
    yield from _match_map(value, keys, data, pos + len(head), {})


def _match_seq(items: list[Any], data: bytes, pos: int, done: list[Any]) -> Iterator[tuple[Any, int]]:
    if len(done) == len(items):
        yield list(done), pos
        return
    for typed, end in _match(items[len(done)], data, pos):
        yield from _match_seq(items, data, end, [*done, typed])


def _match_map(value: dict, keys: list[str], data: bytes, pos: int, done: dict) -> Iterator[tuple[Any, int]]:
    if len(done) == len(keys):
        yield {k: done[k] for k in value}, pos
        return
    key = keys[len(done)]
    enc = pc.string(key)
    if data[pos : pos + len(enc)] != enc:
        return
    for typed, end in _match(value[key], data, pos + len(enc)):
        yield from _match_map(value, keys, data, end, {**done, key: typed})


def annotate_from_postcard(node: dict[str, Any], postcard_hex: str) -> dict[str, Any]:
    """The authored node: ``node`` with params retyped so that its encoding is the vector's bytes."""
    data = bytes.fromhex(postcard_hex)
    prefix = hashes.node_def_postcard({**node, "params": {}})[:-1]
    assert data.startswith(prefix)
    for typed, end in _match(node.get("params") or {}, data, len(prefix)):
        if end == len(data):
            return {**node, "params": typed}
    raise AssertionError("no typing of the params reproduces the vector bytes")


def authored_node(vec: dict[str, Any]) -> dict[str, Any]:
    return annotate_from_postcard(
        decode_as(vec["node_json"], "NodeV1", "exact"), vec["node_def_canonical_postcard_hex"]
    )


# --- §8.1 primitives --------------------------------------------------------------------------------------


def test_postcard_primitives_follow_section_8_1() -> None:
    """B-085: varint, zigzag, f64, strings and the untagged CanonValue as §8.1 lists them."""
    assert [pc.varint(n).hex() for n in (0, 127, 128, 300, 2**64 - 1)] == [
        "00", "7f", "8001", "ac02", "ffffffffffffffffff01",
    ]  # fmt: skip
    assert [pc.zigzag(n) for n in (0, -1, 1, -2, 2**63 - 1, -(2**63))] == [0, 1, 2, 3, 2**64 - 2, 2**64 - 1]
    assert pc.f64(1.0).hex() == "000000000000f03f"
    assert pc.string("é").hex() == "02c3a9"
    # F-22 collisions: I64(1) = U64(2); true = U64(1) = I64(-1); Null = nothing; "a" = [97]
    assert pc.canon_value(1) == pc.canon_value(U64(2)) == b"\x02"
    assert pc.canon_value(True) == pc.canon_value(U64(1)) == pc.canon_value(-1) == b"\x01"
    assert pc.canon_value(None) == b""
    assert pc.canon_value("a") == pc.canon_value([U64(97)])
    assert pc.canon_value(2**64 - 1) == pc.varint(2**64 - 1)  # > i64::MAX is U64 without a marker
    with pytest.raises(ValueError):
        pc.varint(2**64)


def test_worked_example_of_section_8_2() -> None:
    """B-085: the §7.5/§8.2 node, with and without code_ref, and its op_hash (§8.3)."""
    node = {
        "node_key": "prep/clean_users", "op_kind": "data", "op_type": "validate",
        "inputs": [{"asset_key": "dataset://ns/users", "fingerprint": None}],
        "outputs": [{"asset_key": "dataset://ns/users_clean", "fingerprint": None}],
        "params": {}, "code_ref": "swarm-torch@0.1.0",
    }  # fmt: skip
    assert hashes.node_def_hash(node) == "c1215adc66f3d14b078d846dbc24b79f3343d7077309963815499290ead35a2b"
    assert hashes.op_hash(node) == "0ffa082f4e5bf0ff11de607592844b409c4a63ff66817664870afdf924fef3b8"
    assert hashes.node_def_hash({**node, "code_ref": None}) == (
        "a31cb5125cfaa99ceaef2012477025b386019d61ed697bc34a913c238ed6f093"
    )
    # a param read from JSON is I64(1): key 01 6b, value 02; as U64(1) the value is 01
    assert hashes.node_def_postcard({**node, "params": {"k": 1}}).endswith(bytes.fromhex("01016b02"))
    assert hashes.node_def_postcard({**node, "params": {"k": U64(1)}}).endswith(bytes.fromhex("01016b01"))


# --- node_def_postcard_v1 (210) and _floats (30) -----------------------------------------------------------


@pytest.mark.parametrize("vec", NODE_VECTORS + FLOAT_VECTORS, ids=lambda v: f"case{v['case']}")
def test_authored_node_postcard_and_hashes(vec: dict[str, Any]) -> None:
    """B-085: postcard bytes, node_def_hash, op_hash and node_id of the authored node."""
    node = authored_node(vec)
    assert hashes.node_def_postcard(node).hex() == vec["node_def_canonical_postcard_hex"]
    assert hashes.node_def_hash(node) == vec["node_def_hash"]
    assert hashes.op_postcard(node).hex() == vec["op_canonical_postcard_hex"]
    assert hashes.op_hash(node) == vec["op_hash"]
    assert hashes.node_id_from_key(node["node_key"]) == vec["node_id"]
    normalized = normalize_node(node)
    expected = json.loads(vec["normalized_node_json"])
    assert [k for k in normalized if normalized[k] is not None or k in expected] == list(expected)
    for key in ("node_id", "node_def_hash", "op_hash", "code_ref"):
        assert normalized.get(key) == expected.get(key)


@pytest.mark.parametrize("vec", NODE_VECTORS + FLOAT_VECTORS, ids=lambda v: f"case{v['case']}")
def test_json_roundtrip_hashes_use_upstream_reading(vec: dict[str, Any]) -> None:
    """B-086: what ``load_report`` recomputes from ``node_json`` (I64 for small ints, null for NaN, §2.7 doubles)."""
    node = decode_as(vec["node_json"], "NodeV1", "upstream")
    rt = vec["json_roundtrip"]
    assert rt["ok"]
    if rt["node_def_canonical_postcard_hex"] is not None:
        assert hashes.node_def_postcard(node).hex() == rt["node_def_canonical_postcard_hex"]
    assert hashes.node_def_hash(node) == rt["node_def_hash"]
    assert hashes.op_hash(node) == rt["op_hash"]
    assert (rt["node_def_hash"] == vec["node_def_hash"]) == rt["same_as_authored"]


@pytest.mark.parametrize("vec", NODE_VECTORS + FLOAT_VECTORS, ids=lambda v: f"case{v['case']}")
def test_write_graph_result(vec: dict[str, Any]) -> None:
    """B-074–B-077, B-079: write_graph fills code_ref, derives the id, hashes; or fails with the bound's text."""
    node = authored_node(vec)
    expected = vec["write_graph"]
    graph = {"schema_version": 1, "graph_id": None, "nodes": [node], "edges": []}
    if not expected["ok"]:
        with pytest.raises(BundleWriteError) as info:
            prepare_graph_for_write(graph)
        assert (info.value.kind, info.value.message) == (expected["kind"], expected["message"])
        return
    written = prepare_graph_for_write(graph)["nodes"][0]
    assert written["code_ref"] == expected["code_ref"]
    assert written["node_def_hash"] == expected["node_def_hash"]
    assert written["op_hash"] == expected["op_hash"]
    assert written["node_id"] == hashes.node_id_from_key(node["node_key"])
    if "loader_node_def_hash" in expected:
        reread = {**decode_as(vec["node_json"], "NodeV1", "upstream"), "code_ref": written["code_ref"]}
        assert hashes.node_def_hash(reread) == expected["loader_node_def_hash"]
        assert hashes.op_hash(reread) == expected["loader_op_hash"]


def test_float_vectors_differ_only_through_upstream_parsing() -> None:
    """B-086 / §2.7: 29 of 30 float nodes hash differently once read back; Python float() gives the authored hash."""
    differing = 0
    for vec in FLOAT_VECTORS:
        exact = upstream_loads(vec["node_json"], "exact")
        assert hashes.node_def_hash(exact) == vec["node_def_hash"]
        differing += not vec["json_roundtrip"]["same_as_authored"]
        for fp in vec["float_params"]:
            assert struct.pack(">d", _lookup(exact["params"], fp["param"])).hex() == fp["authored_bits"]
    assert differing == 29


def _lookup(params: dict[str, Any], path: str) -> float:
    value: Any = params
    for part in path.replace("[", ".").replace("]", "").split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
    assert isinstance(value, float) and math.isfinite(value)
    return value


def test_node_def_hash_properties_b082_b083_b084() -> None:
    """B-082 a param changes node_def_hash; B-083 execution_hint does not; B-084 op_hash ignores key and io."""
    base = upstream_loads(NODE_VECTORS[1]["node_json"], "upstream")
    with_param = {**base, "params": {**(base.get("params") or {}), "extra": 1}}
    assert hashes.node_def_hash(with_param) != hashes.node_def_hash(base)
    hinted = {
        **base,
        "execution_hint": {"preferred_profile": "edge_std"},
        "execution_trust": "unsafe_extension",
    }
    assert hashes.node_def_hash(hinted) == hashes.node_def_hash(base)
    moved = {**base, "node_key": "elsewhere", "inputs": [{"asset_key": "x"}], "outputs": []}
    assert hashes.op_hash(moved) == hashes.op_hash(base)
    assert hashes.node_def_hash(moved) != hashes.node_def_hash(base)
    assert hashes.op_hash(with_param) != hashes.op_hash(base)


# --- other digests ------------------------------------------------------------------------------------------


def test_node_id_from_key_vectors_b037() -> None:
    """B-037: stable per key, first 16 bytes of SHA-256 of the UTF-8 key, all 25 vector keys."""
    assert hashes.node_id_from_key("prep/clean_users") == "1325e6a3bb11efd3cacbcafdcdae340b"
    assert hashes.node_id_from_key("prep/clean_users") == hashes.node_id_from_key("prep/clean_users")
    vecs = load_ndjson("node_id_from_key.ndjson")
    assert len(vecs) == 25
    for vec in vecs:
        assert hashes.node_id_from_key(vec["node_key"]) == vec["node_id"] == vec["sha256_of_utf8_key"][:32]


def test_placeholder_hash_vectors_b088_b089() -> None:
    """B-088/B-089: no-schema and root-source placeholders, salted derived source fingerprints."""
    vecs = load_ndjson("placeholder_hashes_v0.ndjson")
    seen = set()
    for vec in vecs:
        if vec["function"] == "no_schema_hash_v0":
            assert hashes.NO_SCHEMA_HASH_V0 == vec["hash"] == hashes.schema_hash_v0(None)
            assert pc.string("no_schema_v0").hex() == vec["postcard_hex"]
        elif vec["function"].startswith("dataset_entry_v1 root source"):
            assert hashes.ROOT_SOURCE_V0 == vec["hash"]
        else:
            assert vec["function"] == "derived_source_fingerprint_v0"
            assert pc.string("derived_v0:" + vec["asset_key"]).hex() == vec["postcard_hex"]
            assert hashes.derived_source_fingerprint_v0(vec["asset_key"]) == vec["hash"]
            seen.add(vec["hash"])
    assert len(seen) == len(vecs) - 2  # salted per key
    assert len(bytes.fromhex(hashes.NO_SCHEMA_HASH_V0)) == 32


def test_schema_hash_vectors() -> None:
    vecs = load_ndjson("schema_hash_v0.ndjson")
    assert len(vecs) == 8
    for vec in vecs:
        assert hashes.schema_hash_v0(vec["schema"]) == vec["schema_hash_v0"]


def test_source_fingerprint_and_sanitize_vectors_b090_b096() -> None:
    """59 descriptors: canonical form, postcard, fingerprint, and the sanitizer's result or bound error."""
    vecs = load_ndjson("source_fingerprint_v0.ndjson")
    assert len(vecs) == 59
    for vec in vecs:
        src = vec["source"]
        assert hashes.source_canonical(src) == vec["canonical"]
        assert hashes.source_fingerprint_postcard(src).hex() == vec["canonical_postcard_hex"]
        assert hashes.source_fingerprint_v0(src) == vec["source_fingerprint_v0"]
        assert hashes.source_fingerprint_v0(src) == hashes.source_fingerprint_v0(dict(src))  # B-090
        result = vec["sanitize_source_descriptor_v0"]
        if result["ok"]:
            got = hashes.sanitize_source_descriptor_v0(src)
            want = result["descriptor"]
            assert {k: v for k, v in got.items() if v is not None or k in want} == want
            assert hashes.source_bounds_error(got) is None
        else:
            with pytest.raises(BundleWriteError) as info:
                hashes.sanitize_source_descriptor_v0(src)
            assert (info.value.kind, info.value.message) == ("InvalidInput", result["message"])


def test_read_path_bounds_b096() -> None:
    """B-096: a 2049-byte uri is rejected on read (uri first), a normal descriptor passes."""
    ok = {"uri": "s3://b/k", "content_type": "x", "auth_mode": "none", "etag_or_version": None}
    assert hashes.source_bounds_error(ok) is None
    assert hashes.source_bounds_error({**ok, "uri": "u" * 2049, "etag_or_version": "e" * 600}) == (
        "source descriptor uri too long: 2049 > 2048"
    )
    assert hashes.source_bounds_error({**ok, "etag_or_version": "é" * 257}) == (
        "source descriptor etag_or_version too long: 514 > 512"
    )
    assert hashes.source_bounds_error({**ok, "uri": "u" * 2048, "etag_or_version": "e" * 512}) is None


def test_sanitize_examples_of_section_9_3() -> None:
    assert hashes.redact_uri("s3://alice:secret@bucket/path/file.parquet?part=1") == (
        "s3://<redacted>@bucket/path/file.parquet"
    )
    assert hashes.redact_uri("s3://b/file.parquet?version=2&token=abc") == "s3://b/file.parquet"
    assert hashes.redact_uri("s3://b/file.parquet#sheet1") == "s3://b/file.parquet"
    assert hashes.redact_uri("\u3000s3://a@b@c/x\u0085") == "s3://<redacted>@c/x"
    assert hashes.rust_trim("\x1cx\x1c") == "\x1cx\x1c"  # U+001C is not White_Space


def test_recipe_hash_vectors() -> None:
    vecs = load_ndjson("recipe_hash_v0.ndjson")
    assert len(vecs) == 42
    authored = {v["node_json"]: authored_node(v) for v in NODE_VECTORS}
    for vec in vecs:
        node = authored[vec["node_json"]]  # the same nodes, with their writer-side typing
        assert hashes.node_def_hash(node) == vec["node_def_hash"]
        assert (
            hashes.recipe_hash_v0(vec["node_def_hash"], vec["upstream_fingerprints"]) == vec["recipe_hash_v0"]
        )


def test_dataset_fingerprint_vectors() -> None:
    vecs = load_ndjson("dataset_fingerprint_v0.ndjson")
    assert len(vecs) == 42
    for vec in vecs:
        got = hashes.dataset_fingerprint_v0(
            vec["source_fingerprint_v0"], vec["schema_hash_v0"], vec["recipe_hash_v0"]
        )
        assert got == vec["fingerprint_v0"]


def test_cache_key_vectors_b097() -> None:
    """B-097: identical inputs give the identical key; any upstream fingerprint change changes it."""
    vecs = load_ndjson("cache_key_v0.ndjson")
    assert len(vecs) == 210
    for vec in vecs:
        args = (vec["node_def_hash"], vec["upstream_fingerprints"], vec["execution_profile"])
        assert hashes.cache_key_v0(*args) == vec["cache_key_v0"]
        if vec["upstream_fingerprints"]:
            changed = ["0" * 64, *vec["upstream_fingerprints"][1:]]
            assert (
                hashes.cache_key_v0(vec["node_def_hash"], changed, vec["execution_profile"])
                != vec["cache_key_v0"]
            )


def test_status_fingerprint_vectors() -> None:
    vecs = load_ndjson("status_fingerprint_v0.ndjson")
    assert len(vecs) == 10
    for vec in vecs:
        args = (vec["node_id"], vec["asset_key"], vec["record_seq"], vec["status"])
        assert hashes.status_fingerprint_v0(*args) == vec["fingerprint_v0"] == vec["record"]["fingerprint_v0"]


def test_native_runner_span_id_vectors() -> None:
    vecs = load_ndjson("native_runner_span_id.ndjson")
    assert len(vecs) == 4
    for vec in vecs:
        assert hashes.node_id_from_key(vec["node_key"]) == vec["node_id"]
        assert hashes.native_runner_span_id(vec["node_id"], vec["start_unix_nanos"]) == vec["span_id"]
        assert json.loads(vec["span_record_json"])["span_id"] == vec["span_id"]
