"""OpenTelemetry export (``--format otlp-json -o DIR``): ``traces.json`` and ``metrics.json``.

Spans and events form an OTLP/JSON ``ExportTraceServiceRequest``; metrics an
``ExportMetricsServiceRequest`` of gauges. OTLP/JSON differs from protobuf's generic JSON mapping in
one place that matters: trace and span ids are lowercase hex, not base64. Times are decimal strings
of nanoseconds (64-bit integers are strings in JSON). Unfinished spans end at the run's last
timestamp with ``swarmview.unfinished=true``. Events without a known span (OTLP events must belong to
a span) hang off one synthetic span per trace, marked ``swarmview.synthetic=true``.
"""

from __future__ import annotations

import hashlib
import math
import threading
from pathlib import Path
from typing import Any

import orjson

from swarmview import __version__
from swarmview.core.bundle import Bundle, load_bundle
from swarmview.core.records.tables import span_hex
from swarmview.export.output import atomic_output_dir
from swarmview.export.trace_common import span_ends, trace_clock

SPAN_KIND_INTERNAL = 1
I64_MAX = 2**63 - 1


def any_value(value: object) -> dict[str, Any]:
    """An OTLP ``AnyValue`` keeping upstream's attribute variant (U64 beyond int64 as a string)."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)} if -(2**63) <= value <= I64_MAX else {"stringValue": str(value)}
    if isinstance(value, float):
        if math.isnan(value):
            return {"doubleValue": "NaN"}
        if math.isinf(value):
            return {"doubleValue": "Infinity" if value > 0 else "-Infinity"}
        return {"doubleValue": value}
    return {"stringValue": str(value)}


def attributes(attrs: dict[str, object]) -> list[dict[str, Any]]:
    return [{"key": k, "value": any_value(v)} for k, v in attrs.items()]


def _resource(bundle: Bundle) -> dict[str, Any]:
    attrs: dict[str, object] = {"service.name": "swarmtorch"}
    if bundle.run_id:
        attrs["swarmtorch.run_id"] = bundle.run_id
    if bundle.run and isinstance(bundle.run.get("swarmtorch_version"), str):
        attrs["swarmtorch.version"] = bundle.run["swarmtorch_version"]
    return {"attributes": attributes(attrs)}


def _scope() -> dict[str, Any]:
    return {"name": "swarmview", "version": __version__}


def synthetic_span_id(trace_id: str) -> str:
    """A stable, non-zero span id for a trace's holder of unattached events."""
    digest = hashlib.sha256(f"swarmview.unattached_events:{trace_id}".encode()).digest()[:8]
    return (digest if any(digest) else b"\x00" * 7 + b"\x01").hex()


def traces_request(bundle: Bundle) -> dict[str, Any]:
    clock = trace_clock(bundle)
    spans, events = bundle.spans, bundle.events
    ends = span_ends(bundle, clock)
    span_attrs = spans.attrs.all() if len(spans) else []
    out_spans: list[dict[str, Any]] = []
    index: dict[tuple[str, str], dict[str, Any]] = {}
    for row in range(len(spans)):
        trace_id, span_id = spans.trace_of(row), span_hex(spans.span_id[row])
        attrs = dict(span_attrs[row])
        if not spans.has_end[row]:
            attrs["swarmview.unfinished"] = True
        span = {
            "traceId": trace_id,
            "spanId": span_id,
            "parentSpanId": span_hex(spans.parent_id[row]),
            "name": spans.name_of(row),
            "kind": SPAN_KIND_INTERNAL,
            "startTimeUnixNano": str(int(spans.start[row])),
            "endTimeUnixNano": str(int(ends[row])),
            "attributes": attributes(attrs),
            "events": [],
        }
        out_spans.append(span)
        index.setdefault((trace_id, span_id), span)
    event_attrs = events.attrs.all() if len(events) else []
    orphans: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for row in range(len(events)):
        trace_id, span_id = events.trace_of(row), span_hex(events.span_id[row])
        ts = int(events.ts[row])
        event = {"timeUnixNano": str(ts), "name": events.name_of(row), "attributes": attributes(event_attrs[row])}
        holder = index.get((trace_id, span_id)) if span_id else None
        if holder is not None:
            holder["events"].append(event)
            continue
        if span_id:  # a span id that matches no span: keep it visible on the event
            event["attributes"].append({"key": "swarmview.span_id", "value": {"stringValue": span_id}})
        orphans.setdefault(trace_id, []).append((ts, event))
    for trace_id, held in orphans.items():
        stamps = [ts for ts, _ in held]
        out_spans.append({
            "traceId": trace_id,
            "spanId": synthetic_span_id(trace_id),
            "parentSpanId": "",
            "name": "swarmview/unattached_events",
            "kind": SPAN_KIND_INTERNAL,
            "startTimeUnixNano": str(min(stamps)),
            "endTimeUnixNano": str(max(stamps)),
            "attributes": attributes({"swarmview.synthetic": True}),
            "events": [event for _, event in held],
        })
    return {"resourceSpans": [{"resource": _resource(bundle),
                               "scopeSpans": [{"scope": _scope(), "spans": out_spans}]}]}


def metrics_request(bundle: Bundle) -> dict[str, Any]:
    table = bundle.metrics
    attrs = table.attrs.all() if len(table) else []
    by_metric: dict[tuple[str, str | None], list[dict[str, Any]]] = {}
    for row in range(len(table)):
        point = {"timeUnixNano": str(int(table.ts[row])), "attributes": attributes(attrs[row])}
        value = float(table.value[row])
        point["asDouble"] = any_value(value)["doubleValue"]
        by_metric.setdefault((table.name_of(row), table.unit_of(row)), []).append(point)
    metrics = []
    for (name, unit), points in by_metric.items():
        metric: dict[str, Any] = {"name": name, "gauge": {"dataPoints": points}}
        if unit:
            metric["unit"] = unit
        metrics.append(metric)
    return {"resourceMetrics": [{"resource": _resource(bundle),
                                 "scopeMetrics": [{"scope": _scope(), "metrics": metrics}]}]}


def export_otlp_json(root: Path, out: Path, *, cancel: threading.Event | None = None,
                     **_options: object) -> tuple[dict[str, Any], dict[str, Any]]:
    """``--format otlp-json``: write ``DIR/traces.json`` and ``DIR/metrics.json`` atomically."""
    bundle = load_bundle(root, cancel=cancel)
    traces, metrics = traces_request(bundle), metrics_request(bundle)
    with atomic_output_dir(Path(out)) as tmp:
        (tmp / "traces.json").write_bytes(orjson.dumps(traces))
        (tmp / "metrics.json").write_bytes(orjson.dumps(metrics))
    return traces, metrics
