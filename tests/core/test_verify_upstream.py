"""Upstream emulation: ``open`` (§6.2) and ``validate_manifest`` (§5.3) exactly (B-055…B-073)."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from swarmview.core.verify.paths import (
    canonical_problem,
    non_portable_reason,
    safe_relative,
    upstream_path_error,
)
from swarmview.core.verify.upstream_validate import upstream_stages
from tests.core._verify_support import copy_bundle, verdict
from tests.helpers import FIXTURE_NAMES, FIXTURES


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_open_and_validate_equal_verdict_files(name: str, tmp_path: Path) -> None:
    """Every fixture: both stages equal verdicts/<name>.json (kind and exact message)."""
    opened, validated = upstream_stages(copy_bundle(name, tmp_path))
    assert opened == verdict(name)["open"]
    assert validated == verdict(name)["validate_manifest"]


def _edit_manifest(root: Path, edit) -> None:  # type: ignore[no-untyped-def]
    doc = json.loads((root / "manifest.json").read_text())
    edit(doc)
    (root / "manifest.json").write_text(json.dumps(doc, indent=2))


def _entry(path: str, sha: str = "0" * 64, size: int = 0, required: bool = False) -> dict:
    return {"path": path, "sha256": sha, "bytes": size, "required": required}


def test_listed_fifo_is_reported_as_blocking_never_opened(tmp_path: Path) -> None:
    """F-04: upstream would block forever; the emulation says so and returns at once."""
    root = copy_bundle("minimal", tmp_path)
    os.mkfifo(root / "pipe")
    _edit_manifest(root, lambda d: d["entries"].append(_entry("pipe")))
    _, validated = upstream_stages(root)
    assert validated == {"ok": None, "kind": None, "message": "upstream blocks forever reading pipe (a fifo)"}


def test_symlink_escape_B061(tmp_path: Path) -> None:
    """B-061: a link to a file outside the root, listed with its correct digest, escapes the root."""
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"secret")
    root = copy_bundle("minimal", tmp_path)
    os.symlink(outside, root / "datasets" / "escape_link")
    sha = "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"
    _edit_manifest(root, lambda d: d["entries"].append(_entry("datasets/escape_link", sha, 6)))
    assert upstream_stages(root)[1] == {
        "ok": False, "kind": "InvalidData", "message": "manifest path escapes bundle root: datasets/escape_link"}


def test_duplicate_path_B057(tmp_path: Path) -> None:
    root = copy_bundle("minimal", tmp_path)
    _edit_manifest(root, lambda d: d["entries"].append(dict(d["entries"][0])))
    assert upstream_stages(root)[1]["message"] == "duplicate manifest path entry: datasets/lineage.json"


def test_interior_dot_and_double_slash_pass_B063(tmp_path: Path) -> None:
    """B-063: `a//b` and `a/./b` open `a/b` and are not duplicates of it as strings."""
    root = copy_bundle("minimal", tmp_path)

    def edit(d: dict) -> None:
        for e in list(d["entries"]):
            if e["path"] == "datasets/lineage.json":
                d["entries"].append({**e, "path": "datasets//lineage.json", "required": False})
                d["entries"].append({**e, "path": "datasets/./lineage.json", "required": False})
    _edit_manifest(root, edit)
    assert upstream_stages(root)[1] == {"ok": True}


def test_header_checks_in_order_B064(tmp_path: Path) -> None:
    """B-064: schema_version, then run_id, then hash_algo, before any entry."""
    root = copy_bundle("minimal", tmp_path)

    def edit(d: dict) -> None:
        d["run_id"] = "00000000000000000000000000000002"
        d["hash_algo"] = "SHA256"
        d["entries"].insert(0, _entry("../x"))
    _edit_manifest(root, edit)
    assert upstream_stages(root)[1]["message"] == "manifest run_id mismatch"
    _edit_manifest(root, lambda d: d.update(run_id="00000000000000000000000000000001"))
    assert upstream_stages(root)[1]["message"] == "unsupported hash algorithm"


def test_required_marked_optional_B065_B073(tmp_path: Path) -> None:
    root = copy_bundle("minimal", tmp_path)

    def edit(d: dict) -> None:
        for e in d["entries"]:
            if e["path"].startswith(("datasets/registry_updates", "datasets/lineage_edges")):
                e["required"] = False
    _edit_manifest(root, edit)
    assert upstream_stages(root)[1] == {"ok": False, "kind": "InvalidData", "message":
                                        "required path marked non-required in manifest: datasets/lineage_edges.ndjson"}


def test_missing_size_hash_and_required_checks(tmp_path: Path) -> None:
    """B-066/B-067/B-068/B-070/B-055: first failure in entry order; uppercase digest mismatches."""
    root = copy_bundle("minimal", tmp_path)

    def upper(d: dict) -> None:
        for e in d["entries"]:
            if e["path"] == "graph.json":
                e["sha256"] = e["sha256"].upper()
    _edit_manifest(root, upper)
    assert upstream_stages(root)[1]["message"] == "sha256 mismatch for graph.json"
    (root / "events.ndjson").write_bytes(b"x")
    assert upstream_stages(root)[1]["message"] == "size mismatch for events.ndjson (expected 0)"
    (root / "datasets" / "lineage.json").unlink()
    assert upstream_stages(root)[1] == {"ok": False, "kind": "NotFound",
                                        "message": "missing file listed in manifest: datasets/lineage.json"}
    _edit_manifest(root, lambda d: d.update(entries=[e for e in d["entries"] if e["path"] != "run.json"
                                                     and e["path"] != "datasets/lineage.json"
                                                     and e["path"] != "events.ndjson" and e["path"] != "graph.json"]))
    assert upstream_stages(root)[1]["message"] == "required manifest entry missing: run.json"


def test_folder_listed_fails_with_bare_os_text(tmp_path: Path) -> None:
    """F-04: a folder listed with its own size fails at the read: `Is a directory (os error 21)`."""
    root = copy_bundle("minimal", tmp_path)
    (root / "adir").mkdir()
    size = os.stat(root / "adir").st_size
    _edit_manifest(root, lambda d: d["entries"].append(_entry("adir", size=size)))
    assert upstream_stages(root)[1] == {"ok": False, "kind": "IsADirectory", "message": "Is a directory (os error 21)"}


def test_listed_socket_fails_at_open(tmp_path: Path) -> None:
    root = copy_bundle("minimal", tmp_path)
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(root / "s"))
        _edit_manifest(root, lambda d: d["entries"].append(_entry("s")))
        assert upstream_stages(root)[1] == {"ok": False, "kind": "Uncategorized",
                                            "message": "No such device or address (os error 6)"}
    finally:
        sock.close()


def test_open_failures(tmp_path: Path) -> None:
    """B-008: without run.json open fails with the OS error and validation does not run."""
    root = copy_bundle("minimal", tmp_path)
    (root / "run.json").unlink()
    opened, validated = upstream_stages(root)
    assert opened == {"ok": False, "kind": "NotFound", "message": "No such file or directory (os error 2)"}
    assert validated == {"ok": False, "not_run": "RunArtifactBundle::open failed", "kind": "NotFound",
                         "message": "No such file or directory (os error 2)"}
    os.mkfifo(root / "run.json")
    assert upstream_stages(root)[0] == {"ok": None, "kind": None,
                                        "message": "upstream blocks forever reading run.json (a fifo)"}
    os.unlink(root / "run.json")
    (root / "run.json").mkdir()
    assert upstream_stages(root)[0] == {"ok": False, "kind": "Other", "message": "Is a directory (os error 21)"}


@pytest.mark.parametrize(("path", "message"), [
    ("", "manifest path must be non-empty"),
    ("/run.json", "manifest path must be relative: /run.json"),
    ("../x", "manifest path must not contain '..': ../x"),
    ("a/../b", "manifest path must not contain '..': a/../b"),
    ("..", "manifest path must not contain '..': .."),
    ("./x", "manifest path must not contain '.': ./x"),
    (".", "manifest path must not contain '.': ."),
    ("a//b", None), ("a/./b", None), ("a/b/", None), ("C:\\x", None), ("a\\b", None),
])
def test_upstream_path_rules_B058_B062(path: str, message: str | None) -> None:
    """B-058, B-059, B-062, B-063: validate_manifest_path's messages on Linux."""
    assert upstream_path_error(path) == message


