"""``swarmview info`` through a real subprocess (VERIFY.md §10 exit codes)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import REPO, copy_fixture


def _info(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "swarmview", "info", *args],
        capture_output=True, text=True, cwd=REPO, timeout=120, **kwargs,
    )  # fmt: skip


def _json(path: Path) -> tuple[int, dict[str, Any]]:
    proc = _info("--json", str(path))
    return proc.returncode, json.loads(proc.stdout)


def test_rich_json(tmp_path: Path) -> None:
    root = copy_fixture("rich", tmp_path)
    code, doc = _json(root / "artifacts" / "notes.md")
    assert code == 0
    assert doc["schema"] == "swarmview.info/1" and doc["root"] == str(root)
    assert doc["run_id"] == "5eed0000c0ffee00a11ce0000000b0b0"
    assert doc["swarmtorch_version"] == "0.1.0"
    assert doc["created"] == "2026-04-06T12:00:00Z"
    c = doc["counts"]
    assert (c["nodes"], c["edges"], c["spans"], c["traces"], c["unfinished_spans"]) == (13, 14, 226, 6, 4)
    assert (c["events"], c["metric_points"], c["datasets"], c["materializations"], c["artifacts"]) == (
        15, 2009, 10, 15, 3,
    )  # fmt: skip
    assert c["metric_series"] in (23, None)  # None only while records.series is missing
    assert sum(doc["graph"]["op_kinds"].values()) == 13 and len(doc["graph"]["op_kinds"]) == 5
    assert doc["files"]["metrics.ndjson"] == (root / "metrics.ndjson").stat().st_size
    tr = doc["time_range"]
    assert tr["end_unix_nanos"] >= tr["start_unix_nanos"] and tr["duration_s"] > 0
    assert tr["start"].startswith("2026-04-06T12:00")
    drift = {
        w["message"].split(" node ")[1].split(":")[0]
        for w in doc["warnings"]
        if w["code"] == "STORED_HASH_MISMATCH"
    }
    assert drift == {"feature/shard", "comms/gossip"}
    assert {w["severity"] for w in doc["warnings"]} == {"warning"}
    assert doc["upstream_load"] == {"ok": True, "warnings": []}


def test_damaged_bundle_still_prints(tmp_path: Path) -> None:
    """A damaged bundle is described, exit 0; warnings carry file:line:column."""
    code, doc = _json(copy_fixture("nonfinite", tmp_path))
    assert code == 0
    msgs = [w["message"] for w in doc["warnings"] if w["code"] == "NONFINITE_AS_NULL"]
    assert len(msgs) == 3 and msgs[0].startswith("metrics.ndjson:2")
    assert doc["upstream_load"]["file"] == "metrics.ndjson"
    code, doc = _json(copy_fixture("rich_ndjson_corrupt", tmp_path))
    assert code == 0
    assert any(w["message"].startswith("events.ndjson:5:240:") for w in doc["warnings"])
    code, doc = _json(copy_fixture("unfinalized", tmp_path))
    assert code == 0 and "MANIFEST_MISSING" in {w["code"] for w in doc["warnings"]}


def test_text_output(tmp_path: Path) -> None:
    proc = _info(str(copy_fixture("minimal", tmp_path)))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0].startswith("run 0")
    assert "spans: 0 in 0 traces" in proc.stdout


def test_not_a_bundle_exit_2(tmp_path: Path) -> None:
    proc = _info(str(tmp_path / "missing"))
    assert proc.returncode == 2 and proc.stdout == "" and "not a bundle" in proc.stderr
    proc = _info(str(tmp_path))
    assert proc.returncode == 2
    copy_fixture("minimal", tmp_path / "runs")
    proc = _info(str(tmp_path))
    assert proc.returncode == 2 and "holds runs below it" in proc.stderr


def _unprivileged_copy(name: str) -> Path:
    base = Path(tempfile.mkdtemp())
    os.chmod(base, 0o755)
    root = copy_fixture(name, base)
    for dirpath, dirnames, filenames in os.walk(base):
        for n in dirnames:
            os.chmod(os.path.join(dirpath, n), 0o755)
        for n in filenames:
            p = os.path.join(dirpath, n)
            if not os.path.islink(p):
                os.chmod(p, os.stat(p).st_mode | stat.S_IROTH)
    return root


def test_unreadable_run_json_exit_3() -> None:
    """VERIFY.md §10/§14: run.json unreadable (permission) → exit 3, still printed; as uid 65534."""
    if os.geteuid() != 0:
        pytest.skip("needs root to drop to uid 65534 (VERIFY.md §14)")
    try:
        probe = subprocess.run([sys.executable, "-c", "import swarmview"], user=65534, group=65534,
                               extra_groups=[], cwd="/", capture_output=True, timeout=60)  # fmt: skip
    except PermissionError:
        pytest.skip("the interpreter is not executable as uid 65534 (e.g. a venv under a 0700 folder)")
    if probe.returncode != 0:
        pytest.skip("the interpreter or swarmview is not importable as uid 65534")
    root = _unprivileged_copy("minimal")
    os.chmod(root / "run.json", 0)
    proc = subprocess.run(
        [sys.executable, "-m", "swarmview", "info", "--json", str(root)],
        user=65534, group=65534, extra_groups=[], cwd="/", capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 3, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["unreadable"]["run.json"] == "Permission denied (os error 13)"
    assert "run.json" in proc.stderr


def test_run_json_that_cannot_be_read_exit_3(tmp_path: Path) -> None:
    """VERIFY.md §10: run.json that cannot be read (here: a folder, EISDIR) → exit 3, report still printed."""
    root = copy_fixture("minimal", tmp_path)
    (root / "run.json").unlink()
    (root / "run.json").mkdir()
    proc = _info("--json", str(root))
    assert proc.returncode == 3
    doc = json.loads(proc.stdout)
    assert doc["unreadable"] == {"run.json": "Is a directory (os error 21)"}
    assert "RUN_JSON_UNREADABLE" in {w["code"] for w in doc["warnings"]}
    assert doc["run_id"] == json.loads((root / "manifest.json").read_text())["run_id"]
