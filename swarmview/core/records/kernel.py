"""Compiled scanning of records in upstream's exact line layout (needs the optional ``numba``).

Upstream writes every telemetry line the same way: the struct's keys in declaration order, compact,
ids as lowercase hex, integers without leading zeros, attribute maps sorted by key (§2, §4). This
kernel walks each line of a block once, byte by byte, and accepts it only when it can prove that form:

- the fixed key text between fields, byte for byte (so no key is missing, repeated, unknown or
  reordered, and there is no whitespace), then the record's closing brace and the newline;
- ids of exactly 16/32 lowercase hex digits, not all zero; unsigned integers without a leading zero
  that fit in 64 bits;
- strings without a backslash or a control character (so their text is canonical as it stands) and
  valid UTF-8;
- attribute maps of at most 384 bytes (longer ones may break a §4.5 bound, which the other paths
  report) whose keys strictly increase (sorted, no duplicates) and whose values are strings, ``true``,
  ``false`` or numbers. Integers of up to 18 digits are canonical as they stand; any other number
  (a float, a longer integer) is copied out, and the caller accepts the block only if orjson reads
  and re-writes all of them to the same text, which is the orjson path's own criterion. Metric
  values are handed to the caller the same way.

It copies what it accepts into compact outputs: numeric columns, offsets and two independent 64-bit
hashes of names, units and attribute keys (for interning without a Python object per line), the
attribute text joined by ``,`` and the metric value text joined by ``,``. Every other line is listed
as rejected and goes through the typed, orjson and strict paths (:mod:`.ndjson`), which name the exact
problem. The kernel releases the GIL.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

__all__ = ["KIND_CODES", "KernelOut", "groups", "parent_rows", "scan", "series_keys"]

KIND_CODES = {"spans": 0, "events": 1, "metrics": 2}

# u columns
TRACE_HI, TRACE_LO, SPAN, PARENT, TIME, END = range(6)

_T_SPAN0 = b'{"schema_version":1,"trace_id":'
_T_EVENT0 = b'{"schema_version":1,"ts_unix_nanos":'
_TOKENS = [
    _T_SPAN0, b',"span_id":', b',"parent_span_id":', b',"name":', b',"start_unix_nanos":',
    b',"end_unix_nanos":', b',"attrs":',  # 0-6: spans
    _T_EVENT0, b',"trace_id":', b',"value":', b',"unit":',  # 7-10
]  # fmt: skip
_TOKS = np.frombuffer(b"".join(_TOKENS), np.uint8).copy()
_TOK_AT = np.cumsum([0] + [len(t) for t in _TOKENS]).astype(np.int64)
_ATTRS_MAX = 384
_KEY_MAX = 128
_U64_MAX = np.uint64(0xFFFFFFFFFFFFFFFF)
_FNV1 = np.uint64(0xCBF29CE484222325)
_FNV2 = np.uint64(0x84222325CBF29CE4)
_P1 = np.uint64(0x100000001B3)
_P2 = np.uint64(0x9E3779B97F4A7C15)


class KernelOut(NamedTuple):
    lines: int  # lines in the block
    accepted: np.ndarray  # int64: block line index of each accepted line, in order
    rejected: np.ndarray  # int64: block line index of every other line
    u: np.ndarray  # uint64 [m, 6]: trace hi/lo, span id, parent id (0 = none), start or ts, end
    has_end: np.ndarray  # bool [m]
    name: np.ndarray  # int64 [m, 2]: name offsets in the block
    name_hash: np.ndarray  # uint64 [m, 2]
    unit: np.ndarray  # int64 [m, 2]: unit offsets (-1 = null)
    unit_hash: np.ndarray  # uint64 [m, 2]
    blob: bytes  # the accepted maps joined by ","
    starts: np.ndarray  # int64 [m + 1]: row i is blob[starts[i]:starts[i+1]-1]
    values: bytes  # metric value texts joined by ","
    numbers: bytes  # the attribute numbers other than short canonical integers, joined by ","
    key_pos: np.ndarray  # int64 [k, 2]: attribute key offsets in the block
    key_hash: np.ndarray  # uint64 [k, 2]


@njit(cache=True, nogil=True, inline="always")
def _tok(buf, i, e, k):
    a = _TOK_AT[k]
    n = _TOK_AT[k + 1] - a
    if i < 0 or i + n > e:
        return -1
    for j in range(n):
        if buf[i + j] != _TOKS[a + j]:
            return -1
    return i + n


@njit(cache=True, nogil=True, inline="always")
def _hex(buf, i, e, nd, out, r, col):
    """A quoted id of nd lowercase hex digits at i into out[r, col] (and col+1 for 32): end or -1."""
    if i < 0 or i + nd + 2 > e or buf[i] != 34 or buf[i + nd + 1] != 34:
        return -1
    hi = np.uint64(0)
    lo = np.uint64(0)
    for j in range(nd):
        c = buf[i + 1 + j]
        if 48 <= c <= 57:
            v = np.uint64(c - 48)
        elif 97 <= c <= 102:
            v = np.uint64(c - 87)
        else:
            return -1
        if j < 16:
            hi = (hi << np.uint64(4)) | v
        else:
            lo = (lo << np.uint64(4)) | v
    if hi == 0 and lo == 0:
        return -1
    out[r, col] = hi
    if nd == 32:
        out[r, col + 1] = lo
    return i + nd + 2


@njit(cache=True, nogil=True, inline="always")
def _uint(buf, i, e, out, r, col):
    """A canonical u64 at i into out[r, col]: end or -1."""
    if i < 0 or i >= e:
        return -1
    j = i
    v = np.uint64(0)
    while j < e and 48 <= buf[j] <= 57:
        d = np.uint64(buf[j] - 48)
        if v > (_U64_MAX - d) // np.uint64(10):
            return -1
        v = v * np.uint64(10) + d
        j += 1
    if j == i or (buf[i] == 48 and j - i > 1):
        return -1
    out[r, col] = v
    return j


@njit(cache=True, nogil=True, inline="always")
def _is_null(buf, i, e):
    return 0 <= i and i + 4 <= e and buf[i] == 110 and buf[i + 1] == 117 and buf[i + 2] == 108 and buf[i + 3] == 108


@njit(cache=True, nogil=True)
def _string(buf, i, e, hashes, r, want):
    """A quoted string at i without backslash or control character, valid UTF-8: end or -1; its two
    hashes into hashes[r] when ``want``."""
    if i < 0 or i >= e or buf[i] != 34:
        return -1
    h1 = _FNV1
    h2 = _FNV2
    j = i + 1
    while j < e:
        c = buf[j]
        if c == 34:
            if want:
                hashes[r, 0] = h1 ^ np.uint64(j - i)
                hashes[r, 1] = h2
            return j + 1
        if c < 32 or c == 92:
            return -1
        if c >= 0x80:  # one UTF-8 sequence, checked and hashed
            if 0xC2 <= c <= 0xDF:
                n, lo, hi = 1, 0x80, 0xBF
            elif c == 0xE0:
                n, lo, hi = 2, 0xA0, 0xBF
            elif c == 0xED:
                n, lo, hi = 2, 0x80, 0x9F
            elif 0xE1 <= c <= 0xEF:
                n, lo, hi = 2, 0x80, 0xBF
            elif c == 0xF0:
                n, lo, hi = 3, 0x90, 0xBF
            elif 0xF1 <= c <= 0xF3:
                n, lo, hi = 3, 0x80, 0xBF
            elif c == 0xF4:
                n, lo, hi = 3, 0x80, 0x8F
            else:
                return -1
            if j + n >= e or not lo <= buf[j + 1] <= hi:
                return -1
            for k in range(2, n + 1):
                if not 0x80 <= buf[j + k] <= 0xBF:
                    return -1
            if want:
                for k in range(n + 1):
                    b = np.uint64(buf[j + k])
                    h1 = (h1 ^ b) * _P1
                    h2 = (h2 + b + np.uint64(1)) * _P2
            j += n + 1
            continue
        if want:
            b = np.uint64(c)
            h1 = (h1 ^ b) * _P1
            h2 = (h2 + b + np.uint64(1)) * _P2
        j += 1
    return -1


@njit(cache=True, nogil=True, inline="always")
def _number(buf, i, e):
    """A JSON number token at i: (end or -1, 1 when it is not a canonical integer of ≤ 18 digits)."""
    j = i
    while j < e and (48 <= buf[j] <= 57 or buf[j] == 46 or buf[j] == 101 or buf[j] == 69 or buf[j] == 43
                     or buf[j] == 45):  # fmt: skip
        j += 1
    if j == i:
        return -1, 0
    a = i + 1 if buf[i] == 45 else i
    n = j - a
    simple = 1 <= n <= 18
    for k in range(a, j):
        if not 48 <= buf[k] <= 57:
            simple = False
    if simple and buf[a] == 48 and (n > 1 or a > i):  # leading zero, or -0
        simple = False
    return j, 0 if simple else 1


@njit(cache=True, nogil=True, inline="always")
def _greater(buf, a1, e1, a2, e2):
    """buf[a2:e2] > buf[a1:e1] bytewise (Rust String order)."""
    n = min(e1 - a1, e2 - a2)
    for k in range(n):
        if buf[a2 + k] != buf[a1 + k]:
            return buf[a2 + k] > buf[a1 + k]
    return e2 - a2 > e1 - a1


@njit(cache=True, nogil=True)
def _attrs(buf, i, e, kpos, khash, kp, nums, npos):
    """An attribute map at i: (end or -1, keys written from kp, numbers written from npos). Numbers
    that are not short canonical integers are copied to ``nums``, each followed by ",", for the caller."""
    if i < 0 or i >= e or buf[i] != 123:
        return -1, kp, npos
    start = i
    i += 1
    if i < e and buf[i] == 125:
        return i + 1, kp, npos
    first = kp
    while True:
        k_end = _string(buf, i, e, khash, kp, True)
        if k_end < 0 or k_end - i - 2 > _KEY_MAX:
            return -1, first, 0
        kpos[kp, 0] = i + 1
        kpos[kp, 1] = k_end - 1
        if kp > first and not _greater(buf, kpos[kp - 1, 0], kpos[kp - 1, 1], i + 1, k_end - 1):
            return -1, first, 0
        kp += 1
        i = k_end
        if i >= e or buf[i] != 58:
            return -1, first, 0
        i += 1
        if i >= e:
            return -1, first, 0
        c = buf[i]
        if c == 34:
            i = _string(buf, i, e, khash, kp, False)
        elif c == 116:
            i = i + 4 if i + 4 <= e and buf[i + 1] == 114 and buf[i + 2] == 117 and buf[i + 3] == 101 else -1
        elif c == 102:
            ok = i + 5 <= e and buf[i + 1] == 97 and buf[i + 2] == 108 and buf[i + 3] == 115 and buf[i + 4] == 101
            i = i + 5 if ok else -1
        elif c == 45 or 48 <= c <= 57:
            at = i
            i, odd = _number(buf, i, e)
            if odd and i > 0:
                for k in range(at, i):
                    nums[npos] = buf[k]
                    npos += 1
                nums[npos] = 44
                npos += 1
        else:
            return -1, first, 0
        if i < 0 or i >= e:
            return -1, first, 0
        if buf[i] == 44:
            i += 1
            continue
        if buf[i] == 125:
            i += 1
            break
        return -1, first, 0
    if i - start > _ATTRS_MAX:
        return -1, first, npos
    return i, kp, npos


@njit(cache=True, nogil=True)
def _scan(buf, kind, accepted, rejected, u, has_end, name, name_hash, unit, unit_hash, blob, starts,
          values, kpos, khash, nums):  # fmt: skip
    m = 0
    nrej = 0
    bp = 0
    vp = 0
    kp = 0
    npos = 0
    line = 0
    s = 0
    size = len(buf)
    while s < size:
        # fields are parsed up to the end of the block: a newline ends every token, string and number,
        # so a field that would cross it fails, and the line is accepted only if "\n" follows its "}"
        e = size
        i = s
        has_end[m] = True
        unit[m, 0] = -1
        unit[m, 1] = -1
        u[m, PARENT] = 0
        u[m, END] = 0
        v_at = -1
        v_end = -1
        if kind == 0:  # the ids, then the name
            i = _hex(buf, _tok(buf, i, e, 0), e, 32, u, m, TRACE_HI)
            i = _hex(buf, _tok(buf, i, e, 1), e, 16, u, m, SPAN)
            i = _tok(buf, i, e, 2)
            if _is_null(buf, i, e):
                i += 4
            else:
                i = _hex(buf, i, e, 16, u, m, PARENT)
        else:  # the time and the ids, then the name
            i = _uint(buf, _tok(buf, i, e, 7), e, u, m, TIME)
            i = _hex(buf, _tok(buf, i, e, 8), e, 32, u, m, TRACE_HI)
            i = _tok(buf, i, e, 1)
            if _is_null(buf, i, e):
                i += 4
                u[m, SPAN] = 0
            else:
                i = _hex(buf, i, e, 16, u, m, SPAN)
        n_at = _tok(buf, i, e, 3)
        n_end = _string(buf, n_at, e, name_hash, m, True)
        i = n_end
        if kind == 0:  # start and end
            i = _uint(buf, _tok(buf, i, e, 4), e, u, m, TIME)
            i = _tok(buf, i, e, 5)
            if _is_null(buf, i, e):
                i += 4
                has_end[m] = False
            else:
                i = _uint(buf, i, e, u, m, END)
        elif kind == 2:  # value and unit
            v_at = _tok(buf, i, e, 9)
            i = v_at
            if v_at >= 0:
                i, _ = _number(buf, v_at, e)
                v_end = i
            i = _tok(buf, i, e, 10)
            if _is_null(buf, i, e):
                i += 4
            else:
                u_at = i
                i = _string(buf, i, e, unit_hash, m, True)
                if i >= 0:
                    unit[m, 0] = u_at + 1
                    unit[m, 1] = i - 1
        a_at = _tok(buf, i, e, 6)
        a_end, kp_new, np_new = _attrs(buf, a_at, e, kpos, khash, kp, nums, npos)
        if a_end >= 0 and a_end + 1 < size and buf[a_end] == 125 and buf[a_end + 1] == 10 and n_end >= 0:
            name[m, 0] = n_at + 1
            name[m, 1] = n_end - 1
            starts[m] = bp
            for k in range(a_at, a_end):
                blob[bp] = buf[k]
                bp += 1
            blob[bp] = 44
            bp += 1
            if v_at >= 0:
                for k in range(v_at, v_end):
                    values[vp] = buf[k]
                    vp += 1
                values[vp] = 44
                vp += 1
            kp = kp_new
            npos = np_new
            accepted[m] = line
            m += 1
            s = a_end + 2
        else:
            rejected[nrej] = line
            nrej += 1
            while buf[s] != 10:  # the block ends with "\n"
                s += 1
            s += 1
        line += 1
    starts[m] = bp
    return m, nrej, bp, vp, kp, npos


@njit(cache=True, nogil=True)
def _count_lines(buf):
    n = 0
    for c in buf:
        n += c == 10
    return n


@njit(cache=True, nogil=True)
def groups(a, b):
    """Distinct (a, b) pairs in order of first appearance: (first row of each, group of each row);
    open addressing on ``a`` (a hash already), pairs compared whole."""
    m = len(a)
    cap = 16
    while cap < 2 * m:
        cap *= 2
    slot_row = np.full(cap, -1, np.int64)
    slot_group = np.empty(cap, np.int64)
    first = np.empty(m, np.int64)
    inv = np.empty(m, np.int64)
    ng = 0
    mask = np.uint64(cap - 1)
    for r in range(m):
        h = np.int64((a[r] ^ (a[r] >> np.uint64(29))) & mask)
        while True:
            q = slot_row[h]
            if q < 0:
                slot_row[h] = r
                slot_group[h] = ng
                first[ng] = r
                inv[r] = ng
                ng += 1
                break
            if a[q] == a[r] and b[q] == b[r]:
                inv[r] = slot_group[h]
                break
            h = (h + 1) & (cap - 1)
    return first[:ng], inv


def scan(kind: str, block: bytes) -> KernelOut:
    """Scan ``block`` (complete lines, each ending with ``\\n``)."""
    buf = np.frombuffer(block, np.uint8)
    n = _count_lines(buf)
    size = len(block)
    accepted = np.empty(n, np.int64)
    rejected = np.empty(n, np.int64)
    u = np.zeros((n + 1, 6), np.uint64)
    has_end = np.ones(n + 1, np.bool_)
    name = np.zeros((n + 1, 2), np.int64)
    name_hash = np.zeros((n + 1, 2), np.uint64)
    unit = np.full((n + 1, 2), -1, np.int64)
    unit_hash = np.zeros((n + 1, 2), np.uint64)
    blob = np.empty(size + 1, np.uint8)
    starts = np.zeros(n + 1, np.int64)
    values = np.empty(size + 1 if kind == "metrics" else 1, np.uint8)
    kcap = size // 4 + 2  # a key and its value take at least 4 bytes ("":0)
    kpos = np.empty((kcap, 2), np.int64)
    khash = np.empty((kcap, 2), np.uint64)
    nums = np.empty(size + 1, np.uint8)
    m, nrej, bp, vp, kp, npos = _scan(buf, KIND_CODES[kind], accepted, rejected, u, has_end, name, name_hash, unit,
                                      unit_hash, blob, starts, values, kpos, khash, nums)  # fmt: skip
    return KernelOut(n, accepted[:m], rejected[:nrej], u[:m], has_end[:m], name[:m], name_hash[:m], unit[:m],
                     unit_hash[:m], blob[: max(bp - 1, 0)].tobytes(), starts[: m + 1],
                     values[: max(vp - 1, 0)].tobytes(), nums[: max(npos - 1, 0)].tobytes(), kpos[:kp],
                     khash[:kp])  # fmt: skip


@njit(cache=True, nogil=True)
def series_keys(chunk, starts, names, h1, h2, step, flag, row0):
    """Metric series identity of rows ``row0 + k`` whose attribute texts start at ``starts[k]`` in
    ``chunk`` (the last one runs to its end): two hashes of (name, the text without its integer
    ``"step"`` entry), the step, and a flag (0 no integer step, 1 step read, 2 a step too long for
    int64: the caller reads that run in Python). The same text surgery as ``series._split_step``."""
    n = len(starts)
    size = len(chunk)
    for k in range(n):
        a = starts[k]
        e = starts[k + 1] - 1 if k + 1 < n else size
        r = row0 + k
        p = -1
        b = -1
        v = 0
        f = 0
        j = a
        while j + 7 <= e:
            if (chunk[j] == 34 and chunk[j + 1] == 115 and chunk[j + 2] == 116 and chunk[j + 3] == 101
                    and chunk[j + 4] == 112 and chunk[j + 5] == 34 and chunk[j + 6] == 58):  # "step":
                q = j + 7
                neg = q < e and chunk[q] == 45
                if neg:
                    q += 1
                d0 = q
                while q < e and 48 <= chunk[q] <= 57:
                    q += 1
                if q > d0 and q < e and (chunk[q] == 44 or chunk[q] == 125):
                    p = j
                    b = q
                    if q - d0 > 18:
                        f = 2
                    else:
                        f = 1
                        for t in range(d0, q):
                            v = v * 10 + (chunk[t] - 48)
                        if neg:
                            v = -v
                    break
            j += 1
        x1 = _FNV1 ^ (np.uint64(names[r]) * _P2)
        x2 = _FNV2 + np.uint64(names[r])
        if p < 0:
            s1, e1, s2, e2 = a, e, e, e
        elif chunk[b] == 44:
            s1, e1, s2, e2 = a, p, b + 1, e
        elif chunk[p - 1] == 44:
            s1, e1, s2, e2 = a, p - 1, b, e
        else:
            s1, e1, s2, e2 = a, p, b, e
        for t in range(s1, e1):
            c = np.uint64(chunk[t])
            x1 = (x1 ^ c) * _P1
            x2 = (x2 + c + np.uint64(1)) * _P2
        for t in range(s2, e2):
            c = np.uint64(chunk[t])
            x1 = (x1 ^ c) * _P1
            x2 = (x2 + c + np.uint64(1)) * _P2
        h1[r] = x1 ^ np.uint64((e1 - s1) + (e2 - s2))
        h2[r] = x2
        step[r] = v
        flag[r] = f


@njit(cache=True, nogil=True)
def parent_rows(trace, sid, pid):
    """Row of each span's parent within its trace (-1 when none or unknown): a hash join on
    (trace, span id); a duplicate id resolves to its first row, as in ``parents.parent_rows``."""
    n = len(sid)
    cap = 16
    while cap < 2 * n:
        cap *= 2
    mask = np.uint64(cap - 1)
    table = np.full(cap, -1, np.int64)
    mix = np.uint64(0x9E3779B97F4A7C15)
    for r in range(n):
        key = sid[r] ^ (np.uint64(trace[r]) * mix)
        h = np.int64(((key ^ (key >> np.uint64(31))) * _P1) & mask)
        while True:
            q = table[h]
            if q < 0:
                table[h] = r
                break
            if sid[q] == sid[r] and trace[q] == trace[r]:
                break  # keep the first row of a duplicate id
            h = (h + 1) & (cap - 1)
    out = np.full(n, -1, np.int64)
    for r in range(n):
        if pid[r] == 0:
            continue
        key = pid[r] ^ (np.uint64(trace[r]) * mix)
        h = np.int64(((key ^ (key >> np.uint64(31))) * _P1) & mask)
        while True:
            q = table[h]
            if q < 0:
                break
            if sid[q] == pid[r] and trace[q] == trace[r]:
                out[r] = q
                break
            h = (h + 1) & (cap - 1)
    return out
