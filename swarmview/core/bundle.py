"""Bundle roots (VERIFY.md §1, §2 "Batches") and loading a bundle for viewing.

Users hand swarmview whatever the file manager gives them: the bundle folder, its ``run.json``, a file
deep under ``artifacts/``. The root is decided here once, so the CLI, the GUI and the verifier agree.
:func:`load_bundle` then reads a root once into a :class:`Bundle` for the viewer, ``info`` and exports.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from swarmview.core.errors import NotABundleError, SwarmviewError
from swarmview.core.findings import Finding, finding

RUN_FILE = "run.json"
MANIFEST_FILE = "manifest.json"


def _holds(folder: str, name: str) -> bool:
    """True when ``folder/name`` exists in any form (a broken run.json is still a bundle's)."""
    return os.path.lexists(os.path.join(folder, name))


def find_bundle_root(path: str | os.PathLike[str]) -> Path:
    """The bundle root for ``path`` (VERIFY.md §1).

    ``path`` itself when it is a folder holding ``run.json`` or ``manifest.json``; otherwise the nearest
    folder at or above it holding ``run.json`` — only ``run.json`` while walking up, because users keep
    files named ``manifest.json`` under ``artifacts/`` (``rich_skipped_names``). The result is absolute
    (lexically normalized, links not resolved, so messages show the path the user gave).
    Raises :class:`NotABundleError` naming ``path`` when it is missing or no root is found.
    """
    given = os.fspath(path)
    absolute = os.path.abspath(given)
    try:
        st = os.stat(absolute)
    except FileNotFoundError:
        raise NotABundleError(f"{given}: no such file or folder; not a bundle") from None
    except NotADirectoryError:
        raise NotABundleError(f"{given}: a parent of this path is not a folder; not a bundle") from None
    if stat.S_ISDIR(st.st_mode):
        if _holds(absolute, RUN_FILE) or _holds(absolute, MANIFEST_FILE):
            return Path(absolute)
        folder = absolute
    else:
        folder = os.path.dirname(absolute)
    while True:
        if _holds(folder, RUN_FILE):
            return Path(folder)
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    raise NotABundleError(f"{given}: not a bundle (no run.json in this folder or any folder above it)")


def is_bundle_folder(folder: str | os.PathLike[str]) -> bool:
    """True when ``folder`` is a bundle root as batch discovery sees it (it holds ``run.json``)."""
    return _holds(os.fspath(folder), RUN_FILE)


def discover_bundles(
    path: str | os.PathLike[str],
    max_depth: int = 8,
    *,
    errors: list[tuple[str, str]] | None = None,
) -> Iterator[Path]:
    """Yield the bundle roots below ``path`` as they are found (VERIFY.md §2, batches).

    Iterative depth-first walk in byte order of names, at most ``max_depth`` folders below ``path``;
    symbolic links are never followed and a found bundle is not descended into (its ``artifacts/`` may
    hold anything). A bundle is a folder holding ``run.json``; ``path`` itself is yielded when it is one.
    Folders that cannot be listed are skipped and, when ``errors`` is given, appended to it as
    ``(path, message)`` so the caller can report them instead of losing them silently.
    """
    start = Path(os.path.abspath(os.fspath(path)))
    stack: list[tuple[Path, int]] = [(start, 0)]
    while stack:
        folder, depth = stack.pop()
        if is_bundle_folder(folder):
            yield folder
            continue
        if depth >= max_depth:
            continue
        try:
            with os.scandir(folder) as entries:
                subfolders = [e.name for e in entries if e.is_dir(follow_symlinks=False)]
        except OSError as exc:
            if errors is not None:
                errors.append((str(folder), exc.strerror or str(exc)))
            continue
        subfolders.sort(key=lambda n: os.fsencode(n))
        # reversed so the stack pops them in byte order
        stack.extend((folder / name, depth + 1) for name in reversed(subfolders))


# --- loading (the viewer, info, exports) ------------------------------------------------------------------


class LoadCancelled(SwarmviewError):
    """``load_bundle`` was cancelled through its ``cancel`` event."""


@dataclass(frozen=True)
class Bundle:
    """A loaded run: plain data the viewer, ``info`` and exports read (docs/internal-api.md).

    ``graph`` is normalized as upstream's loader does (§7.5), ``graph_stored`` as written;
    ``registry``/``lineage`` are merged as the loader merges them (§12.6) and ``materializations`` are
    V2 in load order (§16.1 step 12), with ``materialization_lines`` their file lines. ``upstream_load``
    is what upstream's loader would say about the content *assuming the manifest validates* (nothing
    is hashed here; ``verify`` gives the full verdict).
    """

    root: Path
    run: dict[str, Any] | None
    manifest: dict[str, Any] | None
    graph: dict[str, Any] | None
    graph_stored: dict[str, Any] | None
    registry: list[dict[str, Any]]
    lineage: list[dict[str, Any]]
    materializations: list[dict[str, Any]]
    spans: Any  # records.SpanTable
    events: Any  # records.EventTable
    metrics: Any  # records.MetricTable
    findings: list[Finding]
    materialization_lines: list[int] = field(default_factory=list)
    unsafe_nodes: list[str] = field(default_factory=list)
    untrusted_datasets: list[str] = field(default_factory=list)
    unsafe_materializations: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    time_range: tuple[int, int] | None = None  # (min start, max end) in ns over spans, events, metrics
    artifacts: list[tuple[str, int]] = field(default_factory=list)  # (path below the root, bytes)
    file_sizes: dict[str, int] = field(default_factory=dict)  # content files read, bytes
    unreadable: dict[str, str] = field(default_factory=dict)  # path ("" = the root) → OS error text
    upstream_load: dict[str, Any] | None = None
    partial: bool = False  # a preview: metrics.ndjson not read yet (load_bundle's ``preview``)

    @property
    def run_id(self) -> str | None:
        """Lowercase hex run id from run.json, else from the manifest."""
        for doc in (self.run, self.manifest):
            if doc and isinstance(doc.get("run_id"), str):
                return doc["run_id"].lower()
        return None


def _list_artifacts(root: Path) -> tuple[list[tuple[str, int]], dict[str, str]]:
    """Regular files under ``artifacts/`` with sizes (links not followed), byte order of paths."""
    out: list[tuple[str, int]] = []
    errors: dict[str, str] = {}
    stack = [root / "artifacts"]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as entries:
                items = list(entries)
        except FileNotFoundError:
            continue
        except OSError as exc:
            errors[folder.relative_to(root).as_posix()] = exc.strerror or str(exc)
            continue
        for entry in items:
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError as exc:
                errors[Path(entry.path).relative_to(root).as_posix()] = exc.strerror or str(exc)
                continue
            if stat.S_ISDIR(st.st_mode):
                stack.append(Path(entry.path))
            elif stat.S_ISREG(st.st_mode):
                out.append((Path(entry.path).relative_to(root).as_posix(), st.st_size))
    out.sort(key=lambda item: item[0].encode("utf-8", "surrogateescape"))
    return out, errors


def _time_range(spans: Any, events: Any, metrics: Any) -> tuple[int, int] | None:
    lows: list[int] = []
    highs: list[int] = []
    if len(spans.start):
        lows.append(int(spans.start.min()))
        ends = spans.end[spans.has_end]
        highs.append(int(ends.max()) if len(ends) else int(spans.start.max()))
    for table in (events, metrics):
        if len(table.ts):
            lows.append(int(table.ts.min()))
            highs.append(int(table.ts.max()))
    if not lows:
        return None
    return min(lows), max(max(highs), min(lows))


def _empty_table(kind: str) -> Any:
    from swarmview.core.records.tables import empty_table

    return empty_table(kind)


def _file_findings(result: Any, root_error: str | None) -> list[Finding]:
    """The checks ``verify`` does in its fast stage that a viewer must still show: run.json, manifest."""
    from swarmview.core.jsonfiles import MANIFEST, RUN

    out: list[Finding] = []
    run = result.json_files.get(RUN)
    if root_error is not None:
        out.append(finding("FILE_UNREADABLE", None, f"bundle folder: {root_error}"))
    up_run = result.upstream_files.get(RUN)
    if up_run is not None and up_run.os_error is not None:
        out.append(finding("RUN_JSON_UNREADABLE", RUN, f"{RUN}: {up_run.os_error[1]}"))
    elif run is None:
        out.append(finding("RUN_JSON_UNREADABLE", RUN, f"{RUN}: not found; upstream cannot open this bundle"))
    elif run.upstream_error is not None:
        out.append(finding(
            "RUN_JSON_UNREADABLE", RUN, f"{RUN}:{run.upstream_line}:{run.upstream_column}: {run.upstream_message}",
            line=run.upstream_line, column=run.upstream_column,
        ))  # fmt: skip
    manifest = result.json_files.get(MANIFEST)
    up_manifest = result.upstream_files.get(MANIFEST)
    if up_manifest is not None and up_manifest.os_error is not None:
        out.append(finding("FILE_UNREADABLE", MANIFEST, f"{MANIFEST}: {up_manifest.os_error[1]}"))
    elif manifest is None:
        out.append(finding(
            "MANIFEST_MISSING", MANIFEST,
            f"{MANIFEST}: not found; the run was never finalized or the manifest was lost "
            "(swarmview finalize writes one)",
        ))  # fmt: skip
    elif manifest.upstream_error is not None:
        out.append(finding(
            "MANIFEST_INVALID", MANIFEST,
            f"{MANIFEST}:{manifest.upstream_line}:{manifest.upstream_column}: {manifest.upstream_message}",
            line=manifest.upstream_line, column=manifest.upstream_column,
        ))  # fmt: skip
    for rel, up in result.upstream_files.items():
        if rel not in (RUN, MANIFEST) and up.os_error is not None:
            out.append(finding("FILE_UNREADABLE", rel, f"{rel}: {up.os_error[1]}"))
    return out


def load_bundle(
    root: str | os.PathLike[str],
    *,
    cancel: threading.Event | None = None,
    progress: Callable[[int, int], None] | None = None,
    max_line_bytes: int = 64 << 20,
    max_parse_bytes: int | None = None,
    preview: Callable[[Bundle], None] | None = None,
) -> Bundle:
    """Read every content file of the bundle at ``root`` once and derive what the viewer shows.

    ``preview(bundle)`` is called (in this thread) once everything but metrics.ndjson is read, with a
    bundle marked ``partial`` whose metrics table is empty; the bundle returned at the end shares its
    spans and events tables (:func:`same_except_metrics`).

    Never raises on bad content: unreadable or malformed parts become findings and empty values.
    Thread-safe (no shared state) so the GUI runs it in a worker; ``cancel`` is checked between 1 MiB
    reads (raises :class:`LoadCancelled`); ``progress(bytes_done, bytes_total)`` reports bytes read.
    No hashing: integrity is ``verify``'s job. ``max_parse_bytes`` skips bigger files (FILE_TOO_LARGE),
    a guard for machines that cannot hold a huge run in memory.
    """
    from swarmview.core.content import ContentChecker, feed_from_disk

    root_path = Path(os.path.abspath(os.fspath(root)))
    root_error: str | None = None
    try:
        with os.scandir(root_path):
            pass
    except OSError as exc:
        root_error = f"{exc.strerror or exc} (os error {exc.errno})"
    checker = ContentChecker(root_path, max_parse_bytes=max_parse_bytes, max_line_bytes=max_line_bytes)
    artifacts, artifact_errors = _list_artifacts(root_path)

    def early(show: Callable[[Bundle], None]) -> Callable[[], None]:
        return lambda: show(_assemble(root_path, root_error, checker.snapshot(), {}, artifacts, artifact_errors,
                                      partial=True))  # fmt: skip

    try:
        sizes = feed_from_disk(checker, root_path, cancel=cancel, progress=progress,
                               before_metrics=early(preview) if preview is not None else None)  # fmt: skip
    except InterruptedError:
        raise LoadCancelled(f"{root_path}: loading cancelled") from None
    return _assemble(root_path, root_error, checker.result(None), sizes, artifacts, artifact_errors)


def _assemble(root_path: Path, root_error: str | None, result: Any, sizes: dict[str, int],
              artifacts: list[tuple[str, int]], artifact_errors: dict[str, str], *, partial: bool = False) -> Bundle:  # fmt: skip
    from swarmview.core.content import TELEMETRY
    from swarmview.core.jsonfiles import GRAPH, MANIFEST, RUN

    view = result.view
    assert view is not None and result.outcome is not None
    tables = {}
    for rel, kind in TELEMETRY.items():
        rr = result.records.get(rel)
        tables[kind] = rr.table if rr is not None else _empty_table(kind)
    spans, events, metrics = tables["spans"], tables["events"], tables["metrics"]
    findings = _file_findings(result, root_error) + list(result.findings)
    findings.extend(finding("FILE_UNREADABLE", p, f"{p}: {m}") for p, m in artifact_errors.items())
    findings.sort(key=lambda f: f.sort_key())
    graph = view.graph
    counts = {
        "nodes": len((graph or {}).get("nodes") or []),
        "edges": len((graph or {}).get("edges") or []),
        "spans": len(spans.line),
        "traces": len(set(spans.trace.tolist())),  # traces that have spans (events may name others)
        "unfinished_spans": int(len(spans.line) - int(spans.has_end.sum())),
        "events": len(events.line),
        "metrics": len(metrics.line),
        "datasets": len(view.registry),
        "lineage_edges": len(view.lineage),
        "materializations": len(view.materializations),
        "artifacts": len(artifacts),
    }
    unreadable = {rel: up.os_error[1] for rel, up in result.upstream_files.items() if up.os_error is not None}
    if root_error is not None:
        unreadable[""] = root_error
    graph_file = result.json_files.get(GRAPH)
    return Bundle(
        root=root_path,
        run=_value(result.json_files.get(RUN)),
        manifest=_value(result.json_files.get(MANIFEST)),
        graph=graph,
        graph_stored=graph_file.value if graph_file else None,
        registry=view.registry,
        lineage=view.lineage,
        materializations=view.materializations,
        spans=spans,
        events=events,
        metrics=metrics,
        findings=findings,
        materialization_lines=result.materialization_lines,
        unsafe_nodes=view.unsafe_nodes,
        untrusted_datasets=view.untrusted_datasets,
        unsafe_materializations=view.unsafe_materializations,
        counts=counts,
        time_range=_time_range(spans, events, metrics),
        artifacts=artifacts,
        file_sizes=sizes,
        unreadable=unreadable,
        upstream_load=result.outcome.report,
        partial=partial,
    )


def same_except_metrics(a: Bundle, b: Bundle) -> bool:
    """True when ``b`` differs from ``a`` at most in what comes from metrics.ndjson (and in findings
    and counts): a view prepared from one shows the other as well (the viewer shows the run before its
    metrics are read, then keeps what it showed)."""
    return (a.root == b.root and a.spans is b.spans and a.events is b.events and a.graph == b.graph
            and a.run == b.run and a.manifest == b.manifest and a.registry == b.registry and a.lineage == b.lineage
            and a.materializations == b.materializations and a.unsafe_nodes == b.unsafe_nodes
            and a.untrusted_datasets == b.untrusted_datasets and a.artifacts == b.artifacts)  # fmt: skip


def _value(jf: Any) -> dict[str, Any] | None:
    return jf.value if jf is not None and isinstance(jf.value, dict) else None
