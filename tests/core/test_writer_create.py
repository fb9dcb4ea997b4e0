"""``BundleWriter.create``/``open``: a fresh bundle is byte-identical to upstream's (§1.4, §5.1, §6)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

pytest.importorskip("swarmview.core.jsontext.encode")

from swarmview.core.errors import BundleWriteError
from swarmview.core.writer import BundleWriter
from tests.core._writer_support import FIXTURE_CLOCK, assert_same_tree, assert_upstream_valid

RUN_ID = bytes([0x01] * 16)
CLOCK = 1_700_000_000_000_000_000
EMPTY_SHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

# The texts of BUNDLE_FORMAT §1.4 (run id 0x01×16, clock 1700000000000000000).
RUN_JSON = (
    '{\n  "schema_version": 1,\n  "run_id": "01010101010101010101010101010101",\n'
    '  "created_unix_nanos": 1700000000000000000,\n  "swarmtorch_version": "0.1.0"\n}'
)
GRAPH_JSON = (
    '{\n  "schema_version": 1,\n  "graph_id": "01010101010101010101010101010101",\n'
    '  "nodes": [],\n  "edges": []\n}'
)
REGISTRY_JSON = '{\n  "schema_version": 1,\n  "datasets": []\n}'
LINEAGE_JSON = '{\n  "schema_version": 1,\n  "edges": []\n}'
#: §1.4: (path, bytes, sha256) of the ten manifest entries, sorted by path.
MANIFEST_ENTRIES = [
    ("datasets/lineage.json", 40, "59303ed522c65e518bafb84a925b3142534c0551e9e9c5d44f78a240df803ef3"),
    ("datasets/lineage_edges.ndjson", 0, EMPTY_SHA),
    ("datasets/materializations.ndjson", 0, EMPTY_SHA),
    ("datasets/registry.json", 43, "97a0ff74258e702f481f675d33b55be027a4a7ac89f0a6b0ed9a61726b2a715c"),
    ("datasets/registry_updates.ndjson", 0, EMPTY_SHA),
    ("events.ndjson", 0, EMPTY_SHA),
    ("graph.json", 105, "e80c0af1a706841c800b0da30d5b7ccfeb106ebbb23007097f48c45490c8d066"),
    ("metrics.ndjson", 0, EMPTY_SHA),
    ("run.json", 151, "49307b767a739bd6bc6473d7831a4aa9c31e9f4cd394136cad8982e1d584dea1"),
    ("spans.ndjson", 0, EMPTY_SHA),
]


def _manifest_text(run_hex: str) -> str:
    """§5.1's complete manifest for the fresh bundle, laid out by hand from the entry table."""
    blocks = [
        f'    {{\n      "path": "{p}",\n      "sha256": "{h}",\n      "bytes": {n},\n      "required": true\n    }}'
        for p, n, h in MANIFEST_ENTRIES
    ]
    return (
        f'{{\n  "schema_version": 1,\n  "run_id": "{run_hex}",\n  "hash_algo": "sha256",\n'
        f'  "entries": [\n' + ",\n".join(blocks) + "\n  ]\n}"
    )


@pytest.fixture
def fresh(tmp_path: Path) -> Path:
    with BundleWriter.create(tmp_path, RUN_ID, clock_ns=CLOCK) as writer:
        return writer.root


def test_b001_create_layout(tmp_path: Path, fresh: Path) -> None:
    """B-001: ``<base>/runs/<hex>/`` with datasets/, artifacts/ (empty), 4 JSON files, 6 empty NDJSON, manifest."""
    assert fresh == tmp_path / "runs" / ("01" * 16)
    files = sorted(p.relative_to(fresh).as_posix() for p in fresh.rglob("*") if p.is_file())
    assert files == sorted([*(p for p, _n, _h in MANIFEST_ENTRIES), "manifest.json"])
    assert (fresh / "artifacts").is_dir() and not any((fresh / "artifacts").iterdir())
    for rel in ("spans.ndjson", "events.ndjson", "metrics.ndjson", "datasets/materializations.ndjson",
                "datasets/registry_updates.ndjson", "datasets/lineage_edges.ndjson"):  # fmt: skip
        assert (fresh / rel).read_bytes() == b""
    assert not [p for p in fresh.rglob("*.tmp")]


def test_b005_run_json_exact(fresh: Path) -> None:
    """B-005: run.json is §1.4's 151 bytes: schema 1, run id, clock reading, version 0.1.0, no newline."""
    data = (fresh / "run.json").read_bytes()
    assert data == RUN_JSON.encode()
    assert len(data) == 151
    assert hashlib.sha256(data).hexdigest() == "49307b767a739bd6bc6473d7831a4aa9c31e9f4cd394136cad8982e1d584dea1"


def test_b006_graph_registry_lineage_exact(fresh: Path) -> None:
    """B-006 / B-009: empty graph with graph_id = run id, empty registry (43 B) and lineage (40 B), pretty."""
    assert (fresh / "graph.json").read_bytes() == GRAPH_JSON.encode()
    assert (fresh / "datasets/registry.json").read_bytes() == REGISTRY_JSON.encode()
    assert (fresh / "datasets/lineage.json").read_bytes() == LINEAGE_JSON.encode()
    assert len(REGISTRY_JSON) == 43 and len(LINEAGE_JSON) == 40


