"""serde_json's number reader without ``float_roundtrip`` (BUNDLE_FORMAT §2.7).

Upstream parses numbers with an algorithm that is not correctly rounded: the significand is kept in
a ``u64`` and scaled by *one* IEEE multiplication or division by the nearest double to ``10**k``.
swarmview stores ``float()`` values, but recomputes hashes and shows values the way upstream reads
them, so this module reproduces that algorithm bit for bit, errors and their positions included.
"""

from __future__ import annotations

import re

__all__ = [
    "I64_MIN",
    "U64_MAX",
    "NumberSyntaxError",
    "f64_from_parts",
    "parse_number_upstream",
    "scan_number",
]

U64_MAX = (1 << 64) - 1
I64_MIN = -(1 << 63)
_I32_MAX = (1 << 31) - 1
_I32_MIN = -(1 << 31)
POW10: tuple[float, ...] = tuple(float(f"1e{k}") for k in range(309))

# A well-formed token whose integer part cannot overflow a u64 (at most 19 digits): the fast path.
_SIMPLE = re.compile(rb"-?(0|[1-9][0-9]{0,18})(?:\.([0-9]+))?(?:[eE]([+-]?)([0-9]+))?")


class NumberSyntaxError(ValueError):
    """A number serde_json rejects.

    ``index`` and ``mode`` say which byte serde_json names: ``"consumed"`` the byte before ``index``
    (its ``position()``), ``"peek"`` the byte at ``index`` (``peek_position()``), ``"pending"`` like
    ``"consumed"`` for the slice reader but the looked-ahead byte at ``index`` for the io reader.
    """

    def __init__(self, message: str, index: int, mode: str) -> None:
        super().__init__(message)
        self.message = message
        self.index = index
        self.mode = mode


def f64_from_parts(positive: bool, significand: int, exponent: int, end: int) -> float:
    """``de.rs:f64_from_parts``: one multiplication or division by ``POW10[|exponent|]``."""
    f = float(significand)
    while True:
        mag = -exponent if exponent < 0 else exponent
        if mag <= 308:
            if exponent >= 0:
                f *= POW10[mag]
                if f == float("inf"):
                    raise NumberSyntaxError("number out of range", end, "pending")
            else:
                f /= POW10[mag]
            break
        if f == 0.0:
            break
        if exponent >= 0:
            raise NumberSyntaxError("number out of range", end, "pending")
        f /= 1e308
        exponent += 308
    return f if positive else -f


def _sat_i32(v: int) -> int:
    return _I32_MAX if v > _I32_MAX else _I32_MIN if v < _I32_MIN else v


def scan_number(data: bytes, i: int) -> tuple[int | float, int]:
    """Read the number starting at ``data[i]`` (``-`` or a digit) the way serde_json's
    ``parse_any_number`` does; return ``(value, end)``: ``int`` for its U64/I64 results, ``float``
    for F64 (including ``-0``). Raises :class:`NumberSyntaxError`.
    """
    m = _SIMPLE.match(data, i)
    if m is not None:
        end = m.end()
        nxt = data[end] if end < len(data) else -1
        # A digit right after ``0``/a 19-digit integer part, or a dangling ``.``/``e`` means the
        # regex stopped early: let the exact emulation decide.
        if not (48 <= nxt <= 57 or nxt in (46, 69, 101)):
            return _fast_value(m, data[i] == 45, end), end
    return _slow_scan(data, i)


def _fast_value(m: re.Match[bytes], negative: bool, end: int) -> int | float:
    int_digits, frac, esign, edigits = m.group(1), m.group(2), m.group(3), m.group(4)
    if frac is None and edigits is None:
        sig = int(int_digits)
        if not negative:
            return sig
        if sig == 0:
            return -0.0
        if sig <= 1 << 63:
            return -sig
        return -float(sig)
    sig = int(int_digits)
    exponent = 0
    if frac is not None:
        whole = int_digits + frac
        if int(whole) <= U64_MAX:
            sig = int(whole)
            exponent = -len(frac)
        else:
            z = len(whole) - len(whole.lstrip(b"0"))
            s = whole[z:]
            keep = 20 if int(s[:20]) <= U64_MAX else 19
            accepted = z + keep - len(int_digits)
            sig = int(whole[: z + keep])
            exponent = -accepted
    if edigits is not None:
        positive_exp = esign != b"-"
        if len(edigits) > 10 or int(edigits) > _I32_MAX:
            # Exponent overflow: find the digit that overflowed (serde names it).
            acc = 0
            pos = m.start(4)
            for k, ch in enumerate(edigits):
                acc = acc * 10 + (ch - 48)
                if k > 0 and acc > _I32_MAX:
                    pos = m.start(4) + k + 1
                    break
            if sig != 0 and positive_exp:
                raise NumberSyntaxError("number out of range", pos, "consumed")
            return -0.0 if negative else 0.0
        e = int(edigits)
        exponent = _sat_i32(exponent + e if positive_exp else exponent - e)
    return f64_from_parts(not negative, sig, exponent, end)


