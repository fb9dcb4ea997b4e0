"""The sections of upstream's ``swarm_torch_report`` page, reproduced byte for byte (§17.3).

swarmview's HTML report starts from exactly what upstream's report shows, so users who know that
page find it again (and a test compares this output with ``verdicts/rich.html``), then adds what
upstream hides. Metric values are shown as upstream shows them: the double upstream's reader makes
of the text (§2.7), printed with Rust's ``Display`` (no exponent, no ``.0``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from swarmview.core.bundle import Bundle
from swarmview.core.identity.dataops import (
    format_transform_names,
    format_unsafe_reasons,
    is_node_unsafe,
    registry_index,
)
from swarmview.core.jsontext.floatfmt import format_f64
from swarmview.core.jsontext.numparse import parse_number_upstream

STYLE = (
    "body{font:15px ui-sans-serif,system-ui,-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;"
    "max-width:1100px;margin:24px auto;padding:0 16px;color:#111}h1,h2{margin:18px 0 10px}"
    "code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Monaco,monospace;font-size:13px}"
    "table{border-collapse:collapse;width:100%;margin:8px 0 16px}th,td{border:1px solid #ddd;padding:8px;"
    "vertical-align:top}th{background:#fafafa;text-align:left}section{margin:18px 0 22px}"
    ".warn{border:2px solid #b00020;padding:10px;border-radius:10px;background:#fff5f5}"
    ".ok{border:2px solid #2e7d32;padding:10px;border-radius:10px;background:#f5fff7}"
)
HEAD = (
    '<!doctype html><html><head><meta charset="utf-8"/>'
    '<meta name="viewport" content="width=device-width,initial-scale=1"/>'
    "<title>SwarmTorch Run Report</title><style>{style}</style></head><body>"
)
SVG_STYLE = (
    "<style>.n{font:14px ui-monospace, SFMono-Regular, Menlo, Monaco, monospace}"
    ".s{stroke:#222;stroke-width:2;fill:#fff}.u{stroke:#b00020;stroke-width:3}"
    ".e{stroke:#666;stroke-width:2;fill:none;marker-end:url(#a)}</style>"
    '<defs><marker id="a" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" '
    'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#666"/></marker></defs>'
)
OP_KIND_LABEL = {"data": "Data", "train": "Train", "comms": "Comms", "governance": "Governance", "system": "System"}
KIND_ORDER = {"event": 0, "materialization": 1, "metric": 2, "span": 3}


def escape_html(text: str) -> str:
    """``render.rs:escape_html`` (B-151)."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;").replace("'", "&#39;")
    )


