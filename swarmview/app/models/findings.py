"""Findings (core ``Finding`` objects or report dicts) as a table with severity icons."""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtGui import QColor, QIcon
from PySide6.QtWidgets import QApplication, QStyle

from swarmview.app.models.table import Column, ColumnTableModel

SEVERITY_RANK = {"error": 0, "unverified": 1, "warning": 2, "info": 3}
SEVERITY_WORDS = {"error": "error", "unverified": "not verified", "warning": "warning", "info": "info"}


def finding_dict(f: Any) -> dict[str, Any]:
    """A core Finding (dataclass) or a §8 finding dict, as a dict."""
    if isinstance(f, dict):
        return f
    if dataclasses.is_dataclass(f) and not isinstance(f, type):
        return dataclasses.asdict(f)
    return {k: getattr(f, k, None) for k in ("code", "severity", "path", "line", "column", "message")}


def severity_icon(severity: str | None) -> QIcon:
    style = QApplication.style()
    pixmap = {
        "error": QStyle.StandardPixmap.SP_MessageBoxCritical,
        "unverified": QStyle.StandardPixmap.SP_MessageBoxQuestion,
        "warning": QStyle.StandardPixmap.SP_MessageBoxWarning,
    }.get(severity or "", QStyle.StandardPixmap.SP_MessageBoxInformation)
    return style.standardIcon(pixmap)


def location(f: dict[str, Any]) -> str:
    path = f.get("path") or ""
    if f.get("line") is not None:
        path += f":{f['line']}"
        if f.get("column") is not None:
            path += f":{f['column']}"
    return path or "(bundle)"


class FindingsModel(ColumnTableModel):
    """Severity (icon + word), code, location, message; sorted by severity like the report."""

    def __init__(self, parent: Any = None) -> None:
        self.findings: list[dict[str, Any]] = []
        self._icons: dict[str, QIcon] = {}
        super().__init__(self._columns(), 0, icon=self._icon, foreground=self._fg, parent=parent)

    def _columns(self) -> list[Column]:
        f = lambda i: self.findings[i]  # noqa: E731
        return [
            Column("Severity", lambda i: SEVERITY_WORDS.get(str(f(i).get("severity")), str(f(i).get("severity")))),
            Column("Code", lambda i: str(f(i).get("code") or "")),
            Column("Where", lambda i: location(f(i))),
            Column("Message", lambda i: str(f(i).get("message") or "")),
        ]

    def _icon(self, i: int) -> QIcon:
        sev = str(self.findings[i].get("severity"))
        if sev not in self._icons:
            self._icons[sev] = severity_icon(sev)
        return self._icons[sev]

    def _fg(self, i: int) -> QColor | None:
        return QColor(140, 140, 140) if self.findings[i].get("severity") == "info" else None

    def set_findings(self, findings: list[Any]) -> None:
        items = [finding_dict(f) for f in findings]
        items.sort(key=lambda d: SEVERITY_RANK.get(str(d.get("severity")), 9))
        self.findings = items
        self.reset(len(items))

    def finding(self, view_row: int) -> dict[str, Any]:
        return self.findings[self.source_row(view_row)]
