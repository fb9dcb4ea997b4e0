"""What the runs browser shows of one run, read cheaply (no tables, no hashing).

A folder may hold thousands of runs, so a row must cost milliseconds: ``run.json`` and ``graph.json``
are decoded, the NDJSON logs are only scanned as bytes (lines counted, timestamps and peer ids picked
by regular expressions in C), and only ``metrics.ndjson`` is decoded line by line to count its §11
series, up to :data:`PARSE_LIMIT` bytes. Files are opened without following links and never when they
are not regular files (a FIFO planted in a run must not hang the worker). Pure stdlib + orjson: this
runs in worker threads and has no Qt in it.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from swarmview.core.runs.cache import TreeState, VerifyCache, tree_state
from swarmview.core.verify.report import Report

#: NDJSON files larger than this are only counted (lines, first/last timestamps), not scanned whole.
PARSE_LIMIT = 64 << 20
_CHUNK = 1 << 20
_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_TIME_RE = re.compile(rb'"(?:start_unix_nanos|end_unix_nanos|ts_unix_nanos)"\s*:\s*(\d+)')
_PEER_RE = re.compile(rb'"swarmtorch\.peer_id"\s*:\s*"((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class RunSummary:
    """One row of the runs browser. Counts are None when they could not be read cheaply."""

    root: Path
    folder: str                      # path relative to the browsed folder ("." for the folder itself)
    run_id: str | None
    created_ns: int | None
    swarmtorch_version: str | None
    duration_ns: int | None          # from creation (or the first record) to the last record
    nodes: int | None
    spans: int | None
    series: int | None
    peers: int | None
    size: int                        # bytes of the regular files in the tree
    manifest: bool                   # manifest.json present (False: never finalized, or lost)
    note: str = ""                   # what could not be read, in plain words
    cached: Report | None = None     # a verification answered by the cache while listing

    @property
    def label(self) -> str:
        """Short name for legends and titles: the run id's first 8 digits, else the folder name."""
        return self.run_id[:8] if self.run_id else self.root.name


def read_regular(path: str | Path, limit: int | None = None) -> bytes | None:
    """The bytes of a regular file (at most ``limit``), None when absent, a link, a FIFO or unreadable."""
    try:
        fd = os.open(path, _FLAGS)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        parts: list[bytes] = []
        got = 0
        while limit is None or got < limit:
            chunk = os.read(fd, _CHUNK if limit is None else min(_CHUNK, limit - got))
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
        return b"".join(parts)
    except OSError:
        return None
    finally:
        os.close(fd)


def _json(path: str) -> Any:
    data = read_regular(path, 256 << 20)
    if data is None:
        return None
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return None


@dataclass
class _Scan:
    lines: int = 0
    t_min: int | None = None
    t_max: int | None = None
    peers: set[bytes] | None = None
    data: bytes | None = None   # the whole file when it was read whole


def _scan_ndjson(path: str) -> _Scan | None:
    """Lines, time bounds and peer ids of one NDJSON file; None when it cannot be read."""
    try:
        fd = os.open(path, _FLAGS)
    except OSError:
        return None
    scan = _Scan()
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None
        whole = st.st_size <= PARSE_LIMIT
        parts: list[bytes] = []
        head = b""
        tail = b""
        last = b"\n"
        while chunk := os.read(fd, _CHUNK):
            scan.lines += chunk.count(b"\n")
            last = chunk[-1:]
            if whole:
                parts.append(chunk)
            else:
                head = head or chunk
                tail = (tail + chunk)[-_CHUNK:]
        if last != b"\n":
            scan.lines += 1
    except OSError:
        return None
    finally:
        os.close(fd)
    text = b"".join(parts) if whole else head + b"\n" + tail
    times = [int(t) for t in _TIME_RE.findall(text)]
    if times:
        scan.t_min, scan.t_max = min(times), max(times)
    if whole:
        scan.peers = set(_PEER_RE.findall(text))
        scan.data = text
    return scan


def count_series(data: bytes) -> int:
    """Distinct VERIFY.md §11 series: ``name`` + attrs without an integer ``step`` (value variants kept)."""
    keys: set[bytes] = set()
    for line in data.splitlines():
        if not line.strip():
            continue
        try:
            rec = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if not isinstance(rec, dict):
            continue
        attrs = rec.get("attrs")
        attrs = dict(attrs) if isinstance(attrs, dict) else {}
        step = attrs.get("step")
        if isinstance(step, int) and not isinstance(step, bool):
            del attrs["step"]
        name = rec.get("name")
        keys.add(orjson.dumps([name if isinstance(name, str) else None, attrs], option=orjson.OPT_SORT_KEYS))
    return len(keys)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def summarize_run(root: Path, base: Path, cache: VerifyCache | None = None, profile: str = "default") -> RunSummary:
    """The browser row of ``root``; with ``cache``, a still-valid cached verification comes along."""
    notes: list[str] = []
    top = os.fspath(root)
    run = _json(os.path.join(top, "run.json"))
    if not isinstance(run, dict):
        run = {}
        notes.append("run.json unreadable")
    graph = _json(os.path.join(top, "graph.json"))
    nodes = len(graph["nodes"]) if isinstance(graph, dict) and isinstance(graph.get("nodes"), list) else None
    scans = {name: _scan_ndjson(os.path.join(top, name)) for name in ("spans.ndjson", "events.ndjson", "metrics.ndjson")}
    spans = scans["spans.ndjson"].lines if scans["spans.ndjson"] is not None else None
    metrics = scans["metrics.ndjson"]
    series = count_series(metrics.data) if metrics is not None and metrics.data is not None else None
    peer_sets = [s.peers for s in scans.values() if s is not None]
    peers = len(set().union(*peer_sets)) if peer_sets and all(p is not None for p in peer_sets) else None
    created = _int(run.get("created_unix_nanos"))
    lows = [s.t_min for s in scans.values() if s is not None and s.t_min is not None]
    highs = [s.t_max for s in scans.values() if s is not None and s.t_max is not None]
    start = created if created is not None else (min(lows) if lows else None)
    if start is not None and lows:
        start = min(start, min(lows))
    duration = max(highs) - start if highs and start is not None else None
    state: TreeState = tree_state(root)
    manifest = not state.manifest_sha256.startswith("absent:")
    if not manifest:
        notes.append("no manifest.json (never finalized, or lost)")
    cached = cache.lookup(root, profile, state) if cache is not None else None
    try:
        folder = os.path.relpath(root, base)
    except ValueError:
        folder = str(root)
    run_id = run.get("run_id")
    version = run.get("swarmtorch_version")
    return RunSummary(
        root=root, folder=folder, run_id=run_id.lower() if isinstance(run_id, str) else None,
        created_ns=created, swarmtorch_version=version if isinstance(version, str) else None,
        duration_ns=duration, nodes=nodes, spans=spans, series=series, peers=peers, size=state.bytes_total,
        manifest=manifest, note="; ".join(notes), cached=cached,
    )
