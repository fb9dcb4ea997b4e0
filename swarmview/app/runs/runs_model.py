"""The runs table: one row per run over a plain list, filtered and sorted through an index list.

No item per row and no QSortFilterProxyModel (VIEWER_ANCHORS b.3): ``rows`` maps view rows to
summaries, rows found later are inserted at their sorted place (the list does not jump while discovery
streams in), and a verdict arriving later only repaints its row. The verdict column is drawn as a
coloured badge with plain words (:class:`BadgeDelegate`) so colour is never the only signal.
"""

from __future__ import annotations

import bisect
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from swarmview.app.banner import STYLES
from swarmview.app.models.format import duration, size, utc_time
from swarmview.app.runs.summary import RunSummary
from swarmview.core.verify.report import Report

Index = QModelIndex | QPersistentModelIndex
#: a short remark drawn after the badge (e.g. "no manifest" for a run never finalized)
NOTE_ROLE = int(Qt.ItemDataRole.UserRole) + 1

#: row state → words shown in the badge (verdicts as VERIFY.md names them, plus the browser's own states)
STATE_WORDS: dict[str, str] = {
    "verified": "Verified",
    "verified_with_warnings": "Warnings",
    "problems": "Problems",
    "could_not_verify": "Could not verify",
    "cancelled": "Cancelled",
    "pending": "Not verified yet",
    "verifying": "Verifying…",
    "error": "Error",
}
STATE_COLOURS: dict[str, str] = {
    **{k: v[0] for k, v in STYLES.items() if k in STATE_WORDS},
    "pending": "#6b7280",
    "verifying": STYLES["working"][0],
    "error": STYLES["error"][0],
}
#: sort rank of states (worst first when sorting by verdict ascending)
STATE_RANK = {"problems": 0, "error": 1, "could_not_verify": 2, "cancelled": 3, "verified_with_warnings": 4,
              "verified": 5, "verifying": 6, "pending": 7}
COLUMNS = ("Verdict", "Run id", "Created (UTC)", "Duration", "Nodes", "Spans", "Series", "Peers", "Size",
           "SwarmTorch", "Folder")
VERDICT, RUN_ID, CREATED, DURATION, NODES, SPANS, SERIES, PEERS, SIZE, VERSION, FOLDER = range(len(COLUMNS))
NUMERIC = {DURATION, NODES, SPANS, SERIES, PEERS, SIZE}
TIPS = {
    NODES: "nodes in graph.json", SPANS: "lines of spans.ndjson", SERIES: "metric series (VERIFY.md §11)",
    PEERS: "distinct swarmtorch.peer_id values in spans, events and metrics",
    DURATION: "wall clock from the run's creation to its last record", SIZE: "bytes of every file in the run",
}


def _count(n: int | None) -> str:
    return "—" if n is None else f"{n:,}"


