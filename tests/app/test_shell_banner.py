"""The verification banner: plain-words verdicts, upstream's view, damaged and hostile bundles."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from swarmview.app.banner import upstream_sentence, verdict_headline
from tests.app.conftest import OFFSCREEN_NOISE, open_and_settle
from tests.helpers import VERDICTS, copy_fixture, snapshot_tree

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"), pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)]


def _verdict_file(name: str) -> dict:
    data = json.loads((VERDICTS / f"{name}.json").read_text())
    return {k: data.get(k) for k in ("open", "validate_manifest", "load_report")}


def test_headlines_in_plain_words() -> None:
    counts = {"error": 2, "warning": 1, "unverified": 1}
    assert verdict_headline({"verdict": "verified"}) == "Verified: every file matches the manifest"
    assert "1 warning)" in verdict_headline({"verdict": "verified_with_warnings", "counts": counts})
    assert verdict_headline({"verdict": "problems", "counts": counts}).startswith("2 problems found")
    assert verdict_headline({"verdict": "problems", "counts": {"error": 1}}).startswith("1 problem found")
    assert verdict_headline({"verdict": "could_not_verify", "counts": counts}).startswith("Could not verify")
    assert "cancelled" in verdict_headline({"verdict": "cancelled"})
    assert "not hashed" in verdict_headline({"verdict": "verified", "tier": "fast"})


def test_upstream_sentence_from_verdict_files() -> None:
    assert upstream_sentence(_verdict_file("rich")).startswith("SwarmTorch's validator accepts the manifest; its "
                                                               "report tool can load the run")
    nonfinite = upstream_sentence({"open": {"ok": True}, "validate_manifest": {"ok": True},
                                   "load_report": {"ok": False, "kind": "InvalidData", "file": "metrics.ndjson",
                                                   "message": "invalid ndjson at line 2: x"}})
    assert nonfinite == ("SwarmTorch's validator accepts the manifest; its report tool cannot load the run: "
                         "metrics.ndjson: invalid ndjson at line 2: x.")
    truncated = upstream_sentence(_verdict_file("rich_truncated"))
    assert "rejects it: size mismatch for spans.ndjson (expected 67124)" in truncated
    assert "cannot load the run either" in truncated
    fifo = upstream_sentence({"open": {"ok": True}, "validate_manifest": {"ok": None, "kind": None,
                              "message": "upstream blocks forever reading artifacts/pipe (a fifo)"},
                              "load_report": None})
    assert "would not finish: upstream blocks forever" in fifo
    assert upstream_sentence({"open": {"ok": False, "message": "boom"}}) == "SwarmTorch cannot open this run: boom"


def test_rich_banner(qtbot, window, rich_copy) -> None:
    open_and_settle(qtbot, window, rich_copy)
    b = window.banner
    assert b.state == "verified_with_warnings"  # STORED_HASH_MISMATCH on 2 nodes (VERIFY.md §13)
    assert "Verified with warnings" in b.headline.text()
    digest = b.digest.text()
    import hashlib

    assert hashlib.sha256((rich_copy / "manifest.json").read_bytes()).hexdigest() in digest
    assert b.upstream.text().startswith("SwarmTorch's validator accepts the manifest")
    assert b.reverify_button.isVisible() and not b.cancel_button.isVisible()


@pytest.mark.parametrize(
    ("name", "expect"),
    [
        ("rich_truncated", "spans.ndjson"),
        ("unfinalized", "manifest.json"),
        ("minimal_bom_manifest", "manifest.json"),
        ("rich_missing_artifact", "checkpoint-0003.bin"),
        ("rich_byte_flip", "metrics.ndjson"),
    ],
)
def test_damaged_fixtures_show_problems(qtbot, window, tmp_path, name, expect) -> None:
    root = copy_fixture(name, tmp_path)
    before = snapshot_tree(root)
    open_and_settle(qtbot, window, root)
    b = window.banner
    assert b.state == "problems", b.headline.text()
    assert "not intact" in b.headline.text()
    assert expect in b.detail.text() + b.upstream.text()
    assert "#9b2226" in b.styleSheet()  # red
    # the damaged file is flagged in the Integrity tab (and the tab says so)
    integrity = window.views["integrity"]
    statuses = {f["path"]: f["status"] for f in integrity.files.files}
    assert statuses, "the file table is filled"
    if name == "unfinalized":
        assert b.digest.text() == "manifest.json: none (not finalized)"
    assert snapshot_tree(root) == before


def test_rich_ndjson_corrupt_marks_events(qtbot, window, tmp_path) -> None:
    root = copy_fixture("rich_ndjson_corrupt", tmp_path)
    open_and_settle(qtbot, window, root)
    data = window.report.to_json()
    if not any(f["code"] == "NDJSON_PARSE_ERROR" for f in data["findings"]):
        pytest.xfail("the verifier's content stage does not report NDJSON_PARSE_ERROR yet")
    assert window.banner.state == "problems"
    i = list(window.views).index("events")
    assert "events.ndjson" in window.tabs.tabToolTip(i)
    assert not window.tabs.tabIcon(i).isNull()


@pytest.mark.timeout(60)
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_listed_fifo_does_not_hang(qtbot, window, tmp_path) -> None:
    """A FIFO listed in the manifest is reported, never opened: no worker blocks on it (F-04)."""
    root = copy_fixture("rich", tmp_path)
    os.mkfifo(root / "artifacts" / "pipe")
    manifest = json.loads((root / "manifest.json").read_text())
    manifest["entries"].insert(0, {"path": "artifacts/pipe", "sha256": "0" * 64, "bytes": 0, "required": False})
    (root / "manifest.json").write_text(json.dumps(manifest, indent=2))
    open_and_settle(qtbot, window, root, timeout=30_000)
    assert window.banner.state == "problems"
    artifacts = window.views["artifacts"]
    window.show_view("artifacts")
    artifacts.show_preview("artifacts/pipe")
    qtbot.waitUntil(lambda: artifacts.preview is not None, timeout=5_000)
    assert "not a regular file" in artifacts.preview.note


def test_unreadable_path_message(qtbot, window, tmp_path: Path) -> None:
    open_and_settle(qtbot, window, tmp_path / "does-not-exist")
    assert window.banner.state == "error"
    assert "no such file or folder" in window.banner.detail.text()
