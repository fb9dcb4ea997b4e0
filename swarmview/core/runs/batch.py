"""Verifying a folder of runs as one batch (VERIFY.md §2 "Batches"; issue 11).

Users keep dozens to thousands of runs under ``<base>/runs/<run_id>/``. Discovery is
``core.bundle.discover_bundles`` (depth ≤ 8, links not followed, no descent into a found bundle).
Every run is then ``lstat``-walked once (its cache signature and its size), answered from the cache
when unchanged, and otherwise verified:

- big runs (many bytes, or much to parse) one at a time, each with a hashing pool as wide as the
  machine, so that memory stays bounded by one big run's tables;
- small runs several at a time, one hashing thread each, on a thread pool as wide as the machine (or,
  opt-in, on worker processes: their cost is Python parsing, which threads cannot spread over cores).

Total concurrency thus stays at about one busy thread per core. ``verify_batch`` is a generator like
``verify()``: it yields :class:`BatchProgress` and returns a :class:`BatchResult` whose reports are in
discovery order. Cancelling keeps every report already made (exit 130).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Generator, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from swarmview.core.bundle import discover_bundles
from swarmview.core.errors import NotABundleError, SwarmviewError
from swarmview.core.runs.cache import TreeState, VerifyCache, tree_state
from swarmview.core.verify.engine import run_verify, verify
from swarmview.core.verify.report import Report

SCHEMA = "swarmview.verify-batch/1"
#: A run this large (all files) or with this much to parse is verified alone with the whole hashing pool.
BIG_RUN_BYTES = 64 << 20
BIG_PARSE_BYTES = 16 << 20
#: Small runs verified in worker processes from this many on (below it, starting processes costs more).
PROCESS_MIN_RUNS = 24
VERDICTS = ("verified", "verified_with_warnings", "problems", "could_not_verify", "cancelled")
#: Batch exit code = the worst run's, worst first (VERIFY.md §2): 130 > 1 > 3 > 0.
EXIT_RANK = {130: 4, 1: 3, 3: 2, 0: 1}


@dataclass(frozen=True)
class BatchProgress:
    """Whole-batch progress: runs and bytes (bytes of runs answered from the cache count as done)."""

    runs_done: int
    runs_total: int
    bytes_done: int
    bytes_total: int
    current: str | None   # the root being verified (or scanned), for display


@dataclass(frozen=True)
class BatchResult:
    """The reports of a batch in discovery order, and what could not be reported."""

    path: str
    reports: list[Report]
    runs_found: int
    interrupted: bool
    elapsed_s: float
    #: (folder, message): folders discovery could not list, and runs whose verification failed.
    errors: list[tuple[str, str]] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """The worst run's exit code, 130 when interrupted (VERIFY.md §2, §10)."""
        if self.interrupted:
            return 130
        codes = [r.exit_code for r in self.reports]
        if self.errors and any(msg.startswith("verification failed") for _, msg in self.errors):
            codes.append(3)
        return max(codes, key=lambda c: EXIT_RANK.get(c, 0), default=0)

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"runs": len(self.reports)}
        for verdict in VERDICTS:
            out[verdict] = sum(1 for r in self.reports if r.verdict == verdict)
        out["bytes_hashed"] = sum(r.bytes_hashed for r in self.reports)
        out["elapsed_s"] = round(self.elapsed_s, 3)
        return out

    def to_json(self) -> dict[str, Any]:
        """The §2 batch document: ``schema``, ``path``, ``runs`` (one §8 report each), ``summary``."""
        return {"schema": SCHEMA, "path": self.path, "runs": [r.to_json() for r in self.reports],
                "summary": self.summary()}


@dataclass
class _Run:
    root: Path
    state: TreeState | None = None
    report: Report | None = None
    bytes_done: int = 0
    error: str | None = None

    @property
    def size(self) -> int:
        return self.state.bytes_total if self.state is not None else 0

    @property
    def big(self) -> bool:
        s = self.state
        return s is not None and (s.bytes_total >= BIG_RUN_BYTES or s.parsed_bytes >= BIG_PARSE_BYTES)


