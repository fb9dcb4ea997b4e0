"""Columnar, streaming loading of spans, events and metrics, and the metric series model."""

from __future__ import annotations

from .ndjson import NdjsonFile, RecordsResult, load_records, parse_ndjson_values
from .tables import AttrColumn, AttrValue, EventTable, MetricTable, SpanTable, empty_table, span_hex

__all__ = [
    "AttrColumn",
    "AttrValue",
    "EventTable",
    "MetricTable",
    "NdjsonFile",
    "RecordsResult",
    "SpanTable",
    "empty_table",
    "load_records",
    "parse_ndjson_values",
    "span_hex",
]