def test_b007_fresh_manifest_exact(fresh: Path) -> None:
    """B-007: ten required entries sorted by path with §1.4's sizes and digests; the §5.1 text exactly."""
    manifest = (fresh / "manifest.json").read_bytes()
    assert manifest == _manifest_text("01" * 16).encode()
    for rel, size, digest in MANIFEST_ENTRIES:
        data = (fresh / rel).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (size, digest)


def test_b002_fresh_bundle_validates(fresh: Path) -> None:
    """B-002: upstream's validate_manifest accepts a freshly created bundle."""
    assert_upstream_valid(fresh)


def test_b003_zero_run_id_refused_nothing_created(tmp_path: Path) -> None:
    """B-003: all-zero run id → InvalidInput ``run_id must be non-zero``; nothing is created."""
    for zero in (bytes(16), "0" * 32):
        with pytest.raises(BundleWriteError) as info:
            BundleWriter.create(tmp_path, zero, clock_ns=CLOCK)
        assert (info.value.kind, info.value.message) == ("InvalidInput", "run_id must be non-zero")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("form", ["folder", "file", "dangling_link"])
def test_b004_existing_root_refused(tmp_path: Path, form: str) -> None:
    """B-004: the root existing in any form → AlreadyExists ``run artifact bundle already exists``."""
    root = tmp_path / "runs" / ("01" * 16)
    root.parent.mkdir()
    if form == "folder":
        root.mkdir()
    elif form == "file":
        root.write_bytes(b"x")
    else:
        os.symlink(tmp_path / "nowhere", root)
    with pytest.raises(BundleWriteError) as info:
        BundleWriter.create(tmp_path, RUN_ID, clock_ns=CLOCK)
    assert (info.value.kind, info.value.message) == ("AlreadyExists", "run artifact bundle already exists")


def test_run_id_forms_and_case(tmp_path: Path) -> None:
    """Run ids as bytes or hex text of either case give the same lowercase folder; bad text is refused."""
    with BundleWriter.create(tmp_path / "a", "ABCDEF0123456789ABCDEF0123456789", clock_ns=CLOCK) as w:
        assert w.root.name == "abcdef0123456789abcdef0123456789"
        assert '"run_id": "abcdef0123456789abcdef0123456789"' in (w.root / "run.json").read_text()
    for bad in ("abc", "zz" * 16, b"\x01" * 15, 7):
        with pytest.raises(BundleWriteError) as info:
            BundleWriter.create(tmp_path / "b", bad, clock_ns=CLOCK)
        assert info.value.kind == "InvalidInput"


def test_random_run_id_and_wall_clock(tmp_path: Path) -> None:
    """Without a run id a random non-zero one is used; without a clock the wall clock."""
    import time

    before = time.time_ns()
    with BundleWriter.create(tmp_path) as w:
        assert len(w.run_id) == 32 and int(w.run_id, 16) != 0
        text = (w.root / "run.json").read_text()
    created = int(text.split('"created_unix_nanos": ')[1].split(",")[0])
    assert before <= created <= time.time_ns()


def test_clock_before_epoch_is_zero(tmp_path: Path) -> None:
    """§6.1: a clock before 1970 is written as 0."""
    with BundleWriter.create(tmp_path, RUN_ID, clock_ns=-5) as w:
        assert '"created_unix_nanos": 0,' in (w.root / "run.json").read_text()


def test_reproduces_minimal_fixture(tmp_path: Path) -> None:
    """``minimal`` (upstream create, frozen clock, run id …01): every file byte-identical, manifest included."""
    with BundleWriter.create(tmp_path, "00000000000000000000000000000001", clock_ns=FIXTURE_CLOCK) as w:
        root = w.root
    assert_same_tree(root, "minimal")


def test_b008_open_reads_run_id(tmp_path: Path, fresh: Path) -> None:
    """B-008: open reads run.json's run_id; a missing run.json is the OS error ``No such file…``."""
    with BundleWriter.open(fresh) as w:
        assert w.run_id == "01" * 16
    with pytest.raises(BundleWriteError) as info:
        BundleWriter.open(tmp_path)
    assert (info.value.kind, info.value.message) == ("NotFound", "No such file or directory (os error 2)")


def test_open_malformed_run_json(fresh: Path) -> None:
    """A malformed run.json fails ``open`` with kind Other and serde_json's text."""
    pytest.importorskip("swarmview.core.jsontext.decode")
    (fresh / "run.json").write_bytes(b"\xef\xbb\xbf{}")
    with pytest.raises(BundleWriteError) as info:
        BundleWriter.open(fresh)
    assert (info.value.kind, info.value.message) == ("Other", "expected value at line 1 column 1")


def test_second_writer_is_locked_out(fresh: Path) -> None:
    """F-27: while one swarmview writer has the bundle open, a second one is refused (no lock file added)."""
    pytest.importorskip("fcntl")
    first = BundleWriter.open(fresh)
    try:
        with pytest.raises(BundleWriteError) as info:
            BundleWriter.open(fresh)
        assert info.value.kind == "WouldBlock"
    finally:
        first.close()
    BundleWriter.open(fresh).close()
    assert sorted(p.name for p in fresh.iterdir()) == sorted(
        ["artifacts", "datasets", "events.ndjson", "graph.json", "manifest.json", "metrics.ndjson",
         "run.json", "spans.ndjson"]
    )
