"""Rebuilding upstream's ``rich`` bundle record by record through the writer API gives the same bytes.

``rich`` was written by upstream's scheduler, runner, sink and session; here every span, event,
metric, materialization (V1 and V2), registry update, lineage edge and snapshot is decoded and handed
to ``BundleWriter``'s public methods as plain Python values, then the manifest is finalized. Only
``graph.json`` and the user artifacts are copied as bytes: the graph's stored hashes were computed
from ``U64`` params that JSON cannot tell apart from ``I64`` (F-21), which ``write_graph`` would
recompute.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest.importorskip("swarmview.core.jsontext.decode")

from swarmview.core.jsontext import types
from swarmview.core.jsontext.decode import decode
from swarmview.core.writer import BundleWriter
from tests.core._writer_support import FIXTURE_CLOCK, assert_same_tree
from tests.helpers import FIXTURES

RICH = FIXTURES / "rich"


def _records(rel: str, schema: object) -> list[dict]:
    return [decode(line, schema) for line in (RICH / rel).read_bytes().splitlines()]


def _strip(rec: dict, *drop: str) -> dict:
    return {k: v for k, v in rec.items() if k not in drop}


def test_rebuild_rich_through_the_api(tmp_path: Path) -> None:
    """B-010/B-011/B-013/B-051 at scale: 226 spans, 2009 metrics, mixed V1/V2 records, snapshots, marker."""
    run_id = decode((RICH / "run.json").read_bytes(), types.RUN_FILE_V1)["run_id"]
    with BundleWriter.create(tmp_path, run_id, clock_ns=FIXTURE_CLOCK) as w:
        shutil.copyfile(RICH / "graph.json", w.root / "graph.json")
        shutil.copytree(RICH / "artifacts", w.root / "artifacts", dirs_exist_ok=True)
        for rec in _records("spans.ndjson", types.SPAN_RECORD):
            w.append_span(**_strip(rec, "schema_version"))
        w.append_events(_strip(rec, "schema_version") for rec in _records("events.ndjson", types.EVENT_RECORD))
        metrics = _records("metrics.ndjson", types.METRIC_RECORD)
        for rec in metrics[:1000]:
            w.append_metric(**_strip(rec, "schema_version"))
        w.append_metrics(_strip(rec, "schema_version") for rec in metrics[1000:])
        for rec in _records("datasets/materializations.ndjson", types.MATERIALIZATION_COMPAT):
            if rec.pop("__variant__") == "V1":
                w.append_materialization(rec)
            else:
                w.append_materialization_v2(rec)
        for entry in _records("datasets/registry_updates.ndjson", types.DATASET_ENTRY_V1):
            w.append_registry_update(entry)
        for edge in _records("datasets/lineage_edges.ndjson", types.LINEAGE_EDGE_V1):
            w.append_lineage_edge_update(edge)
        w.write_dataset_registry(decode((RICH / "datasets/registry.json").read_bytes(), types.DATASET_REGISTRY_V1))
        w.write_dataset_lineage(decode((RICH / "datasets/lineage.json").read_bytes(), types.DATASET_LINEAGE_V1))
        marker = decode((RICH / "datasets/snapshot_pair_commit.json").read_bytes(), types.SNAPSHOT_PAIR_COMMIT_V1)
        assert w.write_snapshot_pair_commit(marker["pair_seq"]) == marker
        w.finalize_manifest()
        root = w.root
    assert_same_tree(root, "rich")