@pytest.mark.parametrize(("path", "reason", "opened"), [
    ("artifacts/./notes.md", "'.' component", "artifacts/notes.md"),
    ("artifacts//eval/summary.json", "empty component", "artifacts/eval/summary.json"),
    ("a/b/", "trailing '/'", "a/b"),
    ("../outside.txt", "'..' component", None),
    ("./run.json", "'.' component", None),
    ("/run.json", "absolute", None),
    ("datasets\\registry.json", "backslash", None),
    ("C:x", "drive prefix", None),
    ("", "empty", None),
    ("artifacts/step:100.pt", None, "artifacts/step:100.pt"),
])
def test_canonical_form(path: str, reason: str | None, opened: str | None) -> None:
    assert canonical_problem(path) == reason
    assert safe_relative(path) == opened


@pytest.mark.parametrize(("path", "reason"), [
    ("artifacts/step:100.pt", "':'"), ("a/b?c", "'?'"), ("a/CON", "reserved device name CON"),
    ("a/nul.txt", "reserved device name NUL"), ("a/x.", "ends with '.'"), ("a/x ", "ends with ' '"),
    ("a/\x01", "a control character"), ("artifacts/ok.bin", None),
])
def test_non_portable_names(path: str, reason: str | None) -> None:
    assert non_portable_reason(path) == reason


