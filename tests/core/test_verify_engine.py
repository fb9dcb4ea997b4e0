"""verify(): VERIFY.md §13 for every shared fixture, read-only guarantee, report shape (§8)."""

from __future__ import annotations

from pathlib import Path

import pytest

from swarmview.core.verify.engine import Progress, run_verify, verify
from tests.core._verify_support import copy_bundle, verdict
from tests.helpers import FIXTURE_NAMES, snapshot_tree

# fixture -> findings it must report (code, path, line, column); None = any
MUST: dict[str, list[tuple[str, str | None, int | None, int | None]]] = {
    "minimal_extra_unlisted": [("UNLISTED_FILE", "artifacts/untracked.txt", None, None)],
    "minimal_symlink_inside": [("SYMLINK_IN_BUNDLE", "artifacts/run-link.json", None, None)],
    "rich_skipped_names": [("UNHASHED_BY_NAME", "artifacts/export/manifest.json", None, None),
                           ("UNHASHED_BY_NAME", "artifacts/upload.part.tmp", None, None)],
    "legacy_alpha6": [("LEGACY_MISSING_UPDATE_LOGS", None, None, None)],
    "unfinalized": [("MANIFEST_MISSING", "manifest.json", None, None)],
    "crashed_midrun": [("APPENDED_SINCE_FINALIZE", "metrics.ndjson", None, None)],
    "rich_byte_flip": [("HASH_MISMATCH", "metrics.ndjson", None, None)],
    "rich_truncated": [("SIZE_MISMATCH", "spans.ndjson", None, None)],
    "rich_missing_artifact": [("FILE_MISSING", "artifacts/model/checkpoint-0003.bin", None, None)],
    "rich_noncanonical_paths": [("NON_CANONICAL_PATH", "artifacts/./notes.md", None, None),
                                ("NON_CANONICAL_PATH", "artifacts//eval/summary.json", None, None)],
    "minimal_wrong_size": [("SIZE_MISMATCH", "run.json", None, None)],
    "minimal_path_parent": [("NON_CANONICAL_PATH", "../outside.txt", None, None)],
    "minimal_path_leading_dot": [("NON_CANONICAL_PATH", "./run.json", None, None),
                                 ("REQUIRED_ENTRY_MISSING", "run.json", None, None)],
    "minimal_path_absolute": [("NON_CANONICAL_PATH", "/run.json", None, None),
                              ("REQUIRED_ENTRY_MISSING", "run.json", None, None)],
    "minimal_path_backslash": [("NON_CANONICAL_PATH", "datasets\\registry.json", None, None),
                               ("REQUIRED_ENTRY_MISSING", "datasets/registry.json", None, None)],
    "minimal_required_noncanonical": [("NON_CANONICAL_PATH", "datasets//registry.json", None, None),
                                      ("REQUIRED_ENTRY_MISSING", "datasets/registry.json", None, None)],
    "minimal_dup_keys_manifest": [("MANIFEST_INVALID", "manifest.json", 5, 14)],
    "minimal_bom_manifest": [("MANIFEST_INVALID", "manifest.json", 1, 1)],
    "minimal_schema_version_2": [("UNSUPPORTED_MANIFEST_VERSION", "manifest.json", None, None)],
}
# found only by the content stage (core.content)
MUST_CONTENT: dict[str, list[tuple[str, str | None, int | None, int | None]]] = {
    "rich": [("STORED_HASH_MISMATCH", None, None, None)],
    "u64_param_roundtrip": [("STORED_HASH_MISMATCH", None, None, None)],
    "nonfinite": [("NONFINITE_AS_NULL", "metrics.ndjson", n, None) for n in (2, 3, 4)],
    "nonfinite_attr": [("NONFINITE_AS_NULL", "spans.ndjson", 2, None)],
    "nonfinite_param": [("NONFINITE_AS_NULL", "graph.json", None, None), ("STORED_HASH_MISMATCH", None, None, None)],
    "descriptor_bounds_warning": [("SOURCE_DESCRIPTOR_TOO_LONG", None, None, None)],
    "rich_snapshot_mismatch": [("SNAPSHOT_PAIR_MISMATCH", None, None, None)],
    "rich_uppercase_ids": [("NON_CANONICAL_JSON", None, None, None)],
    "rich_truncated": [("NDJSON_TORN_LAST_LINE", "spans.ndjson", 90, None)],
    "rich_ndjson_corrupt": [("NDJSON_PARSE_ERROR", "events.ndjson", 5, 240)],
}
DEFAULT_EXIT = {
    "unfinalized": 1, "crashed_midrun": 1, "rich_byte_flip": 1, "rich_truncated": 1, "rich_missing_artifact": 1,
    "rich_ndjson_corrupt": 1, "rich_noncanonical_paths": 1, "minimal_wrong_size": 1, "minimal_path_parent": 1,
    "minimal_path_leading_dot": 1, "minimal_path_absolute": 1, "minimal_path_backslash": 1,
    "minimal_required_noncanonical": 1, "minimal_dup_keys_manifest": 1, "minimal_bom_manifest": 1,
    "minimal_schema_version_2": 1,
}
UPSTREAM_EXIT = {
    name: (1 if verdict(name)["validate_manifest"]["ok"] is False else 0) for name in FIXTURE_NAMES
}


