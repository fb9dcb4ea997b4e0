"""Hostile trees: FIFOs, links, odd names, permissions, changes while hashing (F-03, F-04, F-07, F-17)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

from swarmview.core.verify.engine import run_verify
from swarmview.core.verify.hashing import HashJob, read_file
from tests.core._verify_support import copy_bundle
from tests.helpers import REPO, snapshot_tree


def _edit(root: Path, edit) -> None:  # type: ignore[no-untyped-def]
    doc = json.loads((root / "manifest.json").read_text())
    edit(doc)
    (root / "manifest.json").write_text(json.dumps(doc, indent=2))


def _add(root: Path, path: str, sha: str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         size: int = 0) -> None:
    _edit(root, lambda d: d["entries"].append({"path": path, "sha256": sha, "bytes": size, "required": False}))


def _codes(report) -> dict[str, list]:  # type: ignore[no-untyped-def]
    out: dict[str, list] = {}
    for f in report.findings:
        out.setdefault(f.code, []).append(f)
    return out


@pytest.mark.timeout(60)
def test_listed_and_unlisted_fifo_never_hang(tmp_path: Path) -> None:
    """F-04: a listed FIFO is NOT_A_REGULAR_FILE and upstream's stage says it would block; never opened."""
    root = copy_bundle("minimal", tmp_path)
    (root / "artifacts").mkdir(exist_ok=True)
    os.mkfifo(root / "artifacts" / "pipe")
    os.mkfifo(root / "artifacts" / "stray")
    _add(root, "artifacts/pipe")
    report = run_verify(root)
    codes = _codes(report)
    assert codes["NOT_A_REGULAR_FILE"][0].message == "artifacts/pipe: listed in the manifest but is a fifo; not read"
    assert any(f.path == "artifacts/stray" for f in codes["UNLISTED_FILE"])
    assert report.upstream["validate_manifest"] == {
        "ok": None, "kind": None, "message": "upstream blocks forever reading artifacts/pipe (a fifo)"}
    assert report.exit_code == 1
    assert run_verify(root, profile="upstream").exit_code == 3
    assert next(f for f in report.files if f.path == "artifacts/pipe").status == "not_regular"


def test_cli_with_fifo_under_subprocess_timeout(tmp_path: Path) -> None:
    root = copy_bundle("minimal", tmp_path)
    os.mkfifo(root / "events.ndjson.fifo")
    os.unlink(root / "events.ndjson")
    os.mkfifo(root / "events.ndjson")
    result = subprocess.run([sys.executable, "-m", "swarmview", "verify", "--json", str(root)], cwd=REPO,
                            capture_output=True, text=True, timeout=60, env=dict(os.environ, PYTHONPATH=str(REPO)))
    doc = json.loads(result.stdout)
    assert result.returncode == 1
    assert doc["upstream"]["validate_manifest"]["message"] == "upstream blocks forever reading events.ndjson (a fifo)"


def test_symlink_escape_and_internal_link_B061(tmp_path: Path) -> None:
    """B-061 / F-03: a listed link outside the root is PATH_ESCAPES_ROOT; inside, ENTRY_IS_SYMLINK."""
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"secret")
    root = copy_bundle("minimal", tmp_path)
    os.symlink(outside, root / "datasets" / "escape_link")
    os.symlink("../run.json", root / "datasets" / "inner_link")
    sha = "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"
    _add(root, "datasets/escape_link", sha, 6)
    report = run_verify(root)
    codes = _codes(report)
    assert codes["PATH_ESCAPES_ROOT"][0].message == "datasets/escape_link: resolves outside the bundle root"
    assert report.upstream["validate_manifest"]["message"] == "manifest path escapes bundle root: datasets/escape_link"
    assert any(f.path == "datasets/inner_link" for f in codes["SYMLINK_IN_BUNDLE"])
    _edit(root, lambda d: d["entries"].pop())
    run_json = (root / "run.json").read_bytes()
    import hashlib
    _add(root, "datasets/inner_link", hashlib.sha256(run_json).hexdigest(), len(run_json))
    report = run_verify(root)
    assert _codes(report)["ENTRY_IS_SYMLINK"][0].message == (
        "datasets/inner_link: listed in the manifest but is a symbolic link (to ../run.json); upstream follows it")
    assert report.upstream["validate_manifest"] == {"ok": True}


