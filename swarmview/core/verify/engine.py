"""``verify()``: swarmview's findings, upstream's verdict and the per-file status in one pass.

A generator so that the CLI (progress bar), the GUI (worker thread) and tests drive it the same way:
it yields :class:`Progress` and returns a :class:`Report`. Nothing is ever written into the bundle;
every file is read at most once, from one handle, and no FIFO or device is ever opened.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from swarmview import __version__
from swarmview.core.errors import UpstreamIOError
from swarmview.core.findings import Finding, finding
from swarmview.core.verify import checks
from swarmview.core.verify.content_stage import ContentStage
from swarmview.core.verify.hashing import HashJob, HashResult, hash_all, read_file
from swarmview.core.verify.manifest import Decoded, decode_manifest, decode_run_file
from swarmview.core.verify.oserr import as_upstream, rust_text
from swarmview.core.verify.report import FileStatus, Report
from swarmview.core.verify.tree import Tree, kind_of, walk
from swarmview.core.verify.upstream_validate import (
    Blocked,
    Raw,
    not_run,
    open_stage,
    read_whole,
    upstream_digest,
    validate_stage,
)
from swarmview.core.verify.verdict import PROFILES, decide

TIERS = ("fast", "full")


@dataclass(frozen=True)
class Progress:
    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int
    current: str | None


@dataclass
class _Read:
    """run.json or manifest.json as read once by the engine (and as upstream would see it)."""

    raw: Raw
    result: HashResult | None
    kind: str | None           # lstat kind, None when absent
    error: OSError | None = None


def find_root(path: str | os.PathLike[str]) -> Path:
    """The bundle root for ``path`` (VERIFY.md §1), via core.bundle when it is there."""
    try:
        from swarmview.core.bundle import find_bundle_root
    except ImportError:  # pragma: no cover - core.bundle is part of the package
        return _minimal_root(path)
    return find_bundle_root(path)


def _minimal_root(path: str | os.PathLike[str]) -> Path:
    """Walk up to the folder holding run.json (used only while core.bundle is missing)."""
    from swarmview.core.errors import NotABundleError

    here = Path(os.path.abspath(path))
    if here.is_dir() and ((here / "run.json").exists() or (here / "manifest.json").exists()):
        return here
    for folder in [here, *here.parents]:
        if os.path.lexists(folder / "run.json"):
            return folder
    raise NotABundleError(f"{path}: not a bundle (no run.json in this folder or any folder above it)")


def verify(
    path: str | os.PathLike[str],
    *,
    profile: str = "default",
    tier: str = "full",
    cancel: threading.Event | None = None,
    timeout: float | None = None,
    max_parse_bytes: int | None = None,
    max_line_bytes: int = 64 << 20,
    content: bool = True,
    workers: int | None = None,
    extra_findings: list[Finding] | None = None,
    shown_root: str | None = None,
) -> Generator[Progress, None, Report]:
    """Verify the bundle holding ``path``; yields progress, returns the report (VERIFY.md §4–§8).

    Raises ``NotABundleError`` (on the first ``next()``) when ``path`` is not in a bundle.
    ``content=False`` skips the content stage (benchmarks of the integrity stage alone).
    ``extra_findings``/``shown_root`` let a caller that unpacked an archive add its findings
    (``ARCHIVE_UNSAFE_MEMBER``) and show ``<archive>!/<folder>`` as the root (§2).
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}")
    if tier not in TIERS:
        raise ValueError(f"unknown tier {tier!r}")
    started = time.monotonic()
    root = find_root(path)
    run = _Run(root, tier, cancel or threading.Event(), timeout, started)
    yield run.progress()
    run.prelude()
    stage = ContentStage.create(root, max_parse_bytes, max_line_bytes) if (tier == "full" and content) else None
    if tier == "full":
        yield from run.hash_stage(stage, workers)
    upstream = run.upstream(stage)
    run.findings.extend(extra_findings or [])
    user_cancelled = run.cancel.is_set() and run.stopped
    if run.stopped:
        run.findings.append(run.cancelled_finding(user_cancelled))
    undetermined = any(f.code == "FILE_CHANGED_DURING_VERIFY" for f in run.findings) or (run.stopped and not user_cancelled)
    shown, verdict, exit_code = decide(run.findings, profile, upstream,
                                       user_cancelled=user_cancelled, undetermined=undetermined)
    files = run.file_statuses()
    counts = {sev: sum(1 for f in shown if f.severity == sev) for sev in ("error", "warning", "info", "unverified")}
    counts["files_listed"] = len(run.states)
    counts["files_ok"] = sum(1 for s in run.states if s.status in ("ok", "not_hashed"))
    counts["files_unlisted"] = len(run.unlisted)
    yield run.progress()
    return Report(
        swarmview_version=__version__,
        path=os.fspath(path),
        root=shown_root or str(root),
        run_id=run.run_id,
        profile=profile,
        tier=tier,
        verdict=verdict,
        exit_code=exit_code,
        findings=shown,
        upstream=upstream,
        files=files,
        counts=counts,
        bytes_hashed=run.bytes_hashed,
        elapsed_s=time.monotonic() - started,
        damaged_paths=frozenset(s.path for s in run.states if s.status not in ("ok", "not_hashed")),
        internal_errors=tuple(stage.errors if stage else ()),
    )


