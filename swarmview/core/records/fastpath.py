"""Vectorized acceptance of records already parsed by orjson (the fast path).

orjson is fast but not upstream's reader (VIEWER_ANCHORS §c): it keeps the last of duplicate keys,
accepts any types, and reads ``-0`` as an integer. The caller only hands us dicts whose re-serialization
is byte-identical to the text (which rules out duplicate keys, whitespace, odd escapes and number
spellings); here we check, a column at a time with set/numpy operations, what re-serialization cannot
prove: exactly the record's keys, value types and ranges, ids (hex, length, non-zero), scalar non-null
attribute values. Rows failing any check are *rejected* and go to the strict decoder, which names the
exact upstream error. Accepted rows become numpy columns plus one compact text blob of their attributes.
Key order is not checked here (it only matters for an info-level NON_CANONICAL_JSON).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import repeat
from operator import attrgetter, is_not, itemgetter
from typing import Any

import numpy as np
import orjson

from swarmview.core.ids import id_error

__all__ = ["KEYS", "FileState", "Interner", "Prepared", "empty_prepared", "merge_prepared", "prepare", "shape_bad"]

SPAN_KEYS = ("schema_version", "trace_id", "span_id", "parent_span_id", "name", "start_unix_nanos",
             "end_unix_nanos", "attrs")  # fmt: skip
EVENT_KEYS = ("schema_version", "ts_unix_nanos", "trace_id", "span_id", "name", "attrs")
METRIC_KEYS = ("schema_version", "ts_unix_nanos", "trace_id", "span_id", "name", "value", "unit", "attrs")
KEYS: dict[str, tuple[str, ...]] = {"spans": SPAN_KEYS, "events": EVENT_KEYS, "metrics": METRIC_KEYS}

NAME_LIMIT, UNIT_LIMIT = 256, 64  # upstream writer limits (§4.5)
U64_MAX = (1 << 64) - 1
U32_MAX = (1 << 32) - 1
_NONE = type(None)
_ZERO16 = "0" * 16
_ODD_VALUE = re.compile(rb":(?:null|\{|\[)")  # a value upstream's AttrValue refuses (or a string holding it)


class Interner:
    """String → int code, shared by every chunk of one file."""

    __slots__ = ("codes", "values")

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}
        self.values: list[str] = []

    def add(self, s: str) -> int:
        c = self.codes.get(s)
        if c is None:
            c = self.codes[s] = len(self.values)
            self.values.append(s)
        return c

    def encode(self, col: Sequence[str]) -> tuple[np.ndarray, list[str]]:
        """Codes for ``col`` (new strings appended), and the strings first seen in this call."""
        try:
            return np.fromiter(map(self.codes.__getitem__, col), np.int32, len(col)), []
        except KeyError:
            pass
        codes = list(map(self.codes.get, col))
        new: list[str] = []
        for i, c in enumerate(codes):
            if c is None:
                s = col[i]
                if s not in self.codes:
                    new.append(s)
                codes[i] = self.add(s)
        return np.array(codes, np.int32), new


@dataclass
class Prepared:
    """Accepted rows of one batch: columns, attribute texts, and what was noticed about them."""

    lines: np.ndarray  # int64, 1-based
    cols: dict[str, np.ndarray]
    blob: bytes  # compact attrs text of every row, joined by ","
    starts: np.ndarray  # row i is blob[starts[i]:starts[i+1]-1]; starts[n] = len(blob) + 1
    overrides: dict[int, dict[str, Any]] = field(default_factory=dict)  # local row → attrs with NaN
    notes: list[tuple[str, int, str]] = field(default_factory=list)  # (code, line, detail)
    noncanonical: list[tuple[int, str]] = field(default_factory=list)  # (line, what)
    new_keys: set[str] = field(default_factory=set)

    def __len__(self) -> int:
        return len(self.lines)


@dataclass
class FileState:
    """Interning tables and seen-sets of one file."""

    traces: Interner = field(default_factory=Interner)
    names: Interner = field(default_factory=Interner)
    units: Interner = field(default_factory=Interner)
    upper_traces: set[str] = field(default_factory=set)
    attr_keys: set[str] = field(default_factory=set)
    long_keys: set[str] = field(default_factory=set)  # attribute keys over 128 bytes (§4.5)


def _types(col: Any) -> set[type]:
    return set(map(type, col))


def _mask(n: int, idx: list[int]) -> np.ndarray:
    m = np.zeros(n, bool)
    if idx:
        m[idx] = True
    return m


def _u_column(col: Sequence[Any], optional: bool, maximum: int) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Unsigned integers: (values with None → 0, present mask or None, bad mask)."""
    n = len(col)
    ts = _types(col)
    present = None
    if optional and _NONE in ts:
        present = np.fromiter(map(is_not, col, repeat(None, n)), bool, n)
        col = [0 if v is None else v for v in col]
        ts.discard(_NONE)
    if ts <= {int}:
        try:
            arr = np.array(col, np.uint64)
            if maximum == U64_MAX or n == 0 or int(arr.max()) <= maximum:
                return arr, present, np.zeros(n, bool)
        except OverflowError:
            pass
    bad = [i for i, v in enumerate(col) if type(v) is not int or not 0 <= v <= maximum]
    arr = np.array([0 if i else v for v, i in zip(col, _mask(n, bad), strict=True)], np.uint64)
    return arr, present, _mask(n, bad)