def test_odd_names_and_leftovers(tmp_path: Path) -> None:
    """F-05, F-16, F-17: non-UTF-8, non-portable, leftover temp files and unhashed names."""
    root = copy_bundle("minimal", tmp_path)
    art = root / "artifacts"
    art.mkdir(exist_ok=True)
    (art / os.fsdecode(b"\xff.bin")).write_bytes(b"x")
    (art / "step:100.pt").write_bytes(b"x")
    (root / "datasets" / "registry.json.tmp").write_bytes(b"{}")
    (root / "manifest.json.123.ab12.tmp").write_bytes(b"{}")
    (art / "scratch.tmp").write_bytes(b"x")
    report = run_verify(root)
    codes = _codes(report)
    assert codes["NON_UTF8_FILENAME"][0].path == "artifacts/\\xff.bin"
    assert codes["NON_PORTABLE_PATH"][0].message == (
        "artifacts/step:100.pt: this name cannot exist on Windows (':'); the bundle cannot be copied there intact")
    assert {f.path for f in codes["LEFTOVER_TMP_FILE"]} == {"datasets/registry.json.tmp", "manifest.json.123.ab12.tmp"}
    assert [f.path for f in codes["UNHASHED_BY_NAME"]] == ["artifacts/scratch.tmp"]
    assert "artifacts/\\xff.bin" in [f.path for f in report.files if f.status == "unlisted"]


def test_manifest_header_and_flag_findings(tmp_path: Path) -> None:
    """B-064/B-065/B-073 in swarmview's words, all reported (not only the first)."""
    root = copy_bundle("minimal", tmp_path)

    def edit(d: dict) -> None:
        d["run_id"] = "00000000000000000000000000000002"
        d["hash_algo"] = "SHA256"
        for e in d["entries"]:
            if e["path"] in ("graph.json", "datasets/lineage_edges.ndjson"):
                e["required"] = False
        d["entries"].append(dict(d["entries"][0], path="datasets//lineage.json"))
    _edit(root, edit)
    codes = _codes(run_verify(root))
    assert codes["RUN_ID_MISMATCH"][0].message == ("manifest.json: run_id 00000000000000000000000000000002 differs "
                                                  "from run.json's 00000000000000000000000000000001")
    assert codes["UNSUPPORTED_HASH_ALGO"][0].message == 'manifest.json: hash_algo "SHA256" is not supported (expected "sha256")'
    assert codes["REQUIRED_MARKED_OPTIONAL"][0].path == "graph.json"
    assert codes["LEGACY_REQUIRED_FLAG"][0].severity == "warning"
    assert codes["DUPLICATE_PATH"][0].message == 'manifest lists datasets/lineage.json more than once (as "datasets//lineage.json")'
    assert "MANIFEST_NOT_CANONICAL" in codes


def test_digest_forms_F14(tmp_path: Path) -> None:
    root = copy_bundle("minimal", tmp_path)

    def edit(d: dict) -> None:
        for e in d["entries"]:
            if e["path"] == "graph.json":
                e["sha256"] = e["sha256"].upper()
            if e["path"] == "run.json":
                e["sha256"] = "deadbeef"
    _edit(root, edit)
    report = run_verify(root)
    codes = _codes(report)
    assert codes["NON_CANONICAL_HEX"][0].path == "graph.json" and codes["NON_CANONICAL_HEX"][0].severity == "warning"
    assert codes["MALFORMED_DIGEST"][0].message == 'run.json: manifest sha256 "deadbeef" is not 64 hexadecimal digits'
    assert report.upstream["validate_manifest"]["message"] == "sha256 mismatch for graph.json"


def test_hardlinked_entries_are_path_alias_F06(tmp_path: Path) -> None:
    root = copy_bundle("minimal", tmp_path)
    os.link(root / "run.json", root / "run-copy.json")
    data = (root / "run.json").read_bytes()
    import hashlib
    _add(root, "run-copy.json", hashlib.sha256(data).hexdigest(), len(data))
    assert "PATH_ALIAS" in _codes(run_verify(root))


def test_snapshot_marker_unlisted_and_run_json_unreadable(tmp_path: Path) -> None:
    root = copy_bundle("minimal_session", tmp_path)
    _edit(root, lambda d: d.update(entries=[e for e in d["entries"] if "snapshot" not in e["path"]]))
    assert "SNAPSHOT_MARKER_UNLISTED" in _codes(run_verify(root))
    (root / "run.json").write_text('{"schema_version": 1}')
    report = run_verify(root)
    f = _codes(report)["RUN_JSON_UNREADABLE"][0]
    assert f.message.startswith("run.json:1:") and "missing field `run_id`" in f.message
    assert report.upstream["open"]["kind"] == "Other"
    assert report.upstream["validate_manifest"]["not_run"] == "RunArtifactBundle::open failed"


