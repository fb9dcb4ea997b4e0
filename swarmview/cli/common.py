"""What several commands share: the user cache folder, verify's option rules, and Ctrl-C handling."""

from __future__ import annotations

import argparse
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType


def cache_dir() -> Path:
    """swarmview's user cache folder: ``$SWARMVIEW_CACHE_DIR`` (tests) or platformdirs' user_cache_dir."""
    env = os.environ.get("SWARMVIEW_CACHE_DIR")
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("swarmview", appauthor=False))


def verify_options(args: argparse.Namespace) -> tuple[str, str] | str:
    """(profile, tier) or a usage error text, with the rules of ``swarmview verify`` (VERIFY.md §2)."""
    strict = getattr(args, "strict", False)
    chosen = getattr(args, "profile", None)
    if strict and chosen not in (None, "strict"):
        return f"--strict cannot be combined with --profile {chosen}"
    profile = "strict" if strict else (chosen or "default")
    tier = "fast" if getattr(args, "fast", False) else "full"
    if profile == "upstream" and tier == "fast":
        return "--profile upstream needs every hash; it cannot be combined with --fast"
    timeout = getattr(args, "timeout", None)
    if timeout is not None and not timeout > 0:
        return "--timeout must be a positive number of seconds"
    if (getattr(args, "max_parse_bytes", None) or 0) < 0:
        return "--max-parse-bytes must not be negative"
    max_line = getattr(args, "max_line_bytes", 64 << 20)
    if max_line is not None and max_line <= 0:
        return "--max-line-bytes must be positive"
    return profile, tier


@contextmanager
def sigint_sets(cancel: threading.Event) -> Iterator[None]:
    """First Ctrl-C asks the work to stop (partial results are kept); a second one interrupts for good."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
