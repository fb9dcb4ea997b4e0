"""The RunView contract every tab implements, and the damage helpers they share.

The shell owns threads and ordering: it calls ``prepare`` in a worker, ``set_data`` on the GUI thread,
``set_report`` when verification ends (None when it restarts) and ``clear`` when the run closes. Views
only turn core data into widgets and emit selections on the bus.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from swarmview.app.selection import SelectionBus

#: files[].status values that mean "this file is intact as far as the manifest can tell" (VERIFY.md §8).
INTACT_STATUSES: frozenset[str] = frozenset({"ok", "not_hashed"})

#: files[].status in plain words (VERIFY.md §8).
STATUS_WORDS: dict[str, str] = {
    "ok": "intact",
    "not_hashed": "size matches (not hashed)",
    "size_mismatch": "wrong size",
    "appended": "grew after finalize",
    "hash_mismatch": "content changed",
    "missing": "missing",
    "not_regular": "not a regular file",
    "symlink": "symbolic link",
    "escapes_root": "points outside the bundle",
    "invalid_path": "invalid path",
    "unreadable": "unreadable",
    "changed": "changed while verifying",
    "unlisted": "not in manifest",
    "not_reached": "not checked (cancelled)",
    "pending": "verifying…",
}


def report_json(report: Any) -> dict[str, Any] | None:
    """The report as its §8 JSON dict, whatever form it arrives in (Report, dict or None)."""
    if report is None:
        return None
    if isinstance(report, Mapping):
        return dict(report)
    to_json = getattr(report, "to_json", None)
    if callable(to_json):
        return dict(to_json())
    return None


def damaged_files(report: Any) -> dict[str, str]:
    """Bundle-relative path → plain-words reason, for every file whose content cannot be trusted.

    A file is damaged when verification gave it a status other than intact/unlisted, or when a finding
    of severity ``error`` names it (e.g. a torn NDJSON line in a file the manifest still matches).
    """
    data = report_json(report)
    if not data:
        return {}
    out: dict[str, str] = {}
    for entry in data.get("files") or []:
        status = str(entry.get("status", ""))
        if status not in INTACT_STATUSES and status != "unlisted":
            out[str(entry.get("path"))] = STATUS_WORDS.get(status, status)
    for f in data.get("findings") or []:
        path = f.get("path")
        if path and f.get("severity") == "error" and path not in out:
            words = str(f.get("code", "error")).lower().replace("_", " ")
            out[str(path)] = f"{words} at line {f['line']}" if f.get("line") else words
    return out


def damage_text(sources: Iterable[str], damaged: Mapping[str, str]) -> str:
    """One sentence naming the damaged sources of a view, or "" when all are intact."""
    hits = [f"{p} ({damaged[p]})" for p in sources if p in damaged]
    if not hits:
        return ""
    return ("Damaged source" + ("s: " if len(hits) > 1 else ": ") + ", ".join(hits)
            + ". What this view shows from it may be incomplete or wrong.")


class DamageNotice(QLabel):
    """A red strip a view puts above its content when its source files are damaged."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("damageNotice")
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setStyleSheet(
            "QLabel#damageNotice { background: #8b1e1e; color: white; padding: 4px 8px; border-radius: 3px; }"
        )
        self.hide()

    def show_damage(self, sources: Iterable[str], damaged: Mapping[str, str]) -> None:
        text = damage_text(sources, damaged)
        self.setText("⚠ " + text if text else "")
        self.setVisible(bool(text))


class RunView(QWidget):
    """Base of every tab (docs/internal-api.md): thin, fed by the shell, linked only through the bus."""

    view_name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    #: bundle-relative files this view shows; the shell marks the tab when one of them is damaged.
    source_files: ClassVar[tuple[str, ...]] = ()
    #: False when ``prepare`` reads nothing from metrics.ndjson: the view is filled from the preview
    #: of the run (everything else read) while the metrics are still being read.
    needs_metrics: ClassVar[bool] = True

    def __init__(self, bus: SelectionBus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bus = bus
        self.setObjectName(f"view_{self.view_name or type(self).__name__}")

    @staticmethod
    def prepare(bundle: Any) -> object:
        """Pure, thread-safe work done in a worker before ``set_data`` (layout, LOD, indexes)."""
        return None

    def set_data(self, bundle: Any, prepared: object) -> None:
        """Show ``bundle`` (GUI thread, fast: the heavy part ran in ``prepare``)."""

    def rebind(self, bundle: Any) -> None:
        """The full run replaced the preview this view was filled from, with the same data for it: keep
        what is shown (and the user's zoom and selection), read from ``bundle`` from now on."""
        if hasattr(self, "bundle"):
            self.bundle = bundle

    def set_report(self, report: Any | None) -> None:
        """Verification result (for damage marks); None while it (re)runs."""

    def clear(self) -> None:
        """Forget the run (the window closes it or opens another)."""


class PlaceholderView(RunView):
    """Stands in for a view whose module is not available, so the tab still says why it is empty."""

    def __init__(self, bus: SelectionBus, name: str, title: str, reason: str, parent: QWidget | None = None) -> None:
        super().__init__(bus, parent)
        self.placeholder_name = name
        self.placeholder_title = title
        label = QLabel(f"The {title} view is not available in this build.\n{reason}", self)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
