"""A folder of runs as users keep them (issue 11): valid, damaged, unfinalized, legacy, nested, plus traps.

The runs are written once per session with swarmview's writer (slow: it fsyncs) and copied per test.
Traps that must never be followed or opened (a symlink loop, a FIFO) are added after the copy.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from swarmview.core.writer import BundleWriter
from swarmview.core.writer.session import DataOpsSession
from tests.helpers import copy_fixture

TRACE = "ab" * 16
CLOCK = 1_775_476_800_000_000_000

#: run folder (relative to the base) → expected verdict
EXPECTED = {
    "runs/00000000000000000000000000000a01": "verified",
    "runs/00000000000000000000000000000a02": "problems",          # one byte flipped in metrics.ndjson
    "runs/00000000000000000000000000000a03": "problems",          # manifest.json deleted (unfinalized)
    "runs/legacy_alpha6": "verified_with_warnings",               # copy of the fixture
    "team/a/b/c/runs/00000000000000000000000000000a05": "verified",  # nested deeper (depth 6)
}
TOO_DEEP = "d1/d2/d3/d4/d5/d6/d7/d8/00000000000000000000000000000a06"  # below depth 8: not found


def write_run(base: Path, run_id: str, points: int = 20, loss_scale: float = 1.0,
              artifact: bytes | None = None) -> Path:
    """A finalized run with one training-loss series (and, optionally, one artifact)."""
    with BundleWriter.create(base, run_id, clock_ns=CLOCK) as w:
        for step in range(points):
            w.append_metric(CLOCK + step * 1_000_000, TRACE, "train/loss", loss_scale / (step + 1), attrs={"step": step})
        if artifact is not None:
            (w.root / "artifacts").mkdir(exist_ok=True)
            (w.root / "artifacts" / "model.bin").write_bytes(artifact)
        w.finalize_manifest()
        root = w.root
    # BundleWriter.create writes <base>/runs/<run_id>/
    return root


def flip_byte(path: Path, offset: int = -5) -> None:
    """Change one digit in place (same size, still text), as rich_byte_flip does."""
    data = bytearray(path.read_bytes())
    i = offset % len(data)
    while not chr(data[i]).isdigit():
        i -= 1
    data[i] = ord("1") if data[i] != ord("1") else ord("2")
    path.write_bytes(bytes(data))


def build_template(dest: Path) -> Path:
    """The runs folder of EXPECTED (and one run too deep to be found), written with the writer."""
    write_run(dest, "00000000000000000000000000000a01")
    damaged = write_run(dest, "00000000000000000000000000000a02")
    flip_byte(damaged / "metrics.ndjson")
    unfinalized = write_run(dest, "00000000000000000000000000000a03")
    (unfinalized / "manifest.json").unlink()
    copy_fixture("legacy_alpha6", dest / "runs")
    write_run(dest / "team" / "a" / "b" / "c", "00000000000000000000000000000a05")
    deep = dest / TOO_DEEP
    write_run(deep.parent, "00000000000000000000000000000a06")
    shutil.move(deep.parent / "runs" / deep.name, deep)
    (deep.parent / "runs").rmdir()
    return dest


def runs_folder(template: Path, tmp_path: Path) -> Path:
    """A copy of the template plus a symlink loop and FIFOs (outside and inside nothing-but-folders)."""
    base = tmp_path / "base"
    shutil.copytree(template, base, symlinks=True)
    os.symlink("..", base / "team" / "loop")            # team/loop -> base: never followed
    os.symlink(str(base), base / "runs" / "abs-loop")  # an absolute one too
    os.mkfifo(base / "pipe")                            # a FIFO among the runs: never opened
    os.mkfifo(base / "team" / "a" / "pipe")
    settle()
    return base


def settle() -> None:
    """Let the newest change age past the cache's racy-timestamp window (cache.RACY_NS)."""
    time.sleep(0.15)


# --- two runs that differ in known ways (compare / diff) ---------------------------------------------

CMP_TRACE = "cd" * 16
MS = 1_000_000


def node(key: str, params: dict[str, Any], inputs: Sequence[str] = (), outputs: Sequence[str] = (),
         **extra: Any) -> dict[str, Any]:
    return {"node_key": key, "op_kind": "data", "op_type": "transform", "code_ref": "test@1",
            "inputs": [{"asset_key": a} for a in inputs], "outputs": [{"asset_key": a} for a in outputs],
            "params": params, **extra}


def build_compare_run(base: Path, run_id: str, variant: str) -> Path:
    """Run A ("a") or B ("b"); B differs from A in every section, in ways the tests name."""
    b = variant == "b"
    created = CLOCK + (3600 * 10**9 if b else 0)
    with BundleWriter.create(base, run_id, clock_ns=created) as w:
        scale = 2.0 if b else 1.0
        for step in range(10):
            w.append_metric(created + step * MS, CMP_TRACE, "train/loss", scale / (step + 1), attrs={"step": step})
            w.append_metric(created + step * MS, CMP_TRACE, "train/acc", 0.5, attrs={"step": step, "peer": "p0"})
        if b:
            w.append_metric(created + MS, CMP_TRACE, "eval/f1", 0.9, attrs={"step": 0})
        for i in range(10):
            dur = (2 if b else 1) * MS * (i + 1)
            w.append_span(CMP_TRACE, f"{i + 1:016x}", "train/step", created + i * 10 * MS, created + i * 10 * MS + dur)
        w.append_span(CMP_TRACE, "00000000000000ff", "train/step", created, None)  # unfinished: counted, not timed
        if b:
            w.append_span(CMP_TRACE, "00000000000000aa", "eval", created, created + 5 * MS)
        session = DataOpsSession(w)
        ingest = node("ingest/raw", {"format": "csv"}, outputs=["dataset://t/raw"])
        uri = "s3://bucket/raw-v2.csv" if b else "s3://bucket/raw.csv"
        session.register_source("dataset://t/raw", "trusted", {"uri": uri, "content_type": "text/csv"}, None, ingest)
        if not b:
            session.register_source("dataset://t/old", "trusted", {"uri": "s3://bucket/old.csv", "content_type": "text/csv"}, None,
                                    node("ingest/old", {}, outputs=["dataset://t/old"]))
        nodes = [ingest,
                 node("prep/clean", {"lr": 0.2 if b else 0.1, "opt": {"name": "adamw", "betas": [0.9, 0.99 if b else 0.999]},
                                     "seed": 7}, ["dataset://t/raw"], ["dataset://t/clean"]),
                 node("train/fit", {"epochs": 3}, ["dataset://t/clean"], [])]
        nodes.append(node("eval/new", {}, ["dataset://t/clean"], []) if b else node("old/gone", {}, [], []))
        w.write_graph({"graph_id": "g", "nodes": nodes, "edges": []})
        art = w.root / "artifacts"
        (art / "model.bin").write_bytes(b"\x01" * (200 if b else 100))
        (art / "same.txt").write_bytes(b"same\n")
        if b:
            (art / "notes.md").write_text("new\n")
        session.finalize()
        return w.root
