"""Property tests: verify() on mutated fixture copies always returns a report, never hangs, never writes.

Examples per test: ``SWARMVIEW_VERIFY_EXAMPLES`` (default 30 for CI; set 10000 for a long run).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from swarmview.core.errors import NotABundleError
from swarmview.core.verify.engine import run_verify
from swarmview.core.verify.report import Report
from tests.core._verify_support import copy_bundle
from tests.helpers import snapshot_tree

EXAMPLES = int(os.environ.get("SWARMVIEW_VERIFY_EXAMPLES", "30"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
BASES = ["minimal", "minimal_session", "crashed_midrun", "rich", "legacy_alpha6"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**64), 2**64) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=20,
)
names = st.binary(min_size=1, max_size=12).filter(lambda b: b"/" not in b and b"\x00" not in b and b not in (b".", b".."))
manifest_like = st.fixed_dictionaries({
    "schema_version": st.integers(-1, 3) | json_values,
    "run_id": st.sampled_from(["00000000000000000000000000000001", "0" * 32, "ABC"]) | json_values,
    "hash_algo": st.sampled_from(["sha256", "SHA256", ""]) | json_values,
    "entries": st.lists(st.fixed_dictionaries({
        "path": st.sampled_from(["run.json", "a//b", "../x", "/abs", "", "artifacts/x", "p"]) | st.text(max_size=10),
        "sha256": st.text(max_size=70), "bytes": st.integers(-5, 10**6), "required": st.booleans()}), max_size=6),
})

mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10**9), st.integers(0, 10**9), st.integers(1, 255)),
    st.tuples(st.just("truncate"), st.integers(0, 10**9), st.integers(0, 10**9)),
    st.tuples(st.just("add"), names, st.binary(max_size=300)),
    st.tuples(st.just("remove"), st.integers(0, 10**9)),
    st.tuples(st.just("manifest_json"), manifest_like | json_values),
    st.tuples(st.just("manifest_bytes"), st.binary(max_size=200)),
    st.tuples(st.just("fifo"), names, st.booleans()),
    st.tuples(st.just("symlink"), names, st.sampled_from(["../run.json", "/etc/passwd", "nowhere", "."])),
)


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def _apply(root: Path, m: tuple) -> None:  # type: ignore[type-arg]
    kind = m[0]
    files = _files(root)
    if kind == "flip" and files:
        f = files[m[1] % len(files)]
        data = bytearray(f.read_bytes())
        if data:
            data[m[2] % len(data)] ^= m[3]
            f.write_bytes(bytes(data))
    elif kind == "truncate" and files:
        f = files[m[1] % len(files)]
        size = f.stat().st_size
        os.truncate(f, m[2] % (size + 1))
    elif kind == "add":
        target = os.path.join(os.fsencode(root), b"artifacts", m[1])
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as fh:
            fh.write(m[2])
    elif kind == "remove" and files:
        files[m[1] % len(files)].unlink()
    elif kind == "manifest_json":
        (root / "manifest.json").write_text(json.dumps(m[1]))
    elif kind == "manifest_bytes":
        (root / "manifest.json").write_bytes(m[1])
    elif kind == "fifo":
        target = os.path.join(os.fsencode(root), m[1])
        if not os.path.lexists(target):
            os.mkfifo(target)
            if m[2] and (root / "manifest.json").exists():
                try:
                    doc = json.loads((root / "manifest.json").read_bytes())
                    doc["entries"].append({"path": os.fsdecode(m[1]), "sha256": "0" * 64, "bytes": 0, "required": False})
                    (root / "manifest.json").write_text(json.dumps(doc))
                except (ValueError, KeyError, TypeError, AttributeError):
                    pass
    elif kind == "symlink":
        target = os.path.join(os.fsencode(root), m[1])
        if not os.path.lexists(target):
            os.symlink(m[2], target)


def _check(root: Path, profile: str, tier: str) -> Report:
    before = snapshot_tree(root)
    report = run_verify(root, profile=profile, tier=tier, timeout=60)
    assert isinstance(report, Report)
    doc = json.loads(json.dumps(report.to_json(), ensure_ascii=False))
    assert doc["exit_code"] in (0, 1, 3) and doc["verdict"] != "cancelled"
    assert snapshot_tree(root) == before, "verify wrote into the bundle"
    return report


@pytest.mark.timeout(max(300, EXAMPLES * 3))  # a hang fails the run instead of blocking CI
@SETTINGS
@given(base=st.sampled_from(BASES), mutations=st.lists(mutation, min_size=1, max_size=4),
       profile=st.sampled_from(["default", "strict", "upstream"]), tier=st.sampled_from(["full", "fast"]))
def test_verify_always_reports(base: str, mutations: list, profile: str, tier: str) -> None:
    """Any mutation of a valid bundle: a report (never an exception, hang or write)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = copy_bundle(base, Path(tmp))
        for m in mutations:
            _apply(root, m)
        if profile == "upstream" and tier == "fast":
            tier = "full"
        if not any(os.path.lexists(root / n) for n in ("run.json", "manifest.json")):
            with pytest.raises(NotABundleError):  # §1: nothing left that makes it a bundle
                run_verify(root)
            return
        report = _check(root, profile, tier)
        if report.upstream["validate_manifest"] == {"ok": True} and profile == "upstream":
            assert report.exit_code == 0
