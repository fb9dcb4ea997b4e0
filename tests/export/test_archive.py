"""Verified, reproducible archives and safe archive input (issue 9 §1)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from swarmview.core.archive_input import extract_archive
from swarmview.export.archive import ExportMismatchError, write_archive
from tests.helpers import copy_fixture


def manifest_of(root: Path) -> dict:
    return json.loads((root / "manifest.json").read_bytes())


@pytest.mark.parametrize("fmt", ["tar.gz", "zip"])
def test_same_bundle_gives_the_same_archive_bytes_anywhere(tmp_path: Path, fmt: str) -> None:
    a = copy_fixture("rich", tmp_path / "a")
    b = copy_fixture("rich", tmp_path / "b")
    os.utime(b / "run.json", (0, 0))  # filesystem metadata must not leak into the archive
    out_a, out_b = tmp_path / f"a.{fmt}", tmp_path / f"b.{fmt}"
    write_archive(a, out_a, fmt)  # type: ignore[arg-type]
    write_archive(b, out_b, fmt)  # type: ignore[arg-type]
    assert out_a.read_bytes() == out_b.read_bytes()


def test_tar_members_are_the_manifest_in_order_under_the_run_id(tmp_path: Path) -> None:
    root = copy_fixture("rich_skipped_names", tmp_path)  # holds files the manifest does not list
    out = tmp_path / "run.tar.gz"
    plan = write_archive(root, out, "tar.gz")
    raw = out.read_bytes()
    assert raw[:2] == b"\x1f\x8b" and raw[4:8] == b"\0\0\0\0" and not raw[3] & 0x08  # mtime 0, no file name
    with tarfile.open(out) as tar:
        files = [m for m in tar.getmembers() if m.isfile()]
        names = [m.name for m in files]
        assert names == [f"{plan.run_id}/manifest.json"] + [f"{plan.run_id}/{e['path']}" for e in manifest_of(root)["entries"]]
        assert all(not (m.issym() or m.islnk()) for m in tar.getmembers())
        assert {(m.mode, m.uid, m.gid, m.uname, m.gname, m.mtime) for m in files} == {
            (0o644, 0, 0, "", "", plan.mtime)
        }
        for entry in manifest_of(root)["entries"]:
            data = tar.extractfile(f"{plan.run_id}/{entry['path']}").read()  # type: ignore[union-attr]
            assert hashlib.sha256(data).hexdigest() == entry["sha256"]
    assert plan.mtime == json.loads((root / "run.json").read_bytes())["created_unix_nanos"] // 10**9


def test_a_file_changed_after_finalize_aborts_and_leaves_nothing(tmp_path: Path) -> None:
    root = copy_fixture("rich", tmp_path)
    data = bytearray((root / "metrics.ndjson").read_bytes())
    data[-10] = ord("7") if data[-10] != ord("7") else ord("8")
    (root / "metrics.ndjson").write_bytes(bytes(data))
    out = tmp_path / "out" / "run.tar.gz"
    out.parent.mkdir()
    with pytest.raises(ExportMismatchError, match=r"metrics\.ndjson: sha256"):
        write_archive(root, out, "tar.gz")
    assert list(out.parent.iterdir()) == []


def test_cli_export_exit_codes(tmp_path: Path) -> None:
    root = copy_fixture("rich_byte_flip", tmp_path)
    out = tmp_path / "x.zip"
    result = subprocess.run(
        [sys.executable, "-m", "swarmview", "export", str(root), "--format", "zip", "-o", str(out)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1 and "metrics.ndjson" in result.stderr and not out.exists()
    unknown = subprocess.run(
        [sys.executable, "-m", "swarmview", "export", str(root), "--format", "nope", "-o", str(out)],
        capture_output=True, text=True, timeout=120,
    )
    assert unknown.returncode == 2


@pytest.mark.parametrize("fmt", ["tar.gz", "zip"])
def test_archive_round_trip_extracts_identical_bytes(tmp_path: Path, fmt: str) -> None:
    root = copy_fixture("rich", tmp_path)
    out = tmp_path / f"run.{fmt}"
    write_archive(root, out, fmt)  # type: ignore[arg-type]
    extracted = extract_archive(out)
    try:
        assert extracted.findings == []
        assert extracted.inner == manifest_of(root)["run_id"]
        for entry in manifest_of(root)["entries"] + [{"path": "manifest.json"}]:
            assert (extracted.root / entry["path"]).read_bytes() == (root / entry["path"]).read_bytes()
    finally:
        extracted.cleanup()
    assert not extracted.folder.exists()


def _tar_with(members: list[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def test_unsafe_members_are_refused_not_extracted(tmp_path: Path) -> None:
    def reg(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        return info, data

    link = tarfile.TarInfo("run/evil-link")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    archive = tmp_path / "evil.tar.gz"
    archive.write_bytes(_tar_with([reg("run/run.json", b"{}"), reg("../escape.txt", b"x"),
                                   reg("/abs.txt", b"x"), (link, None)]))
    extracted = extract_archive(archive)
    try:
        refused = {f.path: f.code for f in extracted.findings}
        assert refused == {"../escape.txt": "ARCHIVE_UNSAFE_MEMBER", "/abs.txt": "ARCHIVE_UNSAFE_MEMBER",
                           "run/evil-link": "ARCHIVE_UNSAFE_MEMBER"}
        assert not (tmp_path / "escape.txt").exists()
        assert not (extracted.root / "evil-link").exists()
        assert extracted.inner == "run"
    finally:
        extracted.cleanup()


@pytest.mark.parametrize("fmt", ["tar.gz", "zip"])
def test_export_interrupted_halfway_leaves_nothing(tmp_path: Path, fmt: str) -> None:
    import threading

    from swarmview.export.archive import ExportCancelled

    root = copy_fixture("rich", tmp_path)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / f"run.{fmt}").write_bytes(b"an older export the user still has")
    cancel = threading.Event()

    def progress(done: int, total: int) -> None:
        if done > total // 3:
            cancel.set()

    with pytest.raises(ExportCancelled):
        write_archive(root, out_dir / f"run.{fmt}", fmt, progress=progress, cancel=cancel)  # type: ignore[arg-type]
    assert [p.name for p in out_dir.iterdir()] == [f"run.{fmt}"]  # no temp file left behind
    assert (out_dir / f"run.{fmt}").read_bytes() == b"an older export the user still has"


@pytest.mark.parametrize("fmt", ["tar.gz", "zip"])
def test_exported_archive_verifies_without_unpacking(tmp_path: Path, fmt: str) -> None:
    """Round trip: export → `swarmview verify run.<fmt>` → verified, upstream accepts it."""
    root = copy_fixture("minimal_session", tmp_path)
    out = tmp_path / f"run.{fmt}"
    write_archive(root, out, fmt)  # type: ignore[arg-type]
    result = subprocess.run([sys.executable, "-m", "swarmview", "verify", "--json", str(out)],
                            capture_output=True, text=True, timeout=120)
    doc = json.loads(result.stdout)
    assert result.returncode == 0, result.stderr
    assert doc["verdict"] == "verified" and doc["upstream"]["validate_manifest"] == {"ok": True}
    assert doc["root"] == f"{out}!/{manifest_of(root)['run_id']}"
