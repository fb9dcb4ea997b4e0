"""The content stage: every content file parsed from the very bytes the verifier hashes.

:class:`ContentChecker` is fed chunk by chunk (one read per file, VERIFY.md §1): the small JSON files
and the dataset logs are buffered, the three telemetry logs stream into ``records.NdjsonFile``. At
:meth:`ContentChecker.finish` it produces the content findings (VERIFY.md §7 "Content") and
upstream's ``load_report`` stage (§3), computed from the same parsed bytes by
:mod:`swarmview.core.upstream_load`. ``load_bundle`` drives the same checker from disk
(:func:`feed_from_disk`), so the viewer, ``info`` and ``verify`` never disagree about a file.
"""

from __future__ import annotations

import errno
import os
import stat
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from swarmview.core import upstream_load as ul
from swarmview.core.findings import Finding, finding
from swarmview.core.identity import dataops
from swarmview.core.identity.graph import graph_findings, normalize_graph
from swarmview.core.jsonfiles import (
    GRAPH,
    LINEAGE,
    MANIFEST,
    MARKER,
    REGISTRY,
    RUN,
    JsonFileResult,
    read_json_bytes,
)

REGISTRY_LOG, LINEAGE_LOG, MATERIALIZATIONS = ul.REGISTRY_LOG, ul.LINEAGE_LOG, ul.MATERIALIZATIONS
SPANS, EVENTS, METRICS = ul.SPANS, ul.EVENTS, ul.METRICS

#: Every file the content stage parses (VERIFY.md §1 "What is read").
CONTENT_PATHS: tuple[str, ...] = (
    RUN, MANIFEST, GRAPH, REGISTRY, LINEAGE, MARKER,
    SPANS, EVENTS, METRICS, MATERIALIZATIONS, REGISTRY_LOG, LINEAGE_LOG,
)  # fmt: skip
SMALL_JSON = (RUN, MANIFEST, GRAPH, REGISTRY, LINEAGE, MARKER)
TELEMETRY: dict[str, str] = {SPANS: "spans", EVENTS: "events", METRICS: "metrics"}
DATASET_LOG_TYPES: dict[str, str] = {
    REGISTRY_LOG: "DATASET_ENTRY_V1",
    LINEAGE_LOG: "LINEAGE_EDGE_V1",
    MATERIALIZATIONS: "MATERIALIZATION_COMPAT",
}
V2_ONLY_KEYS = frozenset({
    "record_seq", "op_type", "input_asset_keys", "input_fingerprints_v0", "cache_decision", "cache_reason",
    "cache_key_v0", "unsafe_reasons", "applied_transforms", "status", "error_code", "quality",
})  # fmt: skip
READ_CHUNK = 1 << 20


@dataclass
class LogResult:
    """A dataset log: (line, value) pairs swarmview read, findings, upstream's error for the file."""

    rel_path: str
    pairs: list[tuple[int, dict[str, Any]]]
    findings: list[Finding]
    upstream_error: str | None


@dataclass
class ContentResult:
    """Everything the content stage read, for ``load_bundle`` and the verifier alike."""

    json_files: dict[str, JsonFileResult] = field(default_factory=dict)
    logs: dict[str, LogResult] = field(default_factory=dict)
    records: dict[str, Any] = field(default_factory=dict)  # rel path → records.RecordsResult
    upstream_files: dict[str, ul.UpstreamFile] = field(default_factory=dict)
    outcome: ul.LoadOutcome | None = None
    view: ul.LoadOutcome | None = None  # swarmview's derivation (never stops early)
    materialization_lines: list[int] = field(default_factory=list)  # line of each view.materializations row
    findings: list[Finding] = field(default_factory=list)


@dataclass
class _FileState:
    buffer: bytearray | None = None
    ndjson: Any = None  # records.NdjsonFile
    fed: int = 0
    too_large: bool = False
    done: bool = False
    complete: bool = True
    os_error: tuple[str, str] | None = None
    unparsed: str | None = None
    parsed: Any = None  # JsonFile or LogResult of a complete file: parsed once (a preview, then the result)


