"""The slow path: one line through the strict, upstream-exact decoder (``core.jsontext``).

Used only for lines the fast path cannot prove canonical and valid. It answers two questions: what
swarmview reads (lenient: duplicate struct keys keep the last value, ``null`` numbers become NaN) and
what upstream's ``read_ndjson`` says about the line (its exact serde_json text, or None if accepted).
While ``jsontext.decode`` is not importable, :func:`_fallback_decode` (stdlib ``json``) stands in with
approximate positions; :data:`STRICT_AVAILABLE` says which one runs.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from swarmview.core.ids import id_error

__all__ = ["STRICT_AVAILABLE", "LineError", "Note", "SlowResult", "decode_line", "decode_value"]


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


try:  # the strict decoder is written in parallel; switch over as soon as it imports
    from swarmview.core.jsontext.decode import JsonError, decode  # type: ignore[import-not-found]

    STRICT_AVAILABLE = True
except ImportError:  # pragma: no cover - depends on the tree state
    STRICT_AVAILABLE = False


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
    if not STRICT_AVAILABLE:
        return _fallback_decode(schema, text)
    diags: list[Any] = []
    try:
        rec = decode(text, schema, lenient=True, diagnostics=diags)
    except JsonError as e:
        return SlowResult(None, LineError(e.message, e.column), e.serde_text())
    notes = [Note(d.kind, d.key, d.path, d.column, d.detail) for d in diags]
    upstream = None
    if any(d.kind in ("duplicate_field", "nonfinite_null", "zero_id") for d in diags):
        try:
            decode(text, schema)
        except JsonError as e:
            upstream = e.serde_text()
    return SlowResult(rec, None, upstream, notes)


# ---------------------------------------------------------------------------------------------
# Fallback (stdlib json): right verdicts for the common cases, approximate columns.


def _byte_col(s: str, pos: int) -> int:
    return len(s[:pos].encode()) + 1


def _fallback_decode(schema: Any, text: bytes) -> SlowResult:
    s = text.decode("utf-8")
    notes: list[Note] = []

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in pairs:
            if k in out:
                notes.append(Note("duplicate_key", k, k, 0, "duplicate key"))
            out[k] = v
        return out

    try:
        obj = json.loads(s, object_pairs_hook=hook, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    except json.JSONDecodeError as e:
        if e.msg.startswith("Unterminated string"):
            err = LineError("EOF while parsing a string", len(text))
        elif e.pos >= len(s):
            err = LineError("EOF while parsing a value", len(text))
        elif e.msg.startswith("Extra data"):
            err = LineError("trailing characters", _byte_col(s, e.pos))
        else:
            err = LineError("expected value", _byte_col(s, e.pos))
        return SlowResult(None, err, f"{err.message} at line 1 column {err.column}", notes)
    except ValueError:
        err = LineError("expected value", 1)
        return SlowResult(None, err, f"{err.message} at line 1 column {err.column}", notes)
    fields = getattr(schema, "fields", ())
    if not isinstance(obj, dict):
        err = LineError(f"invalid type: {type(obj).__name__}, expected struct {getattr(schema, 'name', '?')}", len(text))
        return SlowResult(None, err, f"{err.message} at line 1 column {err.column}", notes)
    upstream: str | None = None
    top_dups = [n for n in notes if n.key in obj and n.key in {f.name for f in fields}]
    for n in notes:
        if n in top_dups:
            notes[notes.index(n)] = Note("duplicate_field", n.key, n.key, 0, "duplicate field")
    if top_dups and upstream is None:
        upstream = f"duplicate field `{top_dups[0].key}` at line 1 column 1"
    rec: dict[str, Any] = {}
    for f in fields:
        kind = getattr(f.schema, "kind", 0)
        inner = getattr(f.schema, "inner", None)
        if f.name not in obj:
            if f.presence == "required":
                err = LineError(f"missing field `{f.name}`", len(text))
                return SlowResult(None, err, f"{err.message} at line 1 column {err.column}", notes)
            rec[f.name] = f.default_value() if f.presence == "default" else None
            continue
        v = obj[f.name]
        col = _byte_col(s, max(s.find(f'"{f.name}":'), 0)) + len(f.name) + 2
        id_schema = f.schema if kind == 10 else inner if kind == 7 and getattr(inner, "kind", 0) == 10 else None
        if id_schema is not None and v is not None:
            msg = id_error(v, id_schema.nbytes) if isinstance(v, str) else "invalid type"
            if msg:
                err = LineError(msg, col)
                return SlowResult(None, err, f"{msg} at line 1 column {col}", notes)
            if v != v.lower():
                notes.append(Note("non_canonical", f.name, f.name, col, "uppercase id"))
            v = v.lower()
        if kind == 4 and v is None:  # F64 null
            notes.append(Note("nonfinite_null", f.name, f.name, col + 3, "null"))
            upstream = upstream or f"invalid type: null, expected f64 at line 1 column {col + 3}"
            v = math.nan
        if kind == 9 and isinstance(v, dict):  # attrs
            for k, av in list(v.items()):
                if av is None:
                    c = _byte_col(s, s.find(f'"{k}":null')) + len(k.encode()) + 6
                    notes.append(Note("nonfinite_null", k, f"{f.name}/{k}", c, "null"))
                    upstream = upstream or f"data did not match any variant of untagged enum AttrValue at line 1 column {c}"
                    v[k] = math.nan
                elif isinstance(av, (dict, list)):
                    err = LineError("data did not match any variant of untagged enum AttrValue", col)
                    return SlowResult(None, err, f"{err.message} at line 1 column {col}", notes)
        if kind == 4 and isinstance(v, int) and not isinstance(v, bool):
            v = float(v)
        rec[f.name] = v
    for k in obj:
        if k not in rec:
            notes.append(Note("unknown_field", k, k, 0, "unknown field"))
    return SlowResult(rec, None, upstream, notes)
