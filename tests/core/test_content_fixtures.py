"""The content stage on the shared fixtures (VERIFY.md §7 content codes, §13 expectations)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from swarmview.core.content import CONTENT_PATHS, ContentChecker
from swarmview.core.findings import Finding
from tests.helpers import FIXTURE_NAMES, VERDICTS, copy_fixture

CHUNK = 4093  # deliberately odd: records and lines straddle chunk boundaries


def _feed(root: Path, checker: Any, chunk: int = CHUNK) -> None:
    """Feed the content files like the verifier does: present regular files, in chunks, then end_file."""
    for rel in CONTENT_PATHS:
        path = root / rel
        if not path.is_file():
            continue
        data = path.read_bytes()
        for i in range(0, len(data), chunk):
            checker.feed(rel, data[i : i + chunk])
        checker.end_file(rel, complete=True, size=len(data))


def _prior(name: str) -> dict[str, Any] | None:
    verdict = json.loads((VERDICTS / f"{name}.json").read_text())
    if not verdict["open"]["ok"]:
        return {"ok": False, "not_run": "RunArtifactBundle::open failed", **verdict["open"]}
    return None if verdict["validate_manifest"]["ok"] else verdict["validate_manifest"]


def _check(name: str, tmp_path: Path, **kwargs: Any) -> tuple[list[Finding], dict[str, Any]]:
    root = copy_fixture(name, tmp_path)
    checker = ContentChecker(root, **kwargs)
    _feed(root, checker)
    return checker.finish(_prior(name))


def _above_info(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity != "info"]


def _codes(findings: list[Finding]) -> set[str]:
    return {f.code for f in findings}


def test_nonfinite_metric_values(tmp_path: Path) -> None:
    """F-08: null metric values are NaN with a warning per line; upstream cannot load the run."""
    findings, load = _check("nonfinite", tmp_path)
    nulls = [f for f in findings if f.code == "NONFINITE_AS_NULL"]
    assert [(f.path, f.line) for f in nulls] == [
        ("metrics.ndjson", 2),
        ("metrics.ndjson", 3),
        ("metrics.ndjson", 4),
    ]
    assert all(f.severity == "warning" for f in _above_info(findings))
    assert load == {
        "ok": False, "kind": "InvalidData", "file": "metrics.ndjson",
        "message": "invalid ndjson at line 2: invalid type: null, expected f64 at line 1 column 149",
    }  # fmt: skip


def test_nonfinite_attr(tmp_path: Path) -> None:
    findings, load = _check("nonfinite_attr", tmp_path)
    nulls = [f for f in findings if f.code == "NONFINITE_AS_NULL"]
    assert nulls and {(f.path, f.line) for f in nulls} == {("spans.ndjson", 2)}
    assert load["ok"] is False and load["file"] == "spans.ndjson"


def test_nonfinite_param_proven_by_stored_hash(tmp_path: Path) -> None:
    """F-08/F-21: graph params written as null, proven non-finite by the stored node_def_hash."""
    findings, load = _check("nonfinite_param", tmp_path)
    nulls = [f for f in findings if f.code == "NONFINITE_AS_NULL"]
    assert len(nulls) == 1 and nulls[0].path == "graph.json"
    assert "train/step" in nulls[0].message and "clip" in nulls[0].message and "lr" in nulls[0].message
    assert "STORED_HASH_MISMATCH" in _codes(findings)
    assert load == {"ok": True, "warnings": []}


def test_rich_ndjson_corrupt_position(tmp_path: Path) -> None:
    """F-10: the torn line is reported where upstream's slice reader names it; other lines still read."""
    findings, load = _check("rich_ndjson_corrupt", tmp_path)
    errors = [f for f in findings if f.code == "NDJSON_PARSE_ERROR"]
    assert [(f.path, f.line, f.column) for f in errors] == [("events.ndjson", 5, 240)]
    assert load["file"] == "events.ndjson"
    assert load["message"] == "invalid ndjson at line 5: EOF while parsing a string at line 1 column 240"


def test_rich_snapshot_mismatch(tmp_path: Path) -> None:
    findings, load = _check("rich_snapshot_mismatch", tmp_path)
    assert "SNAPSHOT_PAIR_MISMATCH" in _codes(findings)
    assert load["warnings"] == [
        {"SnapshotPairMismatch": {"message": "snapshot pair hash mismatch; replaying from NDJSON updates"}}
    ]


def test_descriptor_bounds_warning(tmp_path: Path) -> None:
    """F-24 / B-131: the over-long uri is a warning swarmview shows and upstream only returns."""
    findings, load = _check("descriptor_bounds_warning", tmp_path)
    too_long = [f for f in findings if f.code == "SOURCE_DESCRIPTOR_TOO_LONG"]
    assert any("uri is 2125 bytes (limit 2048)" in f.message for f in too_long)
    assert load["warnings"] == [
        {"SourceDescriptorBoundsExceeded": {"asset_key": "dataset://bounds/huge",
                                            "message": "source descriptor uri too long: 2125 > 2048"}}
    ]  # fmt: skip


