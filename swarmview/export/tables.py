"""Tables (``--format csv|parquet -o DIR``): spans, events, metrics and materializations.

One row per record, exact values: u64 timestamps stay integers (uint64 columns in Parquet, decimal
text in CSV), metric values are written as the shortest text that reads back as the same double
(``NaN`` where upstream wrote ``null``), attributes are one compact JSON column, and every row keeps
the ``line`` of the file it came from. Parquet goes through pyarrow (extra ``parquet``).
"""

from __future__ import annotations

import csv
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from swarmview.core.bundle import Bundle, load_bundle
from swarmview.core.records.tables import span_hex
from swarmview.export.output import atomic_output_dir

MATERIALIZATION_FIELDS = (
    "schema_version", "record_seq", "ts_unix_nanos", "asset_key", "fingerprint_v0", "node_id", "node_def_hash",
    "op_type", "input_asset_keys", "input_fingerprints_v0", "rows", "bytes", "duration_ms", "cache_decision",
    "cache_reason", "cache_key_v0", "cache_hit", "unsafe_surface", "unsafe_reasons", "applied_transforms",
    "status", "error_code", "quality",
)


@dataclass(frozen=True)
class Column:
    """One output column: its name, Arrow type name, and values."""

    name: str
    kind: str  # "uint64", "int64", "float64", "string", "bool"
    values: Sequence[Any] | np.ndarray


def _attrs_json(rows: list[dict[str, Any]]) -> list[str]:
    return [orjson.dumps(r, option=orjson.OPT_SORT_KEYS).decode() if r else "{}" for r in rows]


def _nullable_u64(values: np.ndarray, present: np.ndarray) -> list[int | None]:
    return [int(v) if p else None for v, p in zip(values.tolist(), present.tolist(), strict=True)]


def table_columns(bundle: Bundle) -> dict[str, list[Column]]:
    """The four tables as columns, shared by the CSV and Parquet writers."""
    s, e, m = bundle.spans, bundle.events, bundle.metrics
    span_attrs = s.attrs.all() if len(s) else []
    event_attrs = e.attrs.all() if len(e) else []
    metric_attrs = m.attrs.all() if len(m) else []
    tables = {
        "spans": [
            Column("line", "int64", s.line.astype(np.int64)),
            Column("trace_id", "string", [s.trace_ids[c] for c in s.trace.tolist()]),
            Column("span_id", "string", [span_hex(v) for v in s.span_id.tolist()]),
            Column("parent_span_id", "string", [span_hex(v) or None for v in s.parent_id.tolist()]),
            Column("name", "string", [s.names[c] for c in s.name.tolist()]),
            Column("start_unix_nanos", "uint64", s.start.astype(np.uint64)),
            Column("end_unix_nanos", "uint64", _nullable_u64(s.end, s.has_end)),
            Column("attrs", "string", _attrs_json(span_attrs)),
        ],
        "events": [
            Column("line", "int64", e.line.astype(np.int64)),
            Column("ts_unix_nanos", "uint64", e.ts.astype(np.uint64)),
            Column("trace_id", "string", [e.trace_ids[c] for c in e.trace.tolist()]),
            Column("span_id", "string", [span_hex(v) or None for v in e.span_id.tolist()]),
            Column("name", "string", [e.names[c] for c in e.name.tolist()]),
            Column("attrs", "string", _attrs_json(event_attrs)),
        ],
        "metrics": [
            Column("line", "int64", m.line.astype(np.int64)),
            Column("ts_unix_nanos", "uint64", m.ts.astype(np.uint64)),
            Column("trace_id", "string", [m.trace_ids[c] for c in m.trace.tolist()]),
            Column("span_id", "string", [span_hex(v) or None for v in m.span_id.tolist()]),
            Column("name", "string", [m.names[c] for c in m.name.tolist()]),
            Column("value", "float64", m.value.astype(np.float64)),
            Column("unit", "string", [m.units[c] if c >= 0 else None for c in m.unit.tolist()]),
            Column("attrs", "string", _attrs_json(metric_attrs)),
        ],
        "materializations": _materialization_columns(bundle),
    }
    return tables


def _materialization_columns(bundle: Bundle) -> list[Column]:
    records = bundle.materializations
    lines = bundle.materialization_lines or [None] * len(records)
    kinds = {"schema_version": "int64", "record_seq": "uint64", "ts_unix_nanos": "uint64", "rows": "uint64",
             "bytes": "uint64", "duration_ms": "uint64", "cache_hit": "bool", "unsafe_surface": "bool"}
    columns = [Column("line", "int64", list(lines))]
    for name in MATERIALIZATION_FIELDS:
        kind = kinds.get(name, "string")
        values = [r.get(name) for r in records]
        if kind == "string":
            values = [v if v is None or isinstance(v, str) else orjson.dumps(v).decode() for v in values]
        columns.append(Column(name, kind, values))
    return columns


def _csv_text(kind: str, value: Any) -> str:
    if value is None:
        return ""
    if kind == "float64":
        return repr(float(value)) if value == value else "NaN"  # shortest exact text; NaN for null
    if kind == "bool":
        return "true" if value else "false"
    return str(value)


def _rows(columns: list[Column]) -> Iterator[list[str]]:
    lists = [c.values.tolist() if isinstance(c.values, np.ndarray) else list(c.values) for c in columns]
    for row in zip(*lists, strict=True):
        yield [_csv_text(c.kind, v) for c, v in zip(columns, row, strict=True)]


def export_csv(root: Path, out: Path, *, cancel: threading.Event | None = None, **_options: object) -> None:
    """``--format csv``: ``DIR/spans.csv``, ``events.csv``, ``metrics.csv``, ``materializations.csv``."""
    tables = table_columns(load_bundle(root, cancel=cancel))
    with atomic_output_dir(Path(out)) as tmp:
        for name, columns in tables.items():
            with open(tmp / f"{name}.csv", "w", newline="", encoding="utf-8") as fh:
                writer = csv.writer(fh, lineterminator="\n")
                writer.writerow([c.name for c in columns])
                writer.writerows(_rows(columns))


def export_parquet(root: Path, out: Path, *, cancel: threading.Event | None = None, **_options: object) -> None:
    """``--format parquet``: the same four tables as Parquet files (zstd)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {"uint64": pa.uint64(), "int64": pa.int64(), "float64": pa.float64(), "string": pa.string(),
             "bool": pa.bool_()}
    tables = table_columns(load_bundle(root, cancel=cancel))
    with atomic_output_dir(Path(out)) as tmp:
        for name, columns in tables.items():
            arrays = [pa.array(c.values, type=types[c.kind]) for c in columns]
            table = pa.Table.from_arrays(arrays, names=[c.name for c in columns])
            pq.write_table(table, tmp / f"{name}.parquet", compression="zstd")
