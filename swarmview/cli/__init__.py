"""The ``swarmview`` command line.

Each subcommand is a module ``swarmview/cli/<name>_cmd.py`` with ``NAME``, ``ORDER``,
``add_parser(subparsers)`` and ``run(args) -> int``; they are found by name so new commands need no
edit here. Importing this package never imports Qt: ``swarmview verify`` must start fast and work
without a display.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence
from types import ModuleType

from swarmview import __version__

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def _command_modules() -> list[ModuleType]:
    names = [m.name for m in pkgutil.iter_modules(__path__) if m.name.endswith("_cmd")]
    modules = [importlib.import_module(f"{__name__}.{name}") for name in names]
    return sorted(modules, key=lambda m: (getattr(m, "ORDER", 100), m.NAME))


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, ModuleType]]:
    parser = argparse.ArgumentParser(
        prog="swarmview",
        description="View and verify SwarmTorch run bundles.",
        epilog="`swarmview PATH` is short for `swarmview open PATH`.",
    )
    parser.add_argument("--version", action="version", version=f"swarmview {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands: dict[str, ModuleType] = {}
    for module in _command_modules():
        module.add_parser(sub)
        commands[module.NAME] = module
    return parser, commands


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (VERIFY.md §10)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser, commands = build_parser()
    if args_list and not args_list[0].startswith("-") and args_list[0] not in commands and "open" in commands:
        args_list.insert(0, "open")
    if not args_list:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:  # argparse exits 2 on usage errors and 0 for --help/--version
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(commands[args.command].run(args))
    except KeyboardInterrupt:
        print("swarmview: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def gui_main() -> int:
    """Entry point of the ``swarmview-gui`` launcher (no console on Windows): always ``open``."""
    return main(["open", *sys.argv[1:]])
