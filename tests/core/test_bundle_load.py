"""``load_bundle``: what the viewer and ``info`` get, never raising on bad content (ARCHITECTURE "Loading")."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from swarmview.core.bundle import LoadCancelled, load_bundle
from tests.helpers import VERDICTS, copy_fixture, snapshot_tree


def _load(root: Path, **kwargs: Any) -> Any:
    return load_bundle(root, **kwargs)


def _codes(bundle: Any) -> set[str]:
    return {f.code for f in bundle.findings}


@pytest.mark.parametrize("name", ["rich", "legacy_alpha6_migrated", "midrun_always", "u64_param_roundtrip"])
def test_counts_and_unsafe_lists_match_upstream(name: str, tmp_path: Path) -> None:
    """B-137, B-143: merged registry/lineage, V2 materializations, unsafe derivations as upstream loads them."""
    expected = json.loads((VERDICTS / f"{name}.json").read_text())["load_report"]
    bundle = _load(copy_fixture(name, tmp_path))
    c = bundle.counts
    assert {k: c[k] for k in expected["counts"]} == expected["counts"]
    assert bundle.unsafe_nodes == expected["unsafe_nodes"]
    assert bundle.untrusted_datasets == expected["untrusted_datasets"]
    assert bundle.unsafe_materializations == expected["unsafe_materializations"]
    assert bundle.upstream_load["ok"] is True


def test_rich_bundle_shape(tmp_path: Path) -> None:
    root = copy_fixture("rich", tmp_path)
    bundle = _load(root)
    assert bundle.root == root
    assert bundle.run_id == "5eed0000c0ffee00a11ce0000000b0b0"
    assert bundle.run is not None and bundle.run["swarmtorch_version"] == "0.1.0"
    assert bundle.manifest is not None and len(bundle.manifest["entries"]) > 10
    assert len(bundle.graph["nodes"]) == 13 and len(bundle.graph_stored["nodes"]) == 13
    assert [p for p, _ in bundle.artifacts] == [
        "artifacts/eval/summary.json", "artifacts/model/checkpoint-0003.bin", "artifacts/notes.md",
    ]  # fmt: skip
    assert all(size == (root / p).stat().st_size for p, size in bundle.artifacts)
    assert len(bundle.materializations) == len(bundle.materialization_lines) == 15
    assert sorted(bundle.materialization_lines) == list(range(1, 16))
    ts = [m["ts_unix_nanos"] for m in bundle.materializations]
    assert ts == sorted(ts) and all(m["schema_version"] == 2 for m in bundle.materializations)
    assert bundle.counts["traces"] == 6 and bundle.counts["unfinished_spans"] == 4
    assert bundle.counts["artifacts"] == 3
    start, end = bundle.time_range
    assert start == min(
        int(bundle.spans.start.min()), int(bundle.events.ts.min()), int(bundle.metrics.ts.min())
    )
    assert end >= int(bundle.spans.end[bundle.spans.has_end].max())
    assert bundle.file_sizes["metrics.ndjson"] == (root / "metrics.ndjson").stat().st_size
    assert "STORED_HASH_MISMATCH" in _codes(bundle)


def test_damaged_bundles_load_with_findings(tmp_path: Path) -> None:
    """F-10: one bad line does not hide the others; a missing manifest is a finding, not an exception."""
    corrupt = _load(copy_fixture("rich_ndjson_corrupt", tmp_path))
    assert len(corrupt.events.line) == 14 and "NDJSON_PARSE_ERROR" in _codes(corrupt)
    assert corrupt.upstream_load["file"] == "events.ndjson"
    unfinalized = _load(copy_fixture("unfinalized", tmp_path))
    assert "MANIFEST_MISSING" in _codes(unfinalized) and unfinalized.manifest is None
    bom = _load(copy_fixture("minimal_bom_manifest", tmp_path))
    invalid = [f for f in bom.findings if f.code == "MANIFEST_INVALID"]
    assert [(f.line, f.column) for f in invalid] == [(1, 1)]
    dup = _load(copy_fixture("minimal_dup_keys_manifest", tmp_path))
    assert [(f.line, f.column) for f in dup.findings if f.code == "MANIFEST_INVALID"] == [(5, 14)]


def test_missing_run_json_and_graph(tmp_path: Path) -> None:
    root = copy_fixture("minimal", tmp_path)
    (root / "run.json").unlink()
    (root / "graph.json").unlink()
    bundle = _load(root)
    assert bundle.run is None and bundle.graph is None
    assert bundle.run_id == json.loads((root / "manifest.json").read_text())["run_id"]
    assert "RUN_JSON_UNREADABLE" in _codes(bundle)
    assert bundle.upstream_load["file"] == "graph.json"
    assert bundle.counts["spans"] == 0 and len(bundle.spans.line) == 0


def test_progress_in_bytes_and_read_only(tmp_path: Path) -> None:
    root = copy_fixture("rich", tmp_path)
    before = snapshot_tree(root)
    seen: list[tuple[int, int]] = []
    bundle = _load(root, progress=lambda done, total: seen.append((done, total)))
    assert seen[0][0] == 0 and seen[-1][0] == seen[-1][1] == sum(bundle.file_sizes.values())
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert snapshot_tree(root) == before


def test_cancel(tmp_path: Path) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(LoadCancelled):
        _load(copy_fixture("rich", tmp_path), cancel=cancel)


def test_thread_safe(tmp_path: Path) -> None:
    root = copy_fixture("rich", tmp_path)
    results: list[Any] = []
    threads = [threading.Thread(target=lambda: results.append(_load(root))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 3
    assert len({(r.counts["spans"], r.counts["metrics"], len(r.findings)) for r in results}) == 1


def test_b130_midrun_registry_includes_log_only_entries(tmp_path: Path) -> None:
    """B-130: mid-run (Always policy) the loaded registry holds what only the update log has so far."""
    root = copy_fixture("midrun_always", tmp_path)
    snapshot = {e["asset_key"] for e in json.loads((root / "datasets/registry.json").read_text())["datasets"]}
    bundle = _load(root)
    loaded = {e["asset_key"] for e in bundle.registry}
    assert snapshot < loaded and "dataset://m/c" in loaded - snapshot
    assert bundle.upstream_load == {"ok": True, "warnings": []}


def test_fifo_content_file_never_blocks(tmp_path: Path) -> None:
    """F-04: a FIFO in place of events.ndjson is not opened; upstream's verdict is then undetermined."""
    root = copy_fixture("minimal", tmp_path)
    (root / "events.ndjson").unlink()
    os.mkfifo(root / "events.ndjson")
    done: list[Any] = []
    worker = threading.Thread(target=lambda: done.append(load_bundle(root)), daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert done, "load_bundle blocked on a FIFO"
    bundle = done[0]
    assert bundle.upstream_load["ok"] is None and bundle.upstream_load["file"] == "events.ndjson"
    assert len(bundle.events) == 0


def test_max_parse_bytes_skips_big_files(tmp_path: Path) -> None:
    """F-29: a file over the limit is reported (FILE_TOO_LARGE) and left unparsed."""
    bundle = load_bundle(copy_fixture("rich", tmp_path), max_parse_bytes=100_000)
    big = [f for f in bundle.findings if f.code == "FILE_TOO_LARGE"]
    assert [f.path for f in big] == ["metrics.ndjson"] and big[0].found == 460000
    assert len(bundle.metrics) == 0 and len(bundle.spans) == 226


@pytest.mark.parametrize("name", ["rich", "minimal", "rich_truncated", "nonfinite"])
def test_preview_before_metrics_shares_everything_but_metrics(name: str, tmp_path: Path) -> None:
    """The viewer shows a run before its metrics are read: one preview, then the full bundle."""
    from swarmview.core.bundle import same_except_metrics

    root = copy_fixture(name, tmp_path)
    before = snapshot_tree(root)
    previews: list[Any] = []
    seen_progress: list[int] = []
    full = load_bundle(root, preview=previews.append, progress=lambda done, total: seen_progress.append(done))
    assert len(previews) == 1
    pre = previews[0]
    assert pre.partial and not full.partial
    assert len(pre.metrics.line) == 0 and pre.counts["metrics"] == 0
    assert full.counts["metrics"] == len(full.metrics.line)
    assert same_except_metrics(pre, full)
    assert pre.spans is full.spans and pre.events is full.events
    assert _same_content(full, load_bundle(root))  # asking for a preview changes nothing in the result
    assert snapshot_tree(root) == before


def _same_content(a: Any, b: Any) -> bool:
    return (a.counts == b.counts and [f.message for f in a.findings] == [f.message for f in b.findings]
            and a.upstream_load == b.upstream_load)  # fmt: skip


def test_preview_without_metrics_file_comes_at_the_end(tmp_path: Path) -> None:
    root = copy_fixture("minimal", tmp_path)
    (root / "metrics.ndjson").unlink(missing_ok=True)
    previews: list[Any] = []
    full = load_bundle(root, preview=previews.append)
    assert len(previews) == 1 and previews[0].partial
    assert previews[0].counts == full.counts