def _span_ids(col: Sequence[Any], optional: bool, allow_zero: bool) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """16-hex-digit ids → uint64 (None → 0 when optional); bad mask (invalid, or zero unless
    ``allow_zero``: rows the strict decoder already reported, F-09); uppercase rows.

    Vectorized: all ids joined and decoded by one ``bytes.fromhex``; ``None`` becomes 16 zeros, which
    no real id can be (an all-zero id is invalid), so the zeros of the result are the nulls."""
    n = len(col)
    filled: Any = col
    if optional and None in col:
        filled = None if (_ZERO16 in col or "" in col) else [v or _ZERO16 for v in col]
    if filled is not None:
        try:
            s = "".join(filled)
        except TypeError:
            s = ""
        if s.isascii() and len(s) == 16 * n:
            try:
                raw = bytes.fromhex(s)
            except ValueError:
                raw = b""
            if len(raw) == 8 * n:
                arr = np.frombuffer(raw, ">u8").astype(np.uint64)
                bad = np.zeros(n, bool)
                if filled is col and not allow_zero:  # no null in the column: a zero is a real all-zero id
                    bad = arr == 0
                upper = [i for i, v in enumerate(filled) if v != v.lower()] if any(c in s for c in "ABCDEF") else []
                return arr, bad, upper
    vals = np.zeros(n, np.uint64)
    bad = np.zeros(n, bool)
    upper: list[int] = []
    for i, v in enumerate(col):
        if optional and v is None:
            continue
        err = id_error(v, 8) if type(v) is str else "not a string"
        if err is not None and not (allow_zero and err == "all-zero id is invalid"):
            bad[i] = True
            continue
        vals[i] = int(v, 16)
        if v != v.lower():
            upper.append(i)
    return vals, bad, upper


def _trace_ids(col: Sequence[Any], st: FileState, allow_zero: bool) -> tuple[np.ndarray, np.ndarray, list[int]]:
    n = len(col)
    bad = np.zeros(n, bool)
    if not st.upper_traces:
        try:
            return np.fromiter(map(st.traces.codes.__getitem__, col), np.int32, n), bad, []
        except (KeyError, TypeError):
            pass
    if _types(col) != {str}:
        col = [v if type(v) is str else "" for v in col]  # "" fails id_error below
    codes = list(map(st.traces.codes.get, col))
    if None in codes:
        for i, c in enumerate(codes):
            if c is None:
                v = col[i]
                c = st.traces.codes.get(v)  # seen earlier in this loop
                if c is not None:
                    codes[i] = c
                    continue
                err = id_error(v, 16) if type(v) is str else "not a string"
                if err is not None and not (allow_zero and err == "all-zero id is invalid"):
                    bad[i] = True
                    codes[i] = 0
                    continue
                low = v.lower()
                c = st.traces.codes.get(low)
                if c is None:
                    c = st.traces.add(low)
                if low != v:
                    st.upper_traces.add(v)
                    st.traces.codes[v] = c
                codes[i] = c
    upper = [i for i, v in enumerate(col) if v in st.upper_traces] if st.upper_traces else []
    return np.array(codes, np.int32), bad, upper


def _str_column(col: Sequence[Any], optional: bool) -> np.ndarray | None:
    ts = _types(col)
    ok = {str, _NONE} if optional else {str}
    if ts <= ok:
        return None
    return np.fromiter((not (type(v) is str or (optional and v is None)) for v in col), bool, len(col))


