"""Python's garbage collector runs on the GUI thread only.

Automatic collection runs in whichever thread happens to allocate. When a worker (parsing, hashing)
triggers it and the cycle holds Qt wrappers (a closed window, a menu), their C++ destructors run in that
worker while the GUI thread deletes related objects: both threads then wait on each other (Qt's
object mutex against the GIL) and the app freezes. qutebrowser solves this the same way
(``misc/utilcmds``' garbage collector): turn automatic collection off and collect from a timer on the
GUI thread, by the same generation thresholds Python would use.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500


class MainThreadGarbageCollector(QObject):
    """Disables automatic collection; a GUI-thread timer collects what Python would have collected."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("swarmviewGarbageCollector")
        self.threshold = gc.get_threshold()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(INTERVAL_MS)
        self._timer.timeout.connect(self.check)
        self._timer.start()

    def check(self) -> int:
        """Collect the oldest generation whose count passed its threshold; returns objects freed."""
        t0, t1, t2 = self.threshold
        c0, c1, c2 = gc.get_count()
        if c0 <= t0:
            return 0
        generation = 2 if c2 > t2 else 1 if c1 > t1 else 0
        return gc.collect(generation)


def install(parent: QObject) -> MainThreadGarbageCollector:
    """Install once per application (idempotent)."""
    existing = parent.findChild(MainThreadGarbageCollector, "swarmviewGarbageCollector")
    return existing if isinstance(existing, MainThreadGarbageCollector) else MainThreadGarbageCollector(parent)
