"""The content stage as the engine sees it: ``core.content.ContentChecker`` behind one switch.

The checker is fed the very buffers being hashed (one read per file). It belongs to another module
and may be absent or fail on a hostile file; the verifier must still return a report, so every call
is guarded here and a failure is recorded (``errors``) instead of escaping.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from swarmview.core.findings import Finding
from swarmview.core.verify.hashing import HashResult


class ContentStage:
    def __init__(self, checker: Any) -> None:
        self.checker = checker
        self.errors: list[str] = []
        self.findings: list[Finding] = []
        self._broken: set[str] = set()
        self._lock = threading.Lock()

    @staticmethod
    def create(root: Path, max_parse_bytes: int | None, max_line_bytes: int) -> ContentStage | None:
        """The stage, or None while ``core.content`` is not there (``load_report`` is then null)."""
        try:
            from swarmview.core.content import ContentChecker
        except ImportError:
            return None
        try:
            return ContentStage(ContentChecker(root, max_parse_bytes=max_parse_bytes, max_line_bytes=max_line_bytes))
        except Exception as exc:  # another module's bug must not cost the integrity report
            stage = ContentStage(None)
            stage.errors.append(f"content checks unavailable: {exc!r}")
            return stage

    def _fail(self, rel: str, exc: BaseException) -> None:
        with self._lock:
            self._broken.add(rel)
            self.errors.append(f"content check of {rel} failed: {exc!r}")

    def wants(self, rel: str) -> bool:
        if self.checker is None:
            return False
        try:
            return bool(self.checker.wants(rel))
        except Exception as exc:
            self._fail(rel, exc)
            return False

    def feeder(self, rel: str) -> Callable[[bytes], None] | None:
        if not self.wants(rel):
            return None

        def feed(chunk: bytes) -> None:
            if rel in self._broken:
                return
            try:
                self.checker.feed(rel, chunk)
            except Exception as exc:
                self._fail(rel, exc)

        return feed

    def end(self, rel: str, result: HashResult) -> None:
        if self.checker is None or rel in self._broken:
            return
        complete = result.error is None and result.changed is None and not result.stopped
        try:
            self.checker.end_file(rel, complete=complete, size=result.bytes_read)
        except Exception as exc:
            self._fail(rel, exc)

    def feed_all(self, rel: str, data: bytes) -> None:
        feed = self.feeder(rel)
        if feed is None:
            return
        feed(data)
        self.end(rel, HashResult(size=len(data), bytes_read=len(data)))

    def finish(self, prior_failure: dict[str, Any] | None) -> dict[str, Any] | None:
        """Content findings (kept in ``findings``) and upstream's ``load_report`` stage."""
        if self.checker is None:
            return None
        try:
            findings, load = self.checker.finish(prior_failure)
        except Exception as exc:
            self.errors.append(f"content checks failed: {exc!r}")
            return None
        self.findings = list(findings)
        return dict(load) if load is not None else None