def _has(report, code: str, path: str | None, line: int | None, column: int | None) -> bool:  # type: ignore[no-untyped-def]
    return any(f.code == code and (path is None or f.path == path) and (line is None or f.line == line)
               and (column is None or f.column == column) for f in report.findings)


def _content_ready(report) -> bool:  # type: ignore[no-untyped-def]
    return report.upstream["load_report"] is not None and not report.internal_errors


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixture_expectations_default_profile(name: str, tmp_path: Path) -> None:
    """VERIFY.md §13 (default profile): required findings, exit code, upstream stages, nothing written."""
    copy = copy_bundle(name, tmp_path)
    before = snapshot_tree(copy)
    report = run_verify(copy)
    assert snapshot_tree(copy) == before, "verify must not write into the bundle"
    for must in MUST.get(name, []):
        assert _has(report, *must), (must, [f.to_json() for f in report.findings])
    assert report.upstream["open"] == verdict(name)["open"]
    assert report.upstream["validate_manifest"] == verdict(name)["validate_manifest"]
    if name in ("minimal", "minimal_session"):
        assert {f.severity for f in report.findings} <= {"info"}
    if name in ("legacy_alpha6_migrated", "midrun_always"):
        assert "error" not in {f.severity for f in report.findings}
    if not _content_ready(report):
        if name in MUST_CONTENT or name in ("rich_ndjson_corrupt",):
            pytest.xfail(f"content stage (core.content) not available: {report.internal_errors[:1]}")
    else:
        for must in MUST_CONTENT.get(name, []):
            assert _has(report, *must), (must, [f.to_json() for f in report.findings])
        expected_load = verdict(name)["load_report"]
        assert report.upstream["load_report"]["ok"] == expected_load["ok"]
        if expected_load["ok"]:
            assert report.upstream["load_report"]["warnings"] == expected_load["warnings"]
        else:
            assert report.upstream["load_report"]["message"] == expected_load["message"]
    assert report.exit_code == DEFAULT_EXIT.get(name, 0)


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixture_exit_codes_strict_and_upstream(name: str, tmp_path: Path) -> None:
    """§4/§13: strict turns any warning into exit 1; upstream's exit follows validate_manifest only."""
    copy = copy_bundle(name, tmp_path)
    default = run_verify(copy)
    strict = run_verify(copy, profile="strict")
    warned = any(f.severity in ("warning", "error") for f in default.findings)
    assert strict.exit_code == (1 if warned else default.exit_code)
    assert all(f.severity != "warning" for f in strict.findings)
    upstream = run_verify(copy, profile="upstream")
    assert upstream.exit_code == UPSTREAM_EXIT[name]
    assert all(f.severity == "info" for f in upstream.findings)
    assert {f.code for f in upstream.findings} == {f.code for f in default.findings}


def test_legacy_alpha6_is_warning_under_default_B073(tmp_path: Path) -> None:
    """§4: legacy_alpha6 verifies with warnings (exit 0), 1 under strict and upstream."""
    copy = copy_bundle("legacy_alpha6", tmp_path)
    report = run_verify(copy)
    if _content_ready(report):
        assert report.verdict == "verified_with_warnings"
    assert run_verify(copy, profile="strict").exit_code == 1
    assert run_verify(copy, profile="upstream").exit_code == 1