class ContentChecker:
    """The content stage of verify, fed with the bytes being hashed (docs/internal-api.md)."""

    def __init__(
        self, root: Path, *, max_parse_bytes: int | None = None, max_line_bytes: int = 64 << 20
    ) -> None:
        self.root = Path(root)
        self.max_parse_bytes = max_parse_bytes
        self.max_line_bytes = max_line_bytes
        self._lock = threading.Lock()
        self._files: dict[str, _FileState] = {}
        self._result: ContentResult | None = None

    def wants(self, rel_path: str) -> bool:
        return rel_path in CONTENT_PATHS

    def _state(self, rel_path: str) -> _FileState:
        with self._lock:
            st = self._files.get(rel_path)
            if st is None:
                st = _FileState()
                if rel_path in TELEMETRY:
                    from swarmview.core.records import NdjsonFile

                    st.ndjson = NdjsonFile(TELEMETRY[rel_path], rel_path, max_line_bytes=self.max_line_bytes)
                else:
                    st.buffer = bytearray()
                self._files[rel_path] = st
            return st

    def feed(self, rel_path: str, chunk: bytes) -> None:
        if not self.wants(rel_path):
            return
        st = self._state(rel_path)
        if st.too_large:
            st.fed += len(chunk)
            return
        st.fed += len(chunk)
        if self.max_parse_bytes is not None and st.fed > self.max_parse_bytes:
            st.too_large, st.buffer, st.ndjson = True, None, None
            return
        if st.ndjson is not None:
            st.ndjson.feed(chunk)
        elif st.buffer is not None:
            st.buffer += chunk

    def end_file(self, rel_path: str, *, complete: bool, size: int) -> None:
        """``complete=False``: the read failed or the file changed; its content is not judged."""
        if not self.wants(rel_path):
            return
        st = self._state(rel_path)
        st.done, st.complete = True, complete
        st.fed = max(st.fed, size)
        if not complete:
            st.os_error = _probe_os_error(self.root / rel_path)

    def finish(self, prior_failure: Mapping[str, Any] | None) -> tuple[list[Finding], dict[str, Any]]:
        """Content findings and upstream's ``load_report`` stage (VERIFY.md §3)."""
        result = self.result(prior_failure)
        assert result.outcome is not None
        return list(result.findings), result.outcome.report

    def snapshot(self) -> ContentResult:
        """What the files fed so far say, derived afresh (files not yet fed count as absent); the
        telemetry tables are the ones :meth:`result` will return (closing a records file is final)."""
        with self._lock:
            res = _analyze(self)
        res.outcome = ul.emulate_load_report(res.upstream_files, None)
        return res

    def result(self, prior_failure: Mapping[str, Any] | None = None) -> ContentResult:
        """Parse what was fed (once) and derive everything; ``outcome`` follows ``prior_failure``."""
        with self._lock:
            if self._result is None:
                self._result = _analyze(self)
            self._result.outcome = ul.emulate_load_report(self._result.upstream_files, prior_failure)
            return self._result


def _probe_os_error(path: Path) -> tuple[str, str] | None:
    """What upstream's open would say about a file the verifier could not read through."""
    from swarmview.core.verify.oserr import rust_kind, rust_text

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        os.close(fd)
    except OSError as exc:
        return rust_kind(exc), rust_text(exc)
    return None


# --- analysis -----------------------------------------------------------------------------------------


def _too_large(rel: str, size: int, limit: int) -> Finding:
    return finding(
        "FILE_TOO_LARGE", rel, f"{rel}: {size} bytes exceeds the configured limit {limit}; not parsed",
        expected=limit, found=size,
    )  # fmt: skip


def _analyze(checker: ContentChecker) -> ContentResult:
    res = ContentResult()
    ups = res.upstream_files
    for rel, st in checker._files.items():
        if st.too_large:
            assert checker.max_parse_bytes is not None
            res.findings.append(_too_large(rel, st.fed, checker.max_parse_bytes))
            ups[rel] = ul.UpstreamFile(unparsed=f"{rel} was not parsed (larger than --max-parse-bytes)")
            continue
        if not st.complete:
            if st.os_error is not None:
                ups[rel] = ul.UpstreamFile(os_error=st.os_error)
            else:
                ups[rel] = ul.UpstreamFile(unparsed=st.unparsed or f"{rel} could not be read through")
            continue
        if rel in SMALL_JSON:
            if st.parsed is None:
                st.parsed = read_json_bytes(rel, bytes(st.buffer or b""))
            jf = st.parsed
            res.json_files[rel] = jf
            if rel not in (RUN, MANIFEST):
                res.findings.extend(jf.findings)
            else:  # what makes upstream refuse them is upstream's own check (verify's fast stage reports it)
                res.findings.extend(f for f in jf.findings if f.severity != "error")
            ups[rel] = ul.UpstreamFile(error=jf.upstream_error, value=jf.upstream_value, sha256=jf.sha256)
        elif rel in DATASET_LOG_TYPES:
            if st.parsed is None:
                st.parsed = _parse_log(rel, bytes(st.buffer or b""))
            log = st.parsed
            res.logs[rel] = log
            res.findings.extend(log.findings)
            ups[rel] = ul.UpstreamFile(error=log.upstream_error, value=[v for _, v in log.pairs])
        elif rel in TELEMETRY:
            rr = st.ndjson.close()
            res.records[rel] = rr
            res.findings.extend(rr.findings)
            count, unfinished = _table_counts(rr.table)
            ups[rel] = ul.UpstreamFile(error=rr.upstream_error, count=count, unfinished=unfinished)
    _derive_view(res)
    return res


