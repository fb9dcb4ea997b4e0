"""Emulation of upstream's report loader, ``load.rs:load_report_with_warnings`` (§16.1, §12.6).

Upstream stops at the first failing step and shows nothing; swarmview reads everything it can
(F-10) but must still say exactly what upstream would. This module decides that verdict from what
each file gave upstream's reader (:class:`UpstreamFile`), which the callers compute while reading
every file once: the verifier's content stage (``content.ContentChecker``), ``load_bundle`` and the
stand-alone :func:`upstream_load_report`. The loader's dataset semantics (replay, V1→V2, ordering,
unsafe derivations) are ``identity.dataops``'; this module only orders the steps and stops where
upstream stops.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from swarmview.core.identity import dataops
from swarmview.core.identity.graph import normalize_graph

GRAPH = "graph.json"
REGISTRY = "datasets/registry.json"
LINEAGE = "datasets/lineage.json"
MARKER = "datasets/snapshot_pair_commit.json"
REGISTRY_LOG = "datasets/registry_updates.ndjson"
LINEAGE_LOG = "datasets/lineage_edges.ndjson"
MATERIALIZATIONS = "datasets/materializations.ndjson"
SPANS, EVENTS, METRICS = "spans.ndjson", "events.ndjson", "metrics.ndjson"

NOT_FOUND = ("NotFound", "No such file or directory (os error 2)")
MISMATCH_MESSAGE = "snapshot pair hash mismatch; replaying from NDJSON updates"


@dataclass
class UpstreamFile:
    """What upstream's reader gets from one bundle file (absent from the mapping = does not exist).

    ``os_error`` is the (kind, text) of a failed open/read; ``error`` upstream's message for content it
    rejects (serde text for JSON files, ``invalid ndjson at line N: …`` or ``stream did not contain
    valid UTF-8`` for NDJSON, always kind InvalidData). ``value`` is upstream's reading: the decoded
    dict for JSON files, the list of records for dataset logs. ``count``/``unfinished`` stand for the
    telemetry records, whose tables the caller keeps.
    """

    os_error: tuple[str, str] | None = None
    error: str | None = None
    value: Any = None
    sha256: str | None = None
    count: int = 0
    unfinished: int = 0
    unparsed: str | None = None  # why swarmview cannot tell what upstream gets (size limit, read failed)


class _Stop(Exception):
    def __init__(self, kind: str | None, message: str, file: str | None, ok: bool | None = False) -> None:
        super().__init__(message)
        self.kind, self.message, self.file, self.ok = kind, message, file, ok


@dataclass
class LoadOutcome:
    """Upstream's ``load_report`` stage plus, when it loads, what its report is built from."""

    report: dict[str, Any]
    counts: dict[str, int] | None = None
    graph: dict[str, Any] | None = None
    registry: list[dict[str, Any]] = field(default_factory=list)
    lineage: list[dict[str, Any]] = field(default_factory=list)
    materializations: list[dict[str, Any]] = field(default_factory=list)
    unsafe_nodes: list[str] = field(default_factory=list)
    untrusted_datasets: list[str] = field(default_factory=list)
    unsafe_materializations: list[str] = field(default_factory=list)


# --- the loader's semantics (shared with the viewer's derivation) ----------------------------------------


def marker_mismatch(
    marker: Mapping[str, Any], registry_sha256: str | None, lineage_sha256: str | None
) -> str | None:
    """``load.rs:snapshot_pair_mismatch_reason`` once the marker parsed (§12.6 step 2)."""
    version = marker.get("schema_version")
    if version != 1:
        return f"unsupported snapshot_pair_commit schema_version: {version}"
    if marker.get("registry_sha256") != registry_sha256 or marker.get("lineage_sha256") != lineage_sha256:
        return MISMATCH_MESSAGE
    return None


def unsafe_lists(
    graph: Mapping[str, Any] | None,
    registry: Sequence[Mapping[str, Any]],
    materializations: Sequence[Mapping[str, Any]],
) -> dict[str, list[str]]:
    """The report's three unsafe lists (§13.4, §17.3), as the verdict files record them."""
    return dataops.unsafe_summary((graph or {}).get("nodes") or [], registry, materializations)


# --- the emulation ---------------------------------------------------------------------------------------

_PATH_IN_MESSAGE = (
    re.compile(r"^(?:size|sha256) mismatch for (.*?)(?: \(expected \d+\))?$"),
    re.compile(r"^missing file listed in manifest: (.*)$"),
    re.compile(r"^manifest path escapes bundle root: (.*)$"),
    re.compile(r"^required path marked non-required in manifest: (.*)$"),
)


def failure_file(prior: Mapping[str, Any]) -> str | None:
    """The bundle file an ``open``/``validate_manifest`` failure is about (VERIFY.md §3 ``file``)."""
    if "file" in prior:
        return prior["file"]
    if prior.get("not_run"):
        return "run.json"
    message = prior.get("message") or ""
    for pattern in _PATH_IN_MESSAGE:
        m = pattern.match(message)
        if m:
            return m.group(1)
    if message.startswith("upstream blocks forever reading "):
        return message.removeprefix("upstream blocks forever reading ").split(" (")[0]
    return "manifest.json"


