"""``finalize_manifest`` and the atomic primitives through the writer (§5.2, §15.2–§15.5)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

pytest.importorskip("swarmview.core.jsontext.encode")

from swarmview.core.errors import BundleWriteError
from swarmview.core.writer import BundleWriter, atomic
from tests.core._writer_support import FIXTURE_CLOCK, assert_upstream_valid, upstream_verdict

TRACE = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def writer(tmp_path: Path) -> BundleWriter:
    w = BundleWriter.create(tmp_path, bytes([1] * 16), clock_ns=FIXTURE_CLOCK)
    yield w
    w.close()


def _entries(writer: BundleWriter) -> list[dict]:
    return json.loads((writer.root / "manifest.json").read_text())["entries"]


def test_b049_append_then_finalize_validates(writer: BundleWriter) -> None:
    """B-049 / B-072: after a span and a V1 materialization the manifest is stale; finalize makes it valid."""
    writer.append_span(TRACE, "0011223344556677", "s", 1, 2)
    writer.append_materialization({"ts_unix_nanos": 1, "asset_key": "dataset://a", "fingerprint_v0": "deadbeef",
                                   "node_id": "ab" * 16, "node_def_hash": "x", "rows": 3})  # fmt: skip
    _opened, validated = upstream_verdict(writer.root)
    assert (validated["ok"], validated["kind"], validated["message"]) == (
        False, "InvalidData", "size mismatch for datasets/materializations.ndjson (expected 0)"
    )  # fmt: skip
    writer.finalize_manifest()
    assert_upstream_valid(writer.root)
    line = (writer.root / "datasets/materializations.ndjson").read_text()
    assert line == ('{"schema_version":1,"ts_unix_nanos":1,"asset_key":"dataset://a","fingerprint_v0":"deadbeef",'
                    '"node_id":"' + "ab" * 16 + '","node_def_hash":"x","rows":3,"unsafe_surface":false}\n')  # fmt: skip


def test_b050_b051_b052_listing_rules(writer: BundleWriter) -> None:
    """B-050/B-051/B-052: every regular file listed except manifest.json anywhere, *.tmp and links; sorted."""
    art = writer.root / "artifacts"
    (art / "export").mkdir()
    (art / "export" / "manifest.json").write_text("{}")
    (art / "upload.part.tmp").write_text("partial")
    (art / "b.txt").write_text("b")
    (art / "A.txt").write_text("A")
    (art / ".hidden").write_text("h")
    os.symlink("../run.json", art / "link.json")
    os.symlink(writer.root / "datasets", art / "dirlink")
    os.mkfifo(art / "fifo")
    writer.finalize_manifest()
    entries = _entries(writer)
    paths = [e["path"] for e in entries]
    assert paths == sorted(paths, key=str.encode)
    extra = [p for p in paths if p.startswith("artifacts/")]
    assert extra == ["artifacts/.hidden", "artifacts/A.txt", "artifacts/b.txt"]
    for e in entries:
        data = (writer.root / e["path"]).read_bytes()
        assert (e["bytes"], e["sha256"]) == (len(data), hashlib.sha256(data).hexdigest())
        assert e["required"] is (not e["path"].startswith("artifacts/"))
    assert_upstream_valid(writer.root)


def test_b053_missing_required_file(writer: BundleWriter) -> None:
    """B-053: a missing required file → NotFound ``missing required bundle file: {path}``; manifest kept."""
    before = (writer.root / "manifest.json").read_bytes()
    (writer.root / "events.ndjson").unlink()
    (writer.root / "datasets/lineage_edges.ndjson").unlink()
    with pytest.raises(BundleWriteError) as info:
        writer.finalize_manifest()
    assert (info.value.kind, info.value.message) == ("NotFound", "missing required bundle file: events.ndjson")
    assert (writer.root / "manifest.json").read_bytes() == before


def test_b054_atomic_write_via_temp_and_rename(writer: BundleWriter, monkeypatch: pytest.MonkeyPatch) -> None:
    """B-054: the manifest is written to a ``*.tmp`` in the same folder and renamed over the target."""
    renames: list[tuple[str, str]] = []
    real_replace = os.replace

    def spy(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        renames.append((os.fspath(src), os.fspath(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    writer.append_event(1, TRACE, "e")
    data = writer.finalize_manifest()
    ((src, dst),) = renames
    assert Path(dst) == writer.root / "manifest.json" and Path(src).parent == writer.root
    assert src.endswith(".tmp") and Path(src).name.startswith("manifest.json.")
    assert not Path(src).exists() and Path(dst).read_bytes() == data


def test_failed_atomic_write_leaves_target_and_no_temp(writer: BundleWriter, monkeypatch: pytest.MonkeyPatch) -> None:
    """A rename that fails leaves the previous manifest intact and removes the temp file (§15.5)."""
    before = (writer.root / "manifest.json").read_bytes()
    writer.append_event(1, TRACE, "e")

    def broken(src: object, dst: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(BundleWriteError) as info:
        writer.finalize_manifest()
    assert (info.value.kind, info.value.message) == ("PermissionDenied", "Permission denied (os error 13)")
    assert (writer.root / "manifest.json").read_bytes() == before
    assert not list(writer.root.glob("*.tmp"))


def test_unique_temp_names_do_not_collide(tmp_path: Path) -> None:
    """F-27: each atomic write uses its own temp name (upstream's fixed ``<name>.tmp`` is left alone)."""
    target = tmp_path / "x.json"
    (tmp_path / "x.json.tmp").write_text("someone else's temp")
    names = {atomic.temp_path_for(target).name for _ in range(50)}
    assert len(names) == 50 and all(n.startswith("x.json.") and n.endswith(".tmp") for n in names)
    atomic.atomic_write(target, b"new")
    assert target.read_bytes() == b"new"
    assert (tmp_path / "x.json.tmp").read_text() == "someone else's temp"


def test_append_is_one_write_in_append_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """§15.3: a record is one ``write`` of ``line\\n`` to an O_APPEND file (created if absent)."""
    writes: list[bytes] = []
    real_write = os.write

    def spy(fd: int, data: bytes) -> int:
        writes.append(bytes(data))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", spy)
    target = tmp_path / "sub" / "log.ndjson"
    atomic.append_bytes(target, b'{"a":1}\n')
    atomic.append_bytes(target, b'{"b":2}\n')
    assert writes == [b'{"a":1}\n', b'{"b":2}\n']
    assert target.read_bytes() == b'{"a":1}\n{"b":2}\n'


@pytest.mark.parametrize(("policy", "valid_after"), [("always", [1, 2, 3]), (2, [2]), ("final_only", [])])
def test_manifest_policies(tmp_path: Path, policy: object, valid_after: list[int]) -> None:
    """§12.5: ``always`` refreshes after every write, ``IntervalN(2)`` after every second, ``FinalOnly`` never."""
    with BundleWriter.create(tmp_path, bytes([1] * 16), clock_ns=FIXTURE_CLOCK, manifest_policy=policy) as w:
        valid = []
        for i in (1, 2, 3):
            w.append_event(i, TRACE, "e")
            if upstream_verdict(w.root)[1]["ok"] is True:
                valid.append(i)
        assert valid == valid_after
