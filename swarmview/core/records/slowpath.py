"""The slow path: one line through the strict, upstream-exact decoder (``core.jsontext``).

Used only for lines the fast path cannot prove canonical and valid. It answers two questions: what
swarmview reads (lenient: duplicate struct keys keep the last value, ``null`` numbers become NaN,
all-zero ids are kept) and what upstream's ``read_ndjson`` says about the line (its exact serde_json
text, or None if accepted): the strict decoder runs a second time, non-lenient, only when the lenient
pass noted something upstream refuses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from swarmview.core.jsontext.decode import JsonError, decode

__all__ = ["LineError", "Note", "SlowResult", "decode_line", "decode_value"]


@dataclass(frozen=True)
class LineError:
    """Why swarmview cannot read the line: serde text without position, and the 1-based byte column."""

    message: str
    column: int


@dataclass(frozen=True)
class Note:
    """A non-fatal observation (jsontext ``Diagnostic``): kind, key, column, detail."""

    kind: str  # duplicate_field | duplicate_key | unknown_field | nonfinite_null | non_canonical
    key: str | None
    path: str
    column: int
    detail: str


@dataclass
class SlowResult:
    record: dict[str, Any] | None
    error: LineError | None
    upstream: str | None  # serde_json's full text ("… at line 1 column C"), None if upstream reads the line
    notes: list[Note] = field(default_factory=list)


def _schema(kind_or_schema: Any) -> Any:
    if not isinstance(kind_or_schema, str):
        return kind_or_schema
    from swarmview.core.jsontext import types

    return {"spans": types.SPAN_RECORD, "events": types.EVENT_RECORD, "metrics": types.METRIC_RECORD}[kind_or_schema]


def decode_line(kind: str, text: bytes) -> SlowResult:
    """Decode one telemetry line (no newline, valid UTF-8) strictly; see module docstring."""
    return decode_value(_schema(kind), text)


def decode_value(schema: Any, text: bytes) -> SlowResult:
    """Decode one NDJSON line of any upstream type (dataset logs too)."""
    diags: list[Any] = []
    try:
        rec = decode(text, schema, lenient=True, diagnostics=diags)
    except JsonError as e:
        return SlowResult(None, LineError(e.message, e.column), _upstream_text(schema, text) or e.serde_text())
    notes = [Note(d.kind, d.key, d.path, d.column, d.detail) for d in diags]
    upstream = None
    if any(d.kind in ("duplicate_field", "nonfinite_null", "zero_id") for d in diags):
        upstream = _upstream_text(schema, text)
    return SlowResult(rec, None, upstream, notes)


def _upstream_text(schema: Any, text: bytes) -> str | None:
    """Upstream's own reading (non-lenient): where the lenient pass went on, upstream stopped earlier."""
    try:
        decode(text, schema)
    except JsonError as e:
        return e.serde_text()
    return None