def _row_starts(blob: bytes, n: int) -> np.ndarray | None:
    """Offsets of the n objects of ``blob`` (``{..},{..}`` as orjson writes a list of maps), with
    ``starts[n] = len(blob) + 1``; None if the boundaries are ambiguous (a string holding ``},{}``).

    Between rows orjson writes ``},{``; inside a row ``},{`` followed by ``"`` cannot occur (the quote
    would be escaped), and a row's values are scalars, so ``},{`` + ``"``/``}`` is a boundary unless a
    string contains ``},{}`` — detected by the count."""
    b = np.frombuffer(blob, np.uint8)
    cand = np.flatnonzero(b[:-3] == 0x7D) if len(b) > 3 else np.zeros(0, np.int64)
    if len(cand):
        cand = cand[(b[cand + 1] == 0x2C) & (b[cand + 2] == 0x7B) & ((b[cand + 3] == 0x22) | (b[cand + 3] == 0x7D))]
    if len(cand) != n - 1:
        return None
    starts = np.empty(n + 1, np.int64)
    starts[0] = 0
    starts[1:n] = cand + 2
    starts[n] = len(blob) + 1
    return starts


def _attr_blob(col: Sequence[Any]) -> tuple[bytes, np.ndarray]:
    """Compact text of every row's map, one allocation per batch (orjson over-allocates each result,
    about 4 KiB, so per-row ``dumps`` would cost far more memory than the text itself)."""
    blob = orjson.dumps(col)[1:-1]
    starts = _row_starts(blob, len(col))
    if starts is None:
        texts = [orjson.dumps(a) for a in col]
        blob = b",".join(texts)
        starts = np.zeros(len(col) + 1, np.int64)
        np.cumsum(np.fromiter((len(t) + 1 for t in texts), np.int64, len(texts)), out=starts[1:])
    return blob, starts


def _attr_check(col: Sequence[Any], st: FileState, nan_ok: np.ndarray | None, typed: bool = False
                ) -> tuple[np.ndarray, bytes, np.ndarray, dict[int, dict[str, Any]], set[str]]:  # fmt: skip
    """Attribute maps: (bad mask, blob, row starts, NaN overrides, keys first seen). ``typed``: maps
    the typed path decoded, known to hold only scalar values."""
    n = len(col)
    bad = np.zeros(n, bool)
    if not typed and _types(col) != {dict}:
        bad = np.fromiter((type(a) is not dict for a in col), bool, n)
        return bad, b"", np.zeros(0, np.int64), {}, set()
    # the key set only (upstream sorts keys into a BTreeMap: their order in the file changes nothing)
    new_keys = set().union(*col) - st.attr_keys
    blob, starts = _attr_blob(col)
    overrides: dict[int, dict[str, Any]] = {}
    for m in () if typed else _ODD_VALUE.finditer(blob):
        i = int(np.searchsorted(starts, m.start(), side="right")) - 1
        a = col[i]
        vals = a.values()
        if any(v is None or type(v) in (dict, list) for v in vals):
            bad[i] = True
        elif nan_ok is not None and nan_ok[i] and any(type(v) is float and v != v for v in vals):
            overrides[i] = a
    return bad, blob, starts, overrides, new_keys


def _shape_bad(ds: list[Any], keys: tuple[str, ...]) -> np.ndarray | None:
    """None when every row is a dict holding exactly ``keys``."""
    if _types(ds) == {dict} and set(map(len, ds)) == {len(keys)}:
        return None  # the keys themselves are checked by the column extraction (KeyError)
    return np.fromiter((type(d) is not dict or len(d) != len(keys) for d in ds), bool, len(ds))


def _missing_keys(ds: list[dict[str, Any]], keys: tuple[str, ...]) -> np.ndarray:
    return np.fromiter((any(k not in d for k in keys) for d in ds), bool, len(ds))


def shape_bad(ds: list[Any], keys: tuple[str, ...]) -> np.ndarray | None:
    """None when every element is a dict with as many keys as ``keys`` (which ones: see extraction)."""
    return _shape_bad(ds, keys)


