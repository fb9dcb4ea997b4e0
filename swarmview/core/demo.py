"""``swarmview demo``: a realistic run bundle written through swarmview's upstream-identical writer.

It gives the viewer something to show without SwarmTorch installed: a 12-node pipeline (every op kind,
a sandboxed and an unsafe node, scheduler-style successes, a denial, a failure and a skip), four
training peers with nested spans (one peer crashed: unfinished spans), per-peer metrics, datasets with
taint propagation and cache decisions, and user artifacts (PNG plot, Markdown notes, JSON summary,
binary checkpoint). ``size="large"`` adds volume for the viewer benchmarks (~1M spans, ~10M metric
points) through ``writer.bulk``.

Everything is deterministic given the run id and the clock reading: randomness is seeded from the
run id and every timestamp is an offset from ``created_unix_nanos``.
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from swarmview.core.identity import hashes
from swarmview.core.writer import BundleWriter, bulk
from swarmview.core.writer.bundle_writer import METRICS, SPANS, Clock, random_run_id, run_id_hex
from swarmview.core.writer.session import DataOpsSession, OutputSpec

Size = Literal["small", "large"]
SEC = 1_000_000_000
MS = 1_000_000
#: Lines generated per write: small enough that the text buffers are reused (fewer page faults).
CHUNK = 50_000
CODE_REF = "swarmview-demo@0.1.0"
PEERS = ("peer-0", "peer-1", "peer-2", "peer-3")


@dataclass(frozen=True)
class Scale:
    """How much training telemetry to write."""

    epochs: int
    steps_per_epoch: int  # one ``train/step`` span (+3 children) per step
    metric_steps: int  # points per peer per series (train/loss, train/accuracy, train/grad_norm)
    coordinator_points: int  # points of swarm/throughput and swarm/bytes_on_wire each
    step_ns: int


SCALES: dict[str, Scale] = {
    "small": Scale(epochs=3, steps_per_epoch=40, metric_steps=120, coordinator_points=40, step_ns=250 * MS),
    # 1,003,072 spans; 10,011,700 metric points (peer-3 stops 2% early).
    "large": Scale(epochs=25, steps_per_epoch=2520, metric_steps=805_000, coordinator_points=200_000, step_ns=40 * MS),
}


def _asset(kind: str, name: str) -> str:
    return f"{kind}://demo/{name}"


def _node(key: str, kind: str, op_type: str, inputs: list[str], outputs: list[str], params: dict[str, Any],
          **extra: Any) -> dict[str, Any]:  # fmt: skip
    return {
        "node_key": key, "op_kind": kind, "op_type": op_type, "code_ref": CODE_REF,
        "inputs": [{"asset_key": a} for a in inputs], "outputs": [{"asset_key": a} for a in outputs],
        "params": params, **extra,
    }  # fmt: skip


USERS_RAW, EVENTS_RAW = _asset("dataset", "users_raw"), _asset("dataset", "clickstream_raw")
USERS, SESSIONS, FEATURES = _asset("dataset", "users_clean"), _asset("dataset", "sessions"), _asset("dataset", "features")
TRAIN_SET, EVAL_SET = _asset("dataset", "train_set"), _asset("dataset", "eval_set")
CHECKPOINT, AVERAGED = _asset("model", "checkpoint"), _asset("model", "averaged")
EVAL_REPORT, AUDIT = _asset("report", "eval"), _asset("report", "dp_audit")
EXPORT, PUBLISHED = _asset("artifact", "model_onnx"), _asset("artifact", "published")

#: The pipeline, in execution order. Float params are short decimals that upstream's reader parses
#: back exactly (§2.7), so no stored hash drifts; ints are I64 as upstream's reader types them.
NODES: list[dict[str, Any]] = [
    _node("ingest/users", "data", "ingest", [], [USERS_RAW], {"columns": ["id", "age", "country"], "format": "parquet"},
          execution_hint={"preferred_profile": "edge_std", "device_affinity": "coordinator"},
          cache_policy="prefer_reuse", resources={"cpu_millis": 500, "memory_bytes": 268435456}),
    _node("ingest/clickstream", "data", "ingest", [], [EVENTS_RAW], {"window_hours": 24}),
    _node("prep/clean_users", "data", "validate", [USERS_RAW], [USERS], {"drop_nulls": True, "min_age": 13}),
    _node("prep/sessionize", "data", "transform", [EVENTS_RAW], [SESSIONS], {"gap_s": 1800.0, "udf": "sessionize.wasm"},
          execution_trust="sandboxed_extension", materialization_policy="metadata_only"),
    _node("features/join", "data", "join", [USERS, SESSIONS], [FEATURES], {"how": "left", "on": ["user_id"]}),
    _node("features/split", "data", "split", [FEATURES], [TRAIN_SET, EVAL_SET], {"eval_frac": 0.2, "seed": 7},
          cache_policy="bypass"),
    _node("train/fit", "train", "train", [TRAIN_SET], [CHECKPOINT],
          {"epochs": 3, "lr": 0.0003, "optimizer": {"betas": [0.9, 0.999], "name": "adamw", "weight_decay": 0.01}},
          execution_hint={"preferred_profile": "edge_std", "device_affinity": "any_participant",
                          "memory_budget_bytes": 2147483648},
          resources={"accelerator": "cuda", "cpu_millis": 4000}),
    _node("comms/allreduce", "comms", "allreduce", [CHECKPOINT], [AVERAGED], {"compression": "fp16", "peers": 4}),
    _node("eval/score", "train", "evaluate", [AVERAGED, EVAL_SET], [EVAL_REPORT], {"metrics": ["accuracy", "loss"]}),
    _node("governance/dp_audit", "governance", "audit", [EVAL_REPORT], [AUDIT], {"delta": 0.00001, "epsilon": 1.5},
          execution_trust="unsafe_extension"),
    _node("system/export", "system", "export", [AVERAGED], [EXPORT], {"format": "onnx", "opset": 17}),
    _node("system/publish", "system", "publish", [EXPORT], [PUBLISHED], {"channel": "staging"}),
]  # fmt: skip
EDGES = [
    ("ingest/users", "prep/clean_users", USERS_RAW), ("ingest/clickstream", "prep/sessionize", EVENTS_RAW),
    ("prep/clean_users", "features/join", USERS), ("prep/sessionize", "features/join", SESSIONS),
    ("features/join", "features/split", FEATURES), ("features/split", "train/fit", TRAIN_SET),
    ("features/split", "eval/score", EVAL_SET), ("train/fit", "comms/allreduce", CHECKPOINT),
    ("comms/allreduce", "eval/score", AVERAGED), ("eval/score", "governance/dp_audit", EVAL_REPORT),
    ("comms/allreduce", "system/export", AVERAGED), ("system/export", "system/publish", EXPORT),
]  # fmt: skip
NODE_BY_KEY = {n["node_key"]: n for n in NODES}
ROWS = {USERS: 48_211, SESSIONS: 1_204_377, FEATURES: 48_211, TRAIN_SET: 38_569, EVAL_SET: 9_642}


class _Ids:
    """Deterministic non-zero span ids from the run's seed."""

    def __init__(self, seed: int) -> None:
        self.base = ((seed * 0x9E3779B97F4A7C15) & 0xFFFFFFFF) << 32 | 1
        self.next = 0

    def take(self, count: int) -> np.ndarray:
        start = self.next
        self.next += count
        return (np.arange(start, start + count, dtype=np.uint64) + np.uint64(self.base)) & np.uint64(2**64 - 1)


