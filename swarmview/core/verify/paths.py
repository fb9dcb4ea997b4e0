"""Bundle path rules: upstream's (§1.5, emulated exactly) and swarmview's canonical form.

Upstream parses manifest paths with Rust's ``Path::components`` on the host platform, which quietly
collapses ``//``, drops interior ``.`` and trailing ``/``; swarmview accepts only one spelling per file
so that two entries can never name the same file unnoticed (UPSTREAM_FINDINGS F-05).
"""

from __future__ import annotations

import re

#: ``bundle.rs:required_paths_v1`` in its order (§1.3): the validator reports the first missing one.
REQUIRED_PATHS: tuple[str, ...] = (
    "run.json",
    "graph.json",
    "spans.ndjson",
    "events.ndjson",
    "metrics.ndjson",
    "datasets/registry.json",
    "datasets/lineage.json",
    "datasets/materializations.ndjson",
    "datasets/registry_updates.ndjson",
    "datasets/lineage_edges.ndjson",
)
#: The two update logs that joined the required set on 2026-04-05 (§1.7, F-13).
UPDATE_LOGS: tuple[str, ...] = ("datasets/registry_updates.ndjson", "datasets/lineage_edges.ndjson")
#: The eight paths required from the start: ``"required": false`` on them was never written by upstream.
ORIGINAL_REQUIRED: tuple[str, ...] = tuple(p for p in REQUIRED_PATHS if p not in UPDATE_LOGS)
SNAPSHOT_MARKER = "datasets/snapshot_pair_commit.json"

_DRIVE = re.compile(r"^[A-Za-z]:")
_WINDOWS_FORBIDDEN = '<>"|?*'
_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"COM{i}" for i in range(1, 10)} | {f"LPT{i}" for i in range(1, 10)}


def rust_components(path: str) -> list[tuple[str, str]]:
    """``Path::components`` on Unix: ``root``, ``cur`` (only leading), ``parent`` and ``normal`` parts."""
    out: list[tuple[str, str]] = []
    rest = path
    if path.startswith("/"):
        out.append(("root", "/"))
        rest = path.lstrip("/")
    elif path == "." or path.startswith("./"):
        out.append(("cur", "."))
        rest = path[1:]
    for part in rest.split("/"):
        if part in ("", "."):
            continue
        out.append(("parent", "..") if part == ".." else ("normal", part))
    return out


def upstream_path_error(path: str) -> str | None:
    """``validate_manifest_path`` on Linux: upstream's exact message, or None when it accepts the path."""
    if path == "":
        return "manifest path must be non-empty"
    comps = rust_components(path)
    if comps and comps[0][0] == "root":
        return f"manifest path must be relative: {path}"
    if any(kind == "parent" for kind, _ in comps):
        return f"manifest path must not contain '..': {path}"
    if comps and comps[0][0] == "cur":
        return f"manifest path must not contain '.': {path}"
    if not any(kind == "normal" for kind, _ in comps):
        return f"manifest path is invalid: {path}"
    return None


def canonical_problem(path: str) -> str | None:
    """Why ``path`` is not in swarmview's canonical form (§1.5), as the NON_CANONICAL_PATH reason."""
    if path == "":
        return "empty"
    if "\x00" in path:
        return "NUL"
    if path.startswith("/"):
        return "absolute"
    if "\\" in path:
        return "backslash"
    if _DRIVE.match(path):
        return "drive prefix"
    parts = path.split("/")
    for i, part in enumerate(parts):
        if part == "..":
            return "'..' component"
        if part == ".":
            return "'.' component"
        if part == "":
            return "trailing '/'" if i == len(parts) - 1 else "empty component"
    return None


def normalized(path: str) -> str:
    """The spelling ``Path::components`` reduces an accepted path to (what the OS opens)."""
    return "/".join(text for kind, text in rust_components(path) if kind in ("normal", "parent"))


def safe_relative(path: str) -> str | None:
    """The normalized path when a non-canonical spelling still names a file inside the root, else None.

    ``a//b``, ``a/./b`` and ``a/b/`` are checked against ``a/b`` (VERIFY.md §7 NON_CANONICAL_PATH);
    absolute, ``..``, leading ``.``, backslash, drive and NUL spellings are never opened.
    """
    problem = canonical_problem(path)
    if problem is None:
        return path
    if problem in ("empty component", "'.' component", "trailing '/'"):
        norm = normalized(path)
        if norm and upstream_path_error(path) is None and canonical_problem(norm) is None:
            return norm
    return None


def non_portable_reason(path: str) -> str | None:
    """Why Windows cannot hold this relative path (F-05), or None; checked name by name."""
    body = path[2:] if _DRIVE.match(path) else path
    for name in body.split("/"):
        if name in ("", ".", ".."):
            continue
        if ":" in name:
            return "':'"
        for ch in _WINDOWS_FORBIDDEN:
            if ch in name:
                return f"'{ch}'"
        if any(ord(c) < 32 for c in name):
            return "a control character"
        if name.endswith("."):
            return "ends with '.'"
        if name.endswith(" "):
            return "ends with ' '"
        stem = name.split(".", 1)[0].rstrip(" ").upper()
        if stem in _RESERVED:
            return f"reserved device name {stem}"
    return None


def display_path(raw: bytes) -> str:
    """A relative path for messages and JSON: UTF-8, each invalid byte shown as ``\\xNN`` (§8)."""
    return raw.decode("utf-8", "backslashreplace")


def lossy_path(raw: bytes) -> str:
    """``to_string_lossy``: what upstream's finalize writes for a non-UTF-8 name (F-17)."""
    return raw.decode("utf-8", "replace")
