"""The batch printer/driver behind ``swarmview verify DIR`` (VERIFY.md §2 "Batches", §10; issue 11)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from swarmview.cli.batch import run_batch
from tests.core._runs_support import EXPECTED, build_template, runs_folder, write_run
from tests.core._verify_support import run_cli
from tests.helpers import REPO, copy_fixture, snapshot_tree


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("template"))


@pytest.fixture
def base(template: Path, tmp_path: Path) -> Path:
    return runs_folder(template, tmp_path)


def args(path: Path, **over: object) -> argparse.Namespace:
    values: dict[str, object] = dict(path=str(path), json=False, fast=False, profile=None, strict=False,
                                     verbose=False, timeout=None, max_parse_bytes=None, max_line_bytes=64 << 20,
                                     no_cache=False)
    values.update(over)
    return argparse.Namespace(**values)


def batch_cli(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = dict(os.environ if env is None else env, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "swarmview.cli.batch", *argv], capture_output=True, text=True,
                          timeout=300, cwd=REPO, env=full)


def test_table_and_summary(base: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str],
                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWARMVIEW_CACHE_DIR", str(tmp_path / "cache"))
    assert run_batch(args(base)) == 1
    out, err = capfd.readouterr()
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["RUN", "ID", "CREATED", "(UTC)"]
    rows = {line.split()[-1]: line for line in lines[1:-1]}
    assert set(rows) == set(EXPECTED)
    a01 = rows["runs/00000000000000000000000000000a01"].split()
    assert a01[:5] == ["00000000000000000000000000000a01", "2026-04-06", "12:00:00", "0.1.0", "verified"]
    assert rows["runs/legacy_alpha6"].split()[1:4] == ["2026-02-11", "00:00:00", "0.1.0"]
    assert " problems " in rows["runs/00000000000000000000000000000a03"]
    assert lines[-1].startswith("5 runs: 2 verified, 1 verified with warnings, 2 with problems;")
    assert "\r" not in err
    assert run_batch(args(base)) == 1
    assert "(cached)" in capfd.readouterr().out


def test_json_document_cache_and_no_cache(base: Path, tmp_path: Path) -> None:
    env = dict(os.environ, SWARMVIEW_CACHE_DIR=str(tmp_path / "cache"))
    before = snapshot_tree(base)
    first = batch_cli("--json", str(base), env=env)
    assert first.returncode == 1, first.stderr
    doc = json.loads(first.stdout)
    assert doc["schema"] == "swarmview.verify-batch/1" and doc["summary"]["runs"] == 5
    assert {os.path.relpath(r["root"], base): r["verdict"] for r in doc["runs"]} == EXPECTED
    second = json.loads(batch_cli("--json", str(base), env=env).stdout)
    assert all(r["cached"] and r["bytes_hashed"] == 0 for r in second["runs"])
    nocache = json.loads(batch_cli("--json", "--no-cache", str(base), env=env).stdout)
    assert not any(r["cached"] for r in nocache["runs"])
    assert snapshot_tree(base) == before
    assert (tmp_path / "cache" / "verify-v1").is_dir()


def test_no_bundle_and_usage_errors(tmp_path: Path) -> None:
    (tmp_path / "none" / "deep").mkdir(parents=True)
    result = batch_cli(str(tmp_path / "none"))
    assert result.returncode == 2 and "no bundle found" in result.stderr and result.stdout == ""
    assert run_batch(args(tmp_path, strict=True, profile="upstream")) == 2
    assert run_batch(args(tmp_path, fast=True, profile="upstream")) == 2


def test_strict_and_upstream_profiles(base: Path, tmp_path: Path) -> None:
    env = dict(os.environ, SWARMVIEW_CACHE_DIR=str(tmp_path / "cache"))
    strict = json.loads(batch_cli("--json", "--strict", str(base), env=env).stdout)
    legacy = next(r for r in strict["runs"] if r["root"].endswith("legacy_alpha6"))
    assert legacy["verdict"] == "problems" and legacy["profile"] == "strict"
    valid = tmp_path / "valid"
    write_run(valid, "00000000000000000000000000000e01")
    up = batch_cli("--profile", "upstream", str(valid), env=env)
    assert up.returncode == 0 and "1 run: 1 verified;" in up.stdout


def _sparse_run(parent: Path, size: int = 8 << 30) -> Path:
    """minimal plus one large sparse artifact listed in the manifest (slow to hash, cheap to make)."""
    copy = copy_fixture("minimal", parent)
    (copy / "artifacts").mkdir(exist_ok=True)
    with open(copy / "artifacts" / "big.bin", "wb") as fh:
        fh.truncate(size)
    doc = json.loads((copy / "manifest.json").read_text())
    doc["entries"].insert(0, {"path": "artifacts/big.bin", "sha256": "0" * 64, "bytes": size, "required": False})
    (copy / "manifest.json").write_text(json.dumps(doc, indent=2))
    return copy


def test_sigint_keeps_reports_exit_130(tmp_path: Path) -> None:
    """Ctrl-C: the run in flight ends `cancelled`, the batch prints what it has and exits 130."""
    base = tmp_path / "base"
    (base / "runs").mkdir(parents=True)
    _sparse_run(base / "runs")
    for i in range(3):
        write_run(base, f"00000000000000000000000000000f0{i + 1}")
    env = dict(os.environ, PYTHONPATH=str(REPO), SWARMVIEW_CACHE_DIR=str(tmp_path / "cache"))
    proc = subprocess.Popen([sys.executable, "-m", "swarmview.cli.batch", "--json", str(base)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2.0)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    doc = json.loads(out)
    assert doc["summary"]["cancelled"] >= 1 and doc["summary"]["runs"] < 4
    big = next(r for r in doc["runs"] if r["root"].endswith("minimal"))
    assert big["verdict"] == "cancelled" and big["exit_code"] == 130




def test_swarmview_verify_dir_prints_the_table(base: Path, tmp_path: Path) -> None:
    env = dict(os.environ, SWARMVIEW_CACHE_DIR=str(tmp_path / "cache"))
    result = run_cli("verify", str(base), env=env)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("RUN ID") and lines[-1].startswith("5 runs: 2 verified")


def test_swarmview_verify_dir_json_and_cache(base: Path, tmp_path: Path) -> None:
    env = dict(os.environ, SWARMVIEW_CACHE_DIR=str(tmp_path / "cache"))
    first = run_cli("verify", "--json", str(base), env=env)
    assert first.returncode == 1
    assert not any(r["cached"] for r in json.loads(first.stdout)["runs"])
    second = json.loads(run_cli("verify", "--json", str(base), env=env).stdout)
    assert all(r["cached"] for r in second["runs"])
    assert (tmp_path / "cache" / "verify-v1").is_dir()


def test_progress_bar_only_when_asked_and_erased() -> None:
    """One line for the whole batch (runs and bytes); nothing when stderr is not a terminal."""
    import io

    from swarmview.cli.batch import BatchBar
    from swarmview.core.runs.batch import BatchProgress

    stream = io.StringIO()
    bar = BatchBar(stream, enabled=True, rate=1e9)
    bar.update(BatchProgress(3, 10, 500_000, 2_000_000, "/runs/abc"))
    drawn = stream.getvalue()
    assert drawn.startswith("\r[") and " 25% 3/10 runs 500.0 kB/2.0 MB" in drawn
    bar.close()
    assert stream.getvalue().endswith("\r") and stream.getvalue().count("\r") == 3
    quiet = io.StringIO()
    off = BatchBar(quiet)  # StringIO is not a terminal
    off.update(BatchProgress(1, 1, 1, 1, None))
    off.close()
    assert quiet.getvalue() == ""


def test_verbose_prints_each_report_before_the_table(base: Path, tmp_path: Path,
                                                     capfd: pytest.CaptureFixture[str]) -> None:
    assert run_batch(args(base, verbose=True, no_cache=True)) == 1
    out = capfd.readouterr().out
    assert out.count("upstream: ") >= 5 and "MANIFEST_MISSING" in out and "HASH_MISMATCH" in out
    assert out.index("HASH_MISMATCH") < out.index("RUN ID")
    assert not (tmp_path / "cache").exists()
