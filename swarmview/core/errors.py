"""One exception family for everything swarmview refuses or cannot do.

Every message names the file it is about (and line:column when known), so the CLI and the GUI can
show it as is, without a traceback.
"""

from __future__ import annotations


class SwarmviewError(Exception):
    """Base of every error swarmview raises on purpose."""


class NotABundleError(SwarmviewError):
    """The path is not a bundle, not inside one, and holds none below it (exit 2)."""


class UpstreamIOError(SwarmviewError):
    """An emulated Rust ``io::Error``: ``kind`` is the ``io::ErrorKind`` name, ``message`` its exact text."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class BundleWriteError(UpstreamIOError):
    """The writer refused a record or failed to write (upstream's kind and exact text)."""


class UsageError(SwarmviewError):
    """The command was given something it cannot use: an unknown option value, a bad rules file (exit 2)."""
