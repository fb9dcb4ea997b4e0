"""``swarmview diff RUN_A RUN_B`` (issue 11; exit codes VERIFY.md §10) in a real child process."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.core._runs_support import build_compare_run
from tests.core._verify_support import run_cli
from tests.helpers import copy_fixture, snapshot_tree


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("diff")
    return build_compare_run(base, "000000000000000000000000000000a2", "a"), build_compare_run(base, "000000000000000000000000000000b2", "b")


def test_human_output(runs: tuple[Path, Path]) -> None:
    a, b = runs
    before = snapshot_tree(a.parent)
    result = run_cli("diff", str(a), str(b / "run.json"))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"A: {a}" in out and f"B: {b}" in out
    assert "Metrics: 2 series in both, 0 only in A, 1 only in B" in out
    loss = next(line.split() for line in out.splitlines() if line.strip().startswith("train/loss"))
    assert loss[:4] == ["train/loss", "0.1", "0.2", "+0.1"]
    assert "Graph: 1 nodes added, 1 removed, 1 changed, 2 unchanged" in out
    assert "  + eval/new (data/transform)" in out and "  - old/gone (data/transform)" in out
    assert "      param lr: 0.1 -> 0.2" in out
    step = next(line.split() for line in out.splitlines() if line.strip().startswith("train/step"))
    assert step[:9] == ["train/step", "11", "11", "55", "ms", "110", "ms", "+55", "ms"]
    assert "  ~ artifacts/model.bin: 100 -> 200 bytes, sha256" in out
    assert "  + artifacts/notes.md" in out and "same.txt" not in out
    assert "  - dataset://t/old" in out and "      fingerprint_v0:" in out
    assert snapshot_tree(a.parent) == before, "diff wrote into a bundle"


def test_json_output(runs: tuple[Path, Path]) -> None:
    a, b = runs
    result = run_cli("diff", "--json", str(a), str(b))
    assert result.returncode == 0
    doc = json.loads(result.stdout)
    assert doc["schema"] == "swarmview.diff/1"
    assert doc["a"]["root"] == str(a) and doc["b"]["run_id"] == "000000000000000000000000000000b2"
    assert doc["graph"]["added"] == 1 and doc["graph"]["removed"] == 1 and doc["graph"]["changed"] == 1
    loss = next(m for m in doc["metrics"] if m["name"] == "train/loss")
    assert loss["status"] == "changed" and loss["change"] == pytest.approx(0.1)
    model = next(x for x in doc["artifacts"] if x["path"] == "artifacts/model.bin")
    assert model["bytes"] == [100, 200]


def test_same_run_is_exit_0_and_not_a_bundle_exit_2(runs: tuple[Path, Path], tmp_path: Path) -> None:
    a, _ = runs
    same = run_cli("diff", str(a), str(a))
    assert same.returncode == 0 and "Graph: 0 nodes added, 0 removed, 0 changed, 4 unchanged" in same.stdout
    missing = run_cli("diff", str(a), str(tmp_path / "nope"))
    assert missing.returncode == 2 and "not a bundle" in missing.stderr and missing.stdout == ""
    (tmp_path / "empty").mkdir()
    assert run_cli("diff", str(tmp_path / "empty"), str(a)).returncode == 2
    assert run_cli("diff", str(a)).returncode == 2  # usage


def test_run_that_cannot_be_read_exit_3(runs: tuple[Path, Path], tmp_path: Path) -> None:
    """run.json that cannot be read (a folder: EISDIR) → exit 3, named on stderr."""
    a, _ = runs
    broken = copy_fixture("minimal", tmp_path)
    (broken / "run.json").unlink()
    (broken / "run.json").mkdir()
    result = run_cli("diff", str(broken), str(a))
    assert result.returncode == 3 and "run A: run.json: cannot be read" in result.stderr


def test_permission_denied_exit_3_as_nobody(runs: tuple[Path, Path]) -> None:
    """VERIFY.md §14: permission errors tested as uid 65534 in a child process."""
    if os.geteuid() != 0:
        pytest.skip("needs root to drop to uid 65534")
    try:
        probe = subprocess.run([sys.executable, "-c", "import swarmview"], user=65534, group=65534,
                               extra_groups=[], cwd="/", capture_output=True, timeout=60)
    except PermissionError:
        pytest.skip("the interpreter is not executable as uid 65534")
    if probe.returncode != 0:
        pytest.skip("swarmview is not importable as uid 65534")
    base = Path(tempfile.mkdtemp())
    os.chmod(base, 0o755)
    roots = [copy_fixture("minimal", base / "x"), copy_fixture("minimal_session", base / "y")]
    for dirpath, dirnames, filenames in os.walk(base):
        for n in dirnames:
            os.chmod(os.path.join(dirpath, n), 0o755)
        for n in filenames:
            p = os.path.join(dirpath, n)
            os.chmod(p, os.stat(p).st_mode | stat.S_IROTH)
    os.chmod(roots[1] / "run.json", 0)
    proc = subprocess.run([sys.executable, "-m", "swarmview", "diff", str(roots[0]), str(roots[1])],
                          user=65534, group=65534, extra_groups=[], cwd="/", capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 3, proc.stderr
    assert "run B: run.json: cannot be read: Permission denied" in proc.stderr
