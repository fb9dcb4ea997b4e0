"""Re-finalize (VERIFY.md §9): same bytes as upstream's finalize_manifest, refusals, backup, atomic write."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from swarmview.core.verify.engine import run_verify
from swarmview.core.verify.finalize import FinalizeRefused, apply_finalize, backup_target, plan_finalize
from swarmview.core.verify.upstream_validate import upstream_stages
from tests.core._verify_support import copy_bundle, fixture_manifest, run_cli, verdict
from tests.helpers import FIXTURE_NAMES, VERDICTS, snapshot_tree

NOW = datetime(2026, 4, 6, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_refinalize_equals_upstream_for_every_fixture(name: str, tmp_path: Path) -> None:
    """§9 "Equal to upstream": fixture bytes, the recorded refinalized manifest, or upstream's error text."""
    copy = copy_bundle(name, tmp_path / "b")
    recorded = verdict(name)["refinalize"]
    if name == "minimal_symlink_inside":
        with pytest.raises(FinalizeRefused) as err:
            plan_finalize(copy)
        assert "artifacts/run-link.json" in str(err.value) and err.value.exit_code == 1
        plan = plan_finalize(copy, skip_links=True)
        assert plan.new_bytes == fixture_manifest(name)
        return
    if not recorded["finalize_manifest"]["ok"]:
        with pytest.raises(FinalizeRefused) as err:
            plan_finalize(copy)
        assert str(err.value) == recorded["finalize_manifest"]["message"] and err.value.exit_code == 1
        return
    old = (copy / "manifest.json").read_bytes() if (copy / "manifest.json").exists() else None
    plan = plan_finalize(copy)
    result = apply_finalize(plan, tmp_path / "backups", now=NOW)
    written = (copy / "manifest.json").read_bytes()
    if recorded["identical_to_fixture_manifest"]:
        assert written == fixture_manifest(name)
    else:
        assert written == (VERDICTS / f"{name}.refinalized_manifest.json").read_bytes()
    if old is None:
        assert result.backup is None
    else:
        assert result.backup == tmp_path / "backups" / plan.run_id / "20260406T120000Z-manifest.json"
        assert result.backup.read_bytes() == old
    assert not [p for p in copy.rglob("*.tmp") if "manifest.json." in p.name]


def test_refinalized_crashed_run_verifies(tmp_path: Path) -> None:
    """F-12: re-finalizing accepts the appended records; upstream then accepts the bundle (B-049)."""
    copy = copy_bundle("crashed_midrun", tmp_path)
    apply_finalize(plan_finalize(copy), tmp_path / "backups", now=NOW)
    report = run_verify(copy)
    assert report.upstream["validate_manifest"] == {"ok": True}
    assert not [f for f in report.findings if f.severity == "error"]


def test_dry_run_diff_lines_and_no_write(tmp_path: Path) -> None:
    """§9 step 6: `+`, `-`, `~` lines; nothing written (bytes and mtimes)."""
    copy = copy_bundle("minimal_extra_unlisted", tmp_path)
    before = snapshot_tree(copy)
    plan = plan_finalize(copy)
    assert plan.diff == [f"+ artifacts/untracked.txt ({(copy / 'artifacts/untracked.txt').stat().st_size} bytes)"]
    assert snapshot_tree(copy) == before
    crashed = copy_bundle("crashed_midrun", tmp_path)
    assert plan_finalize(crashed).diff == ["~ metrics.ndjson (534 → 1070 bytes)"]
    missing = copy_bundle("rich_missing_artifact", tmp_path)
    assert plan_finalize(missing).diff == ["- artifacts/model/checkpoint-0003.bin"]
    assert plan_finalize(copy_bundle("minimal", tmp_path)).diff == ["no changes"]


