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


def resolve_paths(paths: list[str], errors: list[str]) -> list[Path]:
    """Bundle roots (or archives) for the given paths, in order, without duplicates (no Qt here)."""
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
        found = list(discover_bundles(path)) if path.is_dir() else []
        if found:
            roots.extend(found)
        else:
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
    roots = resolve_paths(list(args.paths), errors)
    for message in errors:
        print(f"swarmview: {message}", file=sys.stderr)
    if not roots:
        return EXIT_NOT_A_BUNDLE
    try:
        size = parse_size(args.size)
    except ValueError:
        print(f"swarmview: --size {args.size!r}: expected WIDTHxHEIGHT, e.g. 1400x900", file=sys.stderr)
        return EXIT_NOT_A_BUNDLE
    if args.screenshot and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if not _has_display():
        print("swarmview: no display (DISPLAY/WAYLAND_DISPLAY unset); use --screenshot for offscreen output",
              file=sys.stderr)
        return EXIT_NO_GUI
    try:
        from swarmview.app.application import InstanceServer, create_application, hand_over, route_qt_messages
        from swarmview.app.main_window import MainWindow
        from swarmview.app.settings import Settings
    except ImportError as exc:
        print(f"swarmview: the viewer cannot start: {exc} (install PySide6-Essentials)", file=sys.stderr)
        return EXIT_NO_GUI
    logging.basicConfig(level=logging.WARNING, format="swarmview: %(name)s: %(message)s")
    route_qt_messages()
    app, file_open = create_application([sys.argv[0]], theme=Settings().theme())
    if args.screenshot:
        return _screenshot(MainWindow, roots[0], args, size)
    if hand_over([str(r) for r in roots]):
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

    open_windows([str(r) for r in roots])
    server = InstanceServer(open_windows)
    server.listen()
    file_open.set_handler(open_windows)
    app.exec()
    server.close()
    return 0


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