def _table_counts(table: Any) -> tuple[int, int]:
    has_end = getattr(table, "has_end", None)
    count = len(table.line)
    unfinished = int(count - int(has_end.sum())) if has_end is not None else 0
    return count, unfinished


def _parse_log(rel: str, data: bytes) -> LogResult:
    from swarmview.core.jsontext import types
    from swarmview.core.records import parse_ndjson_values

    pairs, findings, error = parse_ndjson_values(data, getattr(types, DATASET_LOG_TYPES[rel]), rel)
    findings = list(findings)
    if rel == MATERIALIZATIONS:
        findings.extend(_materialization_findings(rel, data, pairs))
    return LogResult(rel, list(pairs), findings, error)


def _materialization_findings(
    rel: str, data: bytes, pairs: list[tuple[int, dict[str, Any]]]
) -> list[Finding]:
    """MATERIALIZATION_DOWNGRADED (F-18): a V2-looking line upstream silently reads as V1."""
    from swarmview.core.jsontext import types
    from swarmview.core.jsontext.decode import JsonError, decode

    lines = data.split(b"\n")
    out: list[Finding] = []
    for line_no, rec in pairs:
        version = rec.get("schema_version")
        if rec.get("__variant__") == "V1":
            text = lines[line_no - 1].removesuffix(b"\r")
            try:
                raw = orjson.loads(text)
            except orjson.JSONDecodeError:
                raw = {}
            keys = set(raw) if isinstance(raw, dict) else set()
            if version == 2 or keys & V2_ONLY_KEYS:
                try:
                    decode(text, types.MATERIALIZATION_V2)
                    reason = "not a valid V2 record"
                except JsonError as exc:
                    reason = f"not a valid V2 record ({exc.message})"
                out.append(finding(
                    "MATERIALIZATION_DOWNGRADED", rel,
                    f"{rel}:{line_no}: {reason}; read as V1 like upstream — provenance, status and cache data are lost",
                    line=line_no,
                ))  # fmt: skip
    return out


def _derive_view(res: ContentResult) -> None:
    """What swarmview shows: the loader's semantics over everything readable, never stopping early.

    An unreadable marker counts as a mismatch (F-02: upstream would refuse the whole bundle instead).
    """
    jf = res.json_files
    graph_file = jf.get(GRAPH)
    graph_exact = graph_file.value if graph_file else None
    graph_up = (
        graph_file.upstream_value if graph_file and graph_file.upstream_value is not None else graph_exact
    )
    marker_file = jf.get(MARKER)
    marker = marker_file.value if marker_file else None
    reason: str | None = None
    if marker_file is not None:
        if marker is None:
            reason = f"{MARKER} cannot be read"
        else:
            reg_sha = jf[REGISTRY].sha256 if REGISTRY in jf else None
            lin_sha = jf[LINEAGE].sha256 if LINEAGE in jf else None
            reason = ul.marker_mismatch(marker, reg_sha, lin_sha)
    empty = LogResult("", [], [], None)
    files = dataops.DatasetFiles(
        registry_snapshot=jf[REGISTRY].value if REGISTRY in jf else None,
        lineage_snapshot=jf[LINEAGE].value if LINEAGE in jf else None,
        registry_log=res.logs.get(REGISTRY_LOG, empty).pairs,
        lineage_log=res.logs.get(LINEAGE_LOG, empty).pairs,
        materializations=res.logs.get(MATERIALIZATIONS, empty).pairs,
        marker=marker,
        marker_reason=reason,
        logs_present=REGISTRY_LOG in res.logs or LINEAGE_LOG in res.logs,
    )
    loaded = dataops.load_datasets(
        registry_snapshot=files.registry_snapshot,
        lineage_snapshot=files.lineage_snapshot,
        registry_log=[v for _, v in files.registry_log],
        lineage_log=[v for _, v in files.lineage_log],
        materializations=files.materializations,
        marker_reason=reason,
    )
    res.materialization_lines = list(loaded.materialization_lines)
    normalized = normalize_graph(graph_up) if graph_up is not None else None
    if graph_up is not None:
        res.findings.extend(graph_findings(graph_exact, graph_up, registry=loaded.registry))
    found = dataops.dataset_findings(files, graph_exact, graph_up)
    downgraded = {f.line for f in res.findings if f.code == "MATERIALIZATION_DOWNGRADED"}
    found = [  # a downgraded V2 line is reported once, as MATERIALIZATION_DOWNGRADED
        f for f in found
        if not (f.code == "UNSUPPORTED_SCHEMA_VERSION" and f.path == MATERIALIZATIONS and f.line in downgraded)
    ]  # fmt: skip
    if marker_file is not None and marker is None:  # reported once, as SNAPSHOT_MARKER_INVALID
        found = [f for f in found if f.code != "SNAPSHOT_PAIR_MISMATCH"]
    res.findings.extend(found)
    res.view = ul.LoadOutcome(
        report={},
        graph=normalized,
        registry=loaded.registry,
        lineage=loaded.lineage,
        materializations=loaded.materializations,
        **ul.unsafe_lists(normalized, loaded.registry, loaded.materializations),
    )


