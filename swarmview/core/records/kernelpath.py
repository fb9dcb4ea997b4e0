"""Turning the compiled kernel's output (:mod:`.kernel`) into accepted rows, when numba is installed.

The kernel proves a line's layout and copies its fields; here its names, units, trace ids and
attribute keys are interned (one Python object per distinct string, found by the kernel's two 64-bit
hashes), the lines the kernel marked (floats or long integers in their map, every metric value) are
checked the orjson path's way in one call per block, and §4.5 bound notes are made for new names and
units. ``numba`` is optional: without it (or with ``SWARMVIEW_NO_KERNEL=1``) :func:`available` is
False and blocks take the typed and orjson paths, with the same results (tests compare them).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from types import ModuleType
from typing import Any

import numpy as np
import orjson

from .fastpath import NAME_LIMIT, UNIT_LIMIT, FileState, Interner, Prepared, bound_notes

__all__ = ["MIN_BLOCK_BYTES", "available", "kernel_module", "scan_block"]

#: Blocks smaller than this take the other paths (small files never load numba).
MIN_BLOCK_BYTES = 256 << 10
#: Blocks at least this big are scanned in two halves by two threads.
PARALLEL_MIN_BYTES = 512 << 10


@cache
def kernel_module() -> ModuleType | None:
    """The compiled kernel module, loaded (and, the first time after an install, compiled by numba
    into its cache: about 20 s; later loads read the cache) on first call; None without numba, with
    ``SWARMVIEW_NO_KERNEL=1``, or when it cannot be compiled."""
    if os.environ.get("SWARMVIEW_NO_KERNEL"):
        return None
    try:
        from . import kernel

        _exercise(kernel)
    except Exception:  # numba absent (extra "fast"), unable to cache (a frozen app) or to compile: other paths
        return None
    return kernel


def _exercise(kernel: ModuleType) -> None:
    """Call every entry point once with the argument types of real use, so that all compiling (and
    reading numba's cache) happens here, where a failure only turns the kernel off."""
    u64, i64 = np.uint64, np.int64
    trace = b'"0123456789abcdef0123456789abcdef"'
    kernel.scan("spans", b'{"schema_version":1,"trace_id":' + trace + b',"span_id":"0000000000000001",'
                b'"parent_span_id":null,"name":"n","start_unix_nanos":1,"end_unix_nanos":2,"attrs":{"a":0.5}}\n')
    kernel.scan("metrics", memoryview(b'{"schema_version":1,"ts_unix_nanos":1,"trace_id":' + trace + b',"span_id":null,'
                b'"name":"m","value":0.5,"unit":null,"attrs":{}}\n'))  # fmt: skip
    kernel.groups(np.zeros(2, u64), np.zeros(2, u64))
    kernel.parent_rows(np.zeros(2, i64), np.array([1, 2], u64), np.array([0, 1], u64))
    h = np.zeros(1, u64)
    kernel.series_keys(np.frombuffer(b'{"step":1}', np.uint8), np.zeros(1, i64), np.zeros(1, i64), h, h.copy(),
                       np.zeros(1, i64), np.zeros(1, np.uint8), 0)  # fmt: skip


def available() -> bool:
    """Load the kernel now (see :func:`kernel_module`); False when it is not available."""
    return kernel_module() is not None


def _groups(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (a, b) pairs in order of first appearance: (first row of each, group of each row)."""
    kernel = kernel_module()
    assert kernel is not None
    return kernel.groups(np.ascontiguousarray(a), np.ascontiguousarray(b))


def _intern(block: bytes, pos: np.ndarray, hashes: np.ndarray, table: Interner) -> tuple[np.ndarray, list[str]]:
    """Codes for the strings ``block[pos[i,0]:pos[i,1]]``, grouped by their hash pair (128 bits), and
    the strings first seen here, in order of first appearance."""
    if not len(pos):
        return np.zeros(0, np.int32), []
    first, inv = _groups(hashes[:, 0], hashes[:, 1])
    codes = np.empty(len(first), np.int32)
    new: list[str] = []
    for k, r in enumerate(first.tolist()):
        s = block[int(pos[r, 0]) : int(pos[r, 1])].decode("utf-8")  # the kernel checked UTF-8
        if s not in table.codes:
            new.append(s)
        codes[k] = table.add(s)
    return codes[inv], new


def _traces(hi: np.ndarray, lo: np.ndarray, st: FileState) -> np.ndarray:
    if not len(hi):
        return np.zeros(0, np.int32)
    first, inv = _groups(hi, lo)
    codes = np.empty(len(first), np.int32)
    for k, r in enumerate(first.tolist()):
        codes[k] = st.traces.add(f"{int(hi[r]):016x}{int(lo[r]):016x}")
    return codes[inv]


def _rewrite_same(numbers: bytes) -> bool:
    """Does orjson read the numbers (joined by ",") and re-write the same text?"""
    body = b"[" + numbers + b"]"
    try:
        return orjson.dumps(orjson.loads(body)) == body
    except (orjson.JSONDecodeError, orjson.JSONEncodeError):
        return False


def _maps_rewrite_same(blob: bytes, starts: np.ndarray) -> np.ndarray:
    """For each map of ``blob``: does orjson re-write it to the same text?"""
    st = starts.tolist()
    out = np.zeros(len(st) - 1, bool)
    for k in range(len(out)):
        t = blob[st[k] : st[k + 1] - 1]
        try:
            out[k] = orjson.dumps(orjson.loads(t)) == t
        except (orjson.JSONDecodeError, orjson.JSONEncodeError):
            pass
    return out


def _values(text: bytes, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Metric values (joined by ","): (float64, valid) — valid when orjson reads a number and
    re-writes the same text, the orjson path's criterion."""
    body = b"[" + text + b"]"
    try:
        vals = orjson.loads(body)
        if len(vals) == m and orjson.dumps(vals) == body and all(type(v) in (float, int) for v in vals):
            return np.array(vals, np.float64), np.ones(m, bool)
    except orjson.JSONDecodeError:
        pass
    out = np.zeros(m, np.float64)
    valid = np.zeros(m, bool)
    for k, t in enumerate(text.split(b",")):
        try:
            v = orjson.loads(t)
        except orjson.JSONDecodeError:
            continue
        if type(v) in (float, int) and orjson.dumps(v) == t:
            out[k], valid[k] = float(v), True
    return out, valid


def scan_block(kind: str, block: bytes, first_line: int, st: FileState) -> list[tuple[Prepared, np.ndarray, int]]:
    """The block in one or two parts (two threads scan a big block: the kernel releases the GIL),
    each as (accepted lines, block-relative indices of the part's other lines, its line count); the
    first line of the block is ``first_line``."""
    kernel = kernel_module()
    assert kernel is not None
    mid = block.rfind(b"\n", 0, len(block) // 2) + 1 if len(block) >= PARALLEL_MIN_BYTES and _pool() else 0
    if mid <= 0:
        return [_assemble(kind, block, kernel.scan(kind, block), first_line, st)]
    view = memoryview(block)
    second = _pool().submit(kernel.scan, kind, view[mid:])  # type: ignore[union-attr]
    out_a = kernel.scan(kind, view[:mid])
    out_b = second.result()
    a = _assemble(kind, block, out_a, first_line, st)
    b = _assemble(kind, block, out_b, first_line + a[2], st, base=mid)
    return [a, (b[0], b[1] + a[2], b[2])]


@cache
def _pool() -> ThreadPoolExecutor | None:
    """One helper thread for the second half of big blocks (none on a single core)."""
    return ThreadPoolExecutor(1, thread_name_prefix="swarmview-scan") if (os.cpu_count() or 1) > 1 else None


def _assemble(kind: str, block: bytes, out: Any, first_line: int, st: FileState,
              base: int = 0) -> tuple[Prepared, np.ndarray, int]:  # fmt: skip
    """Interned, checked columns from one kernel output; ``base``: the part's offset in ``block``
    (the kernel's text offsets are relative to the part)."""
    keep = np.ones(len(out.accepted), bool)
    if out.numbers and not _rewrite_same(out.numbers):  # rare: find the maps at fault
        keep = _maps_rewrite_same(out.blob, out.starts)
    values = None
    if kind == "metrics":
        values, valid = _values(out.values, len(out.accepted))
        keep &= valid
    rejected = out.rejected
    blob, starts = out.blob, out.starts
    texts: list[bytes] | None = None
    if not keep.all():  # rare: drop the lines the checks refused, rebuild the text without them
        rejected = np.sort(np.concatenate([rejected, out.accepted[~keep]]))
        st_l = starts.tolist()
        texts = [blob[st_l[i] : st_l[i + 1] - 1] for i in np.flatnonzero(keep).tolist()]
        blob = b",".join(texts)
        starts = np.zeros(len(texts) + 1, np.int64)
        np.cumsum(np.fromiter((len(t) + 1 for t in texts), np.int64, len(texts)), out=starts[1:])
        if values is not None:
            values = values[keep]
    else:
        keep = slice(None)  # type: ignore[assignment]
    u = out.u[keep]
    lines = (first_line + out.accepted[keep]).astype(np.int64)
    notes: list[tuple[str, int, str]] = []
    cols: dict[str, np.ndarray] = {"trace": _traces(u[:, 0], u[:, 1], st), "span_id": u[:, 2].copy()}
    if kind == "spans":
        cols.update(parent_id=u[:, 3].copy(), start=u[:, 4].copy(), end=u[:, 5].copy(),
                    has_end=out.has_end[keep].copy())  # fmt: skip
    else:
        cols["ts"] = u[:, 4].copy()
    name_codes, new_names = _intern(block, out.name[keep] + base, out.name_hash[keep], st.names)
    cols["name"] = name_codes
    if kind == "metrics":
        assert values is not None
        cols["value"] = values
        unit_pos, unit_hash = out.unit[keep], out.unit_hash[keep]
        present = unit_pos[:, 0] >= 0
        ucodes = np.full(len(lines), -1, np.int32)
        got, new_units = _intern(block, unit_pos[present] + base, unit_hash[present], st.units)
        ucodes[present] = got
        cols["unit"] = ucodes
        bound_notes(notes, "unit", new_units, UNIT_LIMIT, st.units, ucodes, lines)
    bound_notes(notes, "name", new_names, NAME_LIMIT, st.names, name_codes, lines)  # after units, as the orjson path
    keys: set[str] = set()
    if texts is not None:  # lines were dropped after the kernel: the keys of the others, from their text
        keys = set().union(*map(orjson.loads, texts))
    elif len(out.key_pos):
        for r in _groups(out.key_hash[:, 0], out.key_hash[:, 1])[0].tolist():
            keys.add(block[base + int(out.key_pos[r, 0]) : base + int(out.key_pos[r, 1])].decode("utf-8"))
    new_keys = keys - st.attr_keys
    st.attr_keys |= new_keys
    return Prepared(lines, cols, blob, starts, {}, notes, [], new_keys), rejected, out.lines
