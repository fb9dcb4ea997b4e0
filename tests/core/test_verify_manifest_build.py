"""manifest_build: exactly what upstream's finalize_manifest writes (§5.2; B-050…B-053)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from swarmview.core.errors import UpstreamIOError
from swarmview.core.verify.manifest_build import (
    ManifestEntry,
    build_upstream_manifest,
    collect_upstream_files,
    json_string,
    render_manifest,
)
from tests.core._verify_support import copy_bundle, fixture_manifest, verdict
from tests.helpers import FIXTURE_NAMES, VERDICTS

EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_build_equals_upstream_refinalize_for_every_fixture(name: str, tmp_path: Path) -> None:
    """B-051/B-053: the bytes (or the error) upstream's finalize_manifest produced on this fixture."""
    copy = copy_bundle(name, tmp_path)
    run_id = json.loads((copy / "run.json").read_text())["run_id"]
    recorded = verdict(name)["refinalize"]
    if not recorded["finalize_manifest"]["ok"]:
        with pytest.raises(UpstreamIOError) as err:
            build_upstream_manifest(copy, run_id)
        assert (err.value.kind, err.value.message) == (
            recorded["finalize_manifest"]["kind"],
            recorded["finalize_manifest"]["message"],
        )
        return
    out = build_upstream_manifest(copy, run_id)
    if recorded["identical_to_fixture_manifest"]:
        assert out == fixture_manifest(name)
    else:
        assert out == (VERDICTS / f"{name}.refinalized_manifest.json").read_bytes()
    assert hashlib.sha256(out).hexdigest() == recorded["manifest_sha256"]


def test_walk_skips_what_upstream_skips(tmp_path: Path) -> None:
    """B-050: manifest.json at any depth, *.tmp, links, FIFOs and symlinked folders are not listed."""
    root = copy_bundle("minimal", tmp_path)
    art = root / "artifacts"
    (art / "sub").mkdir(parents=True)
    (art / "sub" / "manifest.json").write_text("{}")
    (art / "x.tmp").write_text("t")
    (art / "keep.bin").write_bytes(b"\x00" * 10)
    (art / ".hidden").write_text("h")
    os.mkfifo(art / "pipe")
    os.symlink("keep.bin", art / "link.bin")
    os.symlink("sub", art / "linkdir")
    os.symlink("/nonexistent", art / "dangling")
    (art / os.fsdecode(b"n\xffame.tmp")).write_text("non-utf8 .tmp is not recognised")
    files = collect_upstream_files(root)
    assert "artifacts/keep.bin" in files and "artifacts/.hidden" in files
    assert "artifacts/n\ufffdame.tmp" in files  # lossy UTF-8 (F-17)
    for skipped in ("manifest.json", "artifacts/sub/manifest.json", "artifacts/x.tmp", "artifacts/pipe",
                    "artifacts/link.bin", "artifacts/linkdir/manifest.json", "artifacts/dangling"):
        assert skipped not in files
    assert files == sorted(files, key=lambda p: p.encode())


def test_added_file_is_listed_not_required(tmp_path: Path) -> None:
    """B-052: a file added anywhere appears with "required": false, sorted by path bytes (B-051)."""
    root = copy_bundle("minimal", tmp_path)
    (root / "artifacts").mkdir(exist_ok=True)
    (root / "artifacts" / "Z.txt").write_bytes(b"abc")
    doc = json.loads(build_upstream_manifest(root, "00000000000000000000000000000001"))
    entry = next(e for e in doc["entries"] if e["path"] == "artifacts/Z.txt")
    assert entry == {"path": "artifacts/Z.txt", "sha256": hashlib.sha256(b"abc").hexdigest(), "bytes": 3,
                     "required": False}
    assert [e["path"] for e in doc["entries"]] == sorted(e["path"] for e in doc["entries"])
    assert sum(e["required"] for e in doc["entries"]) == 10


def test_missing_required_file_fails_first_in_order(tmp_path: Path) -> None:
    """B-053: NotFound, `missing required bundle file: {path}` for the first one in §1.3 order."""
    root = copy_bundle("minimal", tmp_path)
    (root / "metrics.ndjson").unlink()
    (root / "datasets" / "lineage.json").unlink()
    with pytest.raises(UpstreamIOError) as err:
        build_upstream_manifest(root, "00000000000000000000000000000001")
    assert (err.value.kind, err.value.message) == ("NotFound", "missing required bundle file: metrics.ndjson")


def test_dangling_symlink_counts_as_missing(tmp_path: Path) -> None:
    """B-053: a dangling symlink in place of a required file is a missing file."""
    root = copy_bundle("minimal", tmp_path)
    (root / "spans.ndjson").unlink()
    os.symlink("nowhere.ndjson", root / "spans.ndjson")
    with pytest.raises(UpstreamIOError, match=r"missing required bundle file: spans\.ndjson"):
        build_upstream_manifest(root, "00000000000000000000000000000001")


def test_render_layout_matches_spec_example() -> None:
    """B-007/B-009: pretty JSON, two-space indent, lowercase run id, no trailing newline."""
    out = render_manifest("0101010101010101010101010101010A", [ManifestEntry("events.ndjson", EMPTY, 0, True)])
    assert out == (
        b'{\n  "schema_version": 1,\n  "run_id": "0101010101010101010101010101010a",\n  "hash_algo": "sha256",\n'
        b'  "entries": [\n    {\n      "path": "events.ndjson",\n      "sha256": "' + EMPTY.encode()
        + b'",\n      "bytes": 0,\n      "required": true\n    }\n  ]\n}'
    )
    assert render_manifest("01" * 16, []).endswith(b'"entries": []\n}')


def test_json_string_escapes_like_serde() -> None:
    """B-014: only quote, backslash and control characters are escaped; non-ASCII stays raw."""
    assert json_string('a"b\\c\n\x01é/') == '"a\\"b\\\\c\\n\\u0001é/"'
