"""``swarmview demo``: content, determinism, byte-exact re-encoding, verification, CLI exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("swarmview.core.jsontext.decode")

from swarmview.cli import main
from swarmview.core.demo import NODES, build_demo, png_bytes
from swarmview.core.errors import BundleWriteError
from swarmview.core.jsontext import types
from swarmview.core.jsontext.decode import decode
from swarmview.core.jsontext.encode import dumps_compact, dumps_pretty
from tests.core._writer_support import FIXTURE_CLOCK, assert_upstream_valid, file_tree

RUN_ID = "00112233445566778899aabbccddeeff"

NDJSON_TYPES = {
    "spans.ndjson": types.SPAN_RECORD,
    "events.ndjson": types.EVENT_RECORD,
    "metrics.ndjson": types.METRIC_RECORD,
    "datasets/materializations.ndjson": types.MATERIALIZATION_COMPAT,
    "datasets/registry_updates.ndjson": types.DATASET_ENTRY_V1,
    "datasets/lineage_edges.ndjson": types.LINEAGE_EDGE_V1,
}
JSON_TYPES = {
    "run.json": types.RUN_FILE_V1,
    "manifest.json": types.MANIFEST_V1,
    "graph.json": types.GRAPH_V1,
    "datasets/registry.json": types.DATASET_REGISTRY_V1,
    "datasets/lineage.json": types.DATASET_LINEAGE_V1,
    "datasets/snapshot_pair_commit.json": types.SNAPSHOT_PAIR_COMMIT_V1,
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo(tmp_path_factory.mktemp("demo"), "small", RUN_ID, clock_ns=FIXTURE_CLOCK)


def _lines(root: Path, rel: str) -> list[dict]:
    return [json.loads(line) for line in (root / rel).read_text().splitlines()]


def test_demo_is_a_complete_upstream_valid_bundle(demo: Path) -> None:
    """The demo lands at ``DIR/runs/<run_id>/`` and upstream's validate_manifest accepts it (B-002 shape)."""
    assert demo.name == RUN_ID and demo.parent.name == "runs"
    assert_upstream_valid(demo)


def test_every_record_reencodes_byte_identically(demo: Path) -> None:
    """VERIFY.md §12: every NDJSON line and JSON file re-encodes through jsontext to the same bytes."""
    for rel, schema in NDJSON_TYPES.items():
        data = (demo / rel).read_bytes()
        assert data.endswith(b"\n")
        for raw in data.split(b"\n")[:-1]:
            assert dumps_compact(decode(raw, schema), schema) == raw, f"{rel}: {raw[:120]!r}"
    for rel, schema in JSON_TYPES.items():
        data = (demo / rel).read_bytes()
        assert dumps_pretty(decode(data, schema), schema) == data, rel


def test_demo_content(demo: Path) -> None:
    """A 12-node graph with every op kind and trust, nested spans with unfinished ones, peers, datasets."""
    graph = json.loads((demo / "graph.json").read_text())
    assert len(graph["nodes"]) == 12 and len(graph["edges"]) >= 12
    assert {n["op_kind"] for n in graph["nodes"]} == {"data", "train", "comms", "governance", "system"}
    assert {n["execution_trust"] for n in graph["nodes"]} == {"core", "sandboxed_extension", "unsafe_extension"}
    spans = _lines(demo, "spans.ndjson")
    assert len({s["trace_id"] for s in spans}) == 5
    assert sum(s["end_unix_nanos"] is None for s in spans) == 4
    ids = {s["span_id"] for s in spans}
    assert all(s["parent_span_id"] in ids for s in spans if s["parent_span_id"] is not None)
    depth = {s["span_id"]: s["parent_span_id"] for s in spans}

    def level(span_id: str) -> int:
        return 0 if depth[span_id] is None else 1 + level(depth[span_id])

    assert max(level(s) for s in ids) == 3
    metrics = _lines(demo, "metrics.ndjson")
    peers = {m["attrs"].get("swarmtorch.peer_id") for m in metrics if m["name"] == "train/loss"}
    assert peers == {"peer-0", "peer-1", "peer-2", "peer-3"}
    assert {m["name"] for m in metrics} >= {"train/loss", "train/accuracy", "train/grad_norm", "swarm/throughput"}
    events = {e["name"] for e in _lines(demo, "events.ndjson")}
    assert {"scheduler/node_succeeded", "scheduler/node_denied", "scheduler/node_failed",
            "scheduler/node_skipped"} <= events  # fmt: skip
    mats = _lines(demo, "datasets/materializations.ndjson")
    assert {m["status"] for m in mats} == {"ok", "error", "skipped"}
    assert {m["cache_decision"] for m in mats} >= {"hit", "miss", "bypass", "unknown"}
    registry = json.loads((demo / "datasets/registry.json").read_text())["datasets"]
    trust = {e["asset_key"]: e["trust"] for e in registry}
    assert trust["dataset://demo/clickstream_raw"] == "untrusted" and trust["dataset://demo/users_clean"] == "trusted"
    assert trust["model://demo/checkpoint"] == "untrusted"  # taint propagated through join/split/train
    users = next(e for e in registry if e["asset_key"] == "dataset://demo/users_raw")
    assert users["source"]["uri"] == "s3://<redacted>@lake/users/2026-04.parquet"
    art = demo / "artifacts"
    assert (art / "plots/loss.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert json.loads((art / "eval/summary.json").read_text())["run_id"] == RUN_ID
    assert (art / "model/checkpoint-0003.bin").stat().st_size == 4096 and (art / "notes.md").exists()


def test_demo_is_deterministic(demo: Path, tmp_path: Path) -> None:
    """Same run id and clock → identical trees, byte for byte."""
    again = build_demo(tmp_path, "small", RUN_ID, clock_ns=FIXTURE_CLOCK)
    assert file_tree(again) == file_tree(demo)
    other = build_demo(tmp_path / "o", "small", "ff" * 16, clock_ns=FIXTURE_CLOCK)
    assert file_tree(other)["spans.ndjson"] != file_tree(demo)["spans.ndjson"]


def test_demo_verifies_clean(demo: Path) -> None:
    """The small demo verifies (``verified``) and upstream's load_report accepts it without warnings."""
    engine = pytest.importorskip("swarmview.core.verify.engine")
    gen = engine.verify(demo)
    try:
        while True:
            next(gen)
    except StopIteration as stop:
        report = stop.value
    data = report.to_json()
    assert data["verdict"] == "verified" and data["exit_code"] == 0
    assert data["upstream"]["load_report"] == {"ok": True, "warnings": []}
    assert {f["severity"] for f in data["findings"]} <= {"info"}


def test_graph_unsafe_flags_match_report_derivation(demo: Path) -> None:
    """Stored ``unsafe_surface`` equals §13.4 (non-core trust, or an input untrusted/absent at end of run)."""
    graph = json.loads((demo / "graph.json").read_text())
    flags = {n["node_key"]: n["unsafe_surface"] for n in graph["nodes"]}
    assert flags["ingest/users"] is False and flags["prep/clean_users"] is False
    assert flags["prep/sessionize"] is True and flags["governance/dp_audit"] is True
    assert flags["system/publish"] is True  # its input was never produced
    assert [n["node_key"] for n in graph["nodes"]] == [n["node_key"] for n in NODES]


def test_png_writer_is_valid_png() -> None:
    """The artifact PNG: signature, chunk CRCs and a zlib stream holding filter-0 rows."""
    import struct
    import zlib

    import numpy as np

    pixels = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    data = png_bytes(pixels)
    pos, chunks = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        tag, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        assert struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])[0] == zlib.crc32(tag + body)
        chunks[tag] = body
        pos += 12 + length
    assert struct.unpack(">IIBBBBB", chunks[b"IHDR"]) == (3, 2, 8, 2, 0, 0, 0)
    assert zlib.decompress(chunks[b"IDAT"]) == b"\x00" + pixels[0].tobytes() + b"\x00" + pixels[1].tobytes()


