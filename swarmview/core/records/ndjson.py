"""Streaming NDJSON reading exactly as upstream splits lines (§16.2), with per-line recovery (F-10).

The verifier feeds the same 1 MiB chunks it hashes; chunk boundaries may fall anywhere, including
inside a UTF-8 sequence or between ``\\r`` and ``\\n``. Complete lines of a chunk are parsed as one
block by orjson (``[`` + lines joined by ``,`` + ``]``) and accepted when the block re-serializes to
the same bytes (fast path, :mod:`.fastpath`); otherwise line by line, and any line that is not
provably canonical and valid goes to the strict decoder (:mod:`.slowpath`).
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import orjson

from swarmview.core.findings import Finding

from . import kernelpath
from .assemble import build_table, check_parents
from .fastpath import KEYS, FileState, Prepared, empty_prepared, merge_prepared, prepare, shape_bad
from .notes import FileNotes
from .slowpath import SlowResult, decode_line, decode_value
from .tables import SpanTable, Table
from .typed import decode_block, serde_differs

__all__ = ["RUST_WHITESPACE", "NdjsonFile", "RecordsResult", "load_records", "parse_ndjson_values"]

Kind = Literal["spans", "events", "metrics"]

#: Rust ``char::is_whitespace`` (Unicode White_Space), what ``str::trim`` strips (§16.2).
RUST_WHITESPACE = ("\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
                   "\u2009\u200a\u2028\u2029\u202f\u205f\u3000")  # fmt: skip
UTF8_MESSAGE = "stream did not contain valid UTF-8"
_ID_MESSAGES = ("invalid id length", "invalid hex in id")


@dataclass
class RecordsResult:
    table: Table
    findings: list[Finding]
    upstream_error: str | None  # load.rs's message for this file, None when upstream reads it all
    slow_lines: int = 0  # lines that needed the strict decoder (diagnostics, benchmarks)
    stats: dict[str, int] = field(default_factory=dict)


def _is_blank(text: str) -> bool:
    return not text.strip(RUST_WHITESPACE)


class NdjsonFile:
    """Streaming reader of one telemetry file: ``feed`` chunks in file order, then ``close``."""

    def __init__(self, kind: Kind, path: str, *, max_line_bytes: int = 64 << 20) -> None:
        if kind not in KEYS:
            raise ValueError(f"unknown record kind {kind!r}")
        self.kind = kind
        self.path = path
        self.max_line_bytes = max_line_bytes
        self._st = FileState()
        self._parts: list[Prepared] = []
        self._notes = FileNotes(path)
        self._carry: list[bytes] = []
        self._carry_len = 0
        self._carry_start = 0  # file offset of the current (incomplete) line
        self._too_long = False  # the current line already exceeds max_line_bytes: bytes dropped
        self._line = 0  # lines completed so far
        self._upstream: str | None = None
        self._upstream_line = 0
        self._slow = 0
        self._result: RecordsResult | None = None

    # ---- streaming ----------------------------------------------------------------------
    def feed(self, chunk: bytes) -> None:
        if self._result is not None:
            raise ValueError(f"{self.path}: feed() after close()")
        if not chunk:
            return
        chunk = bytes(chunk)
        nl = chunk.rfind(b"\n")
        if nl < 0:
            self._extend(chunk)
            return
        start = 0
        if self._too_long:
            first = chunk.find(b"\n")
            self._extend(chunk[:first])
            self._end_carried_line()
            start = first + 1
        if start <= nl:
            block = chunk[start : nl + 1]
            if self._carry_len:  # the carried start of a line joins this block (one parse, not two)
                block = b"".join([*self._carry, block])
                self._carry, self._carry_len = [], 0
            self._block(block, self._carry_start)
            self._carry_start += len(block)
        tail = chunk[nl + 1 :]
        if tail:
            self._extend(tail)

    def _extend(self, data: bytes) -> None:
        if self._too_long:
            self._carry_len += len(data)
            return
        self._carry.append(data)
        self._carry_len += len(data)
        if self._carry_len > self.max_line_bytes + 1:  # +1: a final \r is not part of the line
            self._too_long = True
            self._carry = []

    def _end_carried_line(self, newline: bool = True) -> None:
        data = b"".join(self._carry)
        length = self._carry_len
        self._carry, self._carry_len = [], 0
        self._line += 1
        no, start = self._line, self._carry_start
        self._carry_start += length + (1 if newline else 0)
        if self._too_long:
            self._too_long = False
            self._notes.add("LINE_TOO_LONG", no, f"line longer than {self.max_line_bytes} bytes")
            return
        self._lines([(no, start, data)], torn=not newline)

    def close(self) -> RecordsResult:
        if self._result is not None:
            return self._result
        if self._carry_len or self._too_long:
            self._end_carried_line(newline=False)
        table = build_table(self.kind, self._parts, self._st)
        self._parts = []
        if isinstance(table, SpanTable):
            check_parents(table, self._notes)
        self._result = RecordsResult(table, self._notes.findings(), self._upstream, self._slow,
                                     {"lines": self._line, "rows": len(table)})  # fmt: skip
        return self._result

    # ---- blocks of complete lines -------------------------------------------------------
    def _block(self, block: bytes, offset: int) -> None:
        """``block`` ends with ``\\n`` and holds only complete lines: scanned by the compiled kernel when
        it is available and the block is big (:mod:`.kernelpath`), otherwise parsed in ~BLOCK_BYTES pieces."""
        if (len(block) >= kernelpath.MIN_BLOCK_BYTES and len(block) <= self.max_line_bytes and b"\r" not in block
                and kernelpath.available() and self._kernel_block(block, offset)):  # fmt: skip
            return
        joined = memoryview(block.replace(b"\n", b","))  # one copy for all pieces
        has_cr = b"\r" in block
        pos = 0
        while pos < len(block):
            end = block.rfind(b"\n", pos, pos + BLOCK_BYTES)
            if end < 0:
                end = block.find(b"\n", pos + BLOCK_BYTES)
            self._piece(block, joined, has_cr, pos, end + 1, offset + pos)
            pos = end + 1

    def _kernel_block(self, block: bytes, offset: int) -> bool:
        """The kernel path; False (the block is left to the others) when most lines are not in
        upstream's layout, where parsing whole pieces is the faster way."""
        first = self._line + 1
        parts = kernelpath.scan_block(self.kind, block, first, self._st)
        n = sum(p[2] for p in parts)
        if sum(len(p[1]) for p in parts) * 4 > n + 4:
            return False
        self._line += n
        bounds: tuple[list[int], list[int]] | None = None  # line starts and ends, found once if needed
        for prep, rejected, _ in parts:
            if len(rejected):
                if bounds is None:
                    ends = np.flatnonzero(np.frombuffer(block, np.uint8) == 0x0A)
                    bounds = (np.concatenate(([0], ends[:-1] + 1)).tolist(), ends.tolist())
                starts, ends_l = bounds
                items = [(first + i, offset + starts[i], block[starts[i] : ends_l[i]]) for i in rejected.tolist()]
                rest = self._lines_prepared(items, torn=False)
                if rest is not None:
                    prep = merge_prepared([prep, rest])
            self._commit(prep)
        return True

    def _piece(self, block: bytes, joined: memoryview, has_cr: bool, a: int, b: int, offset: int) -> None:
        """Lines ``block[a:b]`` (``b`` just after a newline); ``joined`` is the block with ``,`` for ``\\n``."""
        n = block.count(b"\n", a, b)
        first = self._line + 1
        if b - a - 1 <= self.max_line_bytes:
            crlf = block.count(b"\r\n", a, b) if has_cr else 0
            if not crlf and self._fast(joined[a:b], _aligned(block, a, b, n), n, first,
                                       lambda: block[a : b - 1].split(b"\n")):  # fmt: skip
                self._line += n
                return
            if crlf:  # CRLF endings (upstream strips the \r): the same fast path on the text without them
                plain = block[a:b].replace(b"\r\n", b"\n")
                if b"\r" not in plain and self._fast(memoryview(plain.replace(b"\n", b",")),
                                                      _aligned(plain, 0, len(plain), n), n, first,
                                                      lambda: plain[:-1].split(b"\n")):  # fmt: skip
                    at = block.find(b"\r\n", a, b)
                    self._notes.coalesce("NON_CANONICAL_JSON", first + block.count(b"\n", a, at), "CRLF line ending",
                                         crlf)  # fmt: skip
                    self._line += n
                    return
        items = []
        pos = offset
        for k, text in enumerate(block[a : b - 1].split(b"\n")):
            items.append((first + k, pos, text))
            pos += len(text) + 1
        self._line += n
        self._lines(items, torn=False)

    def _fast(self, joined: memoryview, aligned: bool, n: int, first: int, texts: Any) -> bool:
        """One typed (or orjson) call for the n lines; False (nothing done) unless the text is provably
        theirs (``aligned``: no line holds ``},{``, see :func:`_aligned`)."""
        if not aligned:
            return False
        txt = bytearray(len(joined) + 1)
        txt[0] = 0x5B  # "["
        txt[1:] = joined
        txt[-1] = 0x5D  # "]" over the last line's ","
        lines = np.arange(first, first + n, dtype=np.int64)
        got = self._typed(txt, n, lines)
        if got is None:
            try:
                ds = orjson.loads(txt)
            except orjson.JSONDecodeError:
                return False
            if not (len(ds) == n and shape_bad(ds, KEYS[self.kind]) is None and orjson.dumps(ds) == txt):
                return False
            got = prepare(self.kind, ds, lines, self._st, shape_checked=True)
        prep, rejected = got
        if rejected:
            lt = texts()
            prep = merge_prepared([prep, self._slow_rows([(first + i, lt[i]) for i in rejected], torn_line=None)])
        self._commit(prep)
        return True

    def _typed(self, txt: bytearray, n: int, lines: np.ndarray) -> tuple[Prepared, list[int]] | None:
        """The typed path (:mod:`.typed`); None leaves the block to orjson."""
        rows = decode_block(self.kind, txt, n)
        if rows is None:
            return None
        try:
            prep, rejected = prepare(self.kind, rows, lines, self._st, shape_checked=True, by_attribute=True)
        except orjson.JSONEncodeError:  # an integer beyond 64 bits in attrs: serde reads it as a float
            return None
        return None if serde_differs(prep) else (prep, rejected)

    def _lines(self, items: list[tuple[int, int, bytes]], *, torn: bool) -> None:
        """Line-by-line handling; ``torn``: the (single) item is the last line without ``\\n``."""
        self._commit(self._lines_prepared(items, torn=torn))

    def _lines_prepared(self, items: list[tuple[int, int, bytes]], *, torn: bool) -> Prepared | None:
        cand: list[Any] = []
        cand_lines: list[int] = []
        cand_texts: list[bytes] = []
        slow: list[tuple[int, bytes]] = []
        for no, offset, raw in items:
            text = raw[:-1] if raw.endswith(b"\r") else raw
            if len(text) > self.max_line_bytes:
                self._notes.add("LINE_TOO_LONG", no, f"line longer than {self.max_line_bytes} bytes")
                continue
            if text is not raw:  # upstream strips the \r (§16.2); its writer never writes one
                self._notes.coalesce("NON_CANONICAL_JSON", no, "CRLF line ending")
            try:
                d = orjson.loads(text)
            except orjson.JSONDecodeError:
                d = _FAIL
            if d is not _FAIL and orjson.dumps(d) == text:
                cand.append(d)
                cand_lines.append(no)
                cand_texts.append(text)
                continue
            try:
                s = text.decode("utf-8")
            except UnicodeDecodeError as e:
                self._notes.add("NDJSON_INVALID_UTF8", no, f"not valid UTF-8 at byte {offset + e.start}")
                self._set_upstream(no, UTF8_MESSAGE)
                continue
            if _is_blank(s):
                self._notes.add("NDJSON_BLANK_LINE", no, "blank line")
                continue
            slow.append((no, text))
        parts: list[Prepared] = []
        if cand:
            prep, rejected = prepare(self.kind, cand, np.array(cand_lines, np.int64), self._st)
            parts.append(prep)
            slow.extend((cand_lines[i], cand_texts[i]) for i in rejected)
            slow.sort()
        if slow:
            parts.append(self._slow_rows(slow, torn_line=items[-1][0] if torn else None))
        elif torn and cand:
            self._torn_ok(items[-1][0])
        return merge_prepared(parts) if parts else None

    def _torn_ok(self, no: int) -> None:
        self._notes.add("NDJSON_TORN_LAST_LINE", no, "last line has no newline (interrupted write?); it parses and is "
                        "read", severity="warning")  # fmt: skip

    def _commit(self, prep: Prepared | None) -> None:
        if prep is None:
            return
        for line, what in prep.noncanonical:
            self._notes.coalesce("NON_CANONICAL_JSON", line, what)
        for code, line, detail in prep.notes:
            self._notes.add(code, line, detail)
        if len(prep):
            self._parts.append(prep)

    def _set_upstream(self, line: int, message: str) -> None:
        """Upstream reads line by line and stops at the first failure: keep the lowest line's text."""
        if self._upstream is None or line < self._upstream_line:
            self._upstream, self._upstream_line = message, line

    # ---- the strict decoder -------------------------------------------------------------
    def _slow_rows(self, rows: list[tuple[int, bytes]], torn_line: int | None) -> Prepared:
        recs: list[dict[str, Any]] = []
        rec_lines: list[int] = []
        for no, text in rows:
            self._slow += 1
            r = decode_line(self.kind, text)
            if r.upstream is not None:
                self._set_upstream(no, f"invalid ndjson at line {no}: {r.upstream}")
            if r.record is None:
                self._line_error(no, text, r, torn=no == torn_line)
                continue
            if no == torn_line:
                self._torn_ok(no)
            self._record_notes(no, text, r)
            recs.append(r.record)
            rec_lines.append(no)
        if not recs:
            return empty_prepared()
        prep, rejected = prepare(self.kind, recs, np.array(rec_lines, np.int64), self._st,
                                 nan_ok=np.ones(len(recs), bool))  # fmt: skip
        for i in rejected:  # cannot happen for decoder output; never drop silently
            self._notes.add("NDJSON_PARSE_ERROR", rec_lines[i], "record could not be stored")
        return prep

    def _line_error(self, no: int, text: bytes, r: SlowResult, *, torn: bool) -> None:
        assert r.error is not None
        msg, col = r.error.message, r.error.column
        if torn:
            self._notes.add("NDJSON_TORN_LAST_LINE", no, "last line has no newline and is not valid JSON "
                            f"(interrupted write?): {msg} at column {col}")  # fmt: skip
        elif msg in _ID_MESSAGES or msg == "all-zero id is invalid" or "hex string of length" in msg:
            code = "ZERO_ID" if msg == "all-zero id is invalid" else "INVALID_ID"
            self._notes.add(code, no, _id_text(self.kind, text, msg, col), column=col)
        else:
            self._notes.add("NDJSON_PARSE_ERROR", no, msg, column=col)

    def _record_notes(self, no: int, text: bytes, r: SlowResult) -> None:
        explained = False
        for n in r.notes:
            if n.kind == "duplicate_field":
                count = _dup_count(text, None, n.key or "")
                self._notes.add("DUPLICATE_KEY", no, f'key "{n.key}" appears {count} times; upstream cannot load '
                                "this line (duplicate field), swarmview reads the last value")  # fmt: skip
            elif n.kind == "duplicate_key":
                count = _dup_count(text, "attrs", n.key or "")
                self._notes.add("DUPLICATE_KEY", no, f'key "{n.key}" appears {count} times; upstream keeps the last '
                                "value", severity="warning")  # fmt: skip
            elif n.kind == "unknown_field":
                self._notes.coalesce("UNKNOWN_FIELD", no, n.key or n.path)
            elif n.kind == "nonfinite_null":
                what = "value" if n.path in ("value", "") and n.key in (None, "value") else f'attribute "{n.key}"'
                self._notes.add("NONFINITE_AS_NULL", no, f"{what} is null where a number is required (upstream "
                                "writes NaN/Infinity as null); shown as NaN")  # fmt: skip
            elif n.kind == "non_canonical":
                self._notes.coalesce("NON_CANONICAL_JSON", no, n.detail)
            elif n.kind == "zero_id":
                self._notes.add("ZERO_ID", no, f"{n.key or n.path} is all zeros (invalid by contract); upstream cannot "
                                "load this bundle", column=n.column or None)  # fmt: skip
            explained = True
        if not explained:
            self._notes.coalesce("NON_CANONICAL_JSON", no, "layout")


