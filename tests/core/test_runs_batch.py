"""Batch verification and its cache (VERIFY.md §2 "Batches", "Cache"; issue 11)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from swarmview.core.errors import NotABundleError
from swarmview.core.runs import batch as batch_mod
from swarmview.core.runs.batch import BatchResult, find_runs, verify_batch
from swarmview.core.runs.cache import VerifyCache, tree_state
from tests.core._runs_support import (
    EXPECTED,
    TOO_DEEP,
    build_template,
    flip_byte,
    runs_folder,
    settle,
    write_run,
)
from tests.helpers import snapshot_tree


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("template"))


@pytest.fixture
def base(template: Path, tmp_path: Path) -> Path:
    return runs_folder(template, tmp_path)


def drive(gen: Any) -> tuple[BatchResult, list[Any]]:
    seen = []
    while True:
        try:
            seen.append(next(gen))
        except StopIteration as stop:
            return stop.value, seen


def by_rel(result: BatchResult, base: Path) -> dict[str, Any]:
    return {os.path.relpath(r.root, base): r for r in result.reports}


def test_discovery_layout_nesting_links_fifo_depth(base: Path) -> None:
    """§2: runs/<run_id>/ and nesting ≤ 8 deep, links not followed, FIFOs never opened, byte order."""
    roots = [os.path.relpath(r, base) for r in find_runs(base)]
    assert roots == sorted(EXPECTED, key=os.fsencode)
    assert TOO_DEEP not in roots


def test_batch_verdicts_exit_code_and_document(base: Path) -> None:
    before = snapshot_tree(base)
    result, progress = drive(verify_batch(base))
    assert {k: r.verdict for k, r in by_rel(result, base).items()} == EXPECTED
    assert result.exit_code == 1 and not result.interrupted and result.runs_found == 5
    doc = result.to_json()
    assert doc["schema"] == "swarmview.verify-batch/1" and doc["path"] == str(base)
    assert list(doc) == ["schema", "path", "runs", "summary"]
    assert doc["summary"] == {**doc["summary"], "runs": 5, "verified": 2, "verified_with_warnings": 1,
                              "problems": 2, "could_not_verify": 0, "cancelled": 0}
    assert doc["summary"]["bytes_hashed"] == sum(r["bytes_hashed"] for r in doc["runs"]) > 0
    assert [r["root"] for r in doc["runs"]] == [str(p) for p in find_runs(base)]
    last = progress[-1]
    assert last.runs_done == last.runs_total == 5 and last.bytes_done == last.bytes_total > 0
    assert snapshot_tree(base) == before, "verification wrote into a bundle"


def test_exit_code_order_130_1_3_0(base: Path) -> None:
    """The worst run decides: problems (1) beats could_not_verify (3), which beats verified (0)."""
    valid = [base / k for k, v in EXPECTED.items() if v.startswith("verified")]
    assert drive(verify_batch(base, roots=valid))[0].exit_code == 0
    timed_out, _ = drive(verify_batch(base, roots=valid, timeout=1e-6))
    assert {r.verdict for r in timed_out.reports} == {"could_not_verify"} and timed_out.exit_code == 3
    assert drive(verify_batch(base, timeout=1e-6))[0].exit_code == 1  # unfinalized: an error even so


def test_no_bundle_found(tmp_path: Path) -> None:
    (tmp_path / "empty" / "deep").mkdir(parents=True)
    os.mkfifo(tmp_path / "empty" / "pipe")
    with pytest.raises(NotABundleError, match="no bundle found"):
        drive(verify_batch(tmp_path / "empty"))


def test_cache_hits_and_one_byte_invalidates_one_run(base: Path, tmp_path: Path) -> None:
    """§2 Cache: second pass answered from the cache; one flipped byte re-verifies that run only."""
    cache = VerifyCache(tmp_path / "cache")
    before = snapshot_tree(base)
    first, _ = drive(verify_batch(base, cache=cache))
    assert not any(r.cached for r in first.reports)
    second, _ = drive(verify_batch(base, cache=cache))
    assert all(r.cached and r.bytes_hashed == 0 for r in second.reports)
    assert [r.to_json()["findings"] for r in second.reports] == [r.to_json()["findings"] for r in first.reports]
    assert [r.damaged_paths for r in second.reports] == [r.damaged_paths for r in first.reports]
    assert second.summary()["bytes_hashed"] == 0 and second.exit_code == first.exit_code
    assert snapshot_tree(base) == before, "the cache wrote into a bundle"
    assert not any(p.is_relative_to(base) for p in (tmp_path / "cache").rglob("*"))
    valid = "runs/00000000000000000000000000000a01"
    flip_byte(base / valid / "metrics.ndjson")
    settle()
    third, _ = drive(verify_batch(base, cache=cache))
    rel = by_rel(third, base)
    assert [k for k, r in rel.items() if not r.cached] == [valid]
    assert rel[valid].verdict == "problems" and rel[valid].bytes_hashed > 0


def test_metadata_only_change_and_new_file_invalidate(base: Path, tmp_path: Path) -> None:
    """mtime alone, or a file added anywhere in the tree, re-verifies (size/mtime/ctime/inode/device)."""
    cache = VerifyCache(tmp_path / "cache")
    drive(verify_batch(base, cache=cache))
    nested = "team/a/b/c/runs/00000000000000000000000000000a05"
    os.utime(base / nested / "run.json", ns=(1, 1))
    legacy = "runs/legacy_alpha6"
    (base / legacy / "artifacts" / "late.txt").write_bytes(b"x")
    settle()
    rel = by_rel(drive(verify_batch(base, cache=cache))[0], base)
    assert sorted(k for k, r in rel.items() if not r.cached) == sorted([nested, legacy])
    assert rel[nested].verdict == "verified"


def test_corrupt_entries_ignored_and_rewritten(base: Path, tmp_path: Path) -> None:
    cache = VerifyCache(tmp_path / "cache")
    drive(verify_batch(base, cache=cache))
    entries = sorted(cache.dir.glob("*.json"))
    assert len(entries) == 5
    entries[0].write_bytes(b'{"format": 1, "root": ')
    entries[1].write_bytes(b"[]")
    entries[2].write_bytes(b'{"format": 1}')
    result, _ = drive(verify_batch(base, cache=cache))
    assert sum(not r.cached for r in result.reports) == 3
    assert all(r.cached for r in drive(verify_batch(base, cache=cache))[0].reports)


def test_no_cache_for_fast_tier_nor_without_cache(base: Path, tmp_path: Path) -> None:
    cache = VerifyCache(tmp_path / "cache")
    fast, _ = drive(verify_batch(base, tier="fast", cache=cache))
    assert not cache.dir.exists() and all(r.tier == "fast" and r.bytes_hashed == 0 for r in fast.reports)
    drive(verify_batch(base, cache=cache))
    again, _ = drive(verify_batch(base, cache=None))
    assert not any(r.cached for r in again.reports)


def test_profile_is_part_of_the_key(base: Path, tmp_path: Path) -> None:
    cache = VerifyCache(tmp_path / "cache")
    drive(verify_batch(base, cache=cache))
    strict, _ = drive(verify_batch(base, cache=cache, profile="strict"))
    assert not any(r.cached for r in strict.reports)
    legacy = by_rel(strict, base)["runs/legacy_alpha6"]
    assert legacy.verdict == "problems" and legacy.profile == "strict"


def test_changed_during_verify_is_not_cached(tmp_path: Path) -> None:
    """A tree that changed between the walk and the end of hashing is not stored."""
    write_run(tmp_path, "00000000000000000000000000000b01")
    root = tmp_path / "runs" / "00000000000000000000000000000b01"
    settle()
    cache = VerifyCache(tmp_path / "cache")
    state = tree_state(root)
    from swarmview.core.verify.engine import run_verify

    report = run_verify(root)
    (root / "artifacts" / "new.txt").write_bytes(b"late")
    assert cache.store(root, report, state) is False
    (root / "artifacts" / "new.txt").unlink()
    settle()
    fresh = tree_state(root)
    assert cache.store(root, run_verify(root), fresh) is True
    assert cache.lookup(root, "default") is not None


def test_cancel_keeps_reports_made(base: Path) -> None:
    cancel = threading.Event()
    gen = verify_batch(base, cancel=cancel, workers=1)
    next(gen)
    cancel.set()
    result, _ = drive(gen)
    assert result.interrupted and result.exit_code == 130
    assert len(result.reports) < 5 and result.runs_found == 5
    assert all(r.verdict == "cancelled" or r.findings is not None for r in result.reports)


def test_big_runs_alone_with_the_whole_pool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Big runs go first, one at a time; small ones after, in parallel; progress counts every byte."""
    monkeypatch.setattr(batch_mod, "BIG_RUN_BYTES", 1 << 20)
    write_run(tmp_path, "00000000000000000000000000000c01", artifact=os.urandom(2 << 20))
    write_run(tmp_path, "00000000000000000000000000000c02")
    write_run(tmp_path, "00000000000000000000000000000c03", artifact=os.urandom(3 << 20))
    order: list[str] = []
    real = batch_mod.verify

    def spy(root: Path, **kwargs: Any) -> Any:
        order.append(f"{root.name[-3:]}:{kwargs['workers']}")
        return real(root, **kwargs)

    monkeypatch.setattr(batch_mod, "verify", spy)
    result, progress = drive(verify_batch(tmp_path, workers=2))
    assert order == ["c03:2", "c01:2", "c02:1"]
    assert [r.verdict for r in result.reports] == ["verified"] * 3
    assert [Path(r.root).name[-3:] for r in result.reports] == ["c01", "c02", "c03"]
    assert progress[-1].bytes_done == progress[-1].bytes_total > 5 << 20


