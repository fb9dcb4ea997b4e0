"""``swarmview open PATH...`` (and ``swarmview PATH``): the desktop viewer.

Paths are resolved before Qt is imported, so "not a bundle" is exit 2 with a message even without a
display; Qt is imported only inside :func:`run` (``import swarmview.cli`` must stay Qt-free).
``--screenshot FILE`` renders offscreen when there is no display, waits for loading and verification,
writes the PNG and exits (README images, smoke tests).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Any

NAME = "open"
ORDER = 10
EXIT_NOT_A_BUNDLE = 2
EXIT_USAGE = 2
EXIT_NO_GUI = 3
MAX_WINDOWS = 8
#: same names as swarmview.app.views.VIEW_NAMES (not imported: that would import Qt)
VIEW_NAMES = ("overview", "integrity", "graph", "timeline", "metrics", "events", "datasets", "artifacts")


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        NAME, help="open runs in the desktop viewer",
        description="Open SwarmTorch runs in the viewer. PATH may be a run folder, its run.json, any file "
                    "inside it, an exported archive, or a folder holding runs.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--screenshot", metavar="FILE", help="render offscreen, write a PNG of the window and exit")
    p.add_argument("--view", choices=(*VIEW_NAMES, "all"), help="view to show first ('all' with --screenshot: "
                   "one PNG per view, FILE-<view>.png)")
    p.add_argument("--size", default="1400x900", metavar="WxH", help="window size for --screenshot (default 1400x900)")
    p.add_argument("--timeout", type=float, default=120.0, metavar="SECONDS",
                   help="with --screenshot: give up waiting for verification after this long (default 120)")


def resolve_paths(paths: list[str], errors: list[str], folders: list[Path] | None = None) -> list[Path]:
    """Bundle roots (or archives) for the given paths, in order, without duplicates (no Qt here).

    A folder that is not in a bundle but holds some goes to ``folders`` when it is given (the runs
    browser lists it), else its runs are returned; one run found below it is enough to decide.
    """
    from swarmview.core.bundle import discover_bundles, find_bundle_root
    from swarmview.core.errors import NotABundleError

    try:
        from swarmview.core.archive_input import is_archive_path
    except ImportError:  # pragma: no cover - archives are optional for the viewer
        def is_archive_path(path: Path) -> bool:
            return False

    roots: list[Path] = []
    for given in paths:
        path = Path(given)
        if is_archive_path(path):
            roots.append(path.resolve())
            continue
        try:
            roots.append(find_bundle_root(path))
            continue
        except NotABundleError as exc:
            message = str(exc)
        if not path.is_dir():
            errors.append(message)
        elif folders is not None:
            if next(iter(discover_bundles(path)), None) is None:
                errors.append(message)
            else:
                folders.append(path.resolve())
        else:
            found = list(discover_bundles(path))
            roots.extend(found)
            if not found:
                errors.append(message)
    unique: list[Path] = []
    for r in roots:
        if r not in unique:
            unique.append(r)
    return unique


def parse_size(text: str) -> tuple[int, int]:
    w, _, h = text.lower().partition("x")
    width, height = int(w), int(h)
    if width < 200 or height < 150:
        raise ValueError(text)
    return width, height


def _has_display() -> bool:
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM"))


def run(args: argparse.Namespace) -> int:
    errors: list[str] = []
    folders: list[Path] = []
    roots = resolve_paths(list(args.paths), errors, None if args.screenshot else folders)
    for message in errors:
        print(f"swarmview: {message}", file=sys.stderr)
    if not roots and not folders:
        return EXIT_NOT_A_BUNDLE
    try:
        size = parse_size(args.size)
    except ValueError:
        print(f"swarmview: --size {args.size!r}: expected WIDTHxHEIGHT, e.g. 1400x900", file=sys.stderr)
        return EXIT_USAGE
    if args.screenshot and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if not _has_display():
        print("swarmview: no display (DISPLAY/WAYLAND_DISPLAY unset); use --screenshot for offscreen output",
              file=sys.stderr)
        return EXIT_NO_GUI
    try:
        from swarmview.app.application import create_application, install_error_hooks, route_qt_messages
        from swarmview.app.main_window import MainWindow
        from swarmview.app.settings import Settings
    except ImportError as exc:
        print(f"swarmview: the viewer cannot start: {exc} (install PySide6-Essentials)", file=sys.stderr)
        return EXIT_NO_GUI
    logging.basicConfig(level=logging.WARNING, format="swarmview: %(name)s: %(message)s")
    route_qt_messages()
    install_error_hooks()
    app, file_open = create_application([sys.argv[0]], theme=Settings().theme())
    if args.screenshot:
        return _screenshot(MainWindow, roots[0], args, size)
    instance = _single_instance()
    if instance is not None and instance.forward_or_listen([str(p) for p in [*roots, *folders]]):
        print("swarmview: opened in the running viewer", file=sys.stderr)
        return 0
    windows: list[Any] = []

    def open_windows(paths: list[str]) -> None:
        for path in paths[:MAX_WINDOWS]:
            window = MainWindow()
            window.show()
            if args.view and args.view != "all":
                window.show_view(args.view)
            window.open_path(path)  # archives are extracted by the window's worker
            window.raise_()
            window.activateWindow()
            windows.append(window)
        if len(paths) > MAX_WINDOWS:
            print(f"swarmview: opened the first {MAX_WINDOWS} of {len(paths)} runs", file=sys.stderr)

    def open_folder(folder: Path) -> None:
        try:
            from swarmview.app.runs.browser import RunsWindow
        except ImportError:  # no runs browser in this build: one window per run found
            open_windows([str(p) for p in resolve_paths([str(folder)], [])])
            return
        window = RunsWindow(folder, open_run=lambda path: open_windows([str(path)]))
        window.show()
        windows.append(window)

    open_windows([str(r) for r in roots])
    for folder in folders:
        open_folder(folder)
    if instance is not None:  # later launches: their paths, relative to their own folder
        instance.paths_received.connect(lambda paths, cwd: _received(paths, cwd, open_windows, open_folder))
    file_open.set_handler(lambda paths: _received(paths, os.getcwd(), open_windows, open_folder))
    app.exec()
    if instance is not None:
        instance.close()
    return 0


def _received(paths: list[str], cwd: str, open_windows: Any, open_folder: Any) -> None:
    """Paths from a later launch or the OS: runs get a window, folders of runs the runs browser, and
    anything else a window that says why it cannot be shown."""
    for given in paths:
        path = os.path.join(cwd, given)
        folders: list[Path] = []
        roots = resolve_paths([path], [], folders)
        open_windows([str(r) for r in roots] or ([] if folders else [path]))
        for folder in folders:
            open_folder(folder)


def _single_instance() -> Any:
    """The desktop integration's single-instance guard, or None when this build lacks it."""
    try:
        from swarmview.app.single_instance import SingleInstance
    except ImportError:
        return None
    return SingleInstance()


def _screenshot(window_cls: Any, root: Path, args: argparse.Namespace, size: tuple[int, int]) -> int:
    from swarmview.app.screenshot import grab, view_path, wait_until_settled

    window = window_cls()
    window.resize(*size)
    window.show()
    if (window.width(), window.height()) != size:
        print(f"swarmview: the window cannot be smaller than {window.width()}x{window.height()}", file=sys.stderr)
    window.open_path(str(root))
    if not wait_until_settled(window, args.timeout):
        print(f"swarmview: still working after {args.timeout:g} s; the screenshot shows the state reached",
              file=sys.stderr)
    try:
        if args.view == "all":
            for name in window.views:
                print(grab(window, view_path(args.screenshot, name), name))
        else:
            print(grab(window, args.screenshot, args.view))
    except OSError as exc:
        print(f"swarmview: {exc}", file=sys.stderr)
        return EXIT_NO_GUI
    finally:
        window.close()
    return 0