def _get(files: Mapping[str, UpstreamFile], path: str) -> UpstreamFile:
    """The file as upstream's ``fs::read``/``File::open`` gets it: missing → NotFound."""
    f = files.get(path)
    if f is None:
        raise _Stop(*NOT_FOUND, path)
    if f.os_error is not None:
        raise _Stop(*f.os_error, path)
    if f.unparsed is not None:
        raise _Stop(None, f"upstream's result is not determined: {f.unparsed}", path, ok=None)
    return f


def _json(files: Mapping[str, UpstreamFile], path: str) -> Any:
    f = _get(files, path)
    if f.error is not None:
        raise _Stop("InvalidData", f.error, path)
    return f.value


def _ndjson(files: Mapping[str, UpstreamFile], path: str, *, optional: bool = False) -> UpstreamFile | None:
    if optional and path not in files:
        return None  # `if path.exists()` (§16.1 steps 5, 6)
    f = _get(files, path)
    if f.error is not None:
        raise _Stop("InvalidData", f.error, path)
    return f


def emulate_load_report(
    files: Mapping[str, UpstreamFile], prior_failure: Mapping[str, Any] | None = None
) -> LoadOutcome:
    """Run §16.1 steps 3–12 over ``files`` (steps 1–2 are ``prior_failure``, repeated when given)."""
    if prior_failure is not None:
        return LoadOutcome(
            report={
                "ok": prior_failure.get("ok", False),
                "kind": prior_failure.get("kind"),
                "message": prior_failure.get("message"),
                "file": failure_file(prior_failure),
            }
        )
    try:
        return _load(files)
    except _Stop as stop:
        return LoadOutcome(
            report={"ok": stop.ok, "kind": stop.kind, "message": stop.message, "file": stop.file}
        )


def _load(files: Mapping[str, UpstreamFile]) -> LoadOutcome:
    graph = normalize_graph(_json(files, GRAPH))
    reg_log = _ndjson(files, REGISTRY_LOG, optional=True)
    lin_log = _ndjson(files, LINEAGE_LOG, optional=True)
    warnings: list[dict[str, Any]] = []
    mismatch: str | None = None
    if MARKER in files:
        marker = _json(files, MARKER)
        if marker.get("schema_version") != 1:
            mismatch = marker_mismatch(marker, None, None)
        else:
            mismatch = marker_mismatch(marker, _get(files, REGISTRY).sha256, _get(files, LINEAGE).sha256)
    reg_start: list[Mapping[str, Any]] = []
    lin_start: list[Mapping[str, Any]] = []
    if mismatch is not None:
        warnings.append({"SnapshotPairMismatch": {"message": mismatch}})
    else:
        reg_start = list(_json(files, REGISTRY).get("datasets") or [])
        lin_start = list(_json(files, LINEAGE).get("edges") or [])
    registry = dataops.replay_registry(reg_start, reg_log.value if reg_log else [])
    lineage = dataops.replay_lineage(lin_start, lin_log.value if lin_log else [])
    warnings.extend(
        {"SourceDescriptorBoundsExceeded": {"asset_key": key, "message": message}}
        for key, message in dataops.descriptor_bounds_warnings(registry)
    )
    spans = _ndjson(files, SPANS)
    events = _ndjson(files, EVENTS)
    metrics = _ndjson(files, METRICS)
    mats = _ndjson(files, MATERIALIZATIONS)
    assert spans is not None and events is not None and metrics is not None and mats is not None
    ordered = dataops.order_materializations(mats.value or [])
    counts = {
        "datasets": len(registry),
        "edges": len(graph.get("edges") or []),
        "events": events.count,
        "lineage_edges": len(lineage),
        "materializations": len(ordered),
        "metrics": metrics.count,
        "nodes": len(graph.get("nodes") or []),
        "spans": spans.count,
        "unfinished_spans": spans.unfinished,
    }
    return LoadOutcome(
        report={"ok": True, "warnings": warnings},
        counts=counts,
        graph=graph,
        registry=registry,
        lineage=lineage,
        materializations=ordered,
        **unsafe_lists(graph, registry, ordered),
    )


def upstream_load_report(
    root: str | Path, prior_failure: Mapping[str, Any] | None = None, *, validate: bool = True
) -> dict[str, Any]:
    """Upstream's ``load_report`` verdict for the bundle at ``root``: all of §16.1, each content file read once.

    Steps 1–2 (``open``, ``validate_manifest``, which hashes every listed file) run through
    ``verify.upstream_validate`` unless ``prior_failure`` gives their failure or ``validate`` is False
    (then the manifest is assumed valid and only the content steps are judged).
    """
    from swarmview.core.content import read_upstream_files

    if prior_failure is None and validate:
        from swarmview.core.verify.upstream_validate import upstream_stages

        opened, validated = upstream_stages(root)
        if opened.get("ok") is not True:
            prior_failure = {**opened, "not_run": "RunArtifactBundle::open failed"}
        elif validated.get("ok") is not True:
            prior_failure = validated
    files = read_upstream_files(Path(root))
    return emulate_load_report(files, prior_failure).report