def _trace_id(rng: np.random.Generator) -> str:
    raw = rng.bytes(16)
    return raw.hex() if any(raw) else "01" * 16


# --- the pipeline ----------------------------------------------------------------------------------


def _run_pipeline(w: BundleWriter, session: DataOpsSession, t0: int) -> int:
    """Sources, node executions (scheduler-style events, runner spans, materializations); returns end time."""
    trace = w.run_id
    session.register_source(USERS_RAW, "trusted", {"uri": "s3://etl:s3cr3t@lake/users/2026-04.parquet?versionId=7",
                            "content_type": "Application/Parquet", "etag_or_version": "v2026.04"}, None, NODES[0])  # fmt: skip
    session.register_source(EVENTS_RAW, "untrusted", {"uri": "https://partner.example/export/clicks.jsonl#day=6",
                            "content_type": "application/x-ndjson", "auth_mode": "bearer_token"},
                            {"format": "arrow-json", "canonical": '{"fields":["user_id","ts","url"]}'}, NODES[1])  # fmt: skip
    root = hashes.native_runner_span_id(hashes.node_id_from_key("pipeline"), t0)
    t = t0 + 2 * SEC
    # (node, outcome, cache decision): prep/clean_users runs twice, the second time a cache hit.
    plan = [("prep/clean_users", "ok", "miss"), ("prep/clean_users", "ok", "hit"), ("prep/sessionize", "ok", "miss"),
            ("features/join", "ok", "miss"), ("features/split", "ok", "bypass"), ("train/fit", "ok", "miss"),
            ("comms/allreduce", "ok", "unknown"), ("eval/score", "ok", "miss"),
            ("governance/dp_audit", "denied", ""), ("system/export", "failed", ""), ("system/publish", "skipped", "")]  # fmt: skip
    for key, outcome, decision in plan:
        node = NODE_BY_KEY[key]
        attrs = {"swarmtorch.node_key": key}
        if key == "train/fit":
            session.record_transform_applied("dp_clip", True, 1)
        if outcome == "ok":
            start, end = t, t + 1200 * MS
            w.append_span(trace, hashes.native_runner_span_id(hashes.node_id_from_key(key), start), f"op/{node['op_type']}",
                          start, end, root, {"swarmtorch.input_count": len(node["inputs"]),
                          "swarmtorch.node_key": key, "swarmtorch.op_type": node["op_type"],
                          "swarmtorch.output_count": len(node["outputs"])})  # fmt: skip
            outputs = [OutputSpec(o["asset_key"], rows=ROWS.get(o["asset_key"])) for o in node["outputs"]]
            session.materialize_node_outputs(node, outputs, end, decision, 1200)
            w.append_event(end, trace, "scheduler/node_succeeded", root, attrs)
        elif outcome == "denied":
            detail = f"policy_denied:node {key} requires Core trust, has UnsafeExtension"
            session.record_node_error(node, t, 0, detail)
            w.append_event(t, trace, "scheduler/node_denied", root, {**attrs, "swarmtorch.detail": detail})
        elif outcome == "failed":
            detail = "runner_error:export target full: 0 bytes left on /exports"
            session.record_node_error(node, t + 300 * MS, 300, detail)
            w.append_event(t + 300 * MS, trace, "scheduler/node_failed", root, {**attrs, "swarmtorch.detail": detail})
        else:
            detail = f"missing_input:{EXPORT}"
            session.record_node_skipped(node, t, detail)
            w.append_event(t, trace, "scheduler/node_skipped", root, {**attrs, "swarmtorch.detail": detail})
        t += 1500 * MS
    w.append_span(trace, root, "pipeline/run", t0, t, None, {"nodes": len(NODES), "policy": "core_or_sandboxed"})
    return t


