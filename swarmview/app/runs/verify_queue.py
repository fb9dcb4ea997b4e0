"""Background verification of the listed runs, in an order the browser may change at any time.

The browser wants the runs the user can see verified first, newest first, and re-prioritised when the
filter changes. A fixed batch (``core.runs.batch.verify_batch``) cannot be re-ordered, so a few worker
loops (one per core, at most ``parallel``) each take the next root from a shared, replaceable queue and
verify it through the cache (``core.runs.cache.VerifyCache.verify``: an unchanged run is not re-hashed).
Results cross to the GUI thread as queued signals.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Generator
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QStandardPaths, Signal

from swarmview.app.workers import Task, TaskPool
from swarmview.core.errors import SwarmviewError
from swarmview.core.runs.cache import VerifyCache
from swarmview.core.verify.engine import verify

log = logging.getLogger(__name__)


def emit_safely(signal: Any, *args: Any) -> None:
    """Emit from a worker thread; a receiver already deleted with its window is not an error."""
    try:
        signal.emit(*args)
    except RuntimeError:
        pass


def user_cache_dir() -> Path:
    """``$SWARMVIEW_CACHE_DIR``, else the folder ``swarmview verify`` uses (so a batch run in a terminal
    warms the GUI's cache), else Qt's cache location."""
    env = os.environ.get("SWARMVIEW_CACHE_DIR")
    if env:
        return Path(env)
    try:
        from platformdirs import user_cache_dir as platform_cache

        return Path(platform_cache("swarmview", appauthor=False))
    except ImportError:
        return Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.CacheLocation))


def default_parallel() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


class VerifyScheduler(QObject):
    """Verifies queued roots on up to ``parallel`` worker loops; ``set_order`` replaces what is pending."""

    started = Signal(object)            # Path: verification of this run began
    finished = Signal(object, object)   # Path, core Report
    failed = Signal(object, str)        # Path, message
    idle = Signal()                     # nothing pending and no loop running

    def __init__(self, pool: TaskPool, cache: VerifyCache | None, parallel: int | None = None,
                 profile: str = "default", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = pool
        self.cache = cache
        self.parallel = max(1, min(parallel or default_parallel(), 3))
        self.profile = profile
        self._lock = threading.Lock()
        self._pending: list[Path] = []
        self._done: set[Path] = set()      # verified, failed or in flight: never queued again
        self._loops: set[Task] = set()
        self._closed = False
        self.paused = False   # no new run is started while True (runs in flight finish)

    def set_order(self, roots: list[Path]) -> None:
        """Verify these roots (those not yet done), in this order, instead of what was pending."""
        with self._lock:
            self._pending = [r for r in roots if r not in self._done]
        self._ensure_loops()

    def forget(self, root: Path) -> None:
        """Allow ``root`` to be verified again (after the user asks to re-verify it)."""
        with self._lock:
            self._done.discard(root)

    def pause(self) -> None:
        """Start no further verification (e.g. while the machine is busy with an opened run)."""
        self.paused = True

    def resume(self) -> None:
        self.paused = False
        self._ensure_loops()

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def busy(self) -> bool:
        return bool(self._loops) or self.pending() > 0

    def close(self) -> None:
        self._closed = True
        with self._lock:
            self._pending = []
        for task in list(self._loops):
            task.cancel()

    # -- worker side -----------------------------------------------------------------------------
    def _pop(self) -> Path | None:
        with self._lock:
            if not self._pending or self._closed or self.paused:
                return None
            root = self._pending.pop(0)
            self._done.add(root)
            return root

    def _loop(self, cancel: threading.Event) -> None:  # worker thread
        while not cancel.is_set():
            root = self._pop()
            if root is None:
                return
            emit_safely(self.started, root)
            try:
                gen = (self.cache.verify(root, profile=self.profile, cancel=cancel, workers=1)
                       if self.cache is not None else verify(root, profile=self.profile, cancel=cancel, workers=1))
                report = _drive(gen)
            except SwarmviewError as exc:
                emit_safely(self.failed, root, str(exc))
            except Exception as exc:  # one run's crash must not stop the others
                log.exception("verifying %s failed", root)
                emit_safely(self.failed, root, f"verification failed: {type(exc).__name__}: {exc}")
            else:
                emit_safely(self.finished, root, report)

    def _ensure_loops(self) -> None:
        if self._closed or self.paused:
            return
        want = min(self.parallel, self.pending())
        while len(self._loops) < want:
            task = Task("verify runs", self._loop)
            self._loops.add(task)
            task.signals.ended.connect(lambda t=task: self._loop_ended(t))
            self.pool.start(task)

    def _loop_ended(self, task: Task) -> None:
        self._loops.discard(task)
        if self._closed:
            return
        if self.pending() and not self.paused:
            self._ensure_loops()
        elif not self._loops:
            self.idle.emit()


def _drive(gen: Generator[Any, None, Any]) -> Any:
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            return stop.value
