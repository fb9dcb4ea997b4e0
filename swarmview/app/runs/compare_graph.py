"""Graph diff tab: nodes added, removed and changed (by ``node_def_hash``/``op_hash``) between A and B.

Each changed node gets a heading row and one row per hash, param or field that differs, with A's and
B's JSON spelling side by side (``1`` and ``1.0`` differ, as they do for upstream's hashes). Matching is
by ``node_key`` (``core.runs.compare.compare_graph``).
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from swarmview.app.runs.compare_data import PairData, RunLabel
from swarmview.app.runs.compare_tables import DiffTableModel, diff_table

HEADERS = ["Status", "Node", "Op", "What differs", "A", "B"]


class GraphDiffView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel("Loading…", self)
        self.summary.setWordWrap(True)
        self.model = DiffTableModel(list(HEADERS))
        self.table = diff_table(self.model, self)
        for col, width in enumerate((80, 220, 160, 200, 260)):
            self.table.horizontalHeader().resizeSection(col, width)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)

    def set_pair(self, pair: PairData, runs: list[RunLabel]) -> None:
        a, b = runs[pair.a], runs[pair.b]
        g = pair.graph
        self.model.set_rows(pair.graph_rows, ["Status", "Node", "Op", "What differs", a.short, b.short])
        parts = [f"{g.count('added')} added", f"{g.count('removed')} removed", f"{g.count('changed')} changed",
                 f"{g.unchanged} unchanged"]
        if g.edges_added or g.edges_removed:
            parts.append(f"edges: {len(g.edges_added)} added, {len(g.edges_removed)} removed")
        head = f"Graph of {b.text} against {a.text}: " + ", ".join(parts) + "."
        if not g.nodes and not g.edges_added and not g.edges_removed:
            head += " The graphs define the same nodes."
        self.summary.setText(head)
