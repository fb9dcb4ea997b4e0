"""``BundleWriter``: upstream's ``RunArtifactBundle`` + ``RunArtifactSink`` with byte-identical output.

Every file it writes has the bytes upstream's writer would produce for the same values (§2, §4–§12):
whole files go through ``jsontext.dumps_pretty`` and an atomic replace, records through
``jsontext.dumps_compact`` and one append each, the manifest through ``verify.manifest_build`` (the
same walk and text as upstream's ``finalize_manifest``). Where upstream writes what it cannot read
back (non-finite floats, zero ids: F-08, F-09) swarmview refuses, unless ``allow_nonfinite`` asks for
upstream's exact behaviour (used to reproduce upstream's fixtures).

Differences from upstream that leave the bytes unchanged: unique temp names, fsync + folder fsync
(``atomic.py``); an advisory lock on the bundle folder held while the writer is open (F-27: two
swarmview writers cannot interleave); appended files fsynced before a finalize hashes them (F-28).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Concatenate, Literal, ParamSpec, TypeVar

from swarmview.core.errors import BundleWriteError, UpstreamIOError
from swarmview.core.identity.graph import prepare_graph_for_write
from swarmview.core.jsontext import encode, types
from swarmview.core.verify.manifest_build import build_upstream_manifest
from swarmview.core.writer import atomic, bounds, records, values

try:  # POSIX advisory locks; Windows has none of this module (the lock is then skipped)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

SWARMTORCH_VERSION = "0.1.0"

RUN_JSON = "run.json"
MANIFEST_JSON = "manifest.json"
GRAPH_JSON = "graph.json"
SPANS = "spans.ndjson"
EVENTS = "events.ndjson"
METRICS = "metrics.ndjson"
REGISTRY_JSON = "datasets/registry.json"
LINEAGE_JSON = "datasets/lineage.json"
MATERIALIZATIONS = "datasets/materializations.ndjson"
REGISTRY_UPDATES = "datasets/registry_updates.ndjson"
LINEAGE_EDGES = "datasets/lineage_edges.ndjson"
SNAPSHOT_PAIR_COMMIT = "datasets/snapshot_pair_commit.json"
NDJSON_FILES = (SPANS, EVENTS, METRICS, MATERIALIZATIONS, REGISTRY_UPDATES, LINEAGE_EDGES)

#: ``ManifestRefreshPolicy`` (§12.5): ``"final_only"`` (default), ``"always"``, or N for ``IntervalN(N)``.
ManifestPolicy = Literal["final_only", "always"] | int
Clock = int | Callable[[], int] | None

#: Batch appends write at most this many bytes per system call.
CHUNK_BYTES = 4 << 20


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _serialized(method: Callable[Concatenate[BundleWriter, _P], _R]) -> Callable[Concatenate[BundleWriter, _P], _R]:
    """One write at a time per writer, like the sink's mutex (threads may share a writer)."""

    @functools.wraps(method)
    def wrapper(self: BundleWriter, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with self._mutex:
            return method(self, *args, **kwargs)

    return wrapper


def run_id_hex(run_id: object) -> str:
    """A ``RunId`` as 32 lowercase hex (text of either case or 16 raw bytes); zero → ``create``'s error."""
    if isinstance(run_id, (bytes, bytearray, memoryview)):
        raw = bytes(run_id)
        if len(raw) != 16:
            raise bounds.invalid(f"run_id must be 16 bytes, got {len(raw)}")
    elif isinstance(run_id, str):
        try:
            raw = bytes.fromhex(run_id) if len(run_id) == 32 else b""
        except ValueError:
            raw = b""
        if len(raw) != 16:
            raise bounds.invalid(f"run_id must be 32 hex digits, got {run_id!r}")
    else:
        raise bounds.invalid(f"run_id must be hex text or bytes, got {type(run_id).__name__}")
    if not any(raw):
        raise bounds.invalid("run_id must be non-zero")
    return raw.hex()


def random_run_id() -> str:
    """A fresh non-zero random run id (32 lowercase hex)."""
    while True:
        raw = secrets.token_bytes(16)
        if any(raw):
            return raw.hex()


def _clock_reading(clock: Clock) -> int:
    """``created_unix_nanos``: the wall clock (0 before 1970, as upstream) or the caller's reading."""
    value = time.time_ns() if clock is None else clock() if callable(clock) else clock
    return bounds.check_u64(max(0, int(value)), "created_unix_nanos")


class BundleWriter:
    """A bundle opened for writing. Use :meth:`create` or :meth:`open`; close (or ``with``) when done."""

    def __init__(
        self,
        root: str | os.PathLike[str],
        run_id: str,
        *,
        allow_nonfinite: bool = False,
        manifest_policy: ManifestPolicy = "final_only",
        lock: bool = True,
    ) -> None:
        self.root = Path(root)
        self.run_id = run_id
        self.allow_nonfinite = allow_nonfinite
        if not (manifest_policy in ("final_only", "always") or (isinstance(manifest_policy, int) and manifest_policy >= 0)):
            raise ValueError(f"unknown manifest policy {manifest_policy!r}")
        self.manifest_policy: ManifestPolicy = manifest_policy
        self.sink_writes = 0
        self._mutex = threading.RLock()
        self._lock_fd: int | None = None
        if lock:
            self._acquire_lock()

    # --- lifecycle -------------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        base: str | os.PathLike[str],
        run_id: object = None,
        *,
        clock_ns: Clock = None,
        allow_nonfinite: bool = False,
        manifest_policy: ManifestPolicy = "final_only",
        lock: bool = True,
    ) -> BundleWriter:
        """Upstream's ``create``: ``<base>/runs/<hex>/`` with the files of §1.4 and a first manifest.

        ``run_id`` None → a random non-zero id. Errors (``BundleWriteError``): ``InvalidInput`` /
        ``run_id must be non-zero`` (nothing created), ``AlreadyExists`` / ``run artifact bundle already
        exists`` (the path exists in any form; the check is the atomic ``mkdir`` itself).
        """
        hex_id = random_run_id() if run_id is None else run_id_hex(run_id)
        root = Path(base) / "runs" / hex_id
        try:
            root.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # e.g. <base>/runs is a file
            raise atomic.os_error(exc) from exc
        try:
            os.mkdir(root)  # fails with EEXIST for anything at that path, a dangling link included
        except FileExistsError:
            raise BundleWriteError("AlreadyExists", "run artifact bundle already exists") from None
        except OSError as exc:
            raise atomic.os_error(exc) from exc
        writer = cls(root, hex_id, allow_nonfinite=allow_nonfinite, manifest_policy=manifest_policy, lock=lock)
        try:
            created = _clock_reading(clock_ns)
            (root / "datasets").mkdir()
            (root / "artifacts").mkdir()
            run_file = {
                "schema_version": 1,
                "run_id": hex_id,
                "created_unix_nanos": created,
                "swarmtorch_version": SWARMTORCH_VERSION,
            }
            writer._write_pretty(RUN_JSON, run_file, types.RUN_FILE_V1)
            empty_graph = {"schema_version": 1, "graph_id": hex_id, "nodes": [], "edges": []}
            writer._write_pretty(GRAPH_JSON, empty_graph, types.GRAPH_V1)
            writer._write_pretty(REGISTRY_JSON, {"schema_version": 1, "datasets": []}, types.DATASET_REGISTRY_V1)
            writer._write_pretty(LINEAGE_JSON, {"schema_version": 1, "edges": []}, types.DATASET_LINEAGE_V1)
            for rel in NDJSON_FILES:
                atomic.ensure_file(root / rel)
            writer.finalize_manifest()
        except OSError as exc:
            writer.close()
            raise atomic.os_error(exc) from exc
        except BaseException:
            writer.close()
            raise
        return writer

    @classmethod
    def open(
        cls,
        root: str | os.PathLike[str],
        *,
        allow_nonfinite: bool = False,
        manifest_policy: ManifestPolicy = "final_only",
        lock: bool = True,
    ) -> BundleWriter:
        """Upstream's ``open``: reads ``run.json``'s ``run_id`` (OS error, or kind Other with serde text)."""
        from swarmview.core.jsontext.decode import JsonError, decode

        path = Path(root) / RUN_JSON
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise atomic.os_error(exc) from exc
        try:
            run_file = decode(data, types.RUN_FILE_V1, reader="io")
        except JsonError as exc:
            raise BundleWriteError("Other", exc.serde_text()) from exc
        return cls(root, run_file["run_id"].lower(), allow_nonfinite=allow_nonfinite,
                   manifest_policy=manifest_policy, lock=lock)  # fmt: skip

    def _acquire_lock(self) -> None:
        """Exclusive advisory lock on the bundle folder (no lock file: nothing is added to the bundle)."""
        if fcntl is None:
            return
        try:
            fd = os.open(self.root, os.O_RDONLY)
        except OSError as exc:
            raise atomic.os_error(exc) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise BundleWriteError(
                "WouldBlock", f"{self.root}: another swarmview writer has this bundle open"
            ) from None
        self._lock_fd = fd

    def close(self) -> None:
        """Release the folder lock. Nothing is flushed: every write is complete when its call returns."""
        fd = getattr(self, "_lock_fd", None)  # absent when __init__ failed early
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)
            self._lock_fd = None

    def __enter__(self) -> BundleWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    # --- primitives ------------------------------------------------------------------------------

    def path(self, rel: str) -> Path:
        return self.root / rel

    def _write_pretty(self, rel: str, value: Any, schema: Any) -> bytes:
        data = encode.dumps_pretty(value, schema)
        atomic.atomic_write(self.root / rel, data)
        return data

    def _append_record(self, rel: str, value: Any, schema: Any) -> None:
        atomic.append_bytes(self.root / rel, encode.dumps_compact(value, schema) + b"\n")

    def _sink_write(self, count: int = 1) -> None:
        """Apply the manifest policy after ``count`` sink writes (§12.5)."""
        before = self.sink_writes
        self.sink_writes += count
        policy = self.manifest_policy
        if policy == "always":
            self.finalize_manifest()
        elif isinstance(policy, int) and not isinstance(policy, bool):
            n = max(policy, 1)
            if self.sink_writes // n > before // n:
                self.finalize_manifest()

    # --- telemetry -------------------------------------------------------------------------------

    @_serialized
    def append_span(
        self,
        trace_id: object,
        span_id: object,
        name: str,
        start_unix_nanos: int,
        end_unix_nanos: int | None = None,
        parent_span_id: object = None,
        attrs: Mapping[str, object] | None = None,
    ) -> dict[str, Any]:
        """Validate (§4.5) and append one ``SpanRecord``; returns the record written."""
        rec = records.prepare_span(trace_id, span_id, name, start_unix_nanos, end_unix_nanos, parent_span_id,
                                   attrs, allow_nonfinite=self.allow_nonfinite)  # fmt: skip
        self._append_record(SPANS, rec, types.SPAN_RECORD)
        self._sink_write()
        return rec

    @_serialized
    def append_event(
        self,
        ts_unix_nanos: int,
        trace_id: object,
        name: str,
        span_id: object = None,
        attrs: Mapping[str, object] | None = None,
    ) -> dict[str, Any]:
        """Validate and append one ``EventRecord``."""
        rec = records.prepare_event(ts_unix_nanos, trace_id, name, span_id, attrs,
                                    allow_nonfinite=self.allow_nonfinite)  # fmt: skip
        self._append_record(EVENTS, rec, types.EVENT_RECORD)
        self._sink_write()
        return rec

    @_serialized
    def append_metric(
        self,
        ts_unix_nanos: int,
        trace_id: object,
        name: str,
        value: float,
        span_id: object = None,
        unit: str | None = None,
        attrs: Mapping[str, object] | None = None,
    ) -> dict[str, Any]:
        """Validate and append one ``MetricRecord`` (a non-finite value is refused, F-08)."""
        rec = records.prepare_metric(ts_unix_nanos, trace_id, name, value, span_id, unit, attrs,
                                     allow_nonfinite=self.allow_nonfinite)  # fmt: skip
        self._append_record(METRICS, rec, types.METRIC_RECORD)
        self._sink_write()
        return rec

    @_serialized
    def _append_batch(
        self, rel: str, items: Iterable[Mapping[str, Any]], prepare: Callable[..., dict[str, Any]],
        line: Callable[[Mapping[str, Any]], str],
    ) -> int:  # fmt: skip
        """Validate every record of a chunk before writing it; same bytes as one-by-one appends.

        A refused record raises before its chunk is written; earlier chunks stay written (as the
        same calls one by one would have left them).
        """
        count = 0
        chunk: list[str] = []
        size = 0
        for item in items:
            text = line(prepare(**item, allow_nonfinite=self.allow_nonfinite))
            chunk.append(text)
            size += len(text) + 1
            if size >= CHUNK_BYTES:
                atomic.append_bytes(self.root / rel, ("\n".join(chunk) + "\n").encode("utf-8"))
                count += len(chunk)
                chunk, size = [], 0
        if chunk:
            atomic.append_bytes(self.root / rel, ("\n".join(chunk) + "\n").encode("utf-8"))
            count += len(chunk)
        if count:
            self._sink_write(count)
        return count

    def append_spans(self, items: Iterable[Mapping[str, Any]]) -> int:
        """Append many spans (mappings with ``append_span``'s keyword names); returns the count."""
        return self._append_batch(SPANS, items, records.prepare_span, records.span_line)

    def append_events(self, items: Iterable[Mapping[str, Any]]) -> int:
        """Append many events (mappings with ``append_event``'s keyword names)."""
        return self._append_batch(EVENTS, items, records.prepare_event, records.event_line)

    def append_metrics(self, items: Iterable[Mapping[str, Any]]) -> int:
        """Append many metric points (mappings with ``append_metric``'s keyword names)."""
        return self._append_batch(METRICS, items, records.prepare_metric, records.metric_line)

    @_serialized
    def append_raw_lines(self, rel: str, data: bytes) -> None:
        """Append pre-formatted NDJSON text (complete lines); for generators proven byte-identical."""
        if data and not data.endswith(b"\n"):
            raise bounds.invalid(f"{rel}: raw NDJSON must end with a newline")
        atomic.append_bytes(self.root / rel, data)

    # --- graph -----------------------------------------------------------------------------------

    @_serialized
    def write_graph(self, graph: Mapping[str, Any]) -> dict[str, Any]:
        """Upstream's ``write_graph`` (§7.4): bounds, validation, ``code_ref`` fill, normalization.

        Errors: ``BundleWriteError("InvalidData", upstream's text)``; non-finite params are refused
        (``InvalidInput``, after upstream's own checks) unless ``allow_nonfinite``. Returns the graph
        as written.
        """
        prepared = prepare_graph_for_write(values.coerce_graph(graph, allow_nonfinite=True))
        if not self.allow_nonfinite:
            for node in prepared["nodes"]:
                bounds.coerce_canon(node["params"], f"{node['node_key']}/params")
        self._write_pretty(GRAPH_JSON, prepared, types.GRAPH_V1)
        self._sink_write()
        return prepared

    # --- datasets --------------------------------------------------------------------------------

    @_serialized
    def append_materialization(self, record: Mapping[str, Any]) -> None:
        """Append a legacy ``MaterializationRecordV1`` (§11.1); upstream validates nothing here."""

        self._append_record(MATERIALIZATIONS, values.materialization_v1(record), types.MATERIALIZATION_V1)
        self._sink_write()

    @_serialized
    def append_materialization_v2(self, record: Mapping[str, Any]) -> None:
        """Append a ``MaterializationRecordV2`` (§11.2)."""

        rec = values.materialization_v2(record, allow_nonfinite=self.allow_nonfinite)
        self._append_record(MATERIALIZATIONS, rec, types.MATERIALIZATION_V2)
        self._sink_write()

    @_serialized
    def append_registry_update(self, entry: Mapping[str, Any]) -> None:
        """Append a ``DatasetEntryV1`` to ``registry_updates.ndjson`` (§12.1); no sanitization (as upstream)."""

        self._append_record(REGISTRY_UPDATES, values.dataset_entry(entry), types.DATASET_ENTRY_V1)
        self._sink_write()

    @_serialized
    def append_lineage_edge_update(self, edge: Mapping[str, Any]) -> None:
        """Append a ``LineageEdgeV1`` to ``lineage_edges.ndjson``."""

        self._append_record(LINEAGE_EDGES, values.lineage_edge(edge), types.LINEAGE_EDGE_V1)
        self._sink_write()

    @_serialized
    def write_dataset_registry(self, registry: Mapping[str, Any] | Iterable[Mapping[str, Any]]) -> bytes:
        """Replace ``datasets/registry.json`` (entries written in the order given, as upstream)."""

        if isinstance(registry, Mapping):
            version, entries = registry.get("schema_version", 1), registry.get("datasets") or []
        else:
            version, entries = 1, registry
        value = {"schema_version": version, "datasets": [values.dataset_entry(e) for e in entries]}
        data = self._write_pretty(REGISTRY_JSON, value, types.DATASET_REGISTRY_V1)
        self._sink_write()
        return data

    @_serialized
    def write_dataset_lineage(self, lineage: Mapping[str, Any] | Iterable[Mapping[str, Any]]) -> bytes:
        """Replace ``datasets/lineage.json``."""

        if isinstance(lineage, Mapping):
            version, edges = lineage.get("schema_version", 1), lineage.get("edges") or []
        else:
            version, edges = 1, lineage
        value = {"schema_version": version, "edges": [values.lineage_edge(e) for e in edges]}
        data = self._write_pretty(LINEAGE_JSON, value, types.DATASET_LINEAGE_V1)
        self._sink_write()
        return data

    @_serialized
    def write_snapshot_pair_commit(self, pair_seq: int) -> dict[str, Any]:
        """The marker of §12.4 over the snapshots *as now on disk*; not a sink write (§12.3)."""
        digests = {}
        for rel in (REGISTRY_JSON, LINEAGE_JSON):
            try:
                digests[rel] = hashlib.sha256((self.root / rel).read_bytes()).hexdigest()
            except OSError as exc:
                raise atomic.os_error(exc) from exc
        marker = {
            "schema_version": 1,
            "pair_seq": bounds.check_u64(pair_seq, "pair_seq"),
            "registry_sha256": digests[REGISTRY_JSON],
            "lineage_sha256": digests[LINEAGE_JSON],
        }
        self._write_pretty(SNAPSHOT_PAIR_COMMIT, marker, types.SNAPSHOT_PAIR_COMMIT_V1)
        return marker

    # --- manifest --------------------------------------------------------------------------------

    def sync_required(self) -> None:
        """fsync the appended logs (upstream's never-called ``sync_required_v1``; F-28)."""
        for rel in NDJSON_FILES:
            atomic.fsync_file(self.root / rel)

    @_serialized
    def finalize_manifest(self) -> bytes:
        """Upstream's ``finalize_manifest`` (§5.2), after syncing the logs; returns the bytes written.

        Errors: ``NotFound`` / ``missing required bundle file: {path}`` and upstream's OS errors; the
        previous ``manifest.json`` is then untouched.
        """
        self.sync_required()
        try:
            data = build_upstream_manifest(self.root, self.run_id)
        except UpstreamIOError as exc:
            raise BundleWriteError(exc.kind, exc.message) from exc
        atomic.atomic_write(self.root / MANIFEST_JSON, data)
        return data
