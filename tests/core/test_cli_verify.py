"""`swarmview verify` run for real in child processes (VERIFY.md §2, §8, §10, §13)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.core._verify_support import copy_bundle, run_cli, verdict
from tests.core.test_verify_engine import DEFAULT_EXIT, UPSTREAM_EXIT
from tests.helpers import FIXTURE_NAMES, REPO, snapshot_tree


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_cli_json_matches_verdict_files(name: str, tmp_path: Path) -> None:
    """--json upstream.open / validate_manifest equal verdicts/<name>.json; exit codes as §13."""
    copy = copy_bundle(name, tmp_path)
    before = snapshot_tree(copy)
    result = run_cli("verify", "--json", str(copy))
    doc = json.loads(result.stdout)
    assert doc["upstream"]["open"] == verdict(name)["open"]
    assert doc["upstream"]["validate_manifest"] == verdict(name)["validate_manifest"]
    assert doc["path"] == str(copy) and doc["root"] == str(copy)
    assert doc["exit_code"] == result.returncode
    content_missing = doc["upstream"]["load_report"] is None  # content stage (core.content) not there yet
    if not (content_missing and name == "rich_ndjson_corrupt"):
        assert result.returncode == DEFAULT_EXIT.get(name, 0), result.stderr
    upstream = run_cli("verify", "--json", "--profile", "upstream", str(copy))
    assert upstream.returncode == UPSTREAM_EXIT[name]
    assert json.loads(upstream.stdout)["profile"] == "upstream"
    assert snapshot_tree(copy) == before


@pytest.mark.parametrize("argv", [
    ["--strict", "--profile", "upstream"],
    ["--strict", "--profile", "default"],
    ["--profile", "upstream", "--fast"],
    ["--timeout", "0"],
    ["--profile", "nonsense"],
])
def test_usage_errors_exit_2(argv: list[str], tmp_path: Path) -> None:
    copy = copy_bundle("minimal", tmp_path)
    result = run_cli("verify", *argv, str(copy))
    assert result.returncode == 2 and result.stdout == "" and result.stderr


def test_not_a_bundle_exit_2(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    for target in (tmp_path / "empty", tmp_path / "missing", ):
        result = run_cli("verify", "--json", str(target))
        assert result.returncode == 2 and result.stdout == "" and "not a bundle" in result.stderr


def test_path_inside_bundle_and_human_report(tmp_path: Path) -> None:
    """§1: any path inside the bundle; §8 human output: verdict line, upstream line, findings, totals."""
    copy = copy_bundle("crashed_midrun", tmp_path)
    result = run_cli("verify", str(copy / "datasets" / "registry.json"))
    lines = result.stdout.splitlines()
    assert result.returncode == 1
    assert lines[0].startswith(f"problems found: {copy}")
    assert lines[1] == "upstream: manifest rejected: size mismatch for metrics.ndjson (expected 534)"
    assert any("APPENDED_SINCE_FINALIZE" in line for line in lines)
    assert lines[-1].startswith("11 files listed, 10 ok, 0 unlisted;")
    assert "\r" not in result.stderr  # no progress bar when stderr is not a terminal
    up = run_cli("verify", "--profile", "upstream", str(copy))
    assert up.stdout.splitlines()[0] == "upstream: rejected: size mismatch for metrics.ndjson (expected 534)"
    assert up.returncode == 1


def test_fast_and_strict_flags(tmp_path: Path) -> None:
    copy = copy_bundle("minimal_extra_unlisted", tmp_path)
    assert run_cli("verify", str(copy)).returncode == 0
    assert run_cli("verify", "--strict", str(copy)).returncode == 1
    fast = json.loads(run_cli("verify", "--fast", "--json", str(copy)).stdout)
    assert fast["tier"] == "fast" and fast["bytes_hashed"] == 0 and fast["upstream"]["validate_manifest"] is None
    verbose = run_cli("verify", "--verbose", str(copy)).stdout
    assert "UNSIGNED_BUNDLE" in verbose


def _big_bundle(tmp_path: Path, size: int = 6 << 30) -> Path:
    """minimal plus one large sparse artifact listed in the manifest (slow to hash, cheap to make)."""
    copy = copy_bundle("minimal", tmp_path)
    (copy / "artifacts").mkdir(exist_ok=True)
    with open(copy / "artifacts" / "big.bin", "wb") as fh:
        fh.truncate(size)
    doc = json.loads((copy / "manifest.json").read_text())
    doc["entries"].insert(0, {"path": "artifacts/big.bin", "sha256": "0" * 64, "bytes": size, "required": False})
    (copy / "manifest.json").write_text(json.dumps(doc, indent=2))
    return copy


def test_timeout_is_could_not_verify_exit_3(tmp_path: Path) -> None:
    """§2 --timeout: CANCELLED (unverified), verdict could_not_verify, exit 3."""
    copy = _big_bundle(tmp_path)
    result = run_cli("verify", "--json", "--timeout", "0.3", str(copy))
    doc = json.loads(result.stdout)
    assert result.returncode == 3 and doc["verdict"] == "could_not_verify"
    cancelled = [f for f in doc["findings"] if f["code"] == "CANCELLED"]
    assert cancelled and cancelled[0]["severity"] == "unverified" and "--timeout 0.3 s" in cancelled[0]["message"]
    assert any(f["status"] == "not_reached" for f in doc["files"])


def test_sigint_prints_partial_report_exit_130(tmp_path: Path) -> None:
    """§2 Ctrl-C: CANCELLED, verdict cancelled, exit 130, the partial report still printed with --json."""
    copy = _big_bundle(tmp_path)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-m", "swarmview", "verify", "--json", str(copy)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    doc = json.loads(out)
    assert doc["verdict"] == "cancelled" and doc["exit_code"] == 130
    assert any(f["code"] == "CANCELLED" and "interrupted" in f["message"] for f in doc["findings"])


def test_progress_bar_draws_only_when_enabled() -> None:
    """Progress goes to stderr only on a terminal; a forced bar draws and erases its line."""
    import io

    from swarmview.cli.progress import ProgressBar
    from swarmview.core.verify.engine import Progress

    quiet = io.StringIO()
    ProgressBar(quiet).update(Progress(1, 2, 10, 20, "a"))  # StringIO is not a tty
    assert quiet.getvalue() == ""
    loud = io.StringIO()
    bar = ProgressBar(loud, enabled=True)
    bar.update(Progress(2, 2, 20, 20, "metrics.ndjson"))
    assert "[" in loud.getvalue() and "100%" in loud.getvalue() and "2/2 files" in loud.getvalue()
    bar.close()
    assert loud.getvalue().endswith("\r")


def test_fast_verified_says_contents_not_hashed(tmp_path: Path) -> None:
    """§5: a fast `verified` says what it means."""
    result = run_cli("verify", "--fast", str(copy_bundle("minimal", tmp_path)))
    assert result.returncode == 0
    assert "paths, structure and sizes match the manifest; contents not hashed" in result.stdout.splitlines()[0]
    assert result.stdout.splitlines()[1] == "upstream: bundle opens; manifest not checked (fast tier or stopped)"
