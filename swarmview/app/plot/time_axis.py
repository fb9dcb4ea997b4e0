"""Time axis for nanosecond timelines: nice tick steps and labels in the unit a human reads.

Offsets are relative to the run start (what people compare between runs); the wall clock goes in
tooltips. Ticks step by 1/2/5 × 10^k ns and switch to minute/hour steps above a minute, so labels read
"250 ms" or "2 min 30 s", never "2.5e8".
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPen

_UNITS: tuple[tuple[float, str], ...] = ((1e9, "s"), (1e6, "ms"), (1e3, "µs"), (1.0, "ns"))
_LONG_STEPS: tuple[float, ...] = tuple(
    m * 60e9 for m in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1440, 2880, 7200, 14400)
)


def nice_step(span_ns: float, max_ticks: int) -> float:
    """The smallest 1/2/5 × 10^k step (or minute multiple above a minute) giving ≤ ``max_ticks`` ticks."""
    raw = max(span_ns, 1e-9) / max(max_ticks, 1)
    if raw > 30e9:
        for step in _LONG_STEPS:
            if step >= raw:
                return step
        return _LONG_STEPS[-1] * math.ceil(raw / _LONG_STEPS[-1])
    exp = 10.0 ** math.floor(math.log10(raw))
    for m in (1.0, 2.0, 5.0, 10.0):
        if m * exp >= raw:
            return max(m * exp, 1.0)
    return 10.0 * exp


def ticks(t0: float, t1: float, max_ticks: int) -> tuple[float, list[float]]:
    """Step and tick positions (relative ns) inside ``[t0, t1]``."""
    step = nice_step(t1 - t0, max_ticks)
    first = math.ceil(t0 / step) * step
    count = int((t1 - first) // step) + 1
    return step, [first + i * step for i in range(max(count, 0))]


def format_offset(ns: float, step_ns: float | None = None, ref_ns: float | None = None) -> str:
    """An offset from the run start. The unit follows ``ref_ns`` (the largest offset on the axis, so
    every tick shares one unit) and the decimals follow ``step_ns`` (enough to tell ticks apart)."""
    sign = "-" if ns < 0 else ""
    a = abs(ns)
    ref = max(abs(ref_ns) if ref_ns is not None else a, abs(step_ns or 0.0))
    if ((step_ns or 0.0) >= 1e9 and ref >= 60e9) or (step_ns is None and a >= 60e9):
        total_s = round(a / 1e9)
        hours, rem = divmod(total_s, 3600)
        minutes, secs = divmod(rem, 60)
        if hours:
            return f"{sign}{hours} h {minutes} min" + (f" {secs} s" if secs else "")
        return f"{sign}{minutes} min" + (f" {secs} s" if secs else "")
    scale, unit = next(((sc, u) for sc, u in _UNITS if ref >= sc), (1.0, "ns"))
    if step_ns:
        digits = max(0, min(9, -math.floor(math.log10(step_ns / scale) + 1e-9)))
        return f"{sign}{a / scale:.{digits}f} {unit}"
    text = f"{a / scale:.3f}".rstrip("0").rstrip(".")
    return f"{sign}{text} {unit}"


def format_duration(ns: float) -> str:
    """A duration with about four significant digits ("1.25 ms", "3 min 2 s")."""
    if not math.isfinite(ns):
        return "—"
    a = abs(ns)
    if a >= 60e9:
        return format_offset(ns)
    for scale, unit in _UNITS:
        if a >= scale or scale == 1.0:
            value = ns / scale
            return f"{value:.4g} {unit}"
    return f"{ns:.0f} ns"  # pragma: no cover


def wall_clock(abs_ns: int) -> str:
    """UTC wall clock with nanoseconds: what the tooltip shows next to the offset."""
    secs, frac = divmod(int(abs_ns), 1_000_000_000)
    try:
        stamp = datetime.fromtimestamp(secs, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
    except (OverflowError, OSError, ValueError):
        return f"{abs_ns} ns since epoch"
    return f"{stamp}.{frac:09d} UTC"


AXIS_HEIGHT = 22


def paint_time_axis(
    painter: QPainter, rect: QRectF, t0: float, t1: float, fg: QColor, grid_bottom: float | None = None
) -> None:
    """Draw ticks and labels for ``[t0, t1]`` across ``rect``; optional faint grid lines down to
    ``grid_bottom`` so spans can be read against the ticks."""
    width = rect.width()
    if width <= 0 or t1 <= t0:
        return
    fm = QFontMetrics(painter.font())
    ref = max(abs(t0), abs(t1))
    label_w = fm.horizontalAdvance(format_offset(t1, max((t1 - t0) / 50, 1.0), ref)) + 16
    step, positions = ticks(t0, t1, max(2, int(width // label_w)))
    scale = width / (t1 - t0)
    grid = QColor(fg)
    grid.setAlpha(28)
    tick_pen = QPen(fg)
    tick_pen.setCosmetic(True)
    for t in positions:
        x = rect.left() + (t - t0) * scale
        if grid_bottom is not None:
            painter.setPen(QPen(grid, 0))
            painter.drawLine(QPointF(x, rect.bottom()), QPointF(x, grid_bottom))
        painter.setPen(tick_pen)
        painter.drawLine(QPointF(x, rect.bottom() - 5), QPointF(x, rect.bottom()))
        painter.drawText(
            QRectF(x + 3, rect.top(), label_w, rect.height() - 4),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            format_offset(t, step, ref),
        )
    painter.setPen(tick_pen)
    painter.drawLine(QPointF(rect.left(), rect.bottom()), QPointF(rect.right(), rect.bottom()))