def _slow_scan(data: bytes, i: int) -> tuple[int | float, int]:
    """Byte-by-byte transcription of ``parse_integer`` and friends, for the unusual spellings."""
    n = len(data)

    def peek(j: int) -> int:
        return data[j] if j < n else 0

    positive = True
    if data[i] == 45:  # '-'
        positive = False
        i += 1
    if i >= n:
        raise NumberSyntaxError("EOF while parsing a value", i, "consumed")
    c = data[i]
    i += 1
    if c == 48:
        if 48 <= peek(i) <= 57:
            raise NumberSyntaxError("invalid number", i, "peek")
        significand = 0
    elif 49 <= c <= 57:
        significand = c - 48
        while 48 <= peek(i) <= 57:
            d = peek(i) - 48
            if significand * 10 + d > U64_MAX:
                return _long_integer(data, i, positive, significand)
            i += 1
            significand = significand * 10 + d
    else:
        raise NumberSyntaxError("invalid number", i, "consumed")
    p = peek(i)
    if p == 46:
        return _decimal(data, i, positive, significand, 0)
    if p in (69, 101):
        return _exponent(data, i, positive, significand, 0)
    if positive:
        return significand, i
    if significand == 0 or significand > 1 << 63:
        return -float(significand), i
    return -significand, i


def _long_integer(data: bytes, i: int, positive: bool, significand: int) -> tuple[float, int]:
    n = len(data)
    exponent = 0
    while True:
        p = data[i] if i < n else 0
        if 48 <= p <= 57:
            i += 1
            exponent += 1
        elif p == 46:
            return _decimal(data, i, positive, significand, exponent)
        elif p in (69, 101):
            return _exponent(data, i, positive, significand, exponent)
        else:
            return f64_from_parts(positive, significand, exponent, i), i


def _decimal(data: bytes, i: int, positive: bool, significand: int, exponent: int) -> tuple[float, int]:
    n = len(data)
    i += 1  # the '.'
    while i < n and 48 <= data[i] <= 57:
        d = data[i] - 48
        if significand * 10 + d > U64_MAX:
            while i < n and 48 <= data[i] <= 57:
                i += 1
            if i < n and data[i] in (69, 101):
                return _exponent(data, i, positive, significand, exponent)
            return f64_from_parts(positive, significand, exponent, i), i
        i += 1
        significand = significand * 10 + d
        exponent -= 1
    if exponent == 0:
        if i < n:
            raise NumberSyntaxError("invalid number", i, "peek")
        raise NumberSyntaxError("EOF while parsing a value", i, "peek")
    if i < n and data[i] in (69, 101):
        return _exponent(data, i, positive, significand, exponent)
    return f64_from_parts(positive, significand, exponent, i), i


def _exponent(data: bytes, i: int, positive: bool, significand: int, starting: int) -> tuple[float, int]:
    n = len(data)
    i += 1  # 'e' / 'E'
    positive_exp = True
    if i < n and data[i] in (43, 45):
        positive_exp = data[i] == 43
        i += 1
    if i >= n:
        raise NumberSyntaxError("EOF while parsing a value", i, "consumed")
    c = data[i]
    i += 1
    if not 48 <= c <= 57:
        raise NumberSyntaxError("invalid number", i, "consumed")
    exp = c - 48
    while i < n and 48 <= data[i] <= 57:
        d = data[i] - 48
        i += 1
        if exp * 10 + d > _I32_MAX:
            if significand != 0 and positive_exp:
                raise NumberSyntaxError("number out of range", i, "consumed")
            while i < n and 48 <= data[i] <= 57:
                i += 1
            return (0.0 if positive else -0.0), i
        exp = exp * 10 + d
    final = _sat_i32(starting + exp if positive_exp else starting - exp)
    return f64_from_parts(positive, significand, final, i), i


class UpstreamNumberError(ValueError):
    """``str()`` is serde_json's message without position; ``serde_text`` adds ``at line 1 column C``."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.column = column
        self.serde_text = f"{message} at line 1 column {column}"


def parse_number_upstream(text: str) -> int | float:
    """Parse one JSON number text as upstream does (``serde_json::from_str``): ``int`` for integers
    that fit u64/i64, else ``float`` (§2.7). Raises :class:`UpstreamNumberError` (a ``ValueError``,
    e.g. ``number out of range``) where serde_json refuses the text.
    """
    data = text.encode("utf-8")
    n = len(data)
    i = 0
    while i < n and data[i] in b" \t\n\r":
        i += 1
    if i >= n:
        raise UpstreamNumberError("EOF while parsing a value", n)
    if not (data[i] == 45 or 48 <= data[i] <= 57):
        raise UpstreamNumberError("expected value", i + 1)
    try:
        value, end = scan_number(data, i)
    except NumberSyntaxError as exc:
        col = min(n, exc.index + 1) if exc.mode == "peek" else exc.index
        raise UpstreamNumberError(exc.message, col) from None
    j = end
    while j < n and data[j] in b" \t\n\r":
        j += 1
    if j < n:
        raise UpstreamNumberError("trailing characters", j + 1)
    return value
