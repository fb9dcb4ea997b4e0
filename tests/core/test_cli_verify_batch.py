"""`swarmview verify DIR` on a folder of runs (VERIFY.md §2 "Batches", "Cache")."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.core._verify_support import copy_bundle, run_cli


def _runs(tmp_path: Path) -> Path:
    base = tmp_path / "base" / "runs"
    base.mkdir(parents=True)
    for name in ("minimal", "crashed_midrun", "minimal_extra_unlisted"):
        copy_bundle(name, base)
    return tmp_path / "base"


def test_batch_json_worst_exit_and_cache(tmp_path: Path) -> None:
    base = _runs(tmp_path)
    env = dict(os.environ, SWARMVIEW_CACHE_DIR=str(tmp_path / "cache"))
    first = run_cli("verify", "--json", str(base), env=env)
    doc = json.loads(first.stdout)
    assert doc["schema"] == "swarmview.verify-batch/1" and doc["path"] == str(base)
    assert first.returncode == 1  # the worst run (crashed_midrun) is `problems`
    assert doc["summary"]["runs"] == 3 and doc["summary"]["problems"] == 1
    assert doc["summary"]["verified"] == 1 and doc["summary"]["verified_with_warnings"] == 1
    assert not any(r["cached"] for r in doc["runs"])
    second = json.loads(run_cli("verify", "--json", str(base), env=env).stdout)
    assert all(r["cached"] and r["bytes_hashed"] == 0 for r in second["runs"])
    assert [r["verdict"] for r in second["runs"]] == [r["verdict"] for r in doc["runs"]]
    (base / "runs" / "minimal" / "events.ndjson").write_bytes(b"\n")
    third = json.loads(run_cli("verify", "--json", str(base), env=env).stdout)
    by_root = {Path(r["root"]).name: r for r in third["runs"]}
    assert by_root["minimal"]["cached"] is False and by_root["minimal"]["verdict"] == "problems"
    assert by_root["crashed_midrun"]["cached"] is True
    nocache = json.loads(run_cli("verify", "--json", "--no-cache", str(base), env=env).stdout)
    assert not any(r["cached"] for r in nocache["runs"])


def test_single_bundle_never_uses_the_cache(tmp_path: Path) -> None:
    root = copy_bundle("minimal", tmp_path)
    env = dict(os.environ, SWARMVIEW_CACHE_DIR=str(tmp_path / "cache"))
    for _ in range(2):
        doc = json.loads(run_cli("verify", "--json", str(root), env=env).stdout)
        assert doc["cached"] is False and doc["bytes_hashed"] > 0
    assert not (tmp_path / "cache").exists()


def test_folder_without_bundles_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "nothing" / "deep").mkdir(parents=True)
    result = run_cli("verify", str(tmp_path / "nothing"))
    assert result.returncode == 2 and "no bundle found" in result.stderr


def test_archive_is_extracted_and_verified(tmp_path: Path) -> None:
    """§2 Archives: path is the archive, root `<archive>!/<folder>`; the temporary folder is removed."""
    import tarfile

    root = copy_bundle("minimal_extra_unlisted", tmp_path)
    archive = tmp_path / "run.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(root, arcname="minimal_extra_unlisted")
    result = run_cli("verify", "--json", str(archive))
    doc = json.loads(result.stdout)
    assert result.returncode == 0, result.stderr
    assert doc["path"] == str(archive) and doc["root"] == f"{archive}!/minimal_extra_unlisted"
    assert any(f["code"] == "UNLISTED_FILE" for f in doc["findings"])
    assert doc["upstream"]["validate_manifest"] == {"ok": True}
    junk = tmp_path / "notes.txt"
    junk.write_text("x")
    assert run_cli("verify", str(junk)).returncode == 2
