"""``swarmview desktop install|uninstall``: register swarmview with the desktop (VERIFY.md §10 exit codes)."""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from pathlib import Path

NAME = "desktop"
ORDER = 80


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        NAME,
        help="install or remove file-manager integration (double-click run.json to open a run)",
        description="Install or remove swarmview's desktop integration for this user or under a prefix.",
    )
    actions = parser.add_subparsers(dest="desktop_action", metavar="ACTION", required=True)
    for action, text in (("install", "register swarmview"), ("uninstall", "remove what install wrote")):
        sub = actions.add_parser(action, help=text)
        where = sub.add_mutually_exclusive_group()
        where.add_argument("--user", action="store_true", help="for the current user (default)")
        where.add_argument("--prefix", type=Path, metavar="DIR", help="under DIR/share (e.g. /usr/local)")
        if action == "install":
            sub.add_argument(
                "--set-default",
                action="store_true",
                help="also make swarmview the default application for run.json (changes your handlers)",
            )


def run(args: argparse.Namespace) -> int:
    from swarmview.desktop.launcher import launcher_command

    if sys.platform == "win32":  # pragma: no cover - Windows only
        return _run_windows(args, launcher_command())
    if sys.platform == "darwin":  # pragma: no cover - macOS only
        print(
            "swarmview: on macOS the app bundle declares its document types itself; nothing to install",
            file=sys.stderr,
        )
        return 2
    from swarmview.desktop.linux import DesktopIntegrationError, install, share_dir, uninstall

    share = share_dir(prefix=args.prefix)
    try:
        if args.desktop_action == "install":
            outcome = install(share, launcher_command(), set_default=args.set_default)
        else:
            outcome = uninstall(share)
    except DesktopIntegrationError as exc:
        print(f"swarmview: {exc}", file=sys.stderr)
        return 3
    for path in outcome.written:
        print(f"wrote {path}")
    for path in outcome.removed:
        print(f"removed {path}")
    for line in outcome.tools:
        print(line, file=sys.stderr)
    if args.desktop_action == "uninstall" and not outcome.removed:
        print(f"nothing to remove under {share}", file=sys.stderr)
    return 0


def _run_windows(args: argparse.Namespace, launcher: list[str]) -> int:  # pragma: no cover - Windows only
    from swarmview.desktop import windows

    icon = str(resources.files("swarmview.resources").joinpath("icons", "hicolor", "256x256", "apps"))
    try:
        if args.desktop_action == "install":
            windows.apply_with_winreg(windows.registry_plan(launcher, icon))
        else:
            windows.remove_with_winreg()
    except OSError as exc:
        print(f"swarmview: registry: {exc}", file=sys.stderr)
        return 3
    print(f"{args.desktop_action}ed the 'Open in swarmview' verbs for this user")
    return 0