_FAIL = object()
BLOCK_BYTES = 256 << 10  # about 800 spans: the dicts of one piece stay in the CPU cache across passes


def _aligned(text: bytes, a: int, b: int, n: int) -> bool:
    """True when the parsed elements are exactly the lines (given n elements, all objects, and a
    compact text: the caller checked ``dumps(ds) == txt``). The n-1 boundaries between elements are
    ``},{`` in the joined text; if no line holds ``},{`` itself, every boundary is a former newline,
    and there are n-1 of those. (A string holding ``},{`` only sends the block line by line.)"""
    return n == 1 or text.find(b"},{", a, b) < 0


def _id_text(kind: str, text: bytes, msg: str, col: int) -> str:
    """INVALID_ID / ZERO_ID message naming the field when the line parses as JSON (VERIFY.md §7)."""
    try:
        d = orjson.loads(text)
    except orjson.JSONDecodeError:
        d = None
    if isinstance(d, dict):
        from swarmview.core.ids import id_error

        for key in KEYS[kind]:
            if key in ("trace_id", "span_id", "parent_span_id"):
                v = d.get(key)
                nb = 16 if key == "trace_id" else 8
                if v is None and key != "trace_id" and not (key == "span_id" and kind == "spans"):
                    continue
                err = id_error(v, nb) if isinstance(v, str) else "not a string"
                if err == "all-zero id is invalid":
                    return f"{key} is all zeros (invalid by contract); upstream cannot load this bundle"
                if err is not None:
                    return (f"{key} {orjson.dumps(v).decode()[:80]} is not {2 * nb} hexadecimal digits; upstream "
                            "cannot load this bundle")  # fmt: skip
    return f"{msg} (column {col}); upstream cannot load this bundle"


