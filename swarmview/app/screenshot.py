"""Render the window offscreen once the run has settled and write PNGs (README images, CI smoke tests).

Waiting is event-driven: the window's ``run_settled`` signal (no task left), with a timeout so a stuck
job produces a picture of the state reached rather than a hung command.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from swarmview.app.main_window import MainWindow


def wait_until_settled(window: MainWindow, timeout_s: float = 120.0) -> bool:
    """Run the event loop until the window's run has no task left; False on timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        session = window.session
        if session is None or not session.busy():
            break
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        loop = QEventLoop()
        window.run_settled.connect(loop.quit)
        QTimer.singleShot(min(int(remaining * 1000), 250), loop.quit)
        loop.exec()
        window.run_settled.disconnect(loop.quit)
    # let queued set_data/paint events and the artifacts preview land
    end = time.monotonic() + 0.3
    while time.monotonic() < end:
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
    return True


def grab(window: MainWindow, path: str | Path, view: str | None = None, *, palette: bool = True) -> Path:
    """Switch to ``view`` (if given), paint, and save the window as PNG at ``path``.

    ``palette`` stores 256 colours without dithering: a UI has few colours, and the file is about a
    fifth of the size (README images stay well under 300 KB).
    """
    if view:
        window.show_view(view)
    for _ in range(3):
        QApplication.processEvents()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    image = window.grab().toImage()
    if palette:
        image = to_palette(image)
    if not image.save(str(out), "PNG", 0):  # 0 = strongest zlib compression for PNG
        raise OSError(f"{out}: could not write the PNG")
    return out


def to_palette(image: QImage) -> QImage:
    """256 colours taken from the image itself (its most frequent ones), mapped without dithering.

    Qt's own conversion uses a fixed colour cube, which shifts a UI's greys towards teal.
    """
    import numpy as np

    rgb = image.convertToFormat(QImage.Format.Format_RGB32)
    pixels = np.frombuffer(rgb.constBits(), dtype=np.uint32, count=rgb.width() * rgb.height())
    values, counts = np.unique(pixels & 0xFFFFFF, return_counts=True)
    by_count = np.argsort(counts, kind="stable")[::-1]
    chosen = list(values[by_count[:192]])  # the frequent exact colours (backgrounds, text, lines)
    # then one colour per coarse bucket (4 bits a channel) not yet covered, so a rare hue such as red
    # status text still gets a slot instead of turning into the nearest grey
    buckets = ((values >> 4) & 0xF) | ((values >> 8) & 0xF0) | ((values >> 12) & 0xF00)
    covered = set(buckets[by_count[:192]].tolist())
    for i in by_count[192:]:
        if len(chosen) >= 256:
            break
        if int(buckets[i]) not in covered:
            covered.add(int(buckets[i]))
            chosen.append(values[i])
    table = [int(v) | 0xFF000000 for v in chosen]
    flags = Qt.ImageConversionFlag.ThresholdDither | Qt.ImageConversionFlag.AvoidDither
    return rgb.convertToFormat(QImage.Format.Format_Indexed8, table, flags)


def view_path(path: str | Path, view: str) -> Path:
    """``shot.png`` + ``timeline`` → ``shot-timeline.png`` (one file per view for ``--view all``)."""
    p = Path(path)
    return p.with_name(f"{p.stem}-{view}{p.suffix or '.png'}")