def rust_display_f64(x: float) -> str:
    """Rust's ``Display`` for f64: shortest round-trip digits, never an exponent, no ``.0``."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "-0" if math.copysign(1.0, x) < 0 else "0"
    return format(Decimal(repr(x)).normalize(), "f")


def upstream_metric_text(value: float) -> str:
    """What upstream's report prints for a stored value: its reader's double of the written text."""
    if not math.isfinite(value):
        return "NaN"  # upstream cannot load such a run at all; swarmview still shows it
    return rust_display_f64(float(parse_number_upstream(format_f64(value))))


def banner(bundle: Bundle) -> str:
    nodes = (bundle.graph or {}).get("nodes") or []
    index = registry_index(bundle.registry)
    items = [f"<li>node: <code>{escape_html(n['node_key'])}</code></li>" for n in nodes if is_node_unsafe(n, index)]
    items += [
        f"<li>dataset source untrusted: <code>{escape_html(e['asset_key'])}</code></li>"
        for e in bundle.registry
        if e.get("trust") == "untrusted"
    ]
    items += [
        f"<li>unsafe materialization: <code>{escape_html(m['asset_key'])}</code> reasons=<code>"
        f"{escape_html(format_unsafe_reasons(m.get('unsafe_reasons') or []))}</code></li>"
        for m in bundle.materializations
        if m.get("unsafe_surface")
    ]
    if not items:
        return '<div class="ok"><strong>Unsafe surfaces:</strong> none detected in the current artifacts.</div>'
    return '<div class="warn"><strong>Unsafe surfaces detected.</strong><ul>' + "".join(items) + "</ul></div>"


def graph_svg(graph: Mapping[str, Any] | None, registry: Sequence[Mapping[str, Any]]) -> str:
    nodes = list((graph or {}).get("nodes") or [])
    height = 30 + max(len(nodes), 1) * 86 + 30
    parts = [f'<svg width="900" height="{height}" viewBox="0 0 900 {height}" xmlns="http://www.w3.org/2000/svg">',
             SVG_STYLE]
    if not nodes:
        parts.append('<text class="n" x="40" y="60">(graph.json has no nodes yet)</text>')
    position = {n["node_id"]: i for i, n in enumerate(nodes)}
    for edge in (graph or {}).get("edges") or []:
        a, b = position.get(edge["from_node_id"]), position.get(edge["to_node_id"])
        if a is None or b is None:
            continue  # upstream drops edges to unknown nodes without a word
        y1, y2 = 30 + a * 86 + 28, 30 + b * 86 + 28
        parts.append(f'<path class="e" d="M 860 {y1} C 860 {y1} 40 {y2} 40 {y2}"/>')
    index = registry_index(registry)
    for i, node in enumerate(nodes):
        unsafe = is_node_unsafe(node, index)
        y = 30 + i * 86
        label = f"{node['node_key']}  [{node['op_kind']}:{node['op_type']}]" + ("  UNSAFE" if unsafe else "")
        parts.append(f'<rect x="40" y="{y}" rx="10" ry="10" width="820" height="56" class="{"s u" if unsafe else "s"}"/>')
        parts.append(f'<text class="n" x="56" y="{y + 34}">{escape_html(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def timeline_rows(bundle: Bundle) -> Iterator[tuple[int, str, str, str]]:
    """(ts, kind, name, detail) in upstream's order: ts, then kind text, then input order (B-149)."""
    rows: list[tuple[int, int, int, str, str, str]] = []
    seq = 0
    events = bundle.events
    for i in range(len(events)):
        rows.append((int(events.ts[i]), KIND_ORDER["event"], seq, "event", events.name_of(i), ""))
        seq += 1
    metrics = bundle.metrics
    for i in range(len(metrics)):
        unit = metrics.unit_of(i) or ""
        detail = f"value={upstream_metric_text(float(metrics.value[i]))} {unit}"
        rows.append((int(metrics.ts[i]), KIND_ORDER["metric"], seq, "metric", metrics.name_of(i), detail))
        seq += 1
    spans = bundle.spans
    for i in range(len(spans)):
        start, end = int(spans.start[i]), int(spans.end[i])
        ms = str((end - start) // 1_000_000) if spans.has_end[i] and end >= start else "?"
        rows.append((start, KIND_ORDER["span"], seq, "span", spans.name_of(i), f"duration_ms={ms}"))
        seq += 1
    nodes = {n["node_id"]: n for n in (bundle.graph or {}).get("nodes") or []}
    index = registry_index(bundle.registry)
    for m in bundle.materializations:
        node = nodes.get(m["node_id"])
        derived = "true" if node is None or is_node_unsafe(node, index) else "false"

        def opt(v: object) -> str:
            return "?" if v is None else ("true" if v is True else "false" if v is False else str(v))

        detail = (
            f"rows={opt(m.get('rows'))} bytes={opt(m.get('bytes'))} cache_hit={opt(m.get('cache_hit'))} "
            f"unsafe={derived} unsafe_reasons={format_unsafe_reasons(m.get('unsafe_reasons') or [])} "
            f"transforms={format_transform_names(m.get('applied_transforms') or [])} "
            f"node_id={m['node_id']} node_def_hash={m['node_def_hash']}"
        )
        rows.append((int(m["ts_unix_nanos"]), KIND_ORDER["materialization"], seq, "materialization",
                     m["asset_key"], detail))
        seq += 1
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    for ts, _, _, kind, name, detail in rows:
        yield ts, kind, name, detail


def _table(headers: Sequence[str], body: str) -> str:
    head = "".join(f"<th>{h}</th>" for h in headers)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def upstream_sections(bundle: Bundle) -> list[str]:
    """The four ``<section>``s of upstream's page (graph, timeline, registry, lineage)."""
    timeline = "".join(
        f'<tr><td class="mono">{ts}</td><td>{kind}</td><td class="mono">{escape_html(name)}</td>'
        f'<td class="mono">{escape_html(detail)}</td></tr>'
        for ts, kind, name, detail in timeline_rows(bundle)
    )
    registry = "".join(
        f'<tr><td class="mono">{escape_html(e["asset_key"])}</td><td class="mono">{escape_html(e["fingerprint_v0"])}</td>'
        f'<td>{"Untrusted" if e.get("trust") == "untrusted" else "Trusted"}</td>'
        f'<td class="mono">{escape_html((e.get("source") or {}).get("uri", ""))}</td></tr>'
        for e in bundle.registry
    )
    lineage = "".join(
        f'<tr><td class="mono">{escape_html(e["input_fingerprint_v0"])}</td>'
        f'<td class="mono">{escape_html(e["output_fingerprint_v0"])}</td><td class="mono">{e["node_id"]}</td>'
        f'<td>{OP_KIND_LABEL.get(e["op_kind"], e["op_kind"])}</td></tr>'
        for e in bundle.lineage
    )
    return [
        f"<section><h2>Run Graph</h2>{graph_svg(bundle.graph, bundle.registry)}</section>",
        "<section><h2>Timeline</h2>" + _table(("ts_unix_nanos", "kind", "name", "detail"), timeline) + "</section>",
        "<section><h2>Dataset Registry</h2>"
        + _table(("asset_key", "fingerprint_v0", "trust", "source"), registry)
        + "</section>",
        "<section><h2>Lineage</h2>"
        + _table(("input_fingerprint", "output_fingerprint", "node_id", "op_kind"), lineage)
        + "</section>",
    ]


def upstream_page(bundle: Bundle, run_dir: str) -> str:
    """Exactly the page ``swarm_torch_report run_dir`` writes for a bundle it can load."""
    return (
        HEAD.format(style=STYLE)
        + f"<h1>SwarmTorch Run Report</h1><p><strong>Run dir:</strong> <code>{escape_html(run_dir)}</code></p>"
        + banner(bundle)
        + "".join(upstream_sections(bundle))
        + "</body></html>"
    )
