"""Datasets and artifacts tab: what data went in and what came out, A against B.

Datasets are matched by ``asset_key`` (registry as upstream's loader merges it): fingerprints, source,
schema and trust that differ, and the number of materialization records. Artifacts are matched by path:
sizes on disk and the manifest's digests (no re-hashing here; integrity is the browser's verdict).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QLabel, QSplitter, QVBoxLayout, QWidget

from swarmview.app.runs.compare_data import PairData, RunLabel
from swarmview.app.runs.compare_tables import DiffRow, DiffTableModel, diff_table


def _only_differences(rows: list[DiffRow]) -> list[DiffRow]:
    """Drop "same" headings and their (empty) detail rows."""
    out: list[DiffRow] = []
    keep = False
    for row in rows:
        if row.bold or row.cells[0]:
            keep = row.cells[0] != "same"
        if keep:
            out.append(row)
    return out


class FilesDiffView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pair: PairData | None = None
        self.only = QCheckBox("only differences", self)
        self.only.setChecked(True)
        self.datasets_label = QLabel("Datasets", self)
        self.datasets = DiffTableModel(["Status", "Asset key", "Field", "A", "B"])
        self.datasets_table = diff_table(self.datasets, self)
        self.artifacts_label = QLabel("Artifacts", self)
        self.artifacts = DiffTableModel(["Status", "Path", "Size A", "Size B", "sha256 A", "sha256 B"], {2, 3})
        self.artifacts_table = diff_table(self.artifacts, self)
        for table, widths in ((self.datasets_table, (80, 240, 180, 300)), (self.artifacts_table, (80, 300, 90, 90, 180))):
            for col, width in enumerate(widths):
                table.horizontalHeader().resizeSection(col, width)
        top = QWidget(self)
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.datasets_label)
        tl.addWidget(self.datasets_table, 1)
        bottom = QWidget(self)
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.addWidget(self.artifacts_label)
        bl.addWidget(self.artifacts_table, 1)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(top)
        split.addWidget(bottom)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.only)
        layout.addWidget(split, 1)
        self.only.toggled.connect(lambda _b: self._show())
        self._runs: list[RunLabel] = []

    def set_pair(self, pair: PairData, runs: list[RunLabel]) -> None:
        self.pair, self._runs = pair, runs
        self._show()

    def _show(self) -> None:
        pair = self.pair
        if pair is None:
            return
        ra, rb = self._runs[pair.a], self._runs[pair.b]
        a, b = ra.letter, rb.letter
        ds, ar = pair.dataset_rows, pair.artifact_rows
        if self.only.isChecked():
            ds, ar = _only_differences(ds), [r for r in ar if r.cells[0] != "same"]
        self.datasets.set_rows(ds, ["Status", "Asset key", "Field", ra.short, rb.short])
        self.artifacts.set_rows(ar, ["Status", "Path", f"Size {a}", f"Size {b}", f"sha256 {a}", f"sha256 {b}"])
        n_ds = sum(1 for d in pair.datasets if d.status != "same")
        n_ar = sum(1 for d in pair.artifacts if d.status != "same")
        self.datasets_label.setText(f"Datasets: {n_ds} of {len(pair.datasets)} differ ({b} against {a})")
        self.artifacts_label.setText(f"Artifacts: {n_ar} of {len(pair.artifacts)} differ ({b} against {a}; "
                                     "digests from each manifest)")
