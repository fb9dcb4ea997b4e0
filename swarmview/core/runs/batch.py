"""Verifying a folder of runs as one batch (VERIFY.md §2 "Batches"; issue 11).

Users keep dozens to thousands of runs under ``<base>/runs/<run_id>/``. Discovery is
``core.bundle.discover_bundles`` (depth ≤ 8, links not followed, no descent into a found bundle).
Every run is then ``lstat``-walked once (its cache signature and its size), answered from the cache
when unchanged, and otherwise verified:

- big runs (many bytes, or much to parse) one at a time, each with a hashing pool as wide as the
  machine, so that memory stays bounded by one big run's tables;
- small runs several at a time, one hashing thread each, on a pool as wide as the machine.

Total concurrency thus stays at about one thread per core. ``verify_batch`` is a generator like
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

from swarmview import __version__
from swarmview.core.bundle import discover_bundles
from swarmview.core.errors import NotABundleError, SwarmviewError
from swarmview.core.runs.cache import TreeState, VerifyCache, tree_state
from swarmview.core.verify.engine import verify
from swarmview.core.verify.report import Report

SCHEMA = "swarmview.verify-batch/1"
#: A run this large (all files) or with this much to parse is verified alone with the whole hashing pool.
BIG_RUN_BYTES = 64 << 20
BIG_PARSE_BYTES = 16 << 20
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

    @property
    def swarmview_version(self) -> str:
        return __version__


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
    tick: float = 0.1,
) -> Generator[BatchProgress, None, BatchResult]:
    """Verify every run below ``folder``; yields progress, returns the batch (reports in discovery order).

    Raises ``NotABundleError`` (on the first ``next()``) when no bundle is found. ``roots`` skips
    discovery (the GUI passes the runs it lists). ``timeout`` bounds the whole batch: runs reached
    after it are reported ``could_not_verify`` (``CANCELLED`` by ``--timeout``). The cache is used for
    the full tier only.
    """
    started = time.monotonic()
    cancel = cancel or threading.Event()
    path = os.fspath(folder)
    errors: list[tuple[str, str]] = []
    found = [Path(os.path.abspath(r)) for r in roots] if roots is not None else find_runs(
        folder, errors=errors, cancel=cancel)
    if not found and not cancel.is_set():
        raise NotABundleError(f"{path}: no bundle found below this folder (nor in any folder above it)")
    runs = [_Run(root) for root in found]
    cache = cache if tier == "full" else None
    n_workers = workers or default_workers()
    kwargs: dict[str, Any] = dict(profile=profile, tier=tier, cancel=cancel,
                                  max_parse_bytes=max_parse_bytes, max_line_bytes=max_line_bytes)
    deadline = started + timeout if timeout is not None else None

    def progress(current: str | None) -> BatchProgress:
        done = sum(1 for r in runs if r.report is not None or r.error is not None)
        return BatchProgress(done, len(runs), sum(r.bytes_done for r in runs), sum(r.size for r in runs), current)

    # 1. one lstat walk per run: its signature (cache) and size (scheduling, progress)
    last = 0.0
    for run in runs:
        if cancel.is_set():
            break
        run.state = tree_state(run.root)
        if cache is not None:
            run.report = cache.lookup(run.root, profile, run.state)
            if run.report is not None:
                run.bytes_done = run.size
        if time.monotonic() - last >= tick:
            last = time.monotonic()
            yield progress(str(run.root))
    todo = [r for r in runs if r.report is None and r.state is not None]

    def one(run: _Run, hash_workers: int) -> Generator[Any, None, None]:
        """Verify one run, recording its bytes as it goes (yields to let the driver report progress)."""
        if cancel.is_set():
            return
        run_kwargs = dict(kwargs)
        if deadline is not None:
            run_kwargs["timeout"] = max(deadline - time.monotonic(), 1e-9)
        gen = verify(run.root, workers=hash_workers, **run_kwargs)
        try:
            while True:
                p = next(gen)
                run.bytes_done = min(p.bytes_done, run.size)
                yield p
        except StopIteration as stop:
            run.report = stop.value
        except SwarmviewError as exc:  # the run vanished or stopped being a bundle since discovery
            run.error = f"not verified: {exc}"
            return
        except Exception as exc:  # one run's crash must not lose the other runs' reports
            run.error = f"verification failed: {type(exc).__name__}: {exc}"
            return
        run.bytes_done = run.size
        if cache is not None and run.state is not None and run.report is not None:
            cache.store(run.root, run.report, run.state)

    # 2. big runs one at a time, biggest first, with the whole hashing pool
    for run in sorted((r for r in todo if r.big), key=lambda r: -r.size):
        for _ in one(run, n_workers):
            if time.monotonic() - last >= tick:
                last = time.monotonic()
                yield progress(str(run.root))

    # 3. small runs in parallel, one hashing thread each
    small = [r for r in todo if not r.big]
    if small and not cancel.is_set():
        yield from _run_parallel(small, one, min(n_workers, len(small)), progress, tick)

    result_runs = [r for r in runs if r.report is not None]
    errors.extend((str(r.root), r.error) for r in runs if r.error is not None)
    interrupted = cancel.is_set()
    yield progress(None)
    return BatchResult(path, [r.report for r in result_runs if r.report is not None], len(runs),
                       interrupted, time.monotonic() - started, errors)


def _run_parallel(runs: Iterable[_Run], one: Any, n: int, progress: Any, tick: float
                  ) -> Generator[BatchProgress, None, None]:
    """Drive ``one(run, 1)`` for each run on ``n`` threads, reporting progress every ``tick`` seconds."""
    current: list[str | None] = [None]

    def drive(run: _Run) -> None:
        current[0] = str(run.root)
        for _ in one(run, 1):
            pass

    with ThreadPoolExecutor(max_workers=n, thread_name_prefix="swarmview-batch") as pool:
        pending: set[Future[None]] = {pool.submit(drive, run) for run in runs}
        while pending:
            finished, pending = wait(pending, timeout=tick, return_when=FIRST_COMPLETED)
            for future in finished:
                future.result()  # drive() records failures itself; anything else is a bug to surface
            yield progress(current[0])