def test_rich_uppercase_ids_are_info_only(tmp_path: Path) -> None:
    findings, load = _check("rich_uppercase_ids", tmp_path)
    assert "NON_CANONICAL_JSON" in _codes(findings)
    assert all(f.severity == "info" for f in findings if f.code == "NON_CANONICAL_JSON")
    assert {p.path for p in findings if p.code == "NON_CANONICAL_JSON"} >= {
        "run.json", "spans.ndjson", "events.ndjson", "datasets/lineage_edges.ndjson", "datasets/materializations.ndjson",
    }  # fmt: skip
    # nothing above info beyond what rich itself has: upstream reads ids case-insensitively
    rich, _ = _check("rich", tmp_path)
    assert {(f.code, f.message) for f in _above_info(findings)} == {
        (f.code, f.message) for f in _above_info(rich)
    }
    assert load["ok"] is True


def test_rich_stored_hash_mismatch_on_two_nodes(tmp_path: Path) -> None:
    findings, _ = _check("rich", tmp_path)
    nodes = {f.message.split(" node ")[1].split(":")[0] for f in findings if f.code == "STORED_HASH_MISMATCH"}
    assert nodes == {"feature/shard", "comms/gossip"}


def test_rich_truncated_torn_last_line(tmp_path: Path) -> None:
    findings, load = _check("rich_truncated", tmp_path)
    torn = [f for f in findings if f.code == "NDJSON_TORN_LAST_LINE"]
    assert [(f.path, f.line) for f in torn] == [("spans.ndjson", 90)]
    assert load["message"] == "size mismatch for spans.ndjson (expected 67124)"  # the prior failure, repeated


@pytest.mark.parametrize(
    "name",
    ["legacy_alpha6_migrated", "midrun_always", "minimal", "minimal_session", "minimal_extra_unlisted"],
)
def test_nothing_above_warning(name: str, tmp_path: Path) -> None:
    findings, load = _check(name, tmp_path)
    assert [f for f in findings if f.severity == "error"] == []
    assert load["ok"] is True


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_every_fixture_load_report_matches_verdict(name: str, tmp_path: Path) -> None:
    """The content stage's load_report equals the verdict file for every fixture (B-142)."""
    _, load = _check(name, tmp_path)
    expected = json.loads((VERDICTS / f"{name}.json").read_text())["load_report"]
    assert load["ok"] == expected["ok"]
    if expected["ok"]:
        assert load["warnings"] == expected["warnings"]
    else:
        assert (load["kind"], load["message"]) == (expected["kind"], expected["message"])


def test_file_too_large_is_hashed_not_parsed(tmp_path: Path) -> None:
    """F-29: over --max-parse-bytes the file is not parsed; upstream's verdict is then undetermined."""
    findings, load = _check("nonfinite", tmp_path, max_parse_bytes=300)
    big = [f for f in findings if f.code == "FILE_TOO_LARGE"]
    assert "metrics.ndjson" in {f.path for f in big}
    assert not [f for f in findings if f.code == "NONFINITE_AS_NULL"]
    assert load["ok"] is None and load["file"] in {f.path for f in big}


def test_one_read_per_file(tmp_path: Path) -> None:
    """finish() works from the fed bytes alone: the bundle may be gone by then."""
    root = copy_fixture("rich_snapshot_mismatch", tmp_path)
    checker = ContentChecker(root)
    _feed(root, checker)
    shutil.rmtree(root)
    findings, load = checker.finish(None)
    assert "SNAPSHOT_PAIR_MISMATCH" in _codes(findings)
    assert load["ok"] is True


def test_unfed_content_paths_are_absent(tmp_path: Path) -> None:
    """Paths never fed are treated as absent: upstream's loader then fails on graph.json first."""
    root = copy_fixture("minimal", tmp_path)
    checker = ContentChecker(root)
    assert checker.wants("graph.json") and not checker.wants("artifacts/x.bin")
    _, load = checker.finish(None)
    assert load == {"ok": False, "kind": "NotFound", "message": "No such file or directory (os error 2)",
                    "file": "graph.json"}  # fmt: skip


def test_incomplete_read_of_a_missing_file_is_upstreams_os_error(tmp_path: Path) -> None:
    root = copy_fixture("minimal", tmp_path)
    checker = ContentChecker(root)
    _feed(root, checker)
    (root / "graph.json").unlink()
    checker.end_file("graph.json", complete=False, size=0)
    _, load = checker.finish(None)
    assert load["kind"] == "NotFound" and load["file"] == "graph.json"


@pytest.mark.parametrize("name", ["rich_ndjson_corrupt", "nonfinite_attr", "rich_truncated"])
def test_chunking_does_not_change_the_result(name: str, tmp_path: Path) -> None:
    """Streaming: the verifier's buffer size must not change findings or upstream's verdict."""
    root = copy_fixture(name, tmp_path)
    results = []
    for chunk in (509, 4096, 1 << 20):
        checker = ContentChecker(root)
        _feed(root, checker, chunk)
        findings, load = checker.finish(None)
        results.append((sorted((f.code, f.path, f.line, f.column, f.message) for f in findings), load))
    assert results[0] == results[1] == results[2]
