"""Content findings and the loader emulation on hand-edited copies of the fixtures (§16, §18.12, F-02/F-18/F-20)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from swarmview.core.bundle import load_bundle
from swarmview.core.content import ContentChecker, feed_from_disk
from swarmview.core.findings import Finding
from tests.helpers import copy_fixture


def _run(root: Path) -> tuple[list[Finding], dict[str, Any], Any]:
    """Content findings, upstream's load_report (manifest assumed valid) and the viewer's bundle."""
    checker = ContentChecker(root)
    feed_from_disk(checker, root)
    findings, load = checker.finish(None)
    return findings, load, load_bundle(root)


def _edit(path: Path, old: bytes, new: bytes, count: int = 1) -> None:
    data = path.read_bytes()
    assert old in data
    path.write_bytes(data.replace(old, new, count))


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")


def test_b138_invalid_v2_is_downgraded_to_v1(tmp_path: Path) -> None:
    """B-138 / F-18: a misspelled cache_decision reads as V1 silently upstream; swarmview warns."""
    root = copy_fixture("rich", tmp_path)
    _edit(root / "datasets/materializations.ndjson", b'"cache_decision":"miss"', b'"cache_decision":"HIT"')
    findings, load, bundle = _run(root)
    down = [f for f in findings if f.code == "MATERIALIZATION_DOWNGRADED"]
    assert [(f.path, f.line, f.severity) for f in down] == [
        ("datasets/materializations.ndjson", 1, "warning")
    ]
    assert "unknown variant `HIT`" in down[0].message
    assert not [f for f in findings if f.code == "UNSUPPORTED_SCHEMA_VERSION" and f.line == 1]
    assert load == {"ok": True, "warnings": []}
    row = bundle.materializations[bundle.materialization_lines.index(1)]
    assert row["op_type"] == "unknown" and row["unsafe_reasons"] == ["missing_provenance"]


def test_b139_materialization_matching_neither_form_fails_the_load(tmp_path: Path) -> None:
    """B-139: no position suffix for the untagged mismatch of a whole line."""
    root = copy_fixture("rich", tmp_path)
    path = root / "datasets/materializations.ndjson"
    lines = _lines(path)
    lines[2] = lines[2].replace(b'"asset_key"', b'"asset"')
    path.write_bytes(b"\n".join(lines))
    _, load, bundle = _run(root)
    assert load == {
        "ok": False, "kind": "InvalidData", "file": "datasets/materializations.ndjson",
        "message": "invalid ndjson at line 3: data did not match any variant of untagged enum MaterializationRecordCompat",
    }  # fmt: skip
    assert len(bundle.materializations) == 14  # swarmview keeps the others (F-10)


def test_b132_b134_b135_b137_rich_materializations(tmp_path: Path) -> None:
    """B-132/B-134/B-135/B-137: V1 and V2 rows load as V2, applied_transforms kept or empty, (ts, seq) order."""
    bundle = _run(copy_fixture("rich", tmp_path))[2]
    recs = bundle.materializations
    assert all(r["schema_version"] == 2 for r in recs)
    v1_rows = [r for r, line in zip(recs, bundle.materialization_lines, strict=True) if line in (13, 14)]
    assert len(v1_rows) == 2 and all(r["op_type"] == "unknown" and r["unsafe_surface"] for r in v1_rows)
    assert {r["record_seq"] for r in v1_rows} == {13, 14}  # 1-based position among parsed rows
    with_audits = [r for r in recs if r["applied_transforms"]]
    assert with_audits and all(
        isinstance(a["transform_name"], str) for r in with_audits for a in r["applied_transforms"]
    )
    assert all(r["applied_transforms"] == [] for r in recs if r not in with_audits)
    keys = [(r["ts_unix_nanos"], r["record_seq"]) for r in recs]
    assert keys == sorted(keys)


def test_b140_blank_lines_and_crlf(tmp_path: Path) -> None:
    """B-140: blank/whitespace lines skipped, CRLF accepted, line numbers count every line."""
    root = copy_fixture("rich", tmp_path)
    lines = _lines(root / "events.ndjson")
    (root / "events.ndjson").write_bytes(lines[0] + b"\r\n\n \t\n" + lines[1] + b"\n")
    findings, load, bundle = _run(root)
    assert load["ok"] is True
    assert {(f.path, f.line) for f in findings if f.code == "NDJSON_BLANK_LINE"} == {
        ("events.ndjson", 2), ("events.ndjson", 3),
    }  # fmt: skip
    assert bundle.counts["events"] == 2 and bundle.events.line.tolist() == [1, 4]
    (root / "events.ndjson").write_bytes(lines[0] + b"\r\n\n \t\n{" + b"\n")
    _, load, _ = _run(root)
    assert load["message"].startswith("invalid ndjson at line 4: EOF while parsing an object")


def test_b141_invalid_utf8_fails_without_line(tmp_path: Path) -> None:
    """B-141: invalid UTF-8 anywhere in an NDJSON file: the read fails without line or file name."""
    root = copy_fixture("rich", tmp_path)
    _edit(root / "metrics.ndjson", b"train/loss", b"train/l\xffss")
    _, load, bundle = _run(root)
    assert load == {"ok": False, "kind": "InvalidData", "message": "stream did not contain valid UTF-8",
                    "file": "metrics.ndjson"}  # fmt: skip
    assert bundle.counts["metrics"] >= 2000  # swarmview still reads the valid lines


def test_graph_json_unknown_key_duplicate_field_and_syntax(tmp_path: Path) -> None:
    """F-20: unknown keys are info; a duplicate struct key is DUPLICATE_KEY (error), not a parse error."""
    root = copy_fixture("minimal", tmp_path)
    graph = root / "graph.json"
    original = graph.read_bytes()
    graph.write_bytes(
        original.replace(b'{\n  "schema_version": 1,', b'{\n  "schema_version": 1,\n  "owner": "me",')
    )
    findings, load, _ = _run(root)
    assert [(f.code, f.severity, f.line) for f in findings if f.path == "graph.json"] == [
        ("UNKNOWN_FIELD", "info", 3)
    ]
    assert load["ok"] is True
    graph.write_bytes(
        original.replace(b'{\n  "schema_version": 1,', b'{\n  "schema_version": 1,\n  "schema_version": 1,')
    )
    findings, load, _ = _run(root)
    codes = [(f.code, f.severity) for f in findings if f.path == "graph.json"]
    assert ("DUPLICATE_KEY", "error") in codes and "JSON_PARSE_ERROR" not in {c for c, _ in codes}
    assert load["ok"] is False and load["file"] == "graph.json"
    assert load["message"].startswith("duplicate field `schema_version` at line 3 column")
    graph.write_bytes(original[:-2])
    findings, load, bundle = _run(root)
    parse = [f for f in findings if f.code == "JSON_PARSE_ERROR"]
    assert len(parse) == 1 and parse[0].path == "graph.json" and parse[0].message.startswith("graph.json:")
    m = re.search(r" at line (\d+) column (\d+)$", load["message"])
    assert m is not None and (parse[0].line, parse[0].column) == (int(m[1]), int(m[2]))  # both the slice rule
    assert load["kind"] == "InvalidData" and "EOF while parsing" in load["message"]
    assert bundle.graph is None


def test_invalid_marker_is_fatal_upstream_and_a_warning_here(tmp_path: Path) -> None:
    """F-02 / B-128: a corrupt marker fails upstream's load; swarmview replays the logs and warns."""
    root = copy_fixture("rich", tmp_path)
    (root / "datasets/snapshot_pair_commit.json").write_bytes(b"\xef\xbb\xbf{}")
    findings, load, bundle = _run(root)
    bad = [f for f in findings if f.code == "SNAPSHOT_MARKER_INVALID"]
    assert [(f.line, f.column, f.severity) for f in bad] == [(1, 1, "warning")]
    assert "registry and lineage rebuilt from the update logs" in bad[0].message
    assert "SNAPSHOT_PAIR_MISMATCH" not in {f.code for f in findings}
    assert load == {"ok": False, "kind": "InvalidData", "message": "expected value at line 1 column 1",
                    "file": "datasets/snapshot_pair_commit.json"}  # fmt: skip
    assert bundle.counts["datasets"] == 10  # rich's log alone holds every dataset


def test_run_json_schema_version(tmp_path: Path) -> None:
    """F-19: run.json schema_version 2 is read as 1 with a warning."""
    root = copy_fixture("minimal", tmp_path)
    _edit(root / "run.json", b'"schema_version": 1', b'"schema_version": 2')
    findings, load, _ = _run(root)
    assert [(f.code, f.path) for f in findings if f.code == "UNSUPPORTED_SCHEMA_VERSION"] == [
        ("UNSUPPORTED_SCHEMA_VERSION", "run.json")
    ]
    assert load["ok"] is True
