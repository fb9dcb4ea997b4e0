"""Crosshair readout lines (plain text, no pyqtgraph): one swatch, name and value per curve."""

from __future__ import annotations

import html

from PySide6.QtGui import QColor


def value_row(colour: QColor, name: str, x: float, raw: float, smooth: float, smoothing: bool) -> str:
    """One readout line: a colour swatch, the line's name and its value (raw → smoothed)."""
    swatch = f"<span style='color:{colour.name()}'>■</span>"
    value = f"{raw:.6g}" + (f" → {smooth:.6g}" if smoothing and smooth == smooth and smooth != raw else "")
    return f"{swatch} {html.escape(name)} @ {x:.6g}: <b>{value}</b>"