def prepare(
    kind: str, ds: list[Any], lines: np.ndarray, st: FileState, nan_ok: np.ndarray | None = None,
    *, shape_checked: bool = False, by_attribute: bool = False,
) -> tuple[Prepared, list[int]]:
    """Accept what can be accepted of ``ds`` (parsed lines ``lines``); return it and the rejected indices.

    ``ds`` holds dicts, or objects with one attribute per key (``by_attribute``: the typed path's
    structs, already known to hold every key).

    ``nan_ok`` marks rows produced by the strict decoder in lenient mode, whose NaN values (read from
    ``null``) are legitimate (F-08); for orjson rows a ``null`` is a rejection (the decoder reports it).
    """
    keys = KEYS[kind]
    idx = np.arange(len(ds))
    rejected: list[int] = []
    bad = None if shape_checked else _shape_bad(ds, keys)
    while True:
        if bad is not None and bad.any():
            rejected.extend(idx[bad].tolist())
            keep = ~bad
            idx = idx[keep]
            ds = [d for d, k in zip(ds, keep, strict=True) if k]
            lines = lines[keep]
            if nan_ok is not None:
                nan_ok = nan_ok[keep]
        result = _try_prepare(kind, ds, lines, st, nan_ok, attrgetter if by_attribute else itemgetter)
        if isinstance(result, Prepared):
            rejected.sort()
            return result, rejected
        bad = result


def _try_prepare(
    kind: str, ds: list[Any], lines: np.ndarray, st: FileState, nan_ok: np.ndarray | None, getter: Any
) -> Prepared | np.ndarray:
    """Columns for ``ds``, or the mask of rows to reject (then nothing is interned for them... except
    trace ids, which are only interned when valid, so retrying is harmless)."""
    n = len(ds)
    keys = KEYS[kind]
    if n == 0:
        return Prepared(lines, {}, b"", np.zeros(1, np.int64))
    try:
        cols = {k: list(map(getter(k), ds)) for k in keys}
    except KeyError:
        return _missing_keys(ds, keys)
    bad = np.zeros(n, bool)
    trusted = nan_ok is not None
    sv = None
    svc = cols["schema_version"]
    if not (_types(svc) == {int} and svc.count(1) == n):
        sv, _, b = _u_column(svc, False, U32_MAX)
        bad |= b
    trace, b, upper = _trace_ids(cols["trace_id"], st, trusted)
    bad |= b
    out: dict[str, np.ndarray] = {"trace": trace}
    if kind == "spans":
        sid, b, up = _span_ids(cols["span_id"], False, trusted)
        bad |= b
        upper += up
        pid, b, up = _span_ids(cols["parent_span_id"], True, trusted)
        bad |= b
        upper += up
        out.update(span_id=sid, parent_id=pid)
        start, _, b = _u_column(cols["start_unix_nanos"], False, U64_MAX)
        bad |= b
        end, present, b = _u_column(cols["end_unix_nanos"], True, U64_MAX)
        bad |= b
        out.update(start=start, end=end, has_end=np.ones(n, bool) if present is None else present)
    else:
        ts, _, b = _u_column(cols["ts_unix_nanos"], False, U64_MAX)
        bad |= b
        sid, b, up = _span_ids(cols["span_id"], True, trusted)
        bad |= b
        upper += up
        out.update(ts=ts, span_id=sid)
    b = _str_column(cols["name"], False)
    if b is not None:
        bad |= b
    if kind == "metrics":
        vals = cols["value"]
        vt = _types(vals)
        if not vt <= {float, int}:
            bad |= np.fromiter((type(v) not in (float, int) for v in vals), bool, n)
        b = _str_column(cols["unit"], True)
        if b is not None:
            bad |= b
    abad, blob, starts, overrides, new_keys = _attr_check(cols["attrs"], st, nan_ok, getter is attrgetter)
    bad |= abad
    if bad.any():
        return bad
    # --- every row is acceptable: intern strings, convert, note bounds and oddities ---
    notes: list[tuple[str, int, str]] = []
    name_codes, new_names = st.names.encode(cols["name"])
    out["name"] = name_codes
    if kind == "metrics":
        vals = cols["value"]
        out["value"] = np.array([float(v) for v in vals] if int in _types(vals) else vals, np.float64)
        units = cols["unit"]
        before = len(st.units.values)
        if _NONE in _types(units):
            ucodes = np.array([-1 if u is None else st.units.add(u) for u in units], np.int32)
        else:
            ucodes, _ = st.units.encode(units)
        out["unit"] = ucodes
        bound_notes(notes, "unit", st.units.values[before:], UNIT_LIMIT, st.units, ucodes, lines)
    bound_notes(notes, "name", new_names, NAME_LIMIT, st.names, name_codes, lines)
    if sv is not None and (int(sv.min()) != 1 or int(sv.max()) != 1):
        for i in np.flatnonzero(sv != 1):
            notes.append(("UNSUPPORTED_SCHEMA_VERSION", int(lines[i]), f"schema_version {int(sv[i])} is not supported (expected 1); read as version 1"))
    st.long_keys.update(k for k in new_keys if len(k.encode()) > 128)
    _attr_bounds(cols["attrs"], starts, lines, st.long_keys, notes)
    st.attr_keys |= new_keys
    noncanonical = [(int(lines[i]), "uppercase id") for i in sorted(set(upper))]
    return Prepared(lines, out, blob, starts, overrides, notes, noncanonical, new_keys)


