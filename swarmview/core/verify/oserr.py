"""OS errors as Rust prints them: ``io::ErrorKind`` names and ``<strerror> (os error N)`` texts.

Upstream's verdicts quote OS errors verbatim (``No such file or directory (os error 2)``), so the
emulation must produce the same kind and text from a Python ``OSError``.
"""

from __future__ import annotations

import errno
import os

from swarmview.core.errors import UpstreamIOError

# Rust std `sys::pal::unix::decode_error_kind` (1.80+); anything else is "Uncategorized".
_KINDS: dict[int, str] = {
    errno.E2BIG: "ArgumentListTooLong",
    errno.EADDRINUSE: "AddrInUse",
    errno.EADDRNOTAVAIL: "AddrNotAvailable",
    errno.EBUSY: "ResourceBusy",
    errno.ECONNABORTED: "ConnectionAborted",
    errno.ECONNREFUSED: "ConnectionRefused",
    errno.ECONNRESET: "ConnectionReset",
    errno.EDEADLK: "Deadlock",
    errno.EDQUOT: "FilesystemQuotaExceeded",
    errno.EEXIST: "AlreadyExists",
    errno.EFBIG: "FileTooLarge",
    errno.EHOSTUNREACH: "HostUnreachable",
    errno.EINTR: "Interrupted",
    errno.EINVAL: "InvalidInput",
    errno.EISDIR: "IsADirectory",
    errno.ELOOP: "FilesystemLoop",
    errno.ENOENT: "NotFound",
    errno.ENOMEM: "OutOfMemory",
    errno.ENOSPC: "StorageFull",
    errno.ENOSYS: "Unsupported",
    errno.EMLINK: "TooManyLinks",
    errno.ENAMETOOLONG: "InvalidFilename",
    errno.ENETDOWN: "NetworkDown",
    errno.ENETUNREACH: "NetworkUnreachable",
    errno.ENOTCONN: "NotConnected",
    errno.ENOTDIR: "NotADirectory",
    errno.ENOTEMPTY: "DirectoryNotEmpty",
    errno.EPIPE: "BrokenPipe",
    errno.EROFS: "ReadOnlyFilesystem",
    errno.ESPIPE: "NotSeekable",
    errno.ESTALE: "StaleNetworkFileHandle",
    errno.ETIMEDOUT: "TimedOut",
    errno.ETXTBSY: "ExecutableFileBusy",
    errno.EXDEV: "CrossesDevices",
    errno.EINPROGRESS: "InProgress",
    errno.EACCES: "PermissionDenied",
    errno.EPERM: "PermissionDenied",
    errno.EAGAIN: "WouldBlock",
}


def rust_kind(exc: OSError) -> str:
    """The ``io::ErrorKind`` Rust derives from the errno (``{:?}`` spelling)."""
    return _KINDS.get(exc.errno or 0, "Uncategorized")


def rust_text(exc: OSError) -> str:
    """Rust's ``Display`` of an OS error: ``<strerror> (os error N)``."""
    code = exc.errno or 0
    return f"{os.strerror(code)} (os error {code})"


def as_upstream(exc: OSError) -> UpstreamIOError:
    return UpstreamIOError(rust_kind(exc), rust_text(exc))
