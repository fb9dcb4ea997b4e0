"""Plain-text formatting shared by the views: times, sizes, digests, attribute values."""

from __future__ import annotations

import datetime as _dt
import math
from typing import Any

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)


def utc_time(ns: int | None) -> str:
    """``2026-04-06 12:00:01.002500 UTC`` (microseconds; nanoseconds never matter to a reader here)."""
    if ns is None:
        return "—"
    try:
        t = _EPOCH + _dt.timedelta(microseconds=int(ns) // 1000)
    except (OverflowError, ValueError):
        return f"{ns} ns"
    return t.strftime("%Y-%m-%d %H:%M:%S.%f") + " UTC"


def duration(ns: int | float | None) -> str:
    """A duration in the unit that keeps three significant figures readable."""
    if ns is None or (isinstance(ns, float) and math.isnan(ns)):
        return "—"
    v = float(ns)
    sign = "-" if v < 0 else ""
    v = abs(v)
    for unit, scale in (("h", 3.6e12), ("min", 6e10), ("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if v >= scale:
            return f"{sign}{v / scale:.3g} {unit}"
    return f"{sign}{v:.0f} ns"


def size(n: int | None) -> str:
    """``2,048 B`` below 10 kB, else ``1.2 MB`` (decimal units, as file managers show)."""
    if n is None:
        return "—"
    if n < 10_000:
        return f"{n:,} B"
    value = float(n)
    for unit in ("kB", "MB", "GB", "TB"):
        value /= 1000
        if value < 1000:
            return f"{value:.1f} {unit}"
    return f"{value:.1f} PB"


def short_hex(h: str | None, n: int = 12) -> str:
    if not h:
        return "—"
    return h if len(h) <= n + 1 else h[:n] + "…"


def attr_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        return v
    return str(v)


def attrs_text(attrs: dict[str, Any] | None) -> str:
    if not attrs:
        return ""
    return ", ".join(f"{k}={attr_value(v)}" for k, v in attrs.items())
