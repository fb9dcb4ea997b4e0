"""Profiles, verdicts and exit codes (VERIFY.md §4, §6): one table, applied in one place."""

from __future__ import annotations

from typing import Any, Literal

from swarmview.core.findings import Finding

Profile = Literal["default", "strict", "upstream"]
PROFILES: tuple[str, ...] = ("default", "strict", "upstream")

EXIT: dict[str, int] = {
    "verified": 0,
    "verified_with_warnings": 0,
    "problems": 1,
    "could_not_verify": 3,
    "cancelled": 130,
}
HUMAN: dict[str, str] = {
    "verified": "verified",
    "verified_with_warnings": "verified with warnings",
    "problems": "problems found",
    "could_not_verify": "could not verify",
    "cancelled": "cancelled",
}


def apply_profile(findings: list[Finding], profile: str) -> list[Finding]:
    """Severities as reported under ``profile``: strict makes warnings errors, upstream makes all info."""
    if profile == "strict":
        return [f.with_severity("error") if f.severity == "warning" else f for f in findings]
    if profile == "upstream":
        return [f.with_severity("info") for f in findings]
    return list(findings)


def swarmview_verdict(findings: list[Finding], user_cancelled: bool) -> str:
    """§6: the first matching rule decides (a proven problem outranks an unreadable file)."""
    severities = {f.severity for f in findings}
    if user_cancelled:
        return "cancelled"
    if "error" in severities:
        return "problems"
    if "unverified" in severities:
        return "could_not_verify"
    if "warning" in severities:
        return "verified_with_warnings"
    return "verified"


def upstream_verdict(upstream: dict[str, Any], *, user_cancelled: bool, undetermined: bool) -> str:
    """§4 ``upstream`` profile: the verdict of ``validate_manifest`` alone (``open`` failing rejects)."""
    if user_cancelled:
        return "cancelled"
    opened = upstream.get("open") or {}
    if opened.get("ok") is False:
        return "problems"
    validated = upstream.get("validate_manifest")
    if undetermined or opened.get("ok") is None or validated is None or validated.get("ok") is None:
        return "could_not_verify"
    return "verified" if validated.get("ok") is True else "problems"


def decide(
    findings: list[Finding], profile: str, upstream: dict[str, Any], *, user_cancelled: bool, undetermined: bool
) -> tuple[list[Finding], str, int]:
    """Findings under the profile, the verdict and the exit code."""
    shown = apply_profile(findings, profile)
    if profile == "upstream":
        verdict = upstream_verdict(upstream, user_cancelled=user_cancelled, undetermined=undetermined)
    else:
        verdict = swarmview_verdict(shown, user_cancelled)
    return sorted(shown, key=Finding.sort_key), verdict, EXIT[verdict]


def upstream_rejection(upstream: dict[str, Any]) -> str | None:
    """Upstream's exact message when it rejects the bundle (open or validate_manifest), else None."""
    opened = upstream.get("open") or {}
    if opened.get("ok") is False:
        return str(opened.get("message"))
    validated = upstream.get("validate_manifest") or {}
    if validated.get("ok") is False:
        return str(validated.get("message"))
    return None
