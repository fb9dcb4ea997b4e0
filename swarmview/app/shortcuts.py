"""Keyboard shortcuts and the ``?`` overlay that lists them.

The overlay is generated from the window's real QActions (Perfetto's ``?`` sheet, VIEWER_ANCHORS a.5),
so it can never disagree with what the keys do.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QMouseEvent
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

#: action id → default key sequences (the first one is shown in menus).
DEFAULT_SHORTCUTS: dict[str, tuple[str, ...]] = {
    "open": ("Ctrl+O",),
    "reload": ("F5", "Ctrl+R"),
    "close_run": ("Ctrl+W",),
    "export": ("Ctrl+E",),
    "quit": ("Ctrl+Q",),
    "reverify": ("Ctrl+Shift+V",),
    "toggle_details": ("Ctrl+D",),
    "find": ("Ctrl+F",),
    "next_view": ("Ctrl+Tab", "Ctrl+PgDown"),
    "previous_view": ("Ctrl+Shift+Tab", "Ctrl+PgUp"),
    "shortcuts": ("?", "F1"),
}


def view_shortcut(position: int) -> str:
    """Ctrl+1 … Ctrl+8 select the views in tab order."""
    return f"Ctrl+{position + 1}"


def bind(action: QAction, action_id: str) -> QAction:
    keys = DEFAULT_SHORTCUTS.get(action_id, ())
    action.setShortcuts([QKeySequence(k) for k in keys])
    return action


def shortcut_rows(actions: Iterable[QAction]) -> list[tuple[str, str]]:
    """(keys, what it does) for every action with a shortcut, in menu order, without duplicates."""
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()
    for action in actions:
        keys = [s.toString(QKeySequence.SequenceFormat.NativeText) for s in action.shortcuts() if not s.isEmpty()]
        if not keys:
            continue
        label = action.text().replace("&", "").rstrip(".…")
        key_text = " / ".join(keys)
        if key_text in seen:
            continue
        seen.add(key_text)
        rows.append((key_text, label))
    return rows


class ShortcutOverlay(QFrame):
    """A translucent sheet over the window; Esc, ``?`` or a click closes it."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutOverlay")
        self.setStyleSheet(
            "QFrame#shortcutOverlay { background: rgba(10, 12, 16, 215); }"
            "QFrame#shortcutOverlay QLabel { color: #f0f0f0; background: transparent; }"
        )
        self.label = QLabel(self)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label, 0, Qt.AlignmentFlag.AlignCenter)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        parent.installEventFilter(self)
        self.hide()

    def show_for(self, actions: Iterable[QAction], extra: Iterable[tuple[str, str]] = ()) -> None:
        rows = [*shortcut_rows(actions), *extra]
        cells = "".join(
            f"<tr><td align='right' style='padding:3px 14px'><b>{html.escape(k)}</b></td>"
            f"<td style='padding:3px 14px'>{html.escape(v)}</td></tr>"
            for k, v in rows
        )
        self.label.setText(
            "<h2>Keyboard shortcuts</h2>"
            f"<table>{cells}</table><p style='color:#aaa'>Esc or ? closes this sheet</p>"
        )
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())
        self.show()
        self.raise_()
        self.setFocus()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.parentWidget() and event.type() == QEvent.Type.Resize and self.isVisible():
            self.setGeometry(self.parentWidget().rect())
        return False

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Escape, Qt.Key.Key_Question, Qt.Key.Key_F1):
            self.hide()
            event.accept()
            return
        super().keyPressEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.hide()
        event.accept()