# --- training telemetry ----------------------------------------------------------------------------


def _curve(rng: np.random.Generator, n: int, peer: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Loss, accuracy, grad norm per step, rounded to 6 decimals (parsed back exactly by upstream, §2.7)."""
    x = np.arange(n, dtype=np.float64) / max(n - 1, 1)
    noise = rng.standard_normal(n)
    loss = 0.08 + 2.2 * np.exp(-4.0 * x) * (1.0 + 0.04 * peer) + 0.03 * np.abs(noise)
    accuracy = np.clip(0.97 - 0.37 * loss, 0.001, 0.999)
    grad = 0.4 + 3.5 * np.exp(-3.0 * x) + 0.2 * np.abs(rng.standard_normal(n))
    return np.round(loss, 6), np.round(accuracy, 6), np.round(grad, 6)


def _write_training(w: BundleWriter, scale: Scale, rng: np.random.Generator, ids: _Ids, t0: int) -> None:
    """Per peer: a trace of ``train/peer`` > ``train/epoch`` > ``train/step`` > 3 phases; peer-3 crashes."""
    steps = scale.epochs * scale.steps_per_epoch
    span_ns = steps * scale.step_ns
    for p, peer in enumerate(PEERS):
        trace = _trace_id(rng)
        crashed = peer == "peer-3"
        done = steps - scale.steps_per_epoch // 2 if crashed else steps  # peer-3 stops mid last epoch
        root = ids.take(1)
        w.append_raw_lines(SPANS, bulk.span_lines(
            trace, "train/peer", root, np.array([t0]), np.array([-1 if crashed else t0 + span_ns + SEC]),
            attrs={"device": f"cuda:{p}", "swarmtorch.peer_id": peer}).encode())  # fmt: skip
        epoch_ids = ids.take(scale.epochs)
        e_start = t0 + np.arange(scale.epochs, dtype=np.int64) * scale.steps_per_epoch * scale.step_ns
        e_end = e_start + scale.steps_per_epoch * scale.step_ns
        if crashed:
            e_end[-1] = -1
        w.append_raw_lines(SPANS, bulk.span_lines(
            trace, "train/epoch", epoch_ids, e_start, e_end, parent_ids=np.full(scale.epochs, root[0]),
            attrs={"swarmtorch.peer_id": peer}, var_attr=("epoch", np.arange(scale.epochs))).encode())  # fmt: skip
        step_no = np.arange(done, dtype=np.int64)
        s_start = t0 + step_no * scale.step_ns
        s_end = s_start + scale.step_ns - MS
        step_ids = ids.take(done)
        if crashed:
            s_end[-1] = -1
        w.append_raw_lines(SPANS, bulk.span_lines(
            trace, "train/step", step_ids, s_start, s_end, parent_ids=epoch_ids[step_no // scale.steps_per_epoch],
            attrs={"swarmtorch.peer_id": peer}, var_attr=("step", step_no)).encode())  # fmt: skip
        offset = s_start
        for phase, share in (("train/forward", 0.35), ("train/backward", 0.5), ("train/optimizer", 0.1)):
            length = int(scale.step_ns * share)
            ends = offset + length
            if crashed and phase == "train/backward":
                ends = ends.copy()
                ends[-1] = -1
            if crashed and phase == "train/optimizer":  # never started on the crashed step
                w.append_raw_lines(SPANS, bulk.span_lines(trace, phase, ids.take(done - 1), offset[:-1], ends[:-1],
                                                          parent_ids=step_ids[:-1]).encode())  # fmt: skip
            else:
                w.append_raw_lines(SPANS, bulk.span_lines(trace, phase, ids.take(done), offset, ends,
                                                          parent_ids=step_ids).encode())  # fmt: skip
            offset = offset + length
        _write_peer_metrics(w, scale, rng, trace, p, peer, t0, span_ns, done / steps)


def _write_peer_metrics(w: BundleWriter, scale: Scale, rng: np.random.Generator, trace: str, p: int, peer: str,
                        t0: int, span_ns: int, fraction: float) -> None:  # fmt: skip
    n = int(scale.metric_steps * fraction)
    loss, accuracy, grad = _curve(rng, scale.metric_steps, p)
    step = np.arange(n, dtype=np.int64)
    ts = t0 + (step * span_ns) // scale.metric_steps + scale.step_ns
    for lo in range(0, n, CHUNK):
        hi = min(n, lo + CHUNK)
        for name, values, unit in (("train/loss", loss, None), ("train/accuracy", accuracy, "1"),
                                   ("train/grad_norm", grad, None)):  # fmt: skip
            w.append_raw_lines(METRICS, bulk.metric_lines(
                trace, name, ts[lo:hi], values[lo:hi], attrs={"swarmtorch.peer_id": peer},
                var_attr=("step", step[lo:hi]), unit=unit).encode())  # fmt: skip


def _write_coordinator(w: BundleWriter, scale: Scale, rng: np.random.Generator, t0: int, t1: int) -> None:
    """``swarm/throughput`` and ``swarm/bytes_on_wire`` by time on the pipeline trace (x = time)."""
    n = scale.coordinator_points
    ts = t0 + (np.arange(n, dtype=np.int64) * (t1 - t0)) // n
    span = hashes.native_runner_span_id(hashes.node_id_from_key("train/fit"), t0)
    throughput = np.round(1800.0 + 250.0 * np.sin(np.arange(n) / 7.0) + 40.0 * rng.standard_normal(n), 2)
    wire = np.round(np.abs(3.2e6 + 4.0e5 * rng.standard_normal(n)), 0)
    for lo in range(0, n, CHUNK):
        hi = min(n, lo + CHUNK)
        w.append_raw_lines(METRICS, bulk.metric_lines(w.run_id, "swarm/throughput", ts[lo:hi], throughput[lo:hi],
                                                      unit="samples/s", span_id=span).encode())  # fmt: skip
        w.append_raw_lines(METRICS, bulk.metric_lines(w.run_id, "swarm/bytes_on_wire", ts[lo:hi], wire[lo:hi],
                                                      attrs={"direction": "tx"}, unit="By", span_id=span).encode())  # fmt: skip


def _write_events(w: BundleWriter, scale: Scale, t0: int) -> None:
    """Peer membership, checkpoints, learning-rate decays and the crash."""
    trace = w.run_id
    epoch_ns = scale.steps_per_epoch * scale.step_ns
    for p, peer in enumerate(PEERS):
        w.append_event(t0 + p * MS, trace, "comms/peer_joined", None, {"swarmtorch.peer_id": peer, "rank": p})
    for e in range(scale.epochs):
        end = t0 + (e + 1) * epoch_ns
        w.append_event(end, trace, "train/checkpoint_saved", None,
                       {"epoch": e, "path": f"artifacts/model/checkpoint-{e:04d}.bin", "bytes": 4096})  # fmt: skip
        if e % 2 == 1:
            w.append_event(end + MS, trace, "train/lr_decay", None, {"epoch": e, "factor": 0.5})
    crash = t0 + scale.epochs * epoch_ns - epoch_ns // 2
    w.append_event(crash, trace, "comms/peer_left", None,
                   {"reason": "heartbeat timeout after 30 s", "swarmtorch.peer_id": "peer-3"})  # fmt: skip


# --- artifacts -------------------------------------------------------------------------------------


def png_bytes(pixels: np.ndarray) -> bytes:
    """A truecolour PNG from an (h, w, 3) uint8 array: signature, IHDR, one IDAT, IEND."""
    height, width, _ = pixels.shape

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + pixels[y].tobytes() for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def _loss_plot(series: list[np.ndarray], width: int = 320, height: int = 180) -> bytes:
    """Loss curves per peer on a white canvas with axes (no font needed)."""
    img = np.full((height, width, 3), 255, dtype=np.uint8)
    img[height - 20, 20:] = img[10:height - 19, 20] = (60, 60, 60)
    colors = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40)]
    top = max(float(s.max()) for s in series)
    xs = np.arange(21, width - 4)
    for values, color in zip(series, colors, strict=False):
        at = np.interp(xs, np.linspace(21, width - 5, len(values)), values)
        ys = np.rint(height - 21 - (at / top) * (height - 35)).astype(int)
        for y0, y1, x in zip(ys[:-1], ys[1:], xs[:-1], strict=True):  # vertical runs keep steep parts joined
            lo, hi = min(y0, y1), max(y0, y1)
            img[lo : hi + 1, x] = color
            img[lo : hi + 1, x + 1] = color
    return png_bytes(img)


def _write_artifacts(w: BundleWriter, rng: np.random.Generator, session: DataOpsSession, loss: list[np.ndarray]) -> None:
    art = w.root / "artifacts"
    (art / "plots").mkdir(parents=True, exist_ok=True)
    (art / "eval").mkdir(exist_ok=True)
    (art / "model").mkdir(exist_ok=True)
    (art / "plots" / "loss.png").write_bytes(_loss_plot(loss))
    (art / "notes.md").write_text(
        "# Demo run\n\nWritten by `swarmview demo`: a 12-node pipeline, four peers (peer-3 crashed in the last\n"
        "epoch), an untrusted clickstream source whose taint reaches every model output, a denied\n"
        "`governance/dp_audit` node, a failed export and a skipped publish.\n",
        encoding="utf-8",
    )
    summary = {
        "run_id": w.run_id,
        "peers": list(PEERS),
        "final_loss": {peer: float(curve[-1]) for peer, curve in zip(PEERS, loss, strict=True)},
        "datasets": {k: e["fingerprint_v0"] for k, e in sorted(session.registry.items())},
    }
    (art / "eval" / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    header = b"SWCK\x00\x01" + struct.pack("<IQ", 3, 4096)
    (art / "model" / "checkpoint-0003.bin").write_bytes(header + rng.bytes(4096 - len(header)))


# --- entry point -----------------------------------------------------------------------------------


def _graph_with_flags(session: DataOpsSession) -> dict[str, Any]:
    """The graph with each node's ``unsafe_surface`` equal to the report's end-of-run derivation (§13.4)."""
    nodes = []
    for node in NODES:
        inputs = [r["asset_key"] for r in node["inputs"]]
        unsafe = node.get("execution_trust", "core") != "core" or any(
            k not in session.registry or session.registry[k]["trust"] == "untrusted" for k in inputs
        )
        nodes.append({**node, "unsafe_surface": unsafe})
    ids = {n["node_key"]: hashes.node_id_from_key(n["node_key"]) for n in NODES}
    edges = [{"from_node_id": ids[a], "to_node_id": ids[b], "asset_key": k} for a, b, k in EDGES]
    return {"graph_id": "demo-pipeline", "nodes": nodes, "edges": edges}


def build_demo(
    base: str | os.PathLike[str], size: Size = "small", run_id: object = None, *, clock_ns: Clock = None
) -> Path:
    """Write a demo run at ``<base>/runs/<run id>/`` and return its root.

    ``run_id`` None → a fresh random non-zero id; ``clock_ns`` None → the wall clock. Raises
    ``BundleWriteError`` as ``BundleWriter.create`` does (exists, zero id) and for I/O failures.
    """
    if size not in SCALES:
        raise ValueError(f"unknown demo size {size!r} (small or large)")
    scale = SCALES[size]
    hex_id = random_run_id() if run_id is None else run_id_hex(run_id)
    rng = np.random.default_rng(int(hex_id, 16))
    ids = _Ids(int(hex_id, 16))
    with BundleWriter.create(base, hex_id, clock_ns=clock_ns) as w:
        t0 = int(json.loads((w.root / "run.json").read_text())["created_unix_nanos"]) + SEC
        session = DataOpsSession(w)
        t1 = _run_pipeline(w, session, t0)
        train_t0 = t1 + 5 * SEC
        _write_events(w, scale, train_t0)
        _write_training(w, scale, rng, ids, train_t0)
        _write_coordinator(w, scale, rng, train_t0, train_t0 + scale.epochs * scale.steps_per_epoch * scale.step_ns)
        loss = [_curve(np.random.default_rng(int(hex_id, 16) + p), 120, p)[0] for p in range(len(PEERS))]
        _write_artifacts(w, rng, session, loss)
        w.write_graph(_graph_with_flags(session))
        session.finalize()
        return w.root
