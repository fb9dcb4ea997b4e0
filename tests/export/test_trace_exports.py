"""Perfetto/Chrome trace and OTLP/JSON exports keep every span, event and metric value (issue 9 §2–3)."""

from __future__ import annotations

import base64
import copy
import json
import math
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from swarmview.core.bundle import load_bundle
from swarmview.core.records.tables import span_hex
from tests.helpers import copy_fixture

HEX = re.compile(r"[0-9a-f]+")


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_fixture("rich", tmp_path_factory.mktemp("rich"))


def export(root: Path, fmt: str, out: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "swarmview", "export", str(root), "--format", fmt, "-o", str(out)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr


def check_trace_event_format(doc: dict) -> None:
    """The Trace Event Format rules Perfetto's JSON importer relies on."""
    assert isinstance(doc["traceEvents"], list)
    for ev in doc["traceEvents"]:
        assert ev["ph"] in {"X", "i", "C", "M"}, ev
        assert isinstance(ev["name"], str) and isinstance(ev["pid"], int) and isinstance(ev["tid"], int)
        if ev["ph"] != "M":
            assert isinstance(ev["ts"], (int, float)) and ev["ts"] >= 0
        if ev["ph"] == "X":
            assert isinstance(ev["dur"], (int, float)) and ev["dur"] >= 0
        if ev["ph"] == "i":
            assert ev["s"] in {"t", "p", "g"}
        if ev["ph"] == "C":
            assert ev["args"] and all(isinstance(v, (int, float)) and math.isfinite(v) for v in ev["args"].values())
        if ev["ph"] == "M":
            assert ev["name"] in {"process_name", "thread_name"} and isinstance(ev["args"]["name"], str)
    # complete events nest strictly within each thread
    by_thread: dict[tuple[int, int], list[tuple[float, float]]] = defaultdict(list)
    for ev in doc["traceEvents"]:
        if ev["ph"] == "X":
            by_thread[(ev["pid"], ev["tid"])].append((ev["ts"], ev["ts"] + ev["dur"]))
    for intervals in by_thread.values():
        stack: list[float] = []
        for start, end in sorted(intervals, key=lambda iv: (iv[0], -iv[1])):
            while stack and stack[-1] <= start:
                stack.pop()
            assert not stack or end <= stack[-1] + 1e-6, "misnested slices in one thread"
            stack.append(end)


def test_chrome_trace_keeps_every_span_event_and_metric(rich: Path, tmp_path: Path) -> None:
    out = tmp_path / "trace.json"
    export(rich, "chrome-trace", out)
    doc = json.loads(out.read_bytes())
    check_trace_event_format(doc)
    bundle = load_bundle(rich)
    kinds = Counter(ev["ph"] for ev in doc["traceEvents"])
    assert kinds["X"] == len(bundle.spans) == 226
    assert kinds["i"] == len(bundle.events) == 15
    assert kinds["C"] == len(bundle.metrics) == 2009
    processes = {ev["args"]["name"] for ev in doc["traceEvents"] if ev["name"] == "process_name"}
    assert processes == {f"trace {t}" for t in bundle.spans.trace_ids}
    origin = doc["otherData"]["origin_unix_nanos"]
    spans = {ev["args"]["span_id"]: ev for ev in doc["traceEvents"] if ev["ph"] == "X"}
    for row in range(len(bundle.spans)):
        ev = spans[span_hex(bundle.spans.span_id[row])]
        assert round(ev["ts"] * 1000) + origin == int(bundle.spans.start[row])
        for key, value in bundle.spans.attrs.get(row).items():
            assert ev["args"][key] == value
        assert ev["args"].get("swarmview.unfinished", False) == (not bundle.spans.has_end[row])
    assert sum(1 for ev in spans.values() if ev["args"].get("swarmview.unfinished")) == 4
    values = sorted(ev["args"]["value"] for ev in doc["traceEvents"] if ev["ph"] == "C")
    assert values == sorted(float(v) for v in bundle.metrics.value)


def hex_ids_to_base64(request: dict) -> dict:
    """OTLP/JSON ids are hex; protobuf's JSON mapping reads bytes as base64, so convert after checking."""
    doc = copy.deepcopy(request)
    for rs in doc["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for span in ss["spans"]:
                for key, size in (("traceId", 32), ("spanId", 16), ("parentSpanId", 16)):
                    value = span[key]
                    if key == "parentSpanId" and value == "":
                        continue
                    assert len(value) == size and HEX.fullmatch(value) and value.strip("0"), (key, value)
                    span[key] = base64.b64encode(bytes.fromhex(value)).decode()
    return doc


def test_otlp_json_validates_against_the_proto_messages(rich: Path, tmp_path: Path) -> None:
    from google.protobuf import json_format
    from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

    out = tmp_path / "otlp"
    export(rich, "otlp-json", out)
    traces = json.loads((out / "traces.json").read_bytes())
    metrics = json.loads((out / "metrics.json").read_bytes())
    trace_msg = json_format.Parse(json.dumps(hex_ids_to_base64(traces)), trace_service_pb2.ExportTraceServiceRequest())
    metric_msg = json_format.Parse(json.dumps(metrics), metrics_service_pb2.ExportMetricsServiceRequest())
    bundle = load_bundle(rich)
    spans = [s for rs in trace_msg.resource_spans for ss in rs.scope_spans for s in ss.spans]
    real = [s for s in spans if s.name != "swarmview/unattached_events"]
    assert len(real) == len(bundle.spans)
    assert sum(len(s.events) for s in spans) == len(bundle.events)
    by_id = {s.span_id.hex(): s for s in real}
    for row in range(len(bundle.spans)):
        span = by_id[span_hex(bundle.spans.span_id[row])]
        assert span.start_time_unix_nano == int(bundle.spans.start[row])
        attrs = {a.key: a.value for a in span.attributes}
        assert ("swarmview.unfinished" in attrs) == (not bundle.spans.has_end[row])
        for key, value in bundle.spans.attrs.get(row).items():
            pv = attrs[key]
            got = {"bool_value": pv.bool_value, "int_value": pv.int_value, "double_value": pv.double_value,
                   "string_value": pv.string_value}[pv.WhichOneof("value")]
            assert got == value and type(got) is type(value)
    points = [p for rm in metric_msg.resource_metrics for sm in rm.scope_metrics for m in sm.metrics
              for p in m.gauge.data_points]
    assert len(points) == len(bundle.metrics)
    assert sorted(p.as_double for p in points) == sorted(float(v) for v in bundle.metrics.value)
    assert all(isinstance(p["timeUnixNano"], str) for rm in metrics["resourceMetrics"] for sm in rm["scopeMetrics"]
               for m in sm["metrics"] for p in m["gauge"]["dataPoints"])


def test_otlp_nonfinite_metrics_survive_as_nan(tmp_path: Path) -> None:
    root = copy_fixture("nonfinite", tmp_path)
    out = tmp_path / "otlp"
    export(root, "otlp-json", out)
    metrics = json.loads((out / "metrics.json").read_bytes())
    values = [p["asDouble"] for rm in metrics["resourceMetrics"] for sm in rm["scopeMetrics"] for m in sm["metrics"]
              for p in m["gauge"]["dataPoints"]]
    assert values.count("NaN") == 3 and len(values) == 6
