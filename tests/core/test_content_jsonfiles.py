"""Small JSON files read once, both ways: upstream's reader (errors, §2.6 positions) and swarmview's (§2.7)."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

from swarmview.core.jsonfiles import read_json_bytes
from tests.helpers import copy_fixture


def test_manifest_duplicate_key_positions_per_reader(tmp_path: Path) -> None:
    """§2.6: upstream's io reader names the ':' (column 14); the finding sits on the repeated key."""
    root = copy_fixture("minimal_dup_keys_manifest", tmp_path)
    res = read_json_bytes("manifest.json", (root / "manifest.json").read_bytes())
    assert res.upstream_error == "duplicate field `hash_algo` at line 5 column 14"
    assert res.upstream_kind == "Other"
    assert (res.upstream_line, res.upstream_column) == (5, 14)
    dup = [f for f in res.findings if f.code == "DUPLICATE_KEY"]
    assert [(f.line, f.severity) for f in dup] == [(5, "error")] and dup[0].column in (13, 14)
    assert res.value is not None and res.value["hash_algo"] == "sha256"  # lenient: the last value


def test_bom_manifest_is_unreadable(tmp_path: Path) -> None:
    data = (copy_fixture("minimal_bom_manifest", tmp_path) / "manifest.json").read_bytes()
    res = read_json_bytes("manifest.json", data)
    assert res.value is None and res.upstream_error == "expected value at line 1 column 1"
    assert [(f.code, f.line, f.column) for f in res.findings] == [("MANIFEST_INVALID", 1, 1)]
    assert res.sha256 == hashlib.sha256(data).hexdigest() and res.size == len(data)


def test_graph_floats_read_both_ways(tmp_path: Path) -> None:
    """§2.7: the graph's upstream value carries upstream's doubles (hashes), the value the exact ones."""
    root = copy_fixture("minimal", tmp_path)
    text = (root / "graph.json").read_text()
    node = (
        '{"node_key": "a", "op_kind": "data", "op_type": "t", "params": {"x": 9.165508846693303, "n": null}}'
    )
    data = text.replace('"nodes": []', f'"nodes": [{node}]').encode()
    res = read_json_bytes("graph.json", data)
    assert res.upstream_error is None and res.findings == []
    assert res.value["nodes"][0]["params"]["x"] == 9.165508846693303
    assert res.upstream_value["nodes"][0]["params"]["x"] == 9.165508846693305
    assert res.value["nodes"][0]["params"]["n"] is None  # CanonValue::Null, not NaN: only the hash can tell


def test_uppercase_run_id_is_non_canonical_and_accepted(tmp_path: Path) -> None:
    res = read_json_bytes(
        "run.json", (copy_fixture("rich_uppercase_ids", tmp_path) / "run.json").read_bytes()
    )
    assert res.upstream_error is None
    assert res.value["run_id"] == "5eed0000c0ffee00a11ce0000000b0b0"
    assert [(f.code, f.severity, f.line) for f in res.findings] == [("NON_CANONICAL_JSON", "info", 3)]


def test_nonfinite_null_in_marker_free_files_is_never_invented(tmp_path: Path) -> None:
    """A registry with an unknown key: UNKNOWN_FIELD (info) once per key, with a count when repeated."""
    root = copy_fixture("rich", tmp_path)
    text = (root / "datasets/registry.json").read_text()
    data = text.replace('"trust": ', '"owner": "x",\n      "trust": ').encode()
    res = read_json_bytes("datasets/registry.json", data)
    unknown = [f for f in res.findings if f.code == "UNKNOWN_FIELD"]
    assert len(unknown) == 1 and unknown[0].severity == "info"
    assert unknown[0].message.endswith(
        f'unknown key "owner" ignored ({text.count(chr(34) + "trust" + chr(34))} times)'
    )
    assert res.upstream_error is None
    assert not any(isinstance(v, float) and math.isnan(v) for e in res.value["datasets"] for v in e.values())