# --- reading from disk (load_bundle, upstream_load_report) -------------------------------------------------


def feed_from_disk(
    checker: ContentChecker,
    root: Path,
    *,
    cancel: Any = None,
    progress: Callable[[int, int], None] | None = None,
    before_metrics: Callable[[], None] | None = None,
) -> dict[str, int]:
    """Feed every present regular content file of ``root`` into ``checker``; returns sizes by path.

    Links are followed like upstream's reader, but only regular files are opened (a FIFO never hangs
    us). ``cancel`` (a ``threading.Event``) is checked between chunks; ``progress(done, total)`` is
    called in bytes. Raises ``InterruptedError`` when cancelled. ``metrics.ndjson``, usually by far
    the biggest file, is read last, and ``before_metrics()`` is called once just before it (or at the
    end when there is none): the viewer shows the rest of the run meanwhile.
    """
    present: dict[str, int] = {}
    for rel in CONTENT_PATHS:
        try:
            st = os.stat(root / rel)
        except OSError as exc:
            if not isinstance(exc, FileNotFoundError | NotADirectoryError):
                checker.end_file(rel, complete=False, size=0)
            continue
        if stat.S_ISREG(st.st_mode):
            present[rel] = st.st_size
        else:  # never opened: a FIFO would block us as it blocks upstream (F-04)
            state = checker._state(rel)
            state.done, state.complete = True, False
            if stat.S_ISDIR(st.st_mode):
                state.os_error = ("IsADirectory", f"{os.strerror(errno.EISDIR)} (os error {errno.EISDIR})")
            else:
                state.unparsed = f"{rel} is not a regular file; upstream blocks or fails reading it"
    total = sum(present.values())
    done = 0
    if progress is not None:
        progress(0, total)
    order = sorted(present.items(), key=lambda item: item[0] == METRICS)  # stable: metrics last
    hook = before_metrics
    for rel, size in order:
        if rel == METRICS and hook is not None:
            hook()
            hook = None
        try:
            fd = os.open(root / rel, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            checker.end_file(rel, complete=False, size=size)
            continue
        fed = 0
        ok = True
        with os.fdopen(fd, "rb", buffering=0) as fh:
            checker._state(rel)
            while True:
                if cancel is not None and cancel.is_set():
                    raise InterruptedError("loading cancelled")
                try:
                    chunk = fh.read(READ_CHUNK)
                except OSError:
                    ok = False
                    break
                if not chunk:
                    break
                checker.feed(rel, chunk)
                fed += len(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, max(total, done))
        checker.end_file(rel, complete=ok, size=fed)
        present[rel] = fed
    if hook is not None:
        hook()
    return present


def read_upstream_files(root: Path) -> dict[str, ul.UpstreamFile]:
    """What upstream's reader gets from every content file of ``root`` (one read per file)."""
    checker = ContentChecker(root)
    feed_from_disk(checker, root)
    return checker.result().upstream_files
