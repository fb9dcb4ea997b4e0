"""Bundles for the timeline/metrics/graph view tests: the real loader when present, else a plain reader.

The loader is written in parallel; until it lands this module reads the NDJSON into the same table
types with orjson so the views are tested on the real ``rich`` fixture either way.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import orjson

from swarmview.core.records.tables import AttrColumn, EventTable, MetricTable, SpanTable
from tests.helpers import copy_fixture


def _intern(values: list[str]) -> tuple[np.ndarray, list[str]]:
    table: dict[str, int] = {}
    codes = np.array([table.setdefault(v, len(table)) for v in values], dtype=np.int32)
    return codes, list(table)


def _attrs(rows: list[dict[str, Any]]) -> AttrColumn:
    texts = [orjson.dumps(r.get("attrs") or {}) for r in rows]
    blob = b",".join(texts)
    starts = np.zeros(len(texts) + 1, dtype=np.int64)
    if texts:
        starts[1:] = np.cumsum([len(t) + 1 for t in texts])
    keys = sorted({k for r in rows for k in (r.get("attrs") or {})})
    return AttrColumn(blob, starts, {}, keys)


def _sid(text: str | None) -> int:
    return int(text, 16) if text else 0


def _read(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def tables_from_ndjson(root: Path) -> tuple[SpanTable, EventTable, MetricTable]:
    spans = _read(root / "spans.ndjson")
    trace, trace_ids = _intern([s["trace_id"] for s in spans])
    name, names = _intern([s["name"] for s in spans])
    st = SpanTable(
        trace=trace, trace_ids=trace_ids,
        span_id=np.array([_sid(s["span_id"]) for s in spans], np.uint64),
        parent_id=np.array([_sid(s.get("parent_span_id")) for s in spans], np.uint64),
        name=name, names=names,
        start=np.array([s["start_unix_nanos"] for s in spans], np.uint64),
        end=np.array([s.get("end_unix_nanos") or 0 for s in spans], np.uint64),
        has_end=np.array([s.get("end_unix_nanos") is not None for s in spans], bool),
        line=np.arange(1, len(spans) + 1, dtype=np.int32), attrs=_attrs(spans),
    )
    events = _read(root / "events.ndjson")
    etrace, etrace_ids = _intern([e["trace_id"] for e in events])
    ename, enames = _intern([e["name"] for e in events])
    et = EventTable(
        ts=np.array([e["ts_unix_nanos"] for e in events], np.uint64), trace=etrace, trace_ids=etrace_ids,
        span_id=np.array([_sid(e.get("span_id")) for e in events], np.uint64), name=ename, names=enames,
        line=np.arange(1, len(events) + 1, dtype=np.int32), attrs=_attrs(events),
    )
    metrics = _read(root / "metrics.ndjson")
    mtrace, mtrace_ids = _intern([m["trace_id"] for m in metrics])
    mname, mnames = _intern([m["name"] for m in metrics])
    units = sorted({m["unit"] for m in metrics if m.get("unit") is not None})
    mt = MetricTable(
        ts=np.array([m["ts_unix_nanos"] for m in metrics], np.uint64), trace=mtrace, trace_ids=mtrace_ids,
        span_id=np.array([_sid(m.get("span_id")) for m in metrics], np.uint64), name=mname, names=mnames,
        value=np.array([np.nan if m["value"] is None else float(m["value"]) for m in metrics], np.float64),
        unit=np.array([units.index(m["unit"]) if m.get("unit") is not None else -1 for m in metrics], np.int32),
        units=units, line=np.arange(1, len(metrics) + 1, dtype=np.int32), attrs=_attrs(metrics),
    )
    return st, et, mt


def load_for_views(root: Path) -> Any:
    """The real ``load_bundle`` result when the loader can read ``root``, else an equivalent namespace."""
    try:
        from swarmview.core.bundle import load_bundle

        return load_bundle(root)
    except ImportError:
        pass
    spans, events, metrics = tables_from_ndjson(root)
    graph = json.loads((root / "graph.json").read_text()) if (root / "graph.json").exists() else None
    registry_path = root / "datasets" / "registry.json"
    registry = json.loads(registry_path.read_text()).get("datasets", []) if registry_path.exists() else []
    run = json.loads((root / "run.json").read_text())
    return SimpleNamespace(root=root, run=run, graph=graph, graph_stored=graph, registry=registry, lineage=[],
                           materializations=[], spans=spans, events=events, metrics=metrics, findings=[])


def rich_bundle(tmp_path: Path) -> Any:
    return load_for_views(copy_fixture("rich", tmp_path))