def bound_notes(notes: list[tuple[str, int, str]], what: str, new: list[str], limit: int, table: Interner,
                codes: np.ndarray, lines: np.ndarray) -> None:  # fmt: skip
    """§4.5 bound of names and units, checked once per string (when first interned) on every row using it."""
    for s in new:
        size = len(s.encode())
        if size > limit:
            for i in np.flatnonzero(codes == table.codes[s]).tolist():
                notes.append(("RECORD_BOUNDS_EXCEEDED", int(lines[i]),
                              f"{what} is {size} bytes (upstream writer limit {limit})"))  # fmt: skip


def _attr_bounds(col: Sequence[dict[str, Any]], starts: np.ndarray, lines: np.ndarray, long_keys: set[str],
                 notes: list[tuple[str, int, str]]) -> None:  # fmt: skip
    """§4.5 bounds (attribute count 64, key 128 bytes, string value 1024 bytes), checked only on rows
    whose text is long enough to break one (upstream's reader checks none, F-30)."""
    lens = np.diff(starts) - 1
    cand = lens > 64 * 6  # 65 attributes or a 1025-byte string cannot fit in fewer bytes
    if long_keys:
        cand |= np.fromiter((not long_keys.isdisjoint(a) for a in col), bool, len(col))
    cand = np.flatnonzero(cand)
    for i in cand.tolist():
        a = col[i]
        if len(a) > 64:
            notes.append(("RECORD_BOUNDS_EXCEEDED", int(lines[i]), f"attribute count {len(a)} exceeds the upstream writer limit 64"))
        for k, v in a.items():
            kb = len(k.encode())
            if kb > 128:
                notes.append(("RECORD_BOUNDS_EXCEEDED", int(lines[i]), f"attribute key {k[:40]!r}… is {kb} bytes (upstream writer limit 128)"))
            if type(v) is str and len(v) > 256:
                vb = len(v.encode())
                if vb > 1024:
                    notes.append(("RECORD_BOUNDS_EXCEEDED", int(lines[i]), f"attribute {k!r} string value is {vb} bytes (upstream writer limit 1024)"))


def empty_prepared() -> Prepared:
    return Prepared(np.zeros(0, np.int64), {}, b"", np.zeros(1, np.int64))


def row_texts(p: Prepared) -> list[bytes]:
    st = p.starts.tolist()
    return [p.blob[st[i] : st[i + 1] - 1] for i in range(len(p))]


def merge_prepared(parts: list[Prepared]) -> Prepared:
    """Interleave batches by line number (fast rows and strict-decoder rows of one block)."""
    parts = [p for p in parts if len(p)]
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return empty_prepared()
    lines = np.concatenate([p.lines for p in parts])
    order = np.argsort(lines, kind="stable")
    cols = {k: np.concatenate([p.cols[k] for p in parts])[order] for k in parts[0].cols}
    texts_all = [t for p in parts for t in row_texts(p)]
    texts = [texts_all[i] for i in order.tolist()]
    starts = np.zeros(len(texts) + 1, np.int64)
    np.cumsum(np.fromiter((len(t) + 1 for t in texts), np.int64, len(texts)), out=starts[1:])
    inv = np.empty_like(order)
    inv[order] = np.arange(len(order))
    overrides: dict[int, dict[str, Any]] = {}
    base = 0
    for p in parts:
        for i, o in p.overrides.items():
            overrides[int(inv[base + i])] = o
        base += len(p)
    return Prepared(
        lines[order], cols, b",".join(texts), starts, overrides,
        [n for p in parts for n in p.notes], [n for p in parts for n in p.noncanonical],
        set().union(*(p.new_keys for p in parts)),
    )  # fmt: skip