def test_cached_verify_for_a_single_run(tmp_path: Path) -> None:
    """VerifyCache.verify (the GUI's entry): same report, then cached with the path asked for."""
    root = write_run(tmp_path, "00000000000000000000000000000d01")
    settle()
    cache = VerifyCache(tmp_path / "cache")
    started = time.monotonic()
    first = drive(cache.verify(root))[0]
    second = drive(cache.verify(root / "run.json"))[0]
    assert not first.cached and second.cached and second.path == str(root / "run.json")
    assert second.verdict == first.verdict == "verified" and time.monotonic() - started < 30


def test_small_runs_in_worker_processes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt-in process pool: same reports, discovery order kept, cache stored from the parent."""
    monkeypatch.setattr(batch_mod, "PROCESS_MIN_RUNS", 2)
    for i in range(3):
        write_run(tmp_path, f"00000000000000000000000000000e0{i + 1}")
    settle()
    cache = VerifyCache(tmp_path / "cache")
    result, _ = drive(verify_batch(tmp_path, processes=True, workers=2, cache=cache))
    assert [r.verdict for r in result.reports] == ["verified"] * 3 and not result.errors
    assert [Path(r.root).name[-3:] for r in result.reports] == ["e01", "e02", "e03"]
    assert all(r.cached for r in drive(verify_batch(tmp_path, cache=cache))[0].reports)


def test_fifo_manifest_and_fifo_artifact_never_block(tmp_path: Path) -> None:
    """A FIFO as manifest.json or under artifacts/ is lstat'ed only (F-04): the batch ends, no hang."""
    a = write_run(tmp_path, "00000000000000000000000000000f11")
    (a / "manifest.json").unlink()
    os.mkfifo(a / "manifest.json")
    b = write_run(tmp_path, "00000000000000000000000000000f12")
    os.mkfifo(b / "artifacts" / "pipe")
    settle()
    cache = VerifyCache(tmp_path / "cache")
    box: list[BatchResult] = []
    worker = threading.Thread(target=lambda: box.append(drive(verify_batch(tmp_path, cache=cache))[0]), daemon=True)
    worker.start()
    worker.join(60)
    assert not worker.is_alive(), "the batch blocked on a FIFO"
    assert [r.verdict for r in box[0].reports] == ["problems", "verified_with_warnings"]
    assert tree_state(a).manifest_sha256 == "absent:special"
