"""A folder of runs that differ in known ways, for the runs browser and compare window tests.

Run A is the baseline. Run B differs from it in every section the compare window shows: ``train/loss``
is twice as large, node ``prep/clean`` has ``lr`` 0.2 instead of 0.1, node ``eval/new`` is added,
``train/step`` has 15 spans of twice the duration instead of 10, ``artifacts/model.bin`` is bigger and
the raw dataset's source changed. Run C is A with one metric byte flipped (problems); run D lost its
manifest (unfinalized, problems). Created one hour apart: A, B, C, D (D is the newest).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

from swarmview.core.writer import BundleWriter
from swarmview.core.writer.session import DataOpsSession

TRACE = "cd" * 16
T0 = 1_775_476_800_000_000_000
HOUR = 3600 * 10**9
MS = 1_000_000
RUN_A = "a1a1" + "0" * 28
RUN_B = "b1b1" + "0" * 28
RUN_C = "c1c1" + "0" * 28
RUN_D = "d1d1" + "0" * 28
EXPECTED_VERDICTS = {RUN_A: "verified", RUN_B: "verified", RUN_C: "problems", RUN_D: "problems"}
STEPS = 10
SPANS = {"a": 10, "b": 15}


def node(key: str, params: dict[str, Any], inputs: list[str] = (), outputs: list[str] = ()) -> dict[str, Any]:
    return {"node_key": key, "op_kind": "data", "op_type": "transform", "code_ref": "test@1",
            "inputs": [{"asset_key": a} for a in inputs], "outputs": [{"asset_key": a} for a in outputs],
            "params": params}


def write_run(base: Path, run_id: str, variant: str, created: int) -> Path:
    b = variant == "b"
    with BundleWriter.create(base, run_id, clock_ns=created) as w:
        scale = 2.0 if b else 1.0
        for step in range(STEPS):
            w.append_metric(created + step * 50 * MS, TRACE, "train/loss", scale / (step + 1), attrs={"step": step})
            for peer in ("peer-0", "peer-1"):
                w.append_metric(created + step * 50 * MS, TRACE, "train/acc", 0.5 + step / 40,
                                attrs={"step": step, "swarmtorch.peer_id": peer})
        for i in range(SPANS[variant]):
            dur = (2 if b else 1) * MS * (i % 5 + 1)
            w.append_span(TRACE, f"{i + 1:016x}", "train/step", created + i * 10 * MS, created + i * 10 * MS + dur)
        w.append_span(TRACE, "00000000000000ee", "io/save", created, created + 3 * MS)
        session = DataOpsSession(w)
        ingest = node("ingest/raw", {"format": "csv"}, outputs=["dataset://t/raw"])
        uri = "s3://bucket/raw-v2.csv" if b else "s3://bucket/raw.csv"
        session.register_source("dataset://t/raw", "trusted", {"uri": uri, "content_type": "text/csv"}, None, ingest)
        nodes = [ingest,
                 node("prep/clean", {"lr": 0.2 if b else 0.1, "seed": 7}, ["dataset://t/raw"], ["dataset://t/clean"]),
                 node("train/fit", {"epochs": 3}, ["dataset://t/raw"], [])]
        if b:
            nodes.append(node("eval/new", {}, ["dataset://t/raw"], []))
        w.write_graph({"graph_id": "g", "nodes": nodes, "edges": []})
        art = w.root / "artifacts"
        art.mkdir(exist_ok=True)
        (art / "model.bin").write_bytes(b"\x01" * (200 if b else 100))
        (art / "same.txt").write_bytes(b"same\n")
        session.finalize()
        return w.root


def flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    i = len(data) - 5
    while not chr(data[i]).isdigit():
        i -= 1
    data[i] = ord("1") if data[i] != ord("1") else ord("2")
    path.write_bytes(bytes(data))


def build_runs(base: Path) -> dict[str, Path]:
    """Runs A–D under ``base/runs/``; returns run id → root."""
    roots = {
        RUN_A: write_run(base, RUN_A, "a", T0),
        RUN_B: write_run(base, RUN_B, "b", T0 + HOUR),
        RUN_C: write_run(base, RUN_C, "a", T0 + 2 * HOUR),
        RUN_D: write_run(base, RUN_D, "a", T0 + 3 * HOUR),
    }
    flip_byte(roots[RUN_C] / "metrics.ndjson")
    (roots[RUN_D] / "manifest.json").unlink()
    time.sleep(0.15)  # past the cache's racy-timestamp window
    return roots


def copy_runs(template: Path, dest: Path) -> Path:
    shutil.copytree(template, dest, symlinks=True)
    time.sleep(0.15)
    return dest


DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def save_screenshot(widget: object, name: str, tmp_path: Path) -> Path:
    """Render ``widget`` to ``name``.png: into docs/screenshots when ``SWARMVIEW_SCREENSHOTS=1`` (to refresh
    the published ones), else into ``tmp_path``; either way the image must be real and small."""
    folder = DOCS_SCREENSHOTS if os.environ.get("SWARMVIEW_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    image = widget.grab()  # type: ignore[attr-defined]
    assert not image.isNull() and image.width() > 600
    assert image.save(str(path))
    assert path.stat().st_size < 300_000
    return path
