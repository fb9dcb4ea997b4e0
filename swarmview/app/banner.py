"""The verification banner: is this run intact, in plain words, before anything else.

It shows progress (files and bytes) with Cancel while verification runs, then the verdict with a colour,
the manifest's own SHA-256 (to compare with a digest kept elsewhere) and what upstream SwarmTorch would
say: whether its validator accepts the manifest and whether its report tool can load the run.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from swarmview.app.models.format import size
from swarmview.app.views.base import report_json

#: state → (background, symbol)
STYLES: dict[str, tuple[str, str]] = {
    "verified": ("#1f6f3f", "✔"),
    "verified_with_warnings": ("#8a6a00", "✔"),
    "problems": ("#9b2226", "✖"),
    "could_not_verify": ("#5a4a78", "?"),
    "cancelled": ("#4a4d55", "■"),
    "working": ("#2b4c7e", "…"),
    "error": ("#9b2226", "✖"),
}


#: the banner quotes the first finding on one line; the Integrity view has the full text
FIRST_FINDING_CHARS = 140


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def verdict_headline(data: dict[str, Any]) -> str:
    """The banner's first line for a §8 report."""
    verdict = data.get("verdict")
    counts = data.get("counts") or {}
    fast = data.get("tier") == "fast"
    if verdict == "verified":
        return "Verified: sizes match the manifest (contents not hashed)" if fast else "Verified: every file matches the manifest"
    if verdict == "verified_with_warnings":
        return f"Verified with warnings: the files match the manifest ({_plural(int(counts.get('warning', 0)), 'warning')})"
    if verdict == "problems":
        n = int(counts.get("error", 0))
        return f"{_plural(n, 'problem')} found: this run is not intact"
    if verdict == "could_not_verify":
        n = int(counts.get("unverified", 0))
        return f"Could not verify: {_plural(n, 'check')} could not be completed"
    if verdict == "cancelled":
        return "Verification cancelled: the run was not fully checked"
    return f"Verification finished: {verdict}"


def upstream_sentence(upstream: dict[str, Any] | None) -> str:
    """What SwarmTorch itself would say (VERIFY.md §3), as one sentence."""
    if not upstream:
        return "SwarmTorch's own verdict is not known."
    opened = upstream.get("open") or {}
    if opened.get("ok") is False:
        return f"SwarmTorch cannot open this run: {opened.get('message', '')}"
    vm = upstream.get("validate_manifest")
    if vm is None:
        first = "SwarmTorch's validator was not run (fast check)"
    elif vm.get("ok") is True:
        first = "SwarmTorch's validator accepts the manifest"
    elif vm.get("ok") is None:
        first = f"SwarmTorch's validator would not finish: {vm.get('message', '')}"
    else:
        first = f"SwarmTorch's validator rejects it: {vm.get('message', '')}"
    lr = upstream.get("load_report")
    if lr is None:
        second = "" if vm is None else "whether its report tool can load the run is not known"
    elif lr.get("ok"):
        warnings = lr.get("warnings") or []
        second = "its report tool can load the run" + (f" ({_plural(len(warnings), 'warning')})" if warnings else "")
    elif vm is not None and vm.get("ok") is not True:
        second = "so its report tool cannot load the run either"
    else:
        where = f"{lr['file']}: " if lr.get("file") else ""
        second = f"its report tool cannot load the run: {where}{lr.get('message', '')}"
    return f"{first}; {second}." if second else f"{first}."


