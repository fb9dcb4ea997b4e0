"""serde_json 1.0.149 float text (zmij layout, BUNDLE_FORMAT §2.4).

Python's ``repr`` already yields the shortest round-trip digits; only the layout differs (Python
writes ``1e-05`` and ``1e-07`` where serde_json writes ``0.00001`` and ``1e-7``), so we re-lay them out.
"""

from __future__ import annotations

import math

__all__ = ["format_f64"]


def _digits_and_exponent(text: str) -> tuple[str, int]:
    """Split a positive finite ``repr`` into significant digits and decimal exponent ``k``."""
    mantissa, _, exp_text = text.partition("e")
    exp = int(exp_text) if exp_text else 0
    int_part, _, frac_part = mantissa.partition(".")
    digits = int_part + frac_part
    # The position of the decimal point relative to the first digit of ``digits``.
    point = len(int_part) + exp
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    stripped = stripped.rstrip("0") or "0"
    return stripped, point - 1


def format_f64(x: float) -> str:
    """Return ``serde_json::to_string(&x)``: zmij's shortest text, ``null`` for NaN and infinities."""
    if not math.isfinite(x):
        return "null"
    if x == 0.0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    sign = "-" if x < 0 else ""
    digits, k = _digits_and_exponent(repr(abs(x)))
    n = len(digits)
    if -5 <= k <= 15:
        if k >= n - 1:
            return f"{sign}{digits}{'0' * (k - n + 1)}.0"
        if k >= 0:
            return f"{sign}{digits[: k + 1]}.{digits[k + 1 :]}"
        return f"{sign}0.{'0' * (-k - 1)}{digits}"
    head = digits[0] + ("." + digits[1:] if n > 1 else "")
    return f"{sign}{head}e{'-' if k < 0 else '+'}{abs(k)}"