def _dup_count(text: bytes, within: str | None, key: str) -> int:
    """How many times ``key`` appears in the record (or in its ``within`` map)."""
    import json

    try:
        pairs = json.loads(text, object_pairs_hook=lambda p: p)
    except ValueError:
        return 2
    if within is not None:
        inner = [v for k, v in pairs if k == within]
        pairs = inner[-1] if inner and isinstance(inner[-1], list) else []
    return max(2, Counter(k for k, _ in pairs if isinstance(k, str)).get(key, 0))


def load_records(kind: Kind, file_path: str | os.PathLike[str], rel_path: str,
                 cancel: threading.Event | None = None, *, max_line_bytes: int = 64 << 20) -> RecordsResult:  # fmt: skip
    """Read one telemetry file from disk in 1 MiB chunks (raises OSError if it cannot be opened,
    InterruptedError when ``cancel`` is set between chunks)."""
    f = NdjsonFile(kind, rel_path, max_line_bytes=max_line_bytes)
    with open(file_path, "rb", buffering=0) as fh:
        while True:
            if cancel is not None and cancel.is_set():
                raise InterruptedError(f"{rel_path}: loading cancelled")
            chunk = fh.read(1 << 20)
            if not chunk:
                break
            f.feed(chunk)
    return f.close()


