"""The byte-level half of the serde_json emulation: positions, whitespace, literals, numbers,
strings (kept and ignored), ignored values and punctuation (``de.rs`` / ``read.rs``).

Kept apart from :mod:`.decode`, which adds the typed (serde-derive) half on top of this class.
"""

from __future__ import annotations

import re

from .errors import Diagnostic, JsonError
from .numparse import NumberSyntaxError, scan_number

__all__ = ["WS_BYTES", "Lexer", "Unpos"]

WS_BYTES = frozenset(b" \t\n\r")
_WS = re.compile(rb"[ \t\n\r]*")
_STR_FAST = re.compile(rb'[^"\\\x00-\x1f]*"')
_STR_CHUNK = re.compile(rb'[^"\\\x00-\x1f]*')
_HEX4 = re.compile(rb"[0-9a-fA-F]{4}")
_SIMPLE_ESC = {34: b'"', 92: b"\\", 47: b"/", 98: b"\x08", 102: b"\x0c", 110: b"\n", 114: b"\r", 116: b"\t"}
_HEXVAL = {c: int(chr(c), 16) for c in b"0123456789abcdefABCDEF"}
_CONTROL = "control character (\\u0000-\\u001F) found while parsing a string"


class Unpos(Exception):
    """A serde error created without position (``de::Error::custom`` and friends)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Lexer:
    """One parse of one input; ``i`` is the index of the next unconsumed byte."""

    __slots__ = ("data", "depth", "diags", "i", "io", "lenient", "n", "path", "upstream")

    def __init__(self, data: bytes, io: bool, upstream: bool, lenient: bool, diags: list[Diagnostic] | None) -> None:
        self.data = data
        self.n = len(data)
        self.io = io
        self.i = 0
        self.depth = 128
        self.upstream = upstream
        self.lenient = lenient
        self.diags = diags
        self.path: list[str] = []

    # ---- positions -------------------------------------------------------------------------
    def linecol(self, k: int) -> tuple[int, int]:
        """serde_json's ``position_of_index(k)``: the byte before ``k`` is the one named."""
        start = self.data.rfind(b"\n", 0, k) + 1
        return 1 + self.data.count(b"\n", 0, start), k - start

    def at(self, message: str, k: int) -> JsonError:
        line, col = self.linecol(k)
        return JsonError(message, line, col, k - 1 if k > 0 else None)

    def err_peek(self, message: str) -> JsonError:
        """``peek_error``: names the byte at ``i`` (the last byte at end of input)."""
        return self.at(message, min(self.n, self.i + 1))

    def fix(self, message: str, pending: bool) -> JsonError:
        """``fix_position``/``error``: the last consumed byte for the slice reader; for the io
        reader the looked-ahead byte when one is ``pending``."""
        k = self.i
        if pending and self.io and k < self.n:
            k += 1
        return self.at(message, k)

    def diag(self, kind: str, key: str | None, detail: str, k: int | None = None) -> None:
        if self.diags is None:
            return
        line, col = self.linecol(self.i if k is None else k)
        self.diags.append(Diagnostic(kind, "/".join(self.path), key, line, col, detail))

    # ---- tokens ----------------------------------------------------------------------------
    def ws(self) -> int:
        """``parse_whitespace``: skip space/TAB/LF/CR, return the index of the next byte."""
        i = self.i
        if i < self.n and self.data[i] in WS_BYTES:
            i = _WS.match(self.data, i).end()  # type: ignore[union-attr]
            self.i = i
        return i

    def ident(self, rest: bytes) -> None:
        """``parse_ident``: the remaining letters of ``null``/``true``/``false``."""
        data, i = self.data, self.i
        if data.startswith(rest, i):
            self.i = i + len(rest)
            return
        for expected in rest:
            if i >= self.n:
                self.i = i
                raise self.at("EOF while parsing a value", i)
            c = data[i]
            i += 1
            if c != expected:
                self.i = i
                raise self.at("expected ident", i)

    def number(self, i: int) -> tuple[int | float, int]:
        """Scan a number at ``i``; returns upstream's value and the end index."""
        try:
            return scan_number(self.data, i)
        except NumberSyntaxError as exc:
            k = exc.index
            if exc.mode == "peek":
                k = min(self.n, k + 1)
            elif exc.mode == "pending" and self.io and k < self.n:
                k += 1
            raise self.at(exc.message, k) from None

    def float_value(self, v: int | float, start: int, end: int) -> float:
        """The double swarmview keeps: upstream's (``floats="upstream"``) or ``float()`` of the text."""
        if isinstance(v, int):
            return float(v)
        if self.upstream:
            return v
        return float(self.data[start:end])

    def enter(self, i: int) -> None:
        """``check_recursion!``: the budget of 128 is spent by every array/object entered."""
        self.depth -= 1
        if self.depth == 0:
            self.i = i
            raise self.err_peek("recursion limit exceeded")

    # ---- strings ---------------------------------------------------------------------------
    def parse_str(self) -> str:
        """A kept string (``parse_str``): escapes, surrogates and UTF-8 are validated."""
        data, i = self.data, self.i
        m = _STR_FAST.match(data, i)
        if m is not None:
            end = m.end()
            self.i = end
            try:
                return data[i : end - 1].decode("utf-8")
            except UnicodeDecodeError:
                raise self.at("invalid unicode code point", end) from None
        return self._parse_str_slow()

    def _parse_str_slow(self) -> str:
        data, n, i = self.data, self.n, self.i
        buf = bytearray()
        while True:
            j = _STR_CHUNK.match(data, i).end()  # type: ignore[union-attr]
            buf += data[i:j]
            i = j
            if i >= n:
                self.i = n
                raise self.at("EOF while parsing a string", n)
            c = data[i]
            i += 1
            if c == 34:
                self.i = i
                try:
                    return buf.decode("utf-8")
                except UnicodeDecodeError:
                    raise self.at("invalid unicode code point", i) from None
            if c == 92:
                i = self._escape(i, buf)
            else:
                self.i = i
                raise self.at(_CONTROL, i)

    def _hex4(self, i: int) -> tuple[int, int]:
        """``decode_hex_escape``: the slice reader checks for 4 bytes before looking at them."""
        data, n = self.data, self.n
        if _HEX4.match(data, i):
            return int(data[i : i + 4], 16), i + 4
        if not self.io and i + 4 > n:
            raise self.at("EOF while parsing a string", n)
        v = 0
        for _ in range(4):
            if i >= n:
                raise self.at("EOF while parsing a string", n)
            d = _HEXVAL.get(data[i])
            i += 1
            if d is None:
                raise self.at("invalid escape", i)
            v = v * 16 + d
        return v, i

    def _escape(self, i: int, buf: bytearray) -> int:
        """``parse_escape`` with validation (kept strings); ``i`` is just after the backslash."""
        data, n = self.data, self.n
        if i >= n:
            raise self.at("EOF while parsing a string", n)
        ch = data[i]
        i += 1
        simple = _SIMPLE_ESC.get(ch)
        if simple is not None:
            buf += simple
            return i
        if ch != 117:
            raise self.at("invalid escape", i)
        v, i = self._hex4(i)
        if 0xDC00 <= v <= 0xDFFF:
            raise self.at("lone leading surrogate in hex escape", i)
        if 0xD800 <= v <= 0xDBFF:
            for want in (92, 117):
                if i >= n:
                    raise self.at("EOF while parsing a string", i)
                got = data[i]
                i += 1
                if got != want:
                    raise self.at("unexpected end of hex escape", i)
            v2, i = self._hex4(i)
            if not 0xDC00 <= v2 <= 0xDFFF:
                raise self.at("lone leading surrogate in hex escape", i)
            v = ((v - 0xD800) << 10 | (v2 - 0xDC00)) + 0x10000
        buf += chr(v).encode("utf-8")
        return i

    def ignore_str(self) -> None:
        """``ignore_str``: no UTF-8 or surrogate checks; the slice reader names the byte *before*
        a control character, the io reader the control character itself."""
        data, n, i = self.data, self.n, self.i
        m = _STR_FAST.match(data, i)
        if m is not None:
            self.i = m.end()
            return
        while True:
            i = _STR_CHUNK.match(data, i).end()  # type: ignore[union-attr]
            if i >= n:
                self.i = n
                raise self.at("EOF while parsing a string", n)
            c = data[i]
            if c == 34:
                self.i = i + 1
                return
            if c == 92:
                i += 1
                if i >= n:
                    raise self.at("EOF while parsing a string", n)
                ch = data[i]
                i += 1
                if ch == 117:
                    _, i = self._hex4(i)
                elif ch not in _SIMPLE_ESC:
                    raise self.at("invalid escape", i)
            else:
                raise self.at(_CONTROL, i + 1 if self.io else i)

    # ---- ignored values (unknown fields) ---------------------------------------------------
    def ignore_value(self) -> None:
        """``ignore_value``: iterative, so nesting inside unknown keys spends no depth budget."""
        data, n = self.data, self.n
        stack: list[int] = []
        enclosing: int | None = None
        while True:
            i = self.ws()
            if i >= n:
                raise self.err_peek("EOF while parsing a value")
            c = data[i]
            frame: int | None = None
            if c == 110:
                self.i = i + 1
                self.ident(b"ull")
            elif c == 116:
                self.i = i + 1
                self.ident(b"rue")
            elif c == 102:
                self.i = i + 1
                self.ident(b"alse")
            elif c == 45:
                self.i = i + 1
                self.ignore_integer()
            elif 48 <= c <= 57:
                self.ignore_integer()
            elif c == 34:
                self.i = i + 1
                self.ignore_str()
            elif c == 91 or c == 123:
                if enclosing is not None:
                    stack.append(enclosing)
                    enclosing = None
                self.i = i + 1
                frame = c
            else:
                raise self.err_peek("expected value")
            if frame is not None:
                accept_comma = False
            elif enclosing is not None:
                frame, enclosing, accept_comma = enclosing, None, True
            elif stack:
                frame, accept_comma = stack.pop(), True
            else:
                return
            while True:
                i = self.ws()
                if i >= n:
                    raise self.err_peek("EOF while parsing a list" if frame == 91 else "EOF while parsing an object")
                c = data[i]
                if c == 44 and accept_comma:
                    self.i = i + 1
                    break
                if not ((c == 93 and frame == 91) or (c == 125 and frame == 123)):
                    if accept_comma:
                        raise self.err_peek("expected `,` or `]`" if frame == 91 else "expected `,` or `}`")
                    break
                self.i = i + 1
                if not stack:
                    return
                frame = stack.pop()
                accept_comma = True
            if frame == 123:
                i = self.ws()
                if i >= n:
                    raise self.err_peek("EOF while parsing an object")
                if data[i] != 34:
                    raise self.err_peek("key must be a string")
                self.i = i + 1
                self.ignore_str()
                self.colon()
            enclosing = frame

    def ignore_integer(self) -> None:
        """``ignore_integer``/``ignore_decimal``/``ignore_exponent``: syntax only, no range."""
        data, n = self.data, self.n
        i = self.i
        c = data[i] if i < n else 0
        if i < n:
            i += 1
        self.i = i
        if c == 48:
            if i < n and 48 <= data[i] <= 57:
                raise self.err_peek("invalid number")
        elif 49 <= c <= 57:
            while i < n and 48 <= data[i] <= 57:
                i += 1
            self.i = i
        else:
            raise self.at("invalid number", i)
        if i < n and data[i] == 46:
            i += 1
            start = i
            while i < n and 48 <= data[i] <= 57:
                i += 1
            self.i = i
            if i == start:
                raise self.err_peek("invalid number")
        if i < n and data[i] in (69, 101):
            i += 1
            if i < n and data[i] in (43, 45):
                i += 1
            c = data[i] if i < n else 0
            if i < n:
                i += 1
            self.i = i
            if not 48 <= c <= 57:
                raise self.at("invalid number", i)
            while i < n and 48 <= data[i] <= 57:
                i += 1
            self.i = i

    # ---- punctuation -----------------------------------------------------------------------
    def colon(self) -> None:
        """``parse_object_colon``."""
        i = self.ws()
        if i >= self.n:
            raise self.err_peek("EOF while parsing an object")
        if self.data[i] != 58:
            raise self.err_peek("expected `:`")
        self.i = i + 1

    def seq_next(self, first: bool) -> bool:
        """``SeqAccess::next_element_seed`` up to the element: True when one follows."""
        data, n = self.data, self.n
        i = self.ws()
        if i >= n:
            raise self.err_peek("EOF while parsing a list")
        c = data[i]
        if c == 93:
            return False
        if c == 44 and not first:
            self.i = i + 1
            i = self.ws()
            if i >= n:
                raise self.err_peek("EOF while parsing a value")
            c = data[i]
        elif not first:
            raise self.err_peek("expected `,` or `]`")
        if c == 93:
            raise self.err_peek("trailing comma")
        return True

    def map_key(self, first: bool) -> str | None:
        """``MapAccess::next_key_seed`` with a string key; None at the closing brace."""
        data, n = self.data, self.n
        i = self.i
        if i < n and data[i] in WS_BYTES:
            i = self.ws()
        if i >= n:
            raise self.err_peek("EOF while parsing an object")
        c = data[i]
        if c == 125:
            return None
        if c == 44 and not first:
            self.i = i = i + 1
            if i < n and data[i] in WS_BYTES:
                i = self.ws()
            if i >= n:
                raise self.err_peek("EOF while parsing a value")
            c = data[i]
        elif not first:
            raise self.err_peek("expected `,` or `}`")
        if c == 34:
            self.i = i + 1
            return self.parse_str()
        self.i = i
        if c == 125:
            raise self.err_peek("trailing comma")
        raise self.err_peek("key must be a string")

    def end_seq(self) -> None:
        i = self.ws()
        if i >= self.n:
            raise self.err_peek("EOF while parsing a list")
        c = self.data[i]
        if c == 93:
            self.i = i + 1
            return
        if c == 44:
            self.i = i + 1
            j = self.ws()
            if j < self.n and self.data[j] == 93:
                raise self.err_peek("trailing comma")
        raise self.err_peek("trailing characters")

    def end_map(self) -> None:
        i = self.ws()
        if i >= self.n:
            raise self.err_peek("EOF while parsing an object")
        c = self.data[i]
        if c == 125:
            self.i = i + 1
            return
        raise self.err_peek("trailing comma" if c == 44 else "trailing characters")

    def end_probe(self, close: int) -> bool:
        """What ``end_seq``/``end_map`` consume before a position-less error is stamped; True when
        a looked-ahead byte is left pending."""
        i = self.ws()
        if i < self.n and self.data[i] == close:
            self.i = i + 1
            return False
        if close == 93 and i < self.n and self.data[i] == 44:
            self.i = i + 1
            self.ws()
        return True

    def fail_after(self, exc: Unpos, close: int) -> JsonError:
        return self.fix(exc.message, self.end_probe(close))

    # ---- typed values ----------------------------------------------------------------------
