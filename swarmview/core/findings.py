"""The one finding type shared by loaders, the verifier, the CLI and the GUI (VERIFY.md §7).

Loaders never raise on bad content: they return what they could read plus findings. The verifier
adds its own, then applies a profile (which may change severities) and derives the verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

Severity = Literal["error", "warning", "info", "unverified"]

SEVERITY_ORDER: dict[str, int] = {"error": 0, "unverified": 1, "warning": 2, "info": 3}

#: Default-profile severity of every code swarmview emits (VERIFY.md §7). Codes whose severity depends
#: on the case (DUPLICATE_KEY, NDJSON_TORN_LAST_LINE) list their usual one; pass ``severity=`` to override.
DEFAULT_SEVERITY: dict[str, Severity] = {
    # upstream's own checks
    "RUN_JSON_UNREADABLE": "error",
    "MANIFEST_MISSING": "error",
    "MANIFEST_INVALID": "error",
    "UNSUPPORTED_MANIFEST_VERSION": "error",
    "RUN_ID_MISMATCH": "error",
    "UNSUPPORTED_HASH_ALGO": "error",
    "NON_CANONICAL_PATH": "error",
    "DUPLICATE_PATH": "error",
    "REQUIRED_MARKED_OPTIONAL": "error",
    "LEGACY_REQUIRED_FLAG": "warning",
    "FILE_MISSING": "error",
    "PATH_ESCAPES_ROOT": "error",
    "ENTRY_IS_SYMLINK": "error",
    "NOT_A_REGULAR_FILE": "error",
    "SIZE_MISMATCH": "error",
    "APPENDED_SINCE_FINALIZE": "error",
    "HASH_MISMATCH": "error",
    "MALFORMED_DIGEST": "error",
    "NON_CANONICAL_HEX": "warning",
    "REQUIRED_ENTRY_MISSING": "error",
    "LEGACY_MISSING_UPDATE_LOGS": "warning",
    # the tree
    "UNLISTED_FILE": "warning",
    "SNAPSHOT_MARKER_UNLISTED": "warning",
    "SYMLINK_IN_BUNDLE": "warning",
    "UNHASHED_BY_NAME": "warning",
    "LEFTOVER_TMP_FILE": "info",
    "NON_UTF8_FILENAME": "error",
    "NON_PORTABLE_PATH": "warning",
    "PATH_ALIAS": "warning",
    "FILE_UNREADABLE": "unverified",
    "FILE_CHANGED_DURING_VERIFY": "unverified",
    "MANIFEST_NOT_CANONICAL": "info",
    "UNSIGNED_BUNDLE": "info",
    "RUN_DIR_NAME_MISMATCH": "info",
    # content
    "JSON_PARSE_ERROR": "error",
    "NDJSON_PARSE_ERROR": "error",
    "NDJSON_TORN_LAST_LINE": "error",
    "NDJSON_INVALID_UTF8": "error",
    "NDJSON_BLANK_LINE": "info",
    "LINE_TOO_LONG": "error",
    "FILE_TOO_LARGE": "warning",
    "DUPLICATE_KEY": "error",
    "UNKNOWN_FIELD": "info",
    "NON_CANONICAL_JSON": "info",
    "INVALID_ID": "error",
    "ZERO_ID": "error",
    "NONFINITE_AS_NULL": "warning",
    "UNSUPPORTED_SCHEMA_VERSION": "warning",
    "MATERIALIZATION_DOWNGRADED": "warning",
    "SNAPSHOT_MARKER_INVALID": "warning",
    "SNAPSHOT_PAIR_MISMATCH": "warning",
    "SNAPSHOT_LOG_DIVERGENCE": "warning",
    "STORED_HASH_MISMATCH": "warning",
    "NODE_ID_NOT_KEY_DERIVED": "warning",
    "MATERIALIZATION_NODE_UNKNOWN": "warning",
    "NODE_DEF_HASH_DIFFERS": "info",
    "AMBIGUOUS_DEFINITION_HASH": "info",
    "UNSAFE_FLAG_MISMATCH": "warning",
    "UNSAFE_STATUS_DIFFERS": "info",
    "SOURCE_DESCRIPTOR_TOO_LONG": "warning",
    "ORPHAN_REGISTRY_UPDATE": "warning",
    "ORPHAN_LINEAGE_EDGE": "warning",
    "DUPLICATE_RECORD_SEQ": "warning",
    "RECORD_BOUNDS_EXCEEDED": "warning",
    "NODE_BOUNDS_EXCEEDED": "warning",
    "GRAPH_DUPLICATE_NODE": "warning",
    "GRAPH_EDGE_UNKNOWN_NODE": "warning",
    "GRAPH_CYCLE": "warning",
    "UNKNOWN_PARENT_SPAN": "warning",
    "FINGERPRINT_UNVERIFIABLE": "info",
    "INPUT_PROVENANCE_MISALIGNED": "info",
    "FLOAT_READBACK_DIFFERS": "info",
    # the run itself, archives
    "CANCELLED": "unverified",
    "ARCHIVE_UNSAFE_MEMBER": "error",
}


@dataclass(frozen=True)
class Finding:
    """One observation about a bundle: a stable code, its severity, where, and a full message."""

    code: str
    severity: Severity
    path: str | None
    line: int | None
    column: int | None
    message: str
    expected: str | int | None = None
    found: str | int | None = None

    def sort_key(self) -> tuple[int, int, bytes, int, int, str]:
        """VERIFY.md §8 order: severity, path (null first, byte order), line, column, code."""
        return (
            SEVERITY_ORDER[self.severity],
            0 if self.path is None else 1,
            (self.path or "").encode("utf-8", "surrogateescape"),
            self.line or 0,
            self.column or 0,
            self.code,
        )

    def with_severity(self, severity: Severity) -> Finding:
        return replace(self, severity=severity)

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "expected": self.expected,
            "found": self.found,
        }


#: What loaders return alongside the data they could read.
LoadWarning = Finding


def finding(
    code: str,
    path: str | None,
    message: str,
    *,
    line: int | None = None,
    column: int | None = None,
    expected: str | int | None = None,
    found: str | int | None = None,
    severity: Severity | None = None,
) -> Finding:
    """Build a finding with the default severity of its code (VERIFY.md §7)."""
    return Finding(
        code=code,
        severity=severity or DEFAULT_SEVERITY[code],
        path=path,
        line=line,
        column=column,
        message=message,
        expected=expected,
        found=found,
    )