def test_file_changed_while_read_F07(tmp_path: Path) -> None:
    """A file that grows while it is read is FILE_CHANGED_DURING_VERIFY, never a verdict on its bytes."""
    path = tmp_path / "grow.bin"
    path.write_bytes(b"a" * (3 << 20))

    def feed(chunk: bytes) -> None:
        with open(path, "ab") as fh:
            fh.write(b"more")

    st = os.lstat(path)
    result = read_file(HashJob("grow.bin", os.fsencode(path), st, None, feed))
    assert result.changed is not None and result.error is None


def test_cancel_event_stops_between_buffers(tmp_path: Path) -> None:
    root = copy_bundle("minimal", tmp_path)
    cancel = threading.Event()
    cancel.set()
    report = run_verify(root, cancel=cancel)
    assert report.verdict == "cancelled" and report.exit_code == 130
    assert "CANCELLED" in _codes(report)
    assert run_verify(root, cancel=cancel, profile="upstream").exit_code == 130


# --- permissions: as an unprivileged uid in a child process (VERIFY.md §14) -------------------------

def _interpreters() -> list[tuple[str, str]]:
    """(python, PYTHONPATH) candidates: ours, then the system's same-version python with our site-packages."""
    site = next((p for p in sys.path if p.endswith("site-packages") and p.startswith(str(REPO))), "")
    out = [(sys.executable, str(REPO))]
    system = f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}"
    if os.path.exists(system):
        out.append((system, os.pathsep.join(p for p in (str(REPO), site) if p)))
    return out


_CHOSEN: list[tuple[str, str]] = []