def test_crashed_midrun_appended_details_B072(tmp_path: Path) -> None:
    """F-12: prefix digest taken during the single read; message, expected/found and files[] status."""
    report = run_verify(copy_bundle("crashed_midrun", tmp_path))
    f = next(f for f in report.findings if f.code == "APPENDED_SINCE_FINALIZE")
    assert f.message == (
        "metrics.ndjson: 536 bytes (3 records) were appended after the manifest was written; the first 534 "
        "bytes still match it. The run was probably interrupted after the last finalize; re-finalize to accept "
        "(swarmview finalize)")
    assert (f.expected, f.found, f.severity) == (534, 1070, "error")
    entry = next(x for x in report.files if x.path == "metrics.ndjson")
    assert (entry.status, entry.bytes, entry.expected_bytes) == ("appended", 1070, 534)
    assert entry.sha256 == "6796f6ce7f3b061cf059d8db014f3abd213a79db069dc8ecc4e96436644111e6"
    assert report.bytes_hashed == 5845
    assert report.counts["files_listed"] == 11 and report.counts["files_ok"] == 10
    assert report.verdict == "problems" and report.exit_code == 1


def test_size_and_hash_messages(tmp_path: Path) -> None:
    """B-067/B-068 in swarmview's words: both sizes, both digests."""
    wrong = run_verify(copy_bundle("minimal_wrong_size", tmp_path))
    f = next(f for f in wrong.findings if f.code == "SIZE_MISMATCH")
    assert (f.message, f.expected, f.found) == ("run.json: size 151 bytes, manifest says 152", 152, 151)
    flip = run_verify(copy_bundle("rich_byte_flip", tmp_path))
    f = next(f for f in flip.findings if f.code == "HASH_MISMATCH")
    assert f.message == f"metrics.ndjson: sha256 {f.found}, manifest says {f.expected}" and f.found != f.expected
    truncated = run_verify(copy_bundle("rich_truncated", tmp_path))
    f = next(f for f in truncated.findings if f.code == "SIZE_MISMATCH")
    assert (f.expected, f.found) == (67124, 26849)


def test_fast_tier(tmp_path: Path) -> None:
    """§5: fast reads only run.json/manifest.json and lstat; an append is a size mismatch; only open runs."""
    copy = copy_bundle("crashed_midrun", tmp_path)
    report = run_verify(copy, tier="fast")
    assert _has(report, "SIZE_MISMATCH", "metrics.ndjson", None, None)
    assert not _has(report, "APPENDED_SINCE_FINALIZE", None, None, None)
    assert report.bytes_hashed == 0 and report.tier == "fast"
    assert report.upstream["validate_manifest"] is None and report.upstream["load_report"] is None
    assert report.upstream["open"]["ok"] is True
    ok = run_verify(copy_bundle("minimal", tmp_path), tier="fast")
    assert ok.verdict == "verified" and {f.status for f in ok.files} == {"not_hashed"}


def test_report_json_keys_in_order(tmp_path: Path) -> None:
    """§8: every key in order, findings sorted, files in manifest order then unlisted."""
    report = run_verify(copy_bundle("minimal_extra_unlisted", tmp_path))
    doc = report.to_json()
    assert list(doc) == ["schema", "swarmview_version", "path", "root", "run_id", "profile", "tier", "verdict",
                         "exit_code", "findings", "upstream", "files", "counts", "bytes_hashed", "elapsed_s",
                         "cached"]
    assert doc["schema"] == "swarmview.verify/1" and doc["cached"] is False
    assert list(doc["findings"][0]) == ["code", "severity", "path", "line", "column", "message", "expected", "found"]
    assert list(doc["files"][0]) == ["path", "status", "bytes", "expected_bytes", "sha256", "expected_sha256"]
    assert list(doc["counts"]) == ["error", "warning", "info", "unverified", "files_listed", "files_ok",
                                   "files_unlisted"]
    assert doc["files"][-1] == {"path": "artifacts/untracked.txt", "status": "unlisted",
                                "bytes": (tmp_path / "minimal_extra_unlisted/artifacts/untracked.txt").stat().st_size,
                                "expected_bytes": None, "sha256": None, "expected_sha256": None}
    order = [f.sort_key() for f in report.findings]
    assert order == sorted(order)
    assert doc["run_id"] == "00000000000000000000000000000001"
    assert _has(report, "RUN_DIR_NAME_MISMATCH", None, None, None) and _has(report, "UNSIGNED_BUNDLE", None, None, None)


def test_generator_yields_progress_and_any_inner_path_works(tmp_path: Path) -> None:
    """§1: PATH may be any file inside the bundle; the generator yields Progress then returns."""
    copy = copy_bundle("rich", tmp_path)
    gen = verify(copy / "artifacts" / "model" / "checkpoint-0003.bin")
    seen = []
    while True:
        try:
            seen.append(next(gen))
        except StopIteration as stop:
            report = stop.value
            break
    assert all(isinstance(p, Progress) for p in seen) and seen
    assert seen[-1].files_done == seen[-1].files_total
    assert report.root == str(copy)
