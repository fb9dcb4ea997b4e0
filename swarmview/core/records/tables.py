"""Immutable columnar tables for spans, events and metrics (ARCHITECTURE "Loading").

Numbers and ids live in numpy arrays (span ids as uint64 of their 16 hex digits, 0 = none since an
all-zero id is invalid upstream), strings are interned (codes into a list), and every row keeps the
1-based ``line`` of ``file:line`` it came from. Attributes stay compact: one bytes blob of compact JSON
objects joined by ``,`` plus row offsets, decoded on demand (a 1M-span run would otherwise hold
millions of small dicts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson

__all__ = ["AttrColumn", "AttrValue", "EventTable", "MetricTable", "SpanTable", "empty_table", "span_hex"]

AttrValue = str | bool | int | float


class AttrColumn:
    """Per-row attribute maps, kept as compact JSON text and decoded lazily.

    The text is held in the chunks it was read in (``{..},{..},…``, upstream's compact text of each
    row's map, joined by ``,``), so building the column never copies it: ``first[c]`` is the first row
    of chunk ``c`` (``first[-1]`` = row count), ``starts[i]`` row ``i``'s offset inside its chunk. Rows
    whose values cannot be JSON text (NaN read from ``null``, F-08) are kept in ``overrides``. Values
    come back typed as upstream reads them: ``str``, ``bool``, ``int`` (I64, or U64 above 2**63-1) and
    ``float`` (F64).
    """

    __slots__ = ("_chunks", "_first", "_keys", "_overrides", "_starts")

    def __init__(self, chunks: list[bytes], first: np.ndarray, starts: np.ndarray,
                 overrides: dict[int, dict[str, AttrValue]], keys: list[str]) -> None:  # fmt: skip
        self._chunks = chunks
        self._first = first
        self._starts = starts
        self._overrides = overrides
        self._keys = keys

    def __len__(self) -> int:
        return len(self._starts)

    def _span(self, i: int) -> tuple[bytes, int, int]:
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        c = int(np.searchsorted(self._first, i, side="right")) - 1
        chunk = self._chunks[c]
        a = int(self._starts[i])
        b = int(self._starts[i + 1]) - 1 if i + 1 < int(self._first[c + 1]) else len(chunk)
        return chunk, a, b

    def get(self, i: int) -> dict[str, AttrValue]:
        """Row ``i``'s attributes (a fresh dict, keys in file order)."""
        o = self._overrides.get(i if i >= 0 else i + len(self))
        if o is not None:
            return dict(o)
        chunk, a, b = self._span(i)
        return orjson.loads(chunk[a:b])

    def keys(self) -> list[str]:
        """Every attribute key used by any row, sorted by UTF-8 bytes (= code points)."""
        return list(self._keys)

    def all(self) -> list[dict[str, AttrValue]]:
        """Every row's attributes in one decode (bulk consumers: series, exports)."""
        if not len(self):
            return []
        rows: list[dict[str, AttrValue]] = orjson.loads(b"[" + b",".join(self._chunks) + b"]")
        for i, o in self._overrides.items():
            rows[i] = dict(o)
        return rows

    def texts(self) -> list[bytes]:
        """Every row's compact JSON text, sliced once per row (bulk consumers that key on the text)."""
        out: list[bytes] = []
        first = self._first.tolist()
        starts = self._starts.tolist()
        for c, chunk in enumerate(self._chunks):
            a, b = first[c], first[c + 1]
            offsets = starts[a:b]
            ends = [o - 1 for o in offsets[1:]] + [len(chunk)]
            out.extend(chunk[x:y] for x, y in zip(offsets, ends, strict=True))
        return out

    def chunks(self) -> list[tuple[bytes, int, np.ndarray]]:
        """(text chunk, its first row, the offsets of its rows in it): for scanning the text in bulk."""
        first = self._first.tolist()
        return [(chunk, first[c], self._starts[first[c] : first[c + 1]]) for c, chunk in enumerate(self._chunks)]

    def column(self, key: str) -> list[AttrValue | None]:
        """The value of ``key`` in every row (None where absent)."""
        return [a.get(key) for a in self.all()]

    def text(self, i: int) -> bytes:
        """Row ``i``'s attributes as upstream's compact JSON (NaN written as ``null`` like upstream)."""
        chunk, a, b = self._span(i)
        return chunk[a:b]

    @property
    def nbytes(self) -> int:
        return sum(map(len, self._chunks)) + self._starts.nbytes + self._first.nbytes

    @staticmethod
    def empty() -> AttrColumn:
        return AttrColumn([], np.zeros(1, np.int64), np.zeros(0, np.int32), {}, [])


def span_hex(value: int | np.integer[Any]) -> str:
    """A span id column value back to upstream's 16 lowercase hex digits ("" for 0 = none)."""
    v = int(value)
    return "" if v == 0 else f"{v:016x}"


class _Rows:
    """Row helpers every table shares: length from ``line``, interned name and trace lookups."""

    line: np.ndarray
    name: np.ndarray
    names: list[str]
    trace: np.ndarray
    trace_ids: list[str]

    def __len__(self) -> int:
        return len(self.line)

    def name_of(self, i: int) -> str:
        return self.names[int(self.name[i])]

    def trace_of(self, i: int) -> str:
        return self.trace_ids[int(self.trace[i])]


@dataclass(frozen=True, eq=False)
class SpanTable(_Rows):
    """``spans.ndjson`` in file order. ``end`` is 0 where ``has_end`` is False (unfinished span)."""

    trace: np.ndarray  # int32 codes into trace_ids
    trace_ids: list[str]  # lowercase hex
    span_id: np.ndarray  # uint64
    parent_id: np.ndarray  # uint64, 0 = no parent
    name: np.ndarray  # int32 codes into names
    names: list[str]
    start: np.ndarray  # uint64 ns since epoch
    end: np.ndarray  # uint64
    has_end: np.ndarray  # bool
    line: np.ndarray  # int32, 1-based
    attrs: AttrColumn
    parent_row: np.ndarray | None = None  # int64 row of the parent in the same trace, -1 none or unknown


@dataclass(frozen=True, eq=False)
class EventTable(_Rows):
    """``events.ndjson`` in file order; ``span_id`` 0 = none."""

    ts: np.ndarray  # uint64
    trace: np.ndarray  # int32
    trace_ids: list[str]
    span_id: np.ndarray  # uint64
    name: np.ndarray  # int32
    names: list[str]
    line: np.ndarray  # int32
    attrs: AttrColumn


@dataclass(frozen=True, eq=False)
class MetricTable(_Rows):
    """``metrics.ndjson`` in file order; ``value`` NaN where the file has ``null`` (F-08); ``unit`` -1 = none."""

    ts: np.ndarray  # uint64
    trace: np.ndarray  # int32
    trace_ids: list[str]
    span_id: np.ndarray  # uint64
    name: np.ndarray  # int32
    names: list[str]
    value: np.ndarray  # float64
    unit: np.ndarray  # int32, -1 = none
    units: list[str]
    line: np.ndarray  # int32
    attrs: AttrColumn

    def unit_of(self, i: int) -> str | None:
        u = int(self.unit[i])
        return None if u < 0 else self.units[u]


Table = SpanTable | EventTable | MetricTable


def empty_table(kind: str) -> Table:
    """A table with no rows (absent or unreadable file)."""
    u64, i32 = np.zeros(0, np.uint64), np.zeros(0, np.int32)
    if kind == "spans":
        return SpanTable(i32, [], u64, u64, i32, [], u64, u64, np.zeros(0, bool), i32, AttrColumn.empty())
    if kind == "events":
        return EventTable(u64, i32, [], u64, i32, [], i32, AttrColumn.empty())
    if kind == "metrics":
        return MetricTable(u64, i32, [], u64, i32, [], np.zeros(0, np.float64), i32, [], i32, AttrColumn.empty())
    raise ValueError(f"unknown record kind {kind!r}")