def default_workers() -> int:
    """Threads for the batch: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def find_runs(folder: str | os.PathLike[str], *, max_depth: int = 8,
              errors: list[tuple[str, str]] | None = None,
              cancel: threading.Event | None = None) -> list[Path]:
    """Every bundle root below ``folder`` in discovery order (VERIFY.md §2)."""
    roots: list[Path] = []
    for root in discover_bundles(folder, max_depth, errors=errors):
        roots.append(root)
        if cancel is not None and cancel.is_set():
            break
    return roots


def verify_batch(
    folder: str | os.PathLike[str],
    *,
    profile: str = "default",
    tier: str = "full",
    cancel: threading.Event | None = None,
    cache: VerifyCache | None = None,
    workers: int | None = None,
    timeout: float | None = None,
    max_parse_bytes: int | None = None,
    max_line_bytes: int = 64 << 20,
    roots: Sequence[str | os.PathLike[str]] | None = None,
    processes: bool = False,
    tick: float = 0.1,
) -> Generator[BatchProgress, None, BatchResult]:
    """Verify every run below ``folder``; yields progress, returns the batch (reports in discovery order).

    Raises ``NotABundleError`` (on the first ``next()``) when no bundle is found. ``roots`` skips
    discovery (the GUI passes the runs it lists). ``timeout`` bounds the whole batch: runs reached
    after it are reported ``could_not_verify`` (``CANCELLED`` by ``--timeout``). The cache is used for
    the full tier only. ``processes=True``: verify small runs in ``spawn`` worker processes when
    there are at least ``PROCESS_MIN_RUNS`` of them (their checks are pure Python, which threads
    cannot spread over cores). Opt-in: a spawned child re-imports the caller's ``__main__`` (an
    unguarded script would run again), and on the 2-core reference machine under load it measured
    slower than threads (benchmarks/RESULTS.md). On cancel, runs already started in a process finish
    (they are small); the others are not started.
    """
    started = time.monotonic()
    cancel = cancel or threading.Event()
    path = os.fspath(folder)
    errors: list[tuple[str, str]] = []
    found = [Path(os.path.abspath(r)) for r in roots] if roots is not None else find_runs(
        folder, errors=errors, cancel=cancel)
    if not found and not cancel.is_set():
        raise NotABundleError(f"{path}: not a bundle: no run.json here or above, and no bundle found below it")
    options: dict[str, Any] = dict(profile=profile, tier=tier, max_parse_bytes=max_parse_bytes,
                                   max_line_bytes=max_line_bytes)
    batch = _Batch([_Run(root) for root in found], options, cancel, cache if tier == "full" else None,
                   started + timeout if timeout is not None else None, tick)
    n_workers = workers or default_workers()
    yield from batch.prescan()
    todo = [r for r in batch.runs if r.report is None and r.state is not None]
    for run in sorted((r for r in todo if r.big), key=lambda r: -r.size):
        yield from batch.verify_one(run, n_workers, report_every=True)
    small = [r for r in todo if not r.big]
    use_processes = processes and len(small) >= PROCESS_MIN_RUNS and n_workers > 1
    if small and not cancel.is_set():
        if use_processes:
            small = yield from batch.in_processes(small, n_workers)
        if small and not cancel.is_set():
            yield from batch.in_threads(small, min(n_workers, len(small)))
    errors.extend((str(r.root), r.error) for r in batch.runs if r.error is not None)
    yield batch.progress(None)
    return BatchResult(path, [r.report for r in batch.runs if r.report is not None], len(batch.runs),
                       cancel.is_set(), time.monotonic() - started, errors)


def _verify_in_child(root: str, options: dict[str, Any], deadline_wall: float | None) -> Report:
    """One small run in a worker process (no cancel event crosses; the deadline does, as wall time)."""
    if deadline_wall is not None:
        options = {**options, "timeout": max(deadline_wall - time.time(), 1e-9)}
    return run_verify(root, workers=1, **options)


class _Batch:
    """The runs of one batch and the ways to verify them; progress is read from ``runs``."""

    def __init__(self, runs: list[_Run], options: dict[str, Any], cancel: threading.Event,
                 cache: VerifyCache | None, deadline: float | None, tick: float) -> None:
        self.runs = runs
        self.options = options
        self.cancel = cancel
        self.cache = cache
        self.deadline = deadline
        self.tick = tick
        self._last = 0.0
        self.current: str | None = None

    def progress(self, current: str | None) -> BatchProgress:
        done = sum(1 for r in self.runs if r.report is not None or r.error is not None)
        return BatchProgress(done, len(self.runs), sum(r.bytes_done for r in self.runs),
                             sum(r.size for r in self.runs), current)

    def _due(self) -> bool:
        now = time.monotonic()
        if now - self._last >= self.tick:
            self._last = now
            return True
        return False

    def prescan(self) -> Generator[BatchProgress, None, None]:
        """One lstat walk per run: its cache signature and size; cached answers are taken here."""
        for run in self.runs:
            if self.cancel.is_set():
                return
            run.state = tree_state(run.root)
            if self.cache is not None:
                run.report = self.cache.lookup(run.root, self.options["profile"], run.state)
                if run.report is not None:
                    run.bytes_done = run.size
            if self._due():
                yield self.progress(str(run.root))

    def finish(self, run: _Run, report: Report) -> None:
        run.report = report
        run.bytes_done = run.size
        if self.cache is not None and run.state is not None:
            self.cache.store(run.root, report, run.state)

    def verify_one(self, run: _Run, hash_workers: int, report_every: bool = False
                   ) -> Generator[BatchProgress, None, None]:
        """Verify one run in this thread (``report_every``: yield batch progress while hashing)."""
        if self.cancel.is_set():
            return
        options = dict(self.options, cancel=self.cancel)
        if self.deadline is not None:
            options["timeout"] = max(self.deadline - time.monotonic(), 1e-9)
        self.current = str(run.root)
        gen = verify(run.root, workers=hash_workers, **options)
        try:
            while True:
                p = next(gen)
                run.bytes_done = min(p.bytes_done, run.size)
                if report_every and self._due():
                    yield self.progress(self.current)
        except StopIteration as stop:
            self.finish(run, stop.value)
        except SwarmviewError as exc:  # the run vanished or stopped being a bundle since discovery
            run.error = f"not verified: {exc}"
        except Exception as exc:  # one run's crash must not lose the other runs' reports
            run.error = f"verification failed: {type(exc).__name__}: {exc}"

    def in_threads(self, runs: Iterable[_Run], n: int) -> Generator[BatchProgress, None, None]:
        """Small runs on ``n`` threads, one hashing thread each."""

        def drive(run: _Run) -> None:
            for _ in self.verify_one(run, 1):
                pass

        with ThreadPoolExecutor(max_workers=n, thread_name_prefix="swarmview-batch") as pool:
            pending: set[Future[None]] = {pool.submit(drive, run) for run in runs}
            while pending:
                finished, pending = wait(pending, timeout=self.tick, return_when=FIRST_COMPLETED)
                for future in finished:
                    future.result()  # verify_one records failures itself; anything else is a bug to surface
                yield self.progress(self.current)

    def in_processes(self, runs: list[_Run], n: int) -> Generator[BatchProgress, None, list[_Run]]:
        """Small runs on ``n`` worker processes; returns the runs left for threads (a pool that broke)."""
        import multiprocessing  # only here: ~45 ms of imports that the thread path never needs
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        deadline_wall = None if self.deadline is None else time.time() + (self.deadline - time.monotonic())
        leftover: list[_Run] = []
        context = multiprocessing.get_context("spawn")  # never fork a process that may hold threads (GUI)
        with ProcessPoolExecutor(max_workers=n, mp_context=context) as pool:
            by_future = {pool.submit(_verify_in_child, str(r.root), self.options, deadline_wall): r for r in runs}
            pending: set[Future[Report]] = set(by_future)
            while pending:
                if self.cancel.is_set():
                    for future in pending:
                        future.cancel()
                finished, pending = wait(pending, timeout=self.tick, return_when=FIRST_COMPLETED)
                for future in finished:
                    run = by_future[future]
                    if future.cancelled():
                        continue
                    exc = future.exception()
                    if exc is None:
                        self.finish(run, future.result())
                        self.current = str(run.root)
                    elif isinstance(exc, BrokenProcessPool):
                        leftover.append(run)
                    elif isinstance(exc, SwarmviewError):
                        run.error = f"not verified: {exc}"
                    else:
                        run.error = f"verification failed: {type(exc).__name__}: {exc}"
                yield self.progress(self.current)
        return leftover
