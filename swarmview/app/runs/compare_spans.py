"""Span statistics side by side: per span name, count, total, p50 and p95 duration in every run.

The change column compares B with A (the pair chosen at the top of the window): ▲ red when B is larger
(slower, more), ▼ green when smaller, with the relative change, so a regression stands out without
reading numbers. Unfinished spans are counted but not timed (``core.runs.compare.span_stats``).
"""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from swarmview.app.runs.compare_data import CompareData, span_rows
from swarmview.app.runs.compare_tables import DiffRow, DiffTableModel, diff_table


class SpanStatsView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data: CompareData | None = None
        self.pair = (0, 1)
        self.rows: list[DiffRow] = []
        self.summary = QLabel("Loading…", self)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Filter span names…")
        self.search.setClearButtonEnabled(True)
        self.only_changed = QCheckBox("only names that changed", self)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.search)
        top.addWidget(self.only_changed)
        self.model = DiffTableModel(["Span name"])
        self.table = diff_table(self.model, self)
        self.table.setSortingEnabled(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        self.search.textChanged.connect(lambda _t: self._show())
        self.only_changed.toggled.connect(lambda _b: self._show())

    def set_data(self, data: CompareData, a: int, b: int) -> None:
        self.data, self.pair = data, (a, b)
        letters = [r.letter for r in data.runs]
        headers, self.rows, numeric = span_rows(data.spans, letters, a, b)
        self.headers, self.numeric = headers, numeric
        self.summary.setText(f"{len(self.rows)} span names · Δ = {data.runs[b].letter} compared with "
                             f"{data.runs[a].letter} (▲ red: more or slower, ▼ green: fewer or faster)")
        self._show()
        header = self.table.horizontalHeader()
        header.resizeSection(0, 180)
        for col in range(1, len(headers)):
            header.resizeSection(col, 136 if headers[col].startswith("Δ") else 66)

    def _show(self) -> None:
        words = self.search.text().lower().split()
        rows = [r for r in self.rows if all(w in r.cells[0].lower() for w in words)
                and (not self.only_changed.isChecked() or r.colours)]
        self.model.set_rows(rows, getattr(self, "headers", None), getattr(self, "numeric", None))

    def row(self, name: str) -> DiffRow | None:
        return next((r for r in self.rows if r.cells[0] == name), None)