def test_demo_refuses_existing_and_zero(tmp_path: Path) -> None:
    """``build_demo`` raises create's errors: exists → AlreadyExists, zero id → InvalidInput."""
    build_demo(tmp_path, "small", RUN_ID, clock_ns=FIXTURE_CLOCK)
    with pytest.raises(BundleWriteError) as info:
        build_demo(tmp_path, "small", RUN_ID, clock_ns=FIXTURE_CLOCK)
    assert info.value.kind == "AlreadyExists"
    with pytest.raises(BundleWriteError, match="run_id must be non-zero"):
        build_demo(tmp_path, "small", "0" * 32)


def test_cli_demo_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """VERIFY.md §10: 0 + path printed; 1 if the folder exists; 2 for an all-zero ``--run-id``."""
    assert main(["demo", str(tmp_path), "--run-id", RUN_ID]) == 0
    out = capsys.readouterr().out.strip()
    assert out == str(tmp_path / "runs" / RUN_ID) and Path(out, "manifest.json").exists()
    assert main(["demo", str(tmp_path), "--run-id", RUN_ID.upper()]) == 1
    assert "run artifact bundle already exists" in capsys.readouterr().err
    assert main(["demo", str(tmp_path), "--run-id", "0" * 32]) == 2
    assert "run_id must be non-zero" in capsys.readouterr().err
    assert main(["demo", str(tmp_path), "--run-id", "xyz"]) == 2
    (tmp_path / "file").write_text("x")
    assert main(["demo", str(tmp_path / "file"), "--run-id", RUN_ID]) == 3  # I/O error: base is a file
    assert "Not a directory (os error 20)" in capsys.readouterr().err
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "runs").write_text("x")
    assert main(["demo", str(tmp_path / "b"), "--run-id", RUN_ID]) == 3
    assert main(["demo", str(tmp_path), "--size", "huge"]) == 2


def test_cli_demo_random_run_id(tmp_path: Path) -> None:
    """Without ``--run-id`` a fresh random id is used each time (subprocess: the real entry point)."""
    outs = [
        subprocess.run([sys.executable, "-m", "swarmview", "demo", str(tmp_path)], capture_output=True, text=True,
                       check=True).stdout.strip()
        for _ in range(2)
    ]
    assert outs[0] != outs[1]
    for out in outs:
        assert Path(out).parent == tmp_path / "runs" and len(Path(out).name) == 32


@pytest.mark.slow
@pytest.mark.skipif(not __import__("os").environ.get("SWARMVIEW_SLOW"), reason="set SWARMVIEW_SLOW=1 (~2.5 GB, ~1 min)")
def test_large_demo_volume(tmp_path: Path) -> None:
    """``--size large``: at least 1M spans and 10M metric points, and upstream's validator accepts it."""
    root = build_demo(tmp_path, "large", RUN_ID, clock_ns=FIXTURE_CLOCK)
    counts = {}
    for rel in ("spans.ndjson", "metrics.ndjson"):
        with open(root / rel, "rb") as fh:
            counts[rel] = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 24), b""))
    assert counts == {"spans.ndjson": 1_003_072, "metrics.ndjson": 10_011_700}
    assert_upstream_valid(root)
