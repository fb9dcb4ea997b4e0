"""The small pretty-JSON files of a bundle: values, findings, and what upstream's reader says.

``run.json``, ``manifest.json``, ``graph.json``, the two snapshots and the snapshot marker are read
whole. Each is decoded twice from the same bytes: once exactly as upstream's reader does (strict, to
learn upstream's error text and, for ``graph.json``, the doubles upstream computes, §2.7) and once as
swarmview reads it (lenient, correctly rounded floats), so the viewer still gets a value where
upstream stops. Findings name ``file:line:column`` with the slice reader's position (§2.6).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from swarmview.core.findings import Finding, finding

RUN = "run.json"
MANIFEST = "manifest.json"
GRAPH = "graph.json"
REGISTRY = "datasets/registry.json"
LINEAGE = "datasets/lineage.json"
MARKER = "datasets/snapshot_pair_commit.json"

#: bundle path → schema constant in ``jsontext.types``.
SMALL_JSON_TYPES: dict[str, str] = {
    RUN: "RUN_FILE_V1",
    MANIFEST: "MANIFEST_V1",
    GRAPH: "GRAPH_V1",
    REGISTRY: "DATASET_REGISTRY_V1",
    LINEAGE: "DATASET_LINEAGE_V1",
    MARKER: "SNAPSHOT_PAIR_COMMIT_V1",
}

#: upstream reads these with ``io.rs:read_json`` (``from_reader``; errors of kind Other), the others
#: with ``load.rs:read_json`` (``from_slice``; kind InvalidData) — §2.6, §16.1.
IO_READER_FILES = frozenset({RUN, MANIFEST})

#: files whose ``schema_version`` is checked here; graph.json's is ``identity.graph``'s, the snapshots'
#: ``identity.dataops``', the manifest's upstream's own (§5.3 step 3), the marker's decides the replay.
SCHEMA_CHECKED = frozenset({RUN})


@dataclass(frozen=True)
class JsonFileResult:
    """One small JSON file as read once: swarmview's value, upstream's value or error, findings."""

    rel_path: str
    size: int
    sha256: str
    value: Any | None  # swarmview's reading (lenient, exact floats); None when it cannot be read
    upstream_value: Any | None  # upstream's reading (floats as upstream computes them); None if it fails
    upstream_error: str | None  # serde_json text with position, as upstream's reader reports it
    upstream_message: str | None = None  # the same without the position suffix
    upstream_line: int | None = None  # upstream's position (its reader's rule, §2.6)
    upstream_column: int | None = None
    error_line: int | None = None  # position of the lenient failure (slice rule), when value is None
    error_column: int | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def upstream_kind(self) -> str:
        """The ``io::ErrorKind`` upstream wraps a parse error of this file in."""
        return "Other" if self.rel_path in IO_READER_FILES else "InvalidData"


def _types() -> Any:
    from swarmview.core.jsontext import types

    return types


def read_json_bytes(rel_path: str, data: bytes) -> JsonFileResult:
    """Decode ``data`` (the bytes of ``rel_path``) both ways and derive the content findings."""
    from swarmview.core.jsontext.decode import Diagnostic, JsonError, decode

    schema = getattr(_types(), SMALL_JSON_TYPES[rel_path])
    reader = "io" if rel_path in IO_READER_FILES else "slice"
    floats = "upstream" if rel_path == GRAPH else "exact"
    upstream_value: Any | None = None
    upstream_error: str | None = None
    up_pos: tuple[str | None, int | None, int | None] = (None, None, None)
    try:
        upstream_value = decode(data, schema, reader=reader, floats=floats)
    except JsonError as exc:
        upstream_error = exc.serde_text()
        up_pos = (exc.message, exc.line, exc.column)
    diagnostics: list[Diagnostic] = []
    value: Any | None = None
    findings: list[Finding] = []
    err_line: int | None = None
    err_col: int | None = None
    try:
        value = decode(data, schema, reader="slice", floats="exact", lenient=True, diagnostics=diagnostics)
    except JsonError as exc:
        err_line, err_col = exc.line, exc.column
        findings.append(parse_error_finding(rel_path, exc.message, exc.line, exc.column))
    findings.extend(diagnostic_findings(rel_path, diagnostics, upstream_fails=upstream_error is not None))
    if value is not None and rel_path in SCHEMA_CHECKED:
        version = value.get("schema_version") if isinstance(value, dict) else None
        if version != 1:
            findings.append(
                finding(
                    "UNSUPPORTED_SCHEMA_VERSION",
                    rel_path,
                    f"{rel_path}: schema_version {version} is not supported (expected 1); read as version 1",
                    expected=1,
                    found=version if isinstance(version, int) else None,
                )
            )
    return JsonFileResult(
        rel_path=rel_path,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        value=value,
        upstream_value=upstream_value,
        upstream_error=upstream_error,
        upstream_message=up_pos[0],
        upstream_line=up_pos[1],
        upstream_column=up_pos[2],
        error_line=err_line,
        error_column=err_col,
        findings=findings,
    )


def parse_error_finding(rel_path: str, message: str, line: int, column: int) -> Finding:
    """The finding for a small file swarmview cannot read at all (code depends on the file)."""
    if rel_path == MARKER:
        return finding(
            "SNAPSHOT_MARKER_INVALID",
            rel_path,
            f"{rel_path}:{line}:{column}: {message}; registry and lineage rebuilt from the update logs",
            line=line,
            column=column,
        )
    if rel_path == MANIFEST:
        return finding(
            "MANIFEST_INVALID", rel_path, f"{rel_path}:{line}:{column}: {message}", line=line, column=column
        )
    if rel_path == RUN:
        return finding(
            "RUN_JSON_UNREADABLE",
            rel_path,
            f"{rel_path}:{line}:{column}: {message}",
            line=line,
            column=column,
        )
    return finding(
        "JSON_PARSE_ERROR", rel_path, f"{rel_path}:{line}:{column}: {message}", line=line, column=column
    )


def _where(rel_path: str, line: int | None, column: int | None) -> str:
    if line is None:
        return rel_path
    return f"{rel_path}:{line}:{column}" if column is not None else f"{rel_path}:{line}"


def diagnostic_findings(rel_path: str, diagnostics: Sequence[Any], *, upstream_fails: bool) -> list[Finding]:
    """Turn the decoder's observations into findings, one per (kind, key/detail) with a count.

    A file with an uppercase id in every node would otherwise drown the report in identical infos;
    the first position is kept and the message says how often it occurred.
    """
    groups: dict[tuple[str, str], list[Any]] = {}
    for diag in diagnostics:
        label = (
            diag.key if diag.kind in {"duplicate_field", "duplicate_key", "unknown_field"} else diag.detail
        )
        groups.setdefault((diag.kind, str(label)), []).append(diag)
    out: list[Finding] = []
    for (kind, label), diags in groups.items():
        first = diags[0]
        where = _where(rel_path, first.line, first.column)
        times = f" ({len(diags)} times)" if len(diags) > 1 else ""
        pos = {"line": first.line, "column": first.column}
        if kind == "duplicate_field":
            sev = "error" if upstream_fails else "warning"
            out.append(
                finding(
                    "DUPLICATE_KEY",
                    rel_path,
                    f'{where}: key "{label}" appears more than once in {first.path or "the object"}{times}; '
                    "upstream refuses the file (duplicate field); swarmview reads the last value",
                    severity=sev,
                    **pos,
                )
            )
        elif kind == "duplicate_key":
            out.append(
                finding(
                    "DUPLICATE_KEY",
                    rel_path,
                    f'{where}: key "{label}" appears more than once in {first.path or "a map"}{times}; '
                    "upstream keeps the last value",
                    severity="warning",
                    **pos,
                )
            )
        elif kind == "unknown_field":
            out.append(
                finding("UNKNOWN_FIELD", rel_path, f'{where}: unknown key "{label}" ignored{times}', **pos)
            )
        elif kind == "nonfinite_null":
            out.append(
                finding(
                    "NONFINITE_AS_NULL",
                    rel_path,
                    f"{where}: {first.path or first.key} is null where a number is required "
                    f"(upstream writes NaN/Infinity as null); shown as NaN{times}",
                    **pos,
                )
            )
        elif kind == "non_canonical":
            out.append(
                finding(
                    "NON_CANONICAL_JSON",
                    rel_path,
                    f"{where}: not in the form upstream writes ({label}){times}",
                    **pos,
                )
            )
    return out
