"""Hashing every file once, from one handle, on a thread pool (F-07).

Each file is opened once (``O_NOFOLLOW | O_NONBLOCK``: a link or FIFO swapped in after the walk is
never followed nor waited on), ``fstat``ed, read in 1 MiB buffers that feed SHA-256 and — for content
files — the parser, then ``fstat``ed again. A grown file's prefix digest is taken on the way, so an
append is recognised without a second read. hashlib and ``os.read`` release the GIL, so threads give
real parallelism; the biggest files start first and small files are batched to keep the pool busy.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from collections.abc import Callable, Generator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

READ_SIZE = 1 << 20
SMALL_FILE = 1 << 20
BATCH_BYTES = 8 << 20
BATCH_FILES = 256
OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def _readinto(fd: int, target: memoryview) -> int:
    """Read into a reused buffer (no allocation per MiB); os.readv is POSIX-only."""
    if _HAVE_READV:
        return os.readv(fd, [target])
    data = os.read(fd, len(target))
    target[: len(data)] = data
    return len(data)


_HAVE_READV = hasattr(os, "readv")


@dataclass
class HashJob:
    """One file to read: where it is, what the walk saw, and what else to do with its bytes."""

    key: str
    abs_path: bytes
    walk_st: os.stat_result
    prefix: int | None = None            # also digest the first ``prefix`` bytes (a listed file that grew)
    feed: Callable[[bytes], None] | None = None   # the content parser, fed with the very bytes hashed
    keep_data: bool = False              # keep the bytes (run.json, manifest.json: parsed by the engine)


@dataclass
class HashResult:
    size: int | None = None              # size from fstat before reading
    sha256: str | None = None
    prefix_sha256: str | None = None
    lines_after_prefix: int = 0          # records appended after the prefix (NDJSON lines)
    error: OSError | None = None         # open/read error: the file could not be read
    changed: str | None = None           # why the file changed while read (F-07), else None
    stopped: bool = False                # cancelled before the end
    data: bytes | None = None
    bytes_read: int = 0


def read_file(job: HashJob, should_stop: Callable[[], bool] | None = None,
              progress: Callable[[int], None] | None = None) -> HashResult:
    """Read one file once: digest (and prefix digest), fstat before/after, content feed."""
    result = HashResult()
    try:
        fd = os.open(job.abs_path, OPEN_FLAGS)
    except OSError as exc:
        if exc.errno in (getattr(os, "ELOOP", -1), getattr(os, "EMLINK", -1)):
            result.changed = "replaced by a symbolic link"
        else:
            result.error = exc
        return result
    try:
        return _read_fd(fd, job, result, should_stop, progress)
    except OSError as exc:  # fstat failing on an open handle (I/O error, vanished network mount)
        result.error = exc
        return result
    finally:
        os.close(fd)


def _read_fd(fd: int, job: HashJob, result: HashResult, should_stop: Callable[[], bool] | None,
             progress: Callable[[int], None] | None) -> HashResult:
    before = os.fstat(fd)
    result.size = before.st_size
    if not stat.S_ISREG(before.st_mode) or (before.st_ino, before.st_dev) != (job.walk_st.st_ino, job.walk_st.st_dev):
        result.changed = "replaced by another file since it was listed"
        return result
    digest = hashlib.sha256()
    prefix = job.prefix if job.prefix is not None and job.prefix < before.st_size else None
    buf = bytearray(min(READ_SIZE, max(before.st_size, 1)))
    view = memoryview(buf)
    kept: list[bytes] = []
    done = 0
    newlines = 0
    last = b""
    try:
        while done < before.st_size:
            if should_stop is not None and should_stop():
                result.stopped = True
                return result
            n = _readinto(fd, view[: min(len(buf), before.st_size - done)])
            if n == 0:
                break
            chunk = view[:n]
            if prefix is not None and done <= prefix < done + n:
                cut = prefix - done
                digest.update(chunk[:cut])
                result.prefix_sha256 = digest.hexdigest()
                digest.update(chunk[cut:])
                newlines += chunk[cut:].tobytes().count(b"\n")
            else:
                digest.update(chunk)
                if prefix is not None and done > prefix:
                    newlines += buf.count(b"\n", 0, n)
            if job.feed is not None or job.keep_data:
                data = chunk.tobytes()
                if job.feed is not None:
                    job.feed(data)
                if job.keep_data:
                    kept.append(data)
            last = bytes(chunk[n - 1 : n])
            done += n
            if progress is not None:
                progress(done)
    except OSError as exc:
        result.error = exc
        return result
    after = os.fstat(fd)
    result.bytes_read = done
    if (done != before.st_size or after.st_size != before.st_size or after.st_mtime_ns != before.st_mtime_ns
            or after.st_ino != before.st_ino):
        result.changed = "size/mtime differ before and after"
    result.sha256 = digest.hexdigest()
    if prefix is not None:
        result.lines_after_prefix = newlines + (1 if last not in (b"\n", b"") else 0)
    if job.keep_data:
        result.data = b"".join(kept)
    return result


@dataclass(frozen=True)
class HashProgress:
    files_done: int
    bytes_done: int
    current: str | None


def _batches(jobs: list[HashJob]) -> list[list[int]]:
    """Biggest first; small files grouped so one task is never a few bytes of work."""
    order = sorted(range(len(jobs)), key=lambda i: -jobs[i].walk_st.st_size)
    batches: list[list[int]] = []
    current: list[int] = []
    current_bytes = 0
    for i in order:
        size = jobs[i].walk_st.st_size
        if size >= SMALL_FILE:
            batches.append([i])
            continue
        current.append(i)
        current_bytes += size
        if current_bytes >= BATCH_BYTES or len(current) >= BATCH_FILES:
            batches.append(current)
            current, current_bytes = [], 0
    if current:
        batches.append(current)
    return batches


def hash_all(
    jobs: list[HashJob],
    should_stop: Callable[[], bool],
    workers: int | None = None,
    tick: float = 0.05,
) -> Generator[HashProgress, None, dict[str, HashResult]]:
    """Read every job on a pool; yields progress about every ``tick`` seconds; returns results by key."""
    results: dict[str, HashResult] = {}
    done_bytes = [0] * len(jobs)
    finished = [0]
    current: list[str | None] = [None]
    lock = threading.Lock()

    def run(batch: list[int]) -> None:
        for i in batch:
            job = jobs[i]
            if should_stop():
                results[job.key] = HashResult(stopped=True)
                continue
            current[0] = job.key

            def progress(n: int, i: int = i) -> None:
                done_bytes[i] = n

            res = read_file(job, should_stop, progress)
            with lock:
                results[job.key] = res
                finished[0] += 1

    n_workers = workers or max(1, min(8, os.cpu_count() or 1))
    if n_workers == 1:  # batches of small runs: a pool per run costs more than hashing their files
        for batch in _batches(jobs):
            run(batch)
            yield HashProgress(finished[0], sum(done_bytes), current[0])
        return results
    with ThreadPoolExecutor(max_workers=n_workers, thread_name_prefix="swarmview-hash") as pool:
        pending: set[Future[None]] = {pool.submit(run, batch) for batch in _batches(jobs)}
        while pending:
            finished_now, pending = wait(pending, timeout=tick, return_when=FIRST_COMPLETED)
            for future in finished_now:
                future.result()  # a bug in a worker must surface, not vanish
            yield HashProgress(finished[0], sum(done_bytes), current[0])
    return results