class VerificationBanner(QFrame):
    """Top-of-window strip; the shell drives it, the user can cancel or re-run verification."""

    cancel_requested = Signal()
    reverify_requested = Signal()
    details_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("verificationBanner")
        self.state = "idle"
        self.symbol = QLabel(self)
        self.symbol.setObjectName("bannerSymbol")
        self.symbol.setFixedWidth(36)
        self.symbol.setAlignment(Qt.AlignmentFlag.AlignCenter)
        big = QFont(self.font())
        big.setPointSizeF(big.pointSizeF() * 1.9)
        self.symbol.setFont(big)
        self.headline = QLabel(self)
        self.headline.setObjectName("bannerHeadline")
        bold = QFont(self.font())
        bold.setBold(True)
        bold.setPointSizeF(bold.pointSizeF() * 1.15)
        self.headline.setFont(bold)
        self.headline.setWordWrap(True)
        self.detail = QLabel(self)
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.upstream = QLabel(self)
        self.upstream.setWordWrap(True)
        self.upstream.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.digest = QLabel(self)
        self.digest.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.digest.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar(self)
        self.progress.setTextVisible(True)
        self.progress.setMinimumWidth(220)
        self.progress.setMaximumWidth(320)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.reverify_button = QPushButton("Verify again", self)
        self.reverify_button.clicked.connect(self.reverify_requested)
        self.details_button = QPushButton("Details", self)
        self.details_button.setToolTip("Show every file and finding (Integrity view)")
        self.details_button.clicked.connect(self.details_requested)

        text = QVBoxLayout()
        text.setSpacing(2)
        for w in (self.headline, self.detail, self.upstream, self.digest):
            text.addWidget(w)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 8, 10, 8)
        row.addWidget(self.symbol, 0, Qt.AlignmentFlag.AlignTop)
        row.addLayout(text, 1)
        buttons = QVBoxLayout()
        buttons.addWidget(self.progress)
        line = QHBoxLayout()
        line.addStretch(1)
        for b in (self.details_button, self.reverify_button, self.cancel_button):
            line.addWidget(b)
        buttons.addLayout(line)
        buttons.addStretch(1)
        row.addLayout(buttons)
        self._paint("working")
        self.show_message("No run open", "Open a run folder (File ▸ Open Run Folder…) or drop it on this window.",
                          state="cancelled")

    # -- states ----------------------------------------------------------------------------------
    def _paint(self, state: str) -> None:
        self.state = state
        color, symbol = STYLES.get(state, STYLES["working"])
        self.symbol.setText(symbol)
        self.setStyleSheet(
            f"QFrame#verificationBanner {{ background: {color}; border-radius: 4px; }}"
            "QFrame#verificationBanner QLabel { color: white; background: transparent; }"
        )

    def _buttons(self, *, progress: bool, cancel: bool, reverify: bool, details: bool) -> None:
        self.progress.setVisible(progress)
        self.cancel_button.setVisible(cancel)
        self.reverify_button.setVisible(reverify)
        self.details_button.setVisible(details)

    def show_message(self, headline: str, detail: str = "", *, state: str = "error") -> None:
        """Not a bundle, unreadable, core missing: a clear sentence instead of a verdict."""
        self._paint(state)
        self.headline.setText(headline)
        self.detail.setText(detail)
        self.detail.setVisible(bool(detail))
        self.upstream.hide()
        self.digest.hide()
        self._buttons(progress=False, cancel=False, reverify=False, details=False)

    def show_verifying(self, root: str) -> None:
        self._paint("working")
        self.headline.setText("Verifying…")
        self.detail.setText(f"Checking every file of {root} against its manifest.")
        self.detail.show()
        self.upstream.hide()
        self.digest.hide()
        self.progress.setRange(0, 0)
        self.progress.setFormat("starting…")
        self._buttons(progress=True, cancel=True, reverify=False, details=False)

    def update_progress(self, p: Any) -> None:
        files_done = int(getattr(p, "files_done", 0))
        files_total = int(getattr(p, "files_total", 0))
        bytes_done = int(getattr(p, "bytes_done", 0))
        bytes_total = int(getattr(p, "bytes_total", 0))
        if bytes_total > 0:
            self.progress.setRange(0, 1000)
            self.progress.setValue(min(1000, bytes_done * 1000 // bytes_total))
        elif files_total > 0:
            self.progress.setRange(0, files_total)
            self.progress.setValue(files_done)
        self.progress.setFormat(f"{files_done}/{files_total} files · {size(bytes_done)} of {size(bytes_total)}")
        current = getattr(p, "current", None)
        if current:
            self.detail.setText(f"Checking {current}")

    def show_report(self, report: Any, manifest_sha256: str | None) -> None:
        data = report_json(report) or {}
        verdict = str(data.get("verdict", "could_not_verify"))
        self._paint(verdict if verdict in STYLES else "could_not_verify")
        self.headline.setText(verdict_headline(data))
        self.detail.setText(self._detail_line(data))
        self.detail.show()
        self.upstream.setText(upstream_sentence(data.get("upstream")))
        self.upstream.show()
        self.digest.setText(
            f"manifest.json SHA-256: {manifest_sha256}" if manifest_sha256 else "manifest.json: none (not finalized)"
        )
        self.digest.show()
        self._buttons(progress=False, cancel=False, reverify=True, details=True)

    @staticmethod
    def _detail_line(data: dict[str, Any]) -> str:
        counts = data.get("counts") or {}
        codes = {f.get("code") for f in data.get("findings") or []}
        if not counts.get("files_listed") and codes & {"MANIFEST_MISSING", "MANIFEST_INVALID"}:
            parts = [f"No usable manifest: {counts.get('files_unlisted', 0)} files on disk could not be checked"]
        else:
            parts = [f"{counts.get('files_ok', 0)} of {counts.get('files_listed', 0)} listed files intact"]
            if counts.get("files_unlisted"):
                parts.append(f"{counts['files_unlisted']} not in the manifest")
        first = next((f for f in data.get("findings") or [] if f.get("severity") in ("error", "unverified")), None)
        if first is None:
            first = next((f for f in data.get("findings") or [] if f.get("severity") == "warning"), None)
        line = "; ".join(parts) + f"; {size(int(data.get('bytes_hashed') or 0))} hashed."
        if first is not None:
            message = str(first.get("message"))
            if len(message) > FIRST_FINDING_CHARS:
                message = message[: FIRST_FINDING_CHARS - 1] + "…"
            line += f"\nFirst {first.get('severity')}: {message}"
        return line
