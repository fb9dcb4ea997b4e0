"""Upstream's ``load_report`` emulated on every shared fixture equals ``verdicts/<name>.json`` (§16.1, B-142).

open/validate_manifest are the verifier's stages: their recorded failure is passed in as ``prior_failure``
and must come back unchanged, with the file it is about.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from swarmview.core.content import ContentChecker, feed_from_disk
from swarmview.core.upstream_load import emulate_load_report, upstream_load_report
from tests.helpers import FIXTURE_NAMES, VERDICTS, copy_fixture


def _verdict(name: str) -> dict[str, Any]:
    return json.loads((VERDICTS / f"{name}.json").read_text())


def _prior(verdict: dict[str, Any]) -> dict[str, Any] | None:
    if not verdict["open"]["ok"]:
        return {"ok": False, "not_run": "RunArtifactBundle::open failed", **verdict["open"]}
    if not verdict["validate_manifest"]["ok"]:
        return verdict["validate_manifest"]
    return None


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_load_report_equals_verdict(name: str, tmp_path: Path) -> None:
    """B-142, B-127, B-131, B-139, B-141: ok/kind/message/warnings as upstream's loader says them."""
    verdict = _verdict(name)
    expected = verdict["load_report"]
    root = copy_fixture(name, tmp_path)
    checker = ContentChecker(root)
    feed_from_disk(checker, root)
    result = checker.result(None)
    outcome = emulate_load_report(result.upstream_files, _prior(verdict))
    report = outcome.report
    assert report["ok"] == expected["ok"]
    if expected["ok"]:
        assert report["warnings"] == expected["warnings"]
        assert outcome.counts == expected["counts"]
        assert outcome.unsafe_nodes == expected["unsafe_nodes"]
        assert outcome.untrusted_datasets == expected["untrusted_datasets"]
        assert outcome.unsafe_materializations == expected["unsafe_materializations"]
    else:
        assert (report["kind"], report["message"]) == (expected["kind"], expected["message"])
        assert report["file"] is not None


@pytest.mark.parametrize(
    ("name", "file"),
    [
        ("nonfinite", "metrics.ndjson"),
        ("nonfinite_attr", "spans.ndjson"),
        ("rich_ndjson_corrupt", "events.ndjson"),
        ("crashed_midrun", "metrics.ndjson"),
        ("unfinalized", "manifest.json"),
        ("rich_missing_artifact", "artifacts/model/checkpoint-0003.bin"),
    ],
)
def test_failing_file_is_named(name: str, file: str, tmp_path: Path) -> None:
    """VERIFY.md §3: ``file`` is the bundle file the failing step read."""
    verdict = _verdict(name)
    report = upstream_load_report(copy_fixture(name, tmp_path), prior_failure=_prior(verdict))
    assert report["file"] == file
    assert report["message"] == verdict["load_report"]["message"]


def test_content_failure_when_manifest_is_ignored(tmp_path: Path) -> None:
    """Without a prior failure the content steps run: rich_truncated's torn spans line is upstream's error."""
    report = upstream_load_report(copy_fixture("rich_truncated", tmp_path), validate=False)
    assert report["ok"] is False and report["file"] == "spans.ndjson"
    assert report["message"].startswith("invalid ndjson at line 90: ")


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_standalone_upstream_load_report(name: str, tmp_path: Path) -> None:
    """All of §16.1 on disk (open and validate_manifest through verify.upstream_validate) equals the verdict."""
    expected = _verdict(name)["load_report"]
    report = upstream_load_report(copy_fixture(name, tmp_path))
    assert report["ok"] == expected["ok"]
    if expected["ok"]:
        assert report["warnings"] == expected["warnings"]
    else:
        assert (report["kind"], report["message"]) == (expected["kind"], expected["message"])
