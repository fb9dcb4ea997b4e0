"""The verification report: every key of VERIFY.md §8 in order, and its human rendering.

The JSON form is a contract (tests and other tools parse it); the human form is for people and says
what upstream would say next to swarmview's own verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from swarmview.core.findings import Finding
from swarmview.core.verify.verdict import HUMAN, upstream_rejection

SCHEMA = "swarmview.verify/1"


@dataclass(frozen=True)
class FileStatus:
    """One line of ``files[]``: a manifest entry (manifest spelling) or an unlisted path."""

    path: str
    status: str
    bytes: int | None
    expected_bytes: int | None
    sha256: str | None
    expected_sha256: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "status": self.status,
            "bytes": self.bytes,
            "expected_bytes": self.expected_bytes,
            "sha256": self.sha256,
            "expected_sha256": self.expected_sha256,
        }


@dataclass(frozen=True)
class Report:
    """Result of ``verify()``: findings under the profile, verdict, upstream's stages, per-file status."""

    swarmview_version: str
    path: str
    root: str
    run_id: str | None
    profile: str
    tier: str
    verdict: str
    exit_code: int
    findings: list[Finding]
    upstream: dict[str, Any]
    files: list[FileStatus]
    counts: dict[str, int]
    bytes_hashed: int
    elapsed_s: float
    cached: bool = False
    schema: str = SCHEMA
    #: Content results for viewers (not part of the JSON): the paths whose bytes changed or failed.
    damaged_paths: frozenset[str] = field(default_factory=frozenset)
    #: Failures of another module's content checks, kept out of the JSON but shown on stderr.
    internal_errors: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` document, keys in the order of §8."""
        return {
            "schema": self.schema,
            "swarmview_version": self.swarmview_version,
            "path": self.path,
            "root": self.root,
            "run_id": self.run_id,
            "profile": self.profile,
            "tier": self.tier,
            "verdict": self.verdict,
            "exit_code": self.exit_code,
            "findings": [f.to_json() for f in self.findings],
            "upstream": {
                "open": self.upstream.get("open"),
                "validate_manifest": self.upstream.get("validate_manifest"),
                "load_report": self.upstream.get("load_report"),
            },
            "files": [f.to_json() for f in self.files],
            "counts": dict(self.counts),
            "bytes_hashed": self.bytes_hashed,
            "elapsed_s": round(self.elapsed_s, 3),
            "cached": self.cached,
        }


def upstream_line(upstream: dict[str, Any]) -> str:
    """Both upstream stages in one sentence (§3), e.g. ``manifest accepted; report tool cannot load …``."""
    opened = upstream.get("open")
    validated = upstream.get("validate_manifest")
    loaded = upstream.get("load_report")
    if opened is None:
        return "upstream: not determined"
    if opened.get("ok") is None:
        return f"upstream: cannot open the bundle: {opened.get('message')}"
    if opened.get("ok") is False:
        return f"upstream: cannot open the bundle: {opened.get('message')}"
    if validated is None:
        return "upstream: bundle opens; manifest not checked (fast tier or stopped)"
    if validated.get("ok") is None:
        return f"upstream: {validated.get('message')}"
    if validated.get("ok") is False:
        return f"upstream: manifest rejected: {validated.get('message')}"
    text = "upstream: manifest accepted"
    if loaded is None:
        return text + "; report tool not checked"
    if loaded.get("ok") is True:
        warnings = loaded.get("warnings") or []
        extra = f" with {len(warnings)} warning{'s' if len(warnings) != 1 else ''}" if warnings else ""
        return text + f"; report tool loads the run{extra}"
    where = f"{loaded['file']}: " if loaded.get("file") else ""
    return text + f"; report tool cannot load the run: {where}{loaded.get('message')}"


def format_human(report: Report, verbose: bool = False) -> str:
    """The text report (§8 "Human output"); not a parsing target."""
    lines: list[str] = []
    if report.tier == "full":
        tier = "full"
    elif report.verdict in ("verified", "verified_with_warnings"):
        tier = "fast: paths, structure and sizes match the manifest; contents not hashed"
    else:
        tier = "fast: contents not hashed"
    if report.profile == "upstream":
        rejection = upstream_rejection(report.upstream)
        if report.verdict == "verified":
            lines.append("upstream: accepted")
        elif rejection is not None and report.verdict == "problems":
            lines.append(f"upstream: rejected: {rejection}")
        else:
            lines.append(f"upstream: {HUMAN[report.verdict]}")
        lines.append(f"bundle: {report.root} ({tier})")
    else:
        lines.append(f"{HUMAN[report.verdict]}: {report.root} ({tier}; profile {report.profile})")
    lines.append(upstream_line(report.upstream))
    infos = 0
    for f in report.findings:
        if f.severity == "info" and not verbose:
            infos += 1
            continue
        lines.append(f"{f.severity:<10} {f.code:<28} {f.message}")
    if infos:
        lines.append(f"{infos} info finding{'s' if infos != 1 else ''} (--verbose lists them)")
    c = report.counts
    n = len(report.findings)
    lines.append(
        f"{c['files_listed']} files listed, {c['files_ok']} ok, {c['files_unlisted']} unlisted; "
        f"{n} finding{'s' if n != 1 else ''} ({c['error']} error, {c['unverified']} unverified, "
        f"{c['warning']} warning, {c['info']} info); {report.bytes_hashed} bytes hashed in {report.elapsed_s:.2f} s"
    )
    return "\n".join(lines)