class RunsModel(QAbstractTableModel):
    """Run summaries plus their verification state; ``rows`` is the filtered, sorted view."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.runs: list[RunSummary] = []
        self.states: list[str] = []
        self.reports: list[Report | None] = []
        self.messages: list[str] = []
        self.by_root: dict[Path, int] = {}
        self.rows: list[int] = []
        self._keys: list[Any] = []          # sort key of each entry of rows (same order)
        self.sort_column = CREATED
        self.sort_order = Qt.SortOrder.DescendingOrder
        self._tokens: list[str] = []

    # -- content ---------------------------------------------------------------------------------
    def add(self, summaries: list[RunSummary]) -> None:
        """Append runs; each one passing the filter appears at its sorted place."""
        for s in summaries:
            if s.root in self.by_root:
                continue
            i = len(self.runs)
            self.runs.append(s)
            self.by_root[s.root] = i
            if s.cached is not None:
                self.states.append(s.cached.verdict)
                self.reports.append(s.cached)
            else:
                self.states.append("pending")
                self.reports.append(None)
            self.messages.append("")
            if self._passes(i):
                key = self._key(i)
                pos = self._position(key)
                self.beginInsertRows(QModelIndex(), pos, pos)
                self.rows.insert(pos, i)
                self._keys.insert(pos, key)
                self.endInsertRows()

    def set_state(self, root: Path, state: str, report: Report | None = None, message: str = "") -> None:
        """A verification started ("verifying"), ended (its verdict) or failed ("error")."""
        i = self.by_root.get(root)
        if i is None:
            return
        self.states[i] = state
        self.reports[i] = report
        self.messages[i] = message
        try:
            row = self.rows.index(i)
        except ValueError:
            row = -1
        passes = self._passes(i)
        if row >= 0 and not passes:  # e.g. filtered on "problems" and the run turned out fine
            self.beginRemoveRows(QModelIndex(), row, row)
            del self.rows[row]
            del self._keys[row]
            self.endRemoveRows()
        elif row < 0 and passes:
            key = self._key(i)
            pos = self._position(key)
            self.beginInsertRows(QModelIndex(), pos, pos)
            self.rows.insert(pos, i)
            self._keys.insert(pos, key)
            self.endInsertRows()
        elif row >= 0:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def set_filter(self, text: str) -> None:
        self._tokens = text.lower().split()
        self._rebuild()

    def summary(self, row: int) -> RunSummary:
        return self.runs[self.rows[row]]

    def state_of(self, root: Path) -> str | None:
        i = self.by_root.get(root)
        return None if i is None else self.states[i]

    def report_of(self, root: Path) -> Report | None:
        i = self.by_root.get(root)
        return None if i is None else self.reports[i]

    def verification_order(self) -> list[Path]:
        """Every root, the rows passing the filter first, newest creation first within each part.

        Hidden runs come last rather than never: a filter on a verdict word ("problems") must not leave
        the runs it hides unverified for ever.
        """
        shown = set(self.rows)
        order = sorted(range(len(self.runs)), key=lambda i: (i not in shown, -(self.runs[i].created_ns or 0)))
        return [self.runs[i].root for i in order]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for state in self.states:
            out[state] = out.get(state, 0) + 1
        return out

    # -- filter and sort -------------------------------------------------------------------------
    def _haystack(self, i: int) -> str:
        s = self.runs[i]
        return " ".join((s.run_id or "", s.folder, s.swarmtorch_version or "", STATE_WORDS.get(self.states[i], ""),
                         self.states[i], s.note)).lower()

    def _passes(self, i: int) -> bool:
        if not self._tokens:
            return True
        hay = self._haystack(i)
        return all(t in hay for t in self._tokens)

    def _key(self, i: int) -> Any:
        s = self.runs[i]
        c = self.sort_column
        value: Any
        if c == VERDICT:
            value = STATE_RANK.get(self.states[i], 9)
        elif c == RUN_ID:
            value = s.run_id or ""
        elif c == CREATED:
            value = s.created_ns if s.created_ns is not None else -1
        elif c == DURATION:
            value = s.duration_ns if s.duration_ns is not None else -1
        elif c == SIZE:
            value = s.size
        elif c == VERSION:
            value = s.swarmtorch_version or ""
        elif c == FOLDER:
            value = s.folder
        else:
            n = {NODES: s.nodes, SPANS: s.spans, SERIES: s.series, PEERS: s.peers}[c]
            value = -1 if n is None else n
        key = (value, s.folder)
        return _Desc(key) if self.sort_order == Qt.SortOrder.DescendingOrder else key

    def _position(self, key: Any) -> int:
        return bisect.bisect_right(self._keys, key)

    def _rebuild(self) -> None:
        self.beginResetModel()
        keep = [i for i in range(len(self.runs)) if self._passes(i)]
        pairs = sorted(((self._key(i), i) for i in keep), key=lambda p: p[0])
        self.rows = [i for _, i in pairs]
        self._keys = [k for k, _ in pairs]
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.layoutAboutToBeChanged.emit()
        self.sort_column, self.sort_order = column, order
        old = list(self.rows)
        pairs = sorted(((self._key(i), i) for i in old), key=lambda p: p[0])
        self.rows = [i for _, i in pairs]
        self._keys = [k for k, _ in pairs]
        where = {i: r for r, i in enumerate(self.rows)}
        for idx in self.persistentIndexList():
            if idx.isValid():
                new_row = where[old[idx.row()]]
                self.changePersistentIndex(idx, self.index(new_row, idx.column()))
        self.layoutChanged.emit()

    # -- Qt model --------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return TIPS.get(section)
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        i = self.rows[index.row()]
        c = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(i, c)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if c in NUMERIC:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.UserRole:
            return self.states[i]
        if role == NOTE_ROLE:
            return "" if self.runs[i].manifest else "no manifest"
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(i, c)
        return None

    def _text(self, i: int, c: int) -> str:
        s = self.runs[i]
        if c == VERDICT:
            return STATE_WORDS.get(self.states[i], self.states[i])
        if c == RUN_ID:
            return s.run_id or "(no run id)"
        if c == CREATED:
            return utc_time(s.created_ns).removesuffix(" UTC")[:19] if s.created_ns is not None else "—"
        if c == DURATION:
            return duration(s.duration_ns)
        if c == NODES:
            return _count(s.nodes)
        if c == SPANS:
            return _count(s.spans)
        if c == SERIES:
            return _count(s.series)
        if c == PEERS:
            return _count(s.peers)
        if c == SIZE:
            return size(s.size)
        if c == VERSION:
            return s.swarmtorch_version or "—"
        return s.folder

    def _tooltip(self, i: int, c: int) -> str | None:
        s = self.runs[i]
        if c == VERDICT:
            report = self.reports[i]
            lines = [STATE_WORDS.get(self.states[i], self.states[i])]
            if report is not None:
                errors = [f for f in report.findings if f.severity in ("error", "unverified")][:3]
                lines += [f"{f.code}: {f.message}"[:160] for f in errors]
                if report.cached:
                    lines.append("(from the verification cache: nothing changed since it was hashed)")
            if self.messages[i]:
                lines.append(self.messages[i])
            if s.note:
                lines.append(s.note)
            return "\n".join(lines)
        if c == FOLDER:
            return str(s.root)
        return None


class _Desc:
    """Reverses the order of a key (descending sorts that stay stable with bisect)."""

    __slots__ = ("key",)

    def __init__(self, key: Any) -> None:
        self.key = key

    def __lt__(self, other: _Desc) -> bool:
        return other.key < self.key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Desc) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)


class BadgeDelegate(QStyledItemDelegate):
    """Draws the verdict as a rounded, coloured badge with white words (readable in both themes)."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        state = index.data(Qt.ItemDataRole.UserRole)
        text = index.data(Qt.ItemDataRole.DisplayRole) or ""
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, option.palette.brush(QPalette.ColorRole.Highlight))
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = option.fontMetrics
        width = min(metrics.horizontalAdvance(text) + 16, option.rect.width() - 6)
        height = min(metrics.height() + 4, option.rect.height() - 4)
        rect = QRectF(option.rect.x() + 4, option.rect.center().y() - height / 2 + 1, width, height)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(STATE_COLOURS.get(str(state), "#6b7280")))
        painter.drawRoundedRect(rect, height / 2, height / 2)
        painter.setPen(QColor("white"))
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), text)
        note = index.data(NOTE_ROLE)
        if note:
            painter.setPen(option.palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
            rest = option.rect.adjusted(int(rect.right() - option.rect.x()) + 6, 0, 0, 0)
            painter.drawText(rest, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
                             metrics.elidedText(note, Qt.TextElideMode.ElideRight, rest.width()))
        painter.restore()