def test_refusals_name_the_path(tmp_path: Path) -> None:
    """§9 step 3: FIFO, non-UTF-8 name, backslash name, required folder; nothing written."""
    root = copy_bundle("minimal", tmp_path)
    (root / "artifacts").mkdir(exist_ok=True)
    before = snapshot_tree(root)
    os.mkfifo(root / "artifacts" / "pipe")
    with pytest.raises(FinalizeRefused, match="artifacts/pipe: a fifo"):
        plan_finalize(root)
    os.unlink(root / "artifacts" / "pipe")
    bad = root / "artifacts" / os.fsdecode(b"\xfe.bin")
    bad.write_bytes(b"x")
    with pytest.raises(FinalizeRefused, match="not valid UTF-8"):
        plan_finalize(root)
    bad.unlink()
    (root / "artifacts" / "a\\b").write_bytes(b"x")
    with pytest.raises(FinalizeRefused, match="backslash"):
        plan_finalize(root)
    (root / "artifacts" / "a\\b").unlink()
    (root / "events.ndjson").unlink()
    (root / "events.ndjson").mkdir()
    with pytest.raises(FinalizeRefused, match=r"events\.ndjson: required path is a folder"):
        plan_finalize(root)
    (root / "events.ndjson").rmdir()
    (root / "events.ndjson").write_bytes(b"")
    assert (root / "manifest.json").read_bytes() == before["manifest.json"][0]


def test_backup_collisions_and_run_json_failure(tmp_path: Path) -> None:
    folder = tmp_path / "bk"
    folder.mkdir()
    first = backup_target(folder, NOW)
    first.write_text("x")
    assert backup_target(folder, NOW).name == "20260406T120000Z-2-manifest.json"
    root = copy_bundle("minimal", tmp_path)
    (root / "run.json").write_text("{")
    with pytest.raises(FinalizeRefused) as err:
        plan_finalize(root)
    assert str(err.value) == "run.json: " + upstream_stages(root)[0]["message"]
    assert err.value.exit_code == 1


def test_cli_finalize_backup_under_data_dir(tmp_path: Path) -> None:
    """§9 step 7/8 through the real command: backup under $SWARMVIEW_DATA_DIR, printed paths, exit 0."""
    copy = copy_bundle("minimal_extra_unlisted", tmp_path)
    data = tmp_path / "data"
    result = run_cli("finalize", str(copy), env=dict(os.environ, SWARMVIEW_DATA_DIR=str(data)))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == f"wrote {copy}/manifest.json (11 entries)"
    backups = list((data / "manifest-backups" / "00000000000000000000000000000001").iterdir())
    assert len(backups) == 1 and backups[0].read_bytes() == fixture_manifest("minimal_extra_unlisted")
    assert str(backups[0]) in result.stdout
    assert (copy / "manifest.json").read_bytes() == (VERDICTS / "minimal_extra_unlisted.refinalized_manifest.json").read_bytes()


def test_cli_finalize_dry_run_refusal_and_backup_dir(tmp_path: Path) -> None:
    copy = copy_bundle("minimal_symlink_inside", tmp_path)
    before = snapshot_tree(copy)
    refused = run_cli("finalize", str(copy))
    assert refused.returncode == 1 and "artifacts/run-link.json" in refused.stderr
    dry = run_cli("finalize", "--dry-run", "--skip-links", str(copy))
    assert dry.returncode == 0 and dry.stdout.strip() == "no changes"
    assert snapshot_tree(copy) == before
    ok = run_cli("finalize", "--skip-links", "--backup-dir", str(tmp_path / "bk"), str(copy))
    assert ok.returncode == 0
    assert list((tmp_path / "bk" / "00000000000000000000000000000001").iterdir())
    legacy = run_cli("finalize", str(copy_bundle("legacy_alpha6", tmp_path)))
    assert legacy.returncode == 1
    assert "missing required bundle file: datasets/registry_updates.ndjson" in legacy.stderr
    assert run_cli("finalize", str(tmp_path / "nope")).returncode == 2
    doc = json.loads(run_cli("verify", "--json", str(copy)).stdout)
    assert doc["upstream"]["validate_manifest"] == {"ok": True}