def test_manifest_read_uses_upstreams_exact_decoder() -> None:
    """The io-reader position rules (§2.6) come from jsontext, not the orjson stand-in."""
    from swarmview.core.verify.manifest import decode_manifest, have_exact_decoder

    assert have_exact_decoder()
    data = (FIXTURES / "minimal_dup_keys_manifest" / "manifest.json").read_bytes()
    failure = decode_manifest(data).failure
    assert failure is not None and failure.text == "duplicate field `hash_algo` at line 5 column 14"


@pytest.mark.parametrize(("bid", "name", "expected"), [
    ("B-056", "legacy_alpha6", {"ok": False, "kind": "InvalidData",
                                "message": "required manifest entry missing: datasets/registry_updates.ndjson"}),
    ("B-069", "minimal_extra_unlisted", {"ok": True}),
    ("B-071", "unfinalized", {"ok": False, "kind": "NotFound", "message": "No such file or directory (os error 2)"}),
    ("B-072", "crashed_midrun", {"ok": False, "kind": "InvalidData",
                                 "message": "size mismatch for metrics.ndjson (expected 534)"}),
])
def test_named_behaviours_on_fixtures(bid: str, name: str, expected: dict, tmp_path: Path) -> None:
    """B-056, B-069, B-071, B-072 as the fixtures pin them."""
    assert upstream_stages(copy_bundle(name, tmp_path))[1] == expected, bid


@pytest.mark.parametrize("path", ["C:\\Windows\\System32\\drivers\\etc\\hosts",
                                  "\\\\?\\C:\\Windows\\System32\\drivers\\etc\\hosts"])
def test_windows_absolute_forms_B060(path: str) -> None:
    """B-060: Windows rejects these as not relative; on Linux upstream accepts them as one file name,
    so swarmview reports them as NON_CANONICAL_PATH on every platform (F-05)."""
    assert upstream_path_error(path) is None
    assert canonical_problem(path) in ("backslash", "drive prefix")
    assert safe_relative(path) is None