def _as_nobody(argv: list[str], python: tuple[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    exe, pythonpath = python or _CHOSEN[0]
    kwargs: dict = {}
    if os.geteuid() == 0:
        kwargs = dict(user=65534, group=65534, extra_groups=[])
    return subprocess.run([exe, *argv], capture_output=True, text=True, timeout=120, cwd="/",
                          env=dict(os.environ, PYTHONPATH=pythonpath, HOME="/tmp"), **kwargs)


@pytest.fixture
def shared_tmp() -> Path:  # type: ignore[misc]
    folder = Path(tempfile.mkdtemp(prefix="swarmview-perm-"))
    os.chmod(folder, 0o755)
    reasons = []
    _CHOSEN.clear()
    for candidate in _interpreters():
        try:
            probe = _as_nobody(["-c", "import swarmview.cli"], candidate)
        except OSError as exc:  # e.g. the interpreter lives under a 0700 home
            reasons.append(f"{candidate[0]}: {exc}")
            continue
        if probe.returncode == 0:
            _CHOSEN.append(candidate)
            break
        reasons.append(f"{candidate[0]}: {probe.stderr.strip()[-200:]}")
    if not _CHOSEN:
        shutil.rmtree(folder)
        pytest.skip(f"uid 65534 cannot run swarmview here (VERIFY.md §14): {'; '.join(reasons)}")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_unreadable_file_is_could_not_verify(shared_tmp: Path) -> None:
    """FILE_UNREADABLE (unverified), exit 3; upstream says `Permission denied (os error 13)`."""
    root = copy_bundle("rich", shared_tmp)
    secret = root / "artifacts" / "model" / "checkpoint-0003.bin"
    os.chmod(secret, 0)
    before = snapshot_tree(root)
    result = _as_nobody(["-m", "swarmview", "verify", "--json", str(root)])
    doc = json.loads(result.stdout)
    assert result.returncode == 3, result.stderr
    f = next(f for f in doc["findings"] if f["code"] == "FILE_UNREADABLE")
    assert f == {**f, "severity": "unverified", "path": "artifacts/model/checkpoint-0003.bin",
                 "message": "artifacts/model/checkpoint-0003.bin: Permission denied (os error 13)"}
    assert doc["upstream"]["validate_manifest"] == {"ok": False, "kind": "PermissionDenied",
                                                    "message": "Permission denied (os error 13)"}
    assert next(x for x in doc["files"] if x["path"] == f["path"])["status"] == "unreadable"
    up = _as_nobody(["-m", "swarmview", "verify", "--profile", "upstream", str(root)])
    assert up.returncode == 1 and up.stdout.startswith("upstream: rejected: Permission denied (os error 13)")
    assert snapshot_tree(root) == before


def test_unreadable_folder(shared_tmp: Path) -> None:
    root = copy_bundle("rich", shared_tmp)
    os.chmod(root / "artifacts" / "eval", 0o700)
    result = _as_nobody(["-m", "swarmview", "verify", "--json", str(root)])
    doc = json.loads(result.stdout)
    assert result.returncode == 3
    assert any(f["code"] == "FILE_UNREADABLE" and f["path"].startswith("artifacts/eval") for f in doc["findings"])
    os.chmod(root / "artifacts" / "eval", stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)


def test_engine_reports_file_growing_during_verify(tmp_path: Path) -> None:
    """F-07 end to end: a listed file appended to while hashed is unverified, not a hash verdict."""
    import hashlib

    root = copy_bundle("minimal", tmp_path)
    (root / "artifacts").mkdir(exist_ok=True)
    big = root / "artifacts" / "live.bin"
    data = os.urandom(1 << 20) * 64
    big.write_bytes(data)
    _add(root, "artifacts/live.bin", hashlib.sha256(data).hexdigest(), len(data))
    stop = threading.Event()

    def appender() -> None:
        with open(big, "ab", buffering=0) as fh:
            while not stop.is_set():
                fh.write(b"x")
                stop.wait(0.0005)

    thread = threading.Thread(target=appender)
    thread.start()
    try:
        report = run_verify(root, workers=1)
    finally:
        stop.set()
        thread.join()
    entry = next(f for f in report.files if f.path == "artifacts/live.bin")
    assert entry.status == "changed"
    assert _codes(report)["FILE_CHANGED_DURING_VERIFY"][0].message == (
        "artifacts/live.bin: changed while being verified (size/mtime differ before and after); verify again")
    assert report.verdict == "could_not_verify" and report.exit_code == 3
    assert run_verify(root, profile="upstream").exit_code == 1  # now stable, grown: size mismatch


def test_missing_run_json_is_run_json_unreadable_not_file_missing(tmp_path: Path) -> None:
    """§7: RUN_JSON_UNREADABLE replaces FILE_MISSING for run.json; upstream cannot open (B-008)."""
    root = copy_bundle("minimal", tmp_path)
    (root / "run.json").unlink()
    report = run_verify(root)
    codes = _codes(report)
    assert codes["RUN_JSON_UNREADABLE"][0].message == "run.json: not found; upstream cannot open the bundle"
    assert not any(f.path == "run.json" for f in codes.get("FILE_MISSING", []))
    assert report.upstream["open"] == {"ok": False, "kind": "NotFound", "message": "No such file or directory (os error 2)"}
    assert report.run_id == "00000000000000000000000000000001"  # from the manifest
    assert report.exit_code == 1


def test_finalize_refuses_unreadable_file(shared_tmp: Path) -> None:
    """§9 step 4 as an unprivileged user: an unreadable file is refused with exit 3, nothing written."""
    root = copy_bundle("rich", shared_tmp)
    secret = root / "artifacts" / "notes.md"
    os.chmod(secret, 0)
    before = snapshot_tree(root)
    result = _as_nobody(["-m", "swarmview", "finalize", str(root)])
    assert result.returncode == 3, result.stderr
    assert "artifacts/notes.md: Permission denied (os error 13)" in result.stderr
    assert snapshot_tree(root) == before


def test_read_file_without_readv_gives_same_digest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The portable read path (platforms without os.readv) hashes the same bytes, prefix included."""
    import hashlib

    from swarmview.core.verify import hashing

    path = tmp_path / "f.bin"
    data = os.urandom((2 << 20) + 12345)
    path.write_bytes(data)
    st = os.lstat(path)
    fast = read_file(HashJob("f", os.fsencode(path), st, prefix=1000))
    monkeypatch.setattr(hashing, "_HAVE_READV", False)
    slow = read_file(HashJob("f", os.fsencode(path), st, prefix=1000))
    assert fast.sha256 == slow.sha256 == hashlib.sha256(data).hexdigest()
    assert fast.prefix_sha256 == slow.prefix_sha256 == hashlib.sha256(data[:1000]).hexdigest()
    assert fast.bytes_read == slow.bytes_read == len(data) and fast.changed is None
