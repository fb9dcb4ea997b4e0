"""The QApplication: identity (desktop file name, QSettings names), Fusion palettes, icon, file-open events.

macOS delivers double-clicked documents as ``QFileOpenEvent`` rather than argv, possibly before any
window exists, so paths are queued until a handler is installed (LibreCAD does the same).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence
from importlib import resources
from typing import Any

from PySide6.QtCore import QEvent, QMessageLogContext, QObject, Qt, QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QColor, QFileOpenEvent, QGuiApplication, QIcon, QPalette, QPixmap
from PySide6.QtWidgets import QApplication, QStyleFactory

from swarmview import __version__
from swarmview.app import gc_guard
from swarmview.app.settings import APPLICATION, ORGANIZATION

log = logging.getLogger(__name__)

APP_ID = "io.github.swarmview.SwarmView"


#: Qt messages that say nothing about swarmview (the offscreen platform lacks a window manager).
QT_NOISE = ("This plugin does not support propagateSizeHints",)
_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def route_qt_messages() -> None:
    """Send Qt's own messages to ``logging`` (logger ``swarmview.qt``), minus known platform noise.

    Only the command line installs this: tests keep pytest-qt's handler so unexpected warnings fail them.
    """
    qt_log = logging.getLogger("swarmview.qt")

    def handler(mode: QtMsgType, _context: QMessageLogContext, message: str) -> None:
        if not message.startswith(QT_NOISE):
            qt_log.log(_QT_LEVELS.get(mode, logging.WARNING), message)

    qInstallMessageHandler(handler)


def app_icon() -> QIcon:
    """The window icon from ``swarmview/resources/icons`` (empty icon if the resource is absent)."""
    icon = QIcon()
    try:
        data = resources.files("swarmview.resources").joinpath("icons", f"{APP_ID}.svg").read_bytes()
    except (FileNotFoundError, ModuleNotFoundError, OSError):
        return icon
    for size in (16, 32, 48, 64, 128, 256):
        pixmap = QPixmap(size, size)
        if pixmap.loadFromData(data, "SVG"):
            icon.addPixmap(pixmap.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                                         Qt.TransformationMode.SmoothTransformation))
    return icon


def dark_palette() -> QPalette:
    p = QPalette()
    base, window, text = QColor(25, 27, 31), QColor(45, 47, 53), QColor(222, 224, 228)
    p.setColor(QPalette.ColorRole.Window, window)
    p.setColor(QPalette.ColorRole.WindowText, text)
    p.setColor(QPalette.ColorRole.Base, base)
    p.setColor(QPalette.ColorRole.AlternateBase, QColor(36, 39, 45))
    p.setColor(QPalette.ColorRole.ToolTipBase, window)
    p.setColor(QPalette.ColorRole.ToolTipText, text)
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor(140, 143, 150))
    p.setColor(QPalette.ColorRole.Text, text)
    p.setColor(QPalette.ColorRole.Button, window)
    p.setColor(QPalette.ColorRole.ButtonText, text)
    p.setColor(QPalette.ColorRole.BrightText, QColor(255, 90, 90))
    p.setColor(QPalette.ColorRole.Link, QColor(110, 170, 255))
    p.setColor(QPalette.ColorRole.Highlight, QColor(53, 110, 190))
    p.setColor(QPalette.ColorRole.HighlightedText, QColor(255, 255, 255))
    p.setColor(QPalette.ColorRole.Mid, QColor(70, 72, 78))
    p.setColor(QPalette.ColorRole.Dark, QColor(22, 23, 26))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(120, 122, 128))
    return p


def light_palette() -> QPalette:
    style = QStyleFactory.create("Fusion")
    return style.standardPalette() if style is not None else QPalette()


def is_dark(theme: str = "system") -> bool:
    """Whether the dark palette applies: the setting, else the desktop's colour scheme."""
    if theme in ("dark", "light"):
        return theme == "dark"
    app = QGuiApplication.instance()
    if app is None:
        return False
    return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


def apply_theme(app: QApplication, theme: str = "system") -> None:
    app.setPalette(dark_palette() if is_dark(theme) else light_palette())


class FileOpenFilter(QObject):
    """Catches ``QFileOpenEvent`` (macOS Finder, Dock drops) and queues paths until a handler exists."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pending: list[str] = []
        self._handler: Callable[[list[str]], None] | None = None

    def set_handler(self, handler: Callable[[list[str]], None] | None) -> None:
        self._handler = handler
        if handler is not None and self.pending:
            paths, self.pending = self.pending, []
            handler(paths)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FileOpen and isinstance(event, QFileOpenEvent):
            path = event.file() or event.url().toLocalFile()
            if path:
                if self._handler is not None:
                    self._handler([path])
                else:
                    self.pending.append(path)
            return True
        return super().eventFilter(watched, event)


def configure_application(app: QApplication, theme: str = "system") -> FileOpenFilter:
    """Give ``app`` swarmview's identity, style, palette and file-open handling (idempotent)."""
    QApplication.setOrganizationName(ORGANIZATION)
    QApplication.setApplicationName(APPLICATION)
    QApplication.setApplicationDisplayName("SwarmView")
    QApplication.setApplicationVersion(__version__)
    QGuiApplication.setDesktopFileName(APP_ID)
    app.setStyle("Fusion")
    apply_theme(app, theme)
    icon = app_icon()
    if not icon.isNull():
        app.setWindowIcon(icon)
    gc_guard.install(app)
    existing = app.findChild(FileOpenFilter, "swarmviewFileOpen")
    if isinstance(existing, FileOpenFilter):
        return existing
    file_filter = FileOpenFilter(app)
    file_filter.setObjectName("swarmviewFileOpen")
    app.installEventFilter(file_filter)
    if theme == "system":
        QGuiApplication.styleHints().colorSchemeChanged.connect(lambda _scheme: apply_theme(app, "system"))
    return file_filter


def create_application(argv: Sequence[str] | None = None, theme: str = "system") -> tuple[QApplication, FileOpenFilter]:
    """The application object (existing one reused) and its file-open queue."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(list(argv if argv is not None else sys.argv[:1]))
    return app, configure_application(app, theme)


# --------------------------------------------------------------------------------------------------
# Errors nobody caught: logged, and shown in a dialog with the details to copy (napari's hooks).


def show_error_dialog(title: str, message: str, details: str) -> Any:
    """A non-modal error box whose "Show Details…" text can be copied; returned for tests."""
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(QMessageBox.Icon.Critical, title, message)
    box.setDetailedText(details)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.open()
    return box


def install_error_hooks() -> None:
    """Route uncaught exceptions (GUI thread and plain Python threads) to the log and a dialog."""
    import threading
    import traceback

    def report(exc_type: type[BaseException], exc: BaseException, tb: Any) -> None:
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        log.error("uncaught exception:\n%s", details)
        if QApplication.instance() is not None and threading.current_thread() is threading.main_thread():
            show_error_dialog("SwarmView: unexpected error", f"{exc_type.__name__}: {exc}", details)

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            details = "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback))
            log.error("uncaught exception in thread %s:\n%s", getattr(args.thread, "name", "?"), details)

    sys.excepthook = report
    threading.excepthook = thread_hook