def parse_ndjson_values(data: bytes, schema: Any, rel_path: str) -> tuple[list[tuple[int, dict[str, Any]]], list[Finding], str | None]:
    """Small NDJSON logs (dataset update logs, materializations): every line through the strict decoder.

    Returns (line number, decoded value) pairs in file order, findings, and upstream's error for the
    file (``invalid ndjson at line N: …`` or ``stream did not contain valid UTF-8``), None if it reads.
    """
    notes = FileNotes(rel_path)
    pairs: list[tuple[int, dict[str, Any]]] = []
    upstream: str | None = None
    raw_lines = data.split(b"\n")
    torn_no = len(raw_lines) if raw_lines[-1] else None
    if not raw_lines[-1]:
        raw_lines.pop()
    offset = 0
    for i, raw in enumerate(raw_lines):
        no = i + 1
        text = raw[:-1] if raw.endswith(b"\r") else raw
        start, offset = offset, offset + len(raw) + 1
        try:
            s = text.decode("utf-8")
        except UnicodeDecodeError as e:
            notes.add("NDJSON_INVALID_UTF8", no, f"not valid UTF-8 at byte {start + e.start}")
            upstream = upstream or UTF8_MESSAGE
            continue
        if _is_blank(s):
            notes.add("NDJSON_BLANK_LINE", no, "blank line")
            continue
        r = decode_value(schema, text)
        if r.upstream is not None and upstream is None:
            upstream = f"invalid ndjson at line {no}: {r.upstream}"
        if r.record is None:
            assert r.error is not None
            col = r.error.column or None
            if no == torn_no:
                notes.add("NDJSON_TORN_LAST_LINE", no, f"last line has no newline and is not valid JSON (interrupted "
                          f"write?): {r.error.message}")  # fmt: skip
            elif r.error.message == "all-zero id is invalid":
                notes.add("ZERO_ID", no, "an id is all zeros (invalid by contract); upstream cannot load this bundle",
                          column=col)  # fmt: skip
            elif r.error.message in _ID_MESSAGES:
                notes.add("INVALID_ID", no, f"{r.error.message}; upstream cannot load this bundle", column=col)
            else:
                notes.add("NDJSON_PARSE_ERROR", no, r.error.message, column=col)
            continue
        if no == torn_no:
            notes.add("NDJSON_TORN_LAST_LINE", no, "last line has no newline (interrupted write?); it parses and is "
                      "read", severity="warning")  # fmt: skip
        for n in r.notes:
            if n.kind == "duplicate_field":
                notes.add("DUPLICATE_KEY", no, f'key "{n.key}" appears more than once; upstream cannot load this line '
                          "(duplicate field), swarmview reads the last value")  # fmt: skip
            elif n.kind == "duplicate_key":
                notes.add("DUPLICATE_KEY", no, f'key "{n.path}" appears more than once; upstream keeps the last value',
                          severity="warning")  # fmt: skip
            elif n.kind == "unknown_field":
                notes.coalesce("UNKNOWN_FIELD", no, n.path or n.key or "?")
            elif n.kind == "nonfinite_null":
                notes.add("NONFINITE_AS_NULL", no, f"{n.path} is null where a number is required (upstream writes "
                          "NaN/Infinity as null); shown as NaN")  # fmt: skip
            elif n.kind == "non_canonical":
                notes.coalesce("NON_CANONICAL_JSON", no, n.detail)
            elif n.kind == "zero_id":
                notes.add("ZERO_ID", no, f"{n.path} is all zeros (invalid by contract); upstream cannot load this "
                          "bundle", column=n.column or None)  # fmt: skip
        pairs.append((no, r.record))
    return pairs, notes.findings(), upstream