def run_verify(path: str | os.PathLike[str], **kwargs: Any) -> Report:
    """Drive ``verify()`` to the end without progress (tests, batch workers)."""
    gen = verify(path, **kwargs)
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            report: Report = stop.value
            return report


class _Run:
    """The state of one verification; methods are the stages in order."""

    def __init__(self, root: Path, tier: str, cancel: threading.Event, timeout: float | None, started: float) -> None:
        self.root = root
        self.base = os.fsencode(root)
        self.tier = tier
        self.cancel = cancel
        self.deadline = started + timeout if timeout is not None else None
        self.timeout = timeout
        self.stopped = False
        self.findings: list[Finding] = []
        self.states: list[checks.EntryState] = []
        self.unlisted: list[tuple[str, str, int | None]] = []
        self.results: dict[str, HashResult] = {}
        self.run_id: str | None = None
        self.run_read: _Read | None = None
        self.manifest_read: _Read | None = None
        self.manifest: dict[str, Any] | None = None
        self.manifest_decoded: Decoded | None = None
        self.run_decoded: Decoded | None = None
        self.open_result: dict[str, Any] = {}
        self.jobs: list[HashJob] = []
        self.bytes_hashed = 0
        self.done_files = 0
        self.done_bytes = 0
        self.tree = Tree([], [])
        self.bytes_total = 0
        self._by_path: dict[str, checks.EntryState] | None = None

    # --- helpers ---------------------------------------------------------------------------
    def should_stop(self) -> bool:
        if self.cancel.is_set() or (self.deadline is not None and time.monotonic() > self.deadline):
            self.stopped = True
            return True
        return False

    def progress(self, current: str | None = None) -> Progress:
        return Progress(self.done_files, len(self.jobs), self.done_bytes, self.bytes_total, current)

    def _read_small(self, name: str) -> _Read:
        """Read run.json / manifest.json once; links and specials only as upstream would (never blocking)."""
        abs_path = os.path.join(self.base, name.encode())
        try:
            st = os.lstat(abs_path)
        except OSError as exc:
            return _Read(read_whole(os.fsdecode(abs_path)), None, None, exc)
        kind = kind_of(st.st_mode)
        if kind != "file":
            return _Read(read_whole(os.fsdecode(abs_path)), None, kind)
        result = read_file(HashJob(name, abs_path, st, keep_data=True))
        if result.error is not None:
            return _Read(Raw(error=as_upstream(result.error)), result, kind, result.error)
        if result.changed is not None or result.data is None:
            return _Read(read_whole(os.fsdecode(abs_path)), result, kind)
        return _Read(Raw(data=result.data), result, kind)

    # --- stage 1: run.json, manifest.json, entries, tree (fast) -----------------------------
    def prelude(self) -> None:
        self.run_read = self._read_small("run.json")
        if self.run_read.raw.data is not None:
            self.run_decoded = decode_run_file(self.run_read.raw.data)
        self.open_result = open_stage(self.run_read.raw, self.run_decoded)
        self._run_json_findings()
        self.manifest_read = self._read_small("manifest.json")
        if self.manifest_read.raw.data is not None:
            self.manifest_decoded = decode_manifest(self.manifest_read.raw.data)
            self.manifest = self.manifest_decoded.value
        self._manifest_findings()
        if self.run_id is None and self.manifest is not None:
            self.run_id = self.manifest["run_id"]
        self.findings.append(finding("UNSIGNED_BUNDLE", None, "the manifest is not signed; it proves consistency, not origin"))
        if self.run_id is not None and self.root.name != self.run_id:
            self.findings.append(finding("RUN_DIR_NAME_MISMATCH", None,
                                         f"folder name {self.root.name} differs from run_id {self.run_id}"))
        self.tree = walk(self.root, self.should_stop)
        tree_paths = {item.rel.decode("utf-8", "replace") for item in self.tree.items}
        if self.manifest is not None:
            self.findings.extend(checks.header_findings(self.manifest, self.run_id if self.open_result.get("ok") else None))
            assert self.manifest_read.raw.data is not None
            canon = checks.canonical_manifest_finding(self.manifest_read.raw.data, self.manifest)
            if canon:
                self.findings.append(canon)
            self.states, entry_findings = checks.entry_checks(str(self.root), self.manifest, self.tier)
            if any(f.code == "RUN_JSON_UNREADABLE" for f in self.findings):  # it replaces FILE_MISSING (§7)
                entry_findings = [f for f in entry_findings if not (f.code == "FILE_MISSING" and f.path == "run.json")]
            self.findings.extend(entry_findings)
            self.findings.extend(checks.required_findings(self.states, tree_paths))
        listed = {s.norm for s in self.states if s.norm is not None}
        tree_f, self.unlisted = checks.tree_findings(self.tree, listed, self.manifest is not None, self.base)
        self.findings.extend(tree_f)

    def _run_json_findings(self) -> None:
        assert self.run_read is not None
        read = self.run_read
        if self.open_result.get("ok") is True:
            self.run_id = self.open_result["run_id"]
            return
        if read.error is not None and not isinstance(read.error, FileNotFoundError):
            self.findings.append(finding("FILE_UNREADABLE", "run.json", f"run.json: {rust_text(read.error)}"))
            return
        if read.kind is None:
            message = "run.json: not found; upstream cannot open the bundle"
            self.findings.append(finding("RUN_JSON_UNREADABLE", "run.json", message))
        elif self.run_decoded is not None and self.run_decoded.failure is not None:
            message, line, column = checks.positioned("run.json", self.run_decoded.failure.text)
            self.findings.append(finding("RUN_JSON_UNREADABLE", "run.json", message, line=line, column=column))
        else:
            what = read.kind if read.kind != "file" else "unreadable"
            self.findings.append(finding("RUN_JSON_UNREADABLE", "run.json",
                                         f"run.json: {self.open_result.get('message') or what}; upstream cannot open the bundle"))

    def _manifest_findings(self) -> None:
        assert self.manifest_read is not None
        read = self.manifest_read
        if read.kind is None and isinstance(read.error, FileNotFoundError):
            self.findings.append(finding("MANIFEST_MISSING", "manifest.json", (
                "manifest.json: not found; the run was never finalized or the manifest was lost "
                "(swarmview finalize writes one)")))
        elif read.error is not None:
            self.findings.append(finding("FILE_UNREADABLE", "manifest.json", f"manifest.json: {rust_text(read.error)}"))
        elif read.kind not in ("file", None) and read.raw.data is None:
            self.findings.append(finding("MANIFEST_INVALID", "manifest.json", f"manifest.json: is a {read.kind}; not read"))
        elif self.manifest_decoded is not None and self.manifest_decoded.failure is not None:
            message, line, column = checks.positioned("manifest.json", self.manifest_decoded.failure.text)
            self.findings.append(finding("MANIFEST_INVALID", "manifest.json", message, line=line, column=column))
        elif read.raw.error is not None:
            self.findings.append(finding("MANIFEST_INVALID", "manifest.json", f"manifest.json: {read.raw.error.message}"))
        if read.kind == "symlink":
            self.findings.append(finding("SYMLINK_IN_BUNDLE", "manifest.json",
                                         "manifest.json: symbolic link; upstream follows it"))

    # --- stage 2: hashing and content (full) -------------------------------------------------
    def hash_stage(self, stage: ContentStage | None, workers: int | None) -> Generator[Progress, None, None]:
        pre: dict[str, HashResult] = {}
        for name, read in (("run.json", self.run_read), ("manifest.json", self.manifest_read)):
            if read is not None and read.result is not None and read.result.changed is None and read.result.error is None:
                pre[name] = read.result
        by_norm: dict[str, HashJob] = {}
        for s in self.states:
            if s.st is None or s.norm is None or s.norm in by_norm:
                continue
            prefix = s.expected_bytes if s.st.st_size > s.expected_bytes else None
            feed = stage.feeder(s.norm) if stage else None
            by_norm[s.norm] = HashJob(s.norm, os.path.join(self.base, os.fsencode(s.norm)), s.st, prefix, feed)
        if stage is not None:
            for item in self.tree.items:
                rel = item.rel.decode("utf-8", "replace")
                if rel not in by_norm and item.kind == "file" and stage.wants(rel) and rel != "manifest.json":
                    by_norm[rel] = HashJob(rel, os.path.join(self.base, item.rel), item.st, None, stage.feeder(rel))
        self.jobs = [j for key, j in by_norm.items() if not (key in pre and j.prefix is None)]
        self.bytes_total = sum(j.walk_st.st_size for j in self.jobs)
        listed = {s.norm for s in self.states if s.st is not None}
        for key, result in pre.items():
            if key in by_norm and by_norm[key].prefix is None:
                self.results[key] = result
            if stage is not None and result.data is not None and stage.wants(key):
                stage.feed_all(key, result.data)
        gen = hash_all(self.jobs, self.should_stop, workers)
        while True:
            try:
                hp = next(gen)
            except StopIteration as stop:
                self.results.update(stop.value)
                break
            self.done_files, self.done_bytes = hp.files_done, hp.bytes_done
            yield self.progress(hp.current)
        self.done_files = len(self.jobs)
        for key, result in self.results.items():
            if key in listed and not result.stopped:
                self.bytes_hashed += result.bytes_read
            if stage is not None and stage.wants(key) and key not in pre:
                stage.end(key, result)
        self._hash_findings()

    def _hash_findings(self) -> None:
        listed = {s.norm for s in self.states if s.norm is not None}
        for key, r in self.results.items():  # unlisted content files read for parsing
            if key in listed:
                continue
            if r.error is not None:
                self.findings.append(finding("FILE_UNREADABLE", key, f"{key}: {rust_text(r.error)}"))
            elif r.changed is not None:
                self.findings.append(finding("FILE_CHANGED_DURING_VERIFY", key,
                                             f"{key}: changed while being verified ({r.changed}); verify again"))
        for s in self.states:
            if s.st is None or s.norm is None:
                continue
            r = self.results.get(s.norm)
            if r is None or r.stopped:
                s.status = "not_reached"
                continue
            self.findings.extend(_judge(s, r))

    # --- stage 3: upstream's verdict ------------------------------------------------------------
    def upstream(self, stage: ContentStage | None) -> dict[str, Any]:
        opened = self.open_result
        if self.tier == "fast":
            return {"open": opened, "validate_manifest": None, "load_report": None}
        if opened.get("ok") is not True:
            prior = not_run(opened)
            load = stage.finish(opened) if stage is not None and not self.stopped else None
            self.findings.extend(stage.findings if stage is not None else [])
            return {"open": opened, "validate_manifest": prior, "load_report": load}
        if self.stopped:
            return {"open": opened, "validate_manifest": None, "load_report": None}
        assert self.manifest_read is not None
        validated = validate_stage(str(self.root), opened["run_id"], self.manifest_read.raw,
                                   self.manifest_decoded, self._digest_of)
        load = None
        if stage is not None:
            load = stage.finish(validated if validated.get("ok") is not True else None)
            self.findings.extend(stage.findings)
        return {"open": opened, "validate_manifest": validated, "load_report": load}

    def _digest_of(self, entry_path: str, target: str) -> str | UpstreamIOError | Blocked:
        """Upstream's digest of a listed file from the hashes already taken (one read per file)."""
        if self._by_path is None:
            self._by_path = {}
            for s in self.states:
                self._by_path.setdefault(s.path, s)
        state = self._by_path.get(entry_path)
        if state is not None and state.norm is not None and state.st is not None:
            r = self.results.get(state.norm)
            if r is not None and not r.stopped and r.changed is None:
                if r.error is not None:
                    return as_upstream(r.error)
                if r.sha256 is not None:
                    return r.sha256
        return upstream_digest(entry_path, target)

    def cancelled_finding(self, user: bool) -> Finding:
        why = "interrupted" if user else f"--timeout {self.timeout:g} s"
        total = len(self.jobs) or len(self.states)
        return finding("CANCELLED", None, f"verification stopped after {self.done_files} of {total} files ({why})")

    def file_statuses(self) -> list[FileStatus]:
        out: list[FileStatus] = []
        for s in self.states:
            r = self.results.get(s.norm) if s.norm is not None and s.st is not None else None
            size = r.size if r is not None and r.size is not None else (s.st.st_size if s.st is not None else None)
            out.append(FileStatus(s.path, s.status or "not_reached", size, s.expected_bytes,
                                  r.sha256 if r is not None else None, s.expected_sha256))
        for path, _kind, size in sorted(self.unlisted, key=lambda u: u[0].encode("utf-8", "surrogateescape")):
            r = self.results.get(path)
            out.append(FileStatus(path, "unlisted", size, None, r.sha256 if r is not None else None, None))
        return out


