"""A one-line progress bar on stderr, only when stderr is a terminal (stdout stays the report)."""

from __future__ import annotations

import shutil
import sys
import time
from typing import TextIO

from swarmview.core.verify.engine import Progress


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


class ProgressBar:
    """Redraws at most ``rate`` times a second; ``close()`` erases the line."""

    def __init__(self, stream: TextIO | None = None, enabled: bool | None = None, rate: float = 10.0) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.interval = 1.0 / rate
        self._last = 0.0
        self._drawn = False

    def update(self, p: Progress) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < self.interval and p.files_done != p.files_total:
            return
        self._last = now
        width = shutil.get_terminal_size((80, 20)).columns
        frac = (p.bytes_done / p.bytes_total) if p.bytes_total else (1.0 if p.files_total == 0 else p.files_done / p.files_total)
        frac = min(max(frac, 0.0), 1.0)
        text = f" {frac * 100:3.0f}% {p.files_done}/{p.files_total} files {_size(p.bytes_done)}/{_size(p.bytes_total)}"
        bar_width = max(10, min(40, width - len(text) - 4))
        filled = int(bar_width * frac)
        line = f"[{'#' * filled}{'.' * (bar_width - filled)}]{text}"
        if p.current:
            room = width - len(line) - 2
            if room > 8:
                line += " " + (p.current if len(p.current) <= room else "…" + p.current[-(room - 1):])
        self.stream.write("\r" + line[: width - 1].ljust(width - 1))
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self.enabled and self._drawn:
            width = shutil.get_terminal_size((80, 20)).columns
            self.stream.write("\r" + " " * (width - 1) + "\r")
            self.stream.flush()
            self._drawn = False
