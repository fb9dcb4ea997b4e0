"""Findings of one NDJSON file: per-line ones capped, frequent informational ones coalesced.

A damaged or foreign file can have a problem on every one of a million lines; listing each would
bury the report (and the GUI). Errors and warnings are listed line by line up to :data:`LINE_CAP` per
code, then summarized; ``NON_CANONICAL_JSON`` and ``UNKNOWN_FIELD`` are always one finding per
file and reason/key, with the first line and the count.
"""

from __future__ import annotations

from swarmview.core.findings import Finding, Severity, finding

__all__ = ["LINE_CAP", "FileNotes"]

LINE_CAP = 200


class FileNotes:
    """Collects the findings of one file in the order they are met."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._items: list[Finding] = []
        self._counts: dict[str, int] = {}
        self._coalesced: dict[tuple[str, str], list[int]] = {}  # (code, what) → [first line, count]

    def add(self, code: str, line: int | None, text: str, *, column: int | None = None,
            severity: Severity | None = None, found: str | int | None = None) -> None:  # fmt: skip
        """``text`` is the message after ``path:line[:column]: ``."""
        n = self._counts.get(code, 0) + 1
        self._counts[code] = n
        if n > LINE_CAP:
            return
        where = self.path if line is None else f"{self.path}:{line}" if column is None else f"{self.path}:{line}:{column}"
        self._items.append(finding(code, self.path, f"{where}: {text}", line=line, column=column,
                                   severity=severity, found=found))  # fmt: skip

    def coalesce(self, code: str, line: int, what: str, count: int = 1) -> None:
        slot = self._coalesced.get((code, what))
        if slot is None:
            self._coalesced[(code, what)] = [line, count]
        else:
            slot[0] = min(slot[0], line)
            slot[1] += count

    def findings(self) -> list[Finding]:
        out = list(self._items)
        for code, n in self._counts.items():
            if n > LINE_CAP:
                out.append(finding(code, self.path, f"{self.path}: {n - LINE_CAP} more {code} findings not listed "
                                   f"({n} in all)", found=n))  # fmt: skip
        for (code, what), (line, count) in self._coalesced.items():
            if code == "UNKNOWN_FIELD":
                text = f'unknown key "{what}" ignored'
            else:
                text = f"not in the form upstream writes ({what})"
            if count > 1:
                text += f"; {count} lines like this, the first is line {line}"
            out.append(finding(code, self.path, f"{self.path}:{line}: {text}", line=line, found=count))
        out.sort(key=lambda f: (f.line or 0, f.column or 0, f.code))
        return out
