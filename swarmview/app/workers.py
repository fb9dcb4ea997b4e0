"""Worker tasks: every parse, hash and layout runs here, never on the GUI thread.

A :class:`Task` is a ``QRunnable`` running one core function; because a runnable is not a QObject its
signals live on a companion :class:`TaskSignals` (superqt's pattern), emitted from the worker and
delivered queued on the GUI thread. Cancellation is cooperative through a ``threading.Event`` handed to
the function. A :class:`TaskPool` owns its own ``QThreadPool`` so a window can cancel and *join* exactly
its tasks on close: no thread outlives the window.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Generator
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)

#: Progress is forwarded at most this often: smooth enough for bars and counters, and repainting
#: them more often takes the interpreter from the workers the progress is about.
PROGRESS_INTERVAL_S = 1 / 10


class TaskSignals(QObject):
    """Signals of one task; emitted from the worker thread, received queued on the GUI thread."""

    progress = Signal(object)  # whatever the function yields (e.g. core Progress)
    done = Signal(object)  # the function's return value (a generator's return value)
    failed = Signal(str)  # one line naming what failed
    ended = Signal()  # always last, after done/failed


class Task(QRunnable):
    """Run ``fn(cancel_event)`` in a worker; a generator result is driven and its yields forwarded.

    The function receives the task's cancel event and must check it between buffers. Its return value is
    delivered through ``signals.done`` even after a cancel (a cancelled verify still returns a report);
    owners that no longer want it check :attr:`cancelled` or disconnect.
    """

    def __init__(self, name: str, fn: Callable[[threading.Event], Any]) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the pool keeps the Python object; Qt must not delete it under us
        self.name = name
        self._fn = fn
        self.cancel_event = threading.Event()
        self.signals = TaskSignals()
        self.finished_event = threading.Event()

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def cancel(self) -> None:
        self.cancel_event.set()

    def run(self) -> None:  # worker thread
        try:
            result = self._fn(self.cancel_event)
            if isinstance(result, Generator):
                result = self._drive(result)
        except Exception as exc:
            log.exception("task %s failed", self.name)
            self._emit(self.signals.failed, f"{self.name}: {exc}")
        else:
            self._emit(self.signals.done, result)
        finally:
            self.finished_event.set()
            self._emit(self.signals.ended)

    def _drive(self, gen: Generator[Any, None, Any]) -> Any:
        last_emit = 0.0
        pending: Any = None
        while True:
            try:
                item = next(gen)
            except StopIteration as stop:
                if pending is not None:
                    self._emit(self.signals.progress, pending)
                return stop.value
            now = time.monotonic()
            if now - last_emit >= PROGRESS_INTERVAL_S:
                self._emit(self.signals.progress, item)
                last_emit, pending = now, None
            else:
                pending = item

    @staticmethod
    def _emit(signal: Any, *args: Any) -> None:
        try:
            signal.emit(*args)
        except RuntimeError:  # the signals object was deleted with its owner: nobody is listening
            pass


class TaskPool(QObject):
    """A private thread pool whose tasks can all be cancelled and joined (window close, reload)."""

    def __init__(self, max_threads: int = 4, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._live: set[Task] = set()
        self._lock = threading.Lock()

    def start(self, task: Task) -> Task:
        with self._lock:
            self._live.add(task)
        task.signals.ended.connect(lambda t=task: self._forget(t))
        self._pool.start(task)
        return task

    def _forget(self, task: Task) -> None:
        with self._lock:
            self._live.discard(task)

    def live_tasks(self) -> list[Task]:
        with self._lock:
            return [t for t in self._live if not t.finished_event.is_set()]

    def cancel_all(self) -> None:
        for task in self.live_tasks():
            task.cancel()

    def active_thread_count(self) -> int:
        return self._pool.activeThreadCount()

    def wait(self, timeout_ms: int = -1) -> bool:
        """Block until every started task has finished (tests and shutdown)."""
        return self._pool.waitForDone(timeout_ms)

    def shutdown(self, timeout_ms: int = 15000) -> bool:
        """Cancel everything, drop queued tasks, join the running ones; False if one is still stuck."""
        self.cancel_all()
        self._pool.clear()
        with self._lock:
            queued = [t for t in self._live if not t.finished_event.is_set()]
        ok = self._pool.waitForDone(timeout_ms)
        if not ok:
            stuck = [t.name for t in queued if not t.finished_event.is_set()]
            log.error("worker tasks still running after %d ms: %s", timeout_ms, ", ".join(stuck))
        return ok


# --------------------------------------------------------------------------------------------------
# The core entry points, imported in this one place: the core is written in parallel with the app, and
# a missing piece must show as a message in the window, not as a crash at import time.


class CoreAPI:
    """The three core functions the shell runs, or None for each one this build lacks."""

    def __init__(self) -> None:
        self.missing: list[str] = []
        self.find_bundle_root: Callable[..., Any] | None = None
        self.load_bundle: Callable[..., Any] | None = None
        self.verify: Callable[..., Any] | None = None
        try:
            from swarmview.core.bundle import find_bundle_root

            self.find_bundle_root = find_bundle_root
        except ImportError as exc:
            self.missing.append(f"bundle discovery ({exc})")
        try:
            from swarmview.core.bundle import load_bundle

            self.load_bundle = load_bundle
        except ImportError as exc:
            self.missing.append(f"bundle loader ({exc})")
        try:
            from swarmview.core.verify.engine import verify

            self.verify = verify
        except ImportError as exc:
            self.missing.append(f"verifier ({exc})")


def manifest_digest(root: Any) -> str | None:
    """SHA-256 of ``manifest.json`` itself (users compare it with a digest they recorded elsewhere).

    Opened only when it is a regular file, non-blocking and without following links, so a FIFO planted
    there cannot hang the worker. None when absent or unreadable.
    """
    import hashlib
    import os
    import stat

    path = os.path.join(os.fspath(root), "manifest.json")
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
        fd = os.open(path, flags)
    except OSError:
        return None
    digest = hashlib.sha256()
    with os.fdopen(fd, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class RunSession(QObject):
    """One opened run: find its root, then load and verify it in parallel, then prepare each view.

    Signals arrive on the GUI thread. ``idle`` fires whenever no task of this session is left (the
    screenshot command waits for it). Results of a replaced or cancelled task are dropped here, so a
    stale result never reaches a view.
    """

    root_found = Signal(object)  # Path
    open_failed = Signal(str)  # not a bundle, core missing, …
    load_progress = Signal(object)
    previewed = Signal(object)  # core Bundle marked partial: all but metrics.ndjson read
    loaded = Signal(object)  # core Bundle
    load_failed = Signal(str)
    verify_started = Signal()
    verify_progress = Signal(object)  # core Progress
    verified = Signal(object, object)  # Report, manifest sha256 (str | None)
    verify_failed = Signal(str)
    prepared = Signal(str, object, object)  # view name, the bundle it was prepared from, what prepare() returned
    rebound = Signal(str, object)  # view name, the full bundle: what the view shows from the preview stays valid
    prepare_failed = Signal(str, str)  # view name, message
    idle = Signal()
    _preview_ready = Signal(object, object)  # preview bundle, the load task (worker → GUI thread)

    def __init__(
        self,
        path: Any,
        preparers: dict[str, Callable[[Any], object]],
        pool: TaskPool,
        core: CoreAPI | None = None,
        parent: QObject | None = None,
        early: frozenset[str] = frozenset(),
    ) -> None:
        """``early`` names the preparers that do not read metrics: they run on the preview bundle,
        and their result is kept for the full one when :func:`same_except_metrics` holds."""
        super().__init__(parent)
        self.path = path
        self.root: Any = None
        self.bundle: Any = None
        self.report: Any = None
        self._preparers = dict(preparers)
        self._pool = pool
        self.core = core or CoreAPI()
        self._tasks: set[Task] = set()
        self._verify_task: Task | None = None
        self._load_task: Task | None = None
        self._verify_deferred = False
        self._pending_start = True
        self._early = early
        self.preview: Any = None
        self._early_done: dict[str, object] = {}  # view name → prepared from the preview
        self._preview_ready.connect(self._on_preview)
        self._closed = False
        self.archive: Any = None  # core ExtractedArchive when the run came from an archive
        self.display_root = ""

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        self._pending_start = False
        if self._closed:  # replaced before its (queued) start ran
            return
        finder = self.core.find_bundle_root
        if finder is None:
            self._fail_open("This build of swarmview cannot open runs: " + "; ".join(self.core.missing))
            return
        self._run("find root", lambda _ev: self._find_root(finder), self._on_root, self._fail_open)

    def _find_root(self, finder: Callable[..., Any]) -> Any:  # worker thread
        """The bundle root; an exported archive is first extracted into a private folder (VERIFY.md §2)."""
        import os
        from pathlib import Path

        try:
            from swarmview.core.archive_input import extract_archive, is_archive_path
        except ImportError:  # archives are an extra of the core; folders still open
            return finder(self.path)
        path = Path(os.fspath(self.path))
        if not is_archive_path(path):
            return finder(path)
        archive = extract_archive(path)
        if self._closed:
            archive.cleanup()
            raise InterruptedError("closed while extracting")
        self.archive = archive
        return archive.root

    def joined(self) -> None:
        """The owner joined the pool (window close): no task can still deliver, so none is pending."""
        self._tasks.clear()
        self.cleanup()

    def cleanup(self) -> None:
        """Remove an extracted archive once no task of this session can still read it."""
        if self.archive is not None and not self._tasks:
            self.archive.cleanup()
            self.archive = None

    def busy(self) -> bool:
        """Work is left: a task runs, or the session has not started yet (the window queues the start)."""
        return self._pending_start or bool(self._tasks)

    def verifying(self) -> bool:
        return self._verify_task is not None and self._verify_task in self._tasks

    def close(self) -> None:
        """Cancel this session's tasks and drop whatever they still deliver."""
        self._closed = True
        self._pending_start = False
        for task in list(self._tasks):
            task.cancel()
        self.cleanup()

    def cancel_verify(self) -> None:
        if self._verify_task is not None:
            self._verify_task.cancel()

    def reverify(self) -> None:
        """Start verification again (the old task, if any, is cancelled and its result ignored)."""
        if self.root is None or self._closed:
            return
        self._verify_deferred = False
        old = self._verify_task
        if old is not None:
            old.cancel()
            self._tasks.discard(old)
        self._start_verify()

    # -- plumbing --------------------------------------------------------------------------------
    def _run(
        self,
        name: str,
        fn: Callable[[threading.Event], Any],
        on_done: Callable[[Any], None],
        on_fail: Callable[[str], None],
        on_progress: Callable[[Any], None] | None = None,
    ) -> Task:
        task = Task(name, fn)
        self._tasks.add(task)

        def done(result: Any, t: Task = task) -> None:
            if not self._closed and t in self._tasks:
                on_done(result)

        def failed(message: str, t: Task = task) -> None:
            if not self._closed and t in self._tasks:
                on_fail(message)

        def ended(t: Task = task) -> None:
            self._tasks.discard(t)
            if not self._tasks:
                if self._closed:
                    self.cleanup()
                    self.deleteLater()  # a replaced session goes once nothing can deliver to it
                else:
                    self.idle.emit()

        task.signals.done.connect(done)
        task.signals.failed.connect(failed)
        if on_progress is not None:
            task.signals.progress.connect(
                lambda p, t=task: on_progress(p) if (not self._closed and t in self._tasks) else None
            )
        task.signals.ended.connect(ended)
        self._pool.start(task)
        return task

    def _fail_open(self, message: str) -> None:
        self.open_failed.emit(message.split(": ", 1)[1] if message.startswith("find root: ") else message)

    def _on_root(self, root: Any) -> None:
        """Load, and verify once the run is on screen: when the views filled from the preview are
        prepared (or the load ends, or fails), so verifying, which reads the same files, does not slow
        the first view of a big run."""
        self.root = root
        self.display_root = self.archive.display_root if self.archive is not None else str(root)
        self.root_found.emit(root)
        load = self.core.load_bundle
        if load is None:
            self.load_failed.emit("The bundle loader is not available in this build: " + "; ".join(self.core.missing))
        else:
            def job(ev: threading.Event) -> Any:
                def preview(bundle: Any) -> None:  # worker thread
                    Task._emit(self._preview_ready, bundle, task)

                kw: dict[str, Any] = {"preview": preview} if self._early else {}
                return load(root, cancel=ev, progress=self._progress_sink(ev), **kw)

            task = self._load_task = self._run("load", job, self._on_loaded, self._on_load_failed)
            self._verify_deferred = True
            return
        self._start_verify()

    def _progress_sink(self, _ev: threading.Event) -> Callable[..., None]:
        last = [0.0]

        def sink(*args: Any, **_kw: Any) -> None:  # worker thread
            now = time.monotonic()
            if now - last[0] >= PROGRESS_INTERVAL_S:
                last[0] = now
                Task._emit(self.load_progress, args[0] if len(args) == 1 else args)

        return sink

    def _start_verify(self) -> None:
        verify = self.core.verify
        root = self.root
        self.report = None
        if verify is None:
            self.verify_failed.emit("The verifier is not available in this build: " + "; ".join(self.core.missing))
            return

        def job(ev: threading.Event) -> Generator[Any, None, tuple[Any, str | None]]:
            report = yield from verify(root, cancel=ev)
            return report, manifest_digest(root)

        self.verify_started.emit()
        self._verify_task = self._run(
            "verify", job, self._on_verified, self.verify_failed.emit, self.verify_progress.emit
        )

    def _on_verified(self, result: tuple[Any, str | None]) -> None:
        self.report, digest = result
        self.verified.emit(self.report, digest)

    def _start_deferred_verify(self) -> None:
        if self._verify_deferred and not self._closed:
            self._verify_deferred = False
            self._start_verify()

    def _on_load_failed(self, message: str) -> None:
        self.load_failed.emit(message)
        self._start_deferred_verify()

    def _on_preview(self, bundle: Any, task: Task) -> None:
        if self._closed or task is not self._load_task or task not in self._tasks or self.bundle is not None:
            return
        self.preview = bundle
        self.previewed.emit(bundle)
        for name in self._early:
            prepare = self._preparers.get(name)
            if prepare is not None:
                self._run(
                    f"prepare {name} (preview)",
                    lambda _ev, p=prepare: p(bundle),
                    lambda prepared, n=name: self._on_early_prepared(n, prepared),
                    lambda message, n=name: self.prepare_failed.emit(n, message),
                )

    def _on_early_prepared(self, name: str, prepared: object) -> None:
        self._early_done[name] = prepared
        if self._early_done.keys() >= self._early & self._preparers.keys():
            self._start_deferred_verify()  # the preview is on screen
        if self.bundle is None:
            self.prepared.emit(name, self.preview, prepared)
        elif self._keeps_preview():  # the full run arrived first and left this view to the preview's work
            self.prepared.emit(name, self.bundle, prepared)

    def _keeps_preview(self) -> bool:
        from swarmview.core.bundle import same_except_metrics

        return self.preview is not None and self.bundle is not None and same_except_metrics(self.preview, self.bundle)

    def _on_loaded(self, bundle: Any) -> None:
        self.bundle = bundle
        self.loaded.emit(bundle)
        self._start_deferred_verify()
        keep = self._keeps_preview()
        for name, prepare in self._preparers.items():
            if keep and name in self._early:
                if name in self._early_done:
                    self.rebound.emit(name, bundle)
                continue  # else its preview prepare is still running and will deliver for this bundle
            self._run(
                f"prepare {name}",
                lambda _ev, p=prepare: p(bundle),
                lambda prepared, n=name: self.prepared.emit(n, bundle, prepared),
                lambda message, n=name: self.prepare_failed.emit(n, message),
            )