def _judge(s: checks.EntryState, r: HashResult) -> list[Finding]:
    """Status and findings of one hashed entry (full tier)."""
    path = s.path
    if r.error is not None:
        s.status = "unreadable"
        return [finding("FILE_UNREADABLE", path, f"{path}: {rust_text(r.error)}")]
    if r.changed is not None:
        s.status = "changed"
        return [finding("FILE_CHANGED_DURING_VERIFY", path,
                        f"{path}: changed while being verified ({r.changed}); verify again")]
    assert r.size is not None and r.sha256 is not None
    expected = s.expected_sha256
    if r.size != s.expected_bytes:
        if (r.size > s.expected_bytes and s.digest_ok and r.prefix_sha256 is not None
                and r.prefix_sha256 == expected.lower()):
            s.status = "appended"
            grown = r.size - s.expected_bytes
            records = f" ({r.lines_after_prefix} records)" if path.endswith(".ndjson") else ""
            return [finding("APPENDED_SINCE_FINALIZE", path, (
                f"{path}: {grown} bytes{records} were appended after the manifest was written; the first "
                f"{s.expected_bytes} bytes still match it. The run was probably interrupted after the last "
                "finalize; re-finalize to accept (swarmview finalize)"), expected=s.expected_bytes, found=r.size)]
        s.status = "size_mismatch"
        return [checks.size_mismatch(path, r.size, s.expected_bytes)]
    if not s.digest_ok:
        s.status = "not_hashed" if checks._HEX64.fullmatch(expected) else "hash_mismatch"
        return []
    if r.sha256 == expected:
        s.status = "ok"
        return []
    if r.sha256 == expected.lower():
        s.status = "ok"
        return [finding("NON_CANONICAL_HEX", path, (
            f'{path}: manifest digest is uppercase; content matches; upstream reports "sha256 mismatch for {path}"'))]
    s.status = "hash_mismatch"
    return [finding("HASH_MISMATCH", path, f"{path}: sha256 {r.sha256}, manifest says {expected}",
                    expected=expected, found=r.sha256)]


ProgressCallback = Callable[[Progress], None]
