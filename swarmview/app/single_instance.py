"""One swarmview per user: a second launch hands its paths to the running instance.

Modelled on qutebrowser's ``misc/ipc.py`` (STYLE_ANCHORS §4.4): connect first; if nobody answers,
clear a stale socket and listen. A ``QLockFile`` guards the connect-or-listen step, because two
launches started together could otherwise both fail to connect and the second ``removeServer``
would delete the first one's live socket. Messages are one UTF-8 JSON line with a protocol version.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, QStandardPaths, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

PROTOCOL_VERSION = 1
CONNECT_TIMEOUT_MS = 150
READ_TIMEOUT_MS = 5000
MAX_MESSAGE_BYTES = 1 << 20


def socket_name() -> str:
    """Per-user name: a hash of user and config folder, in the runtime folder on Unix."""
    user = getpass.getuser()
    config = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericConfigLocation)
    digest = hashlib.sha256(f"{user}\0{config}".encode()).hexdigest()[:16]
    if sys.platform == "win32":  # named pipes are global: the user name keeps them apart
        return f"swarmview-{user}-{digest}"
    runtime = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
    return str(Path(runtime) / f"swarmview-{digest}.sock")


def encode_message(paths: Sequence[str], cwd: str) -> bytes:
    return json.dumps({"protocol_version": PROTOCOL_VERSION, "args": list(paths), "cwd": cwd}).encode() + b"\n"


def decode_message(data: bytes) -> tuple[list[str], str] | None:
    """The paths and cwd of a valid message, or None (bad UTF-8/JSON, other protocol version)."""
    try:
        message = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(message, dict) or message.get("protocol_version") != PROTOCOL_VERSION:
        return None
    args, cwd = message.get("args"), message.get("cwd")
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args) or not isinstance(cwd, str):
        return None
    return args, cwd


def _send(name: str, paths: Sequence[str], cwd: str) -> bool:
    sock = QLocalSocket()
    sock.connectToServer(name)
    if not sock.waitForConnected(CONNECT_TIMEOUT_MS):
        return False
    sock.write(encode_message(paths, cwd))
    delivered = sock.waitForBytesWritten(READ_TIMEOUT_MS)
    ack = sock.waitForReadyRead(READ_TIMEOUT_MS) and bytes(sock.readAll().data()).startswith(b"ok")
    sock.disconnectFromServer()
    return delivered and ack


class SingleInstance(QObject):
    """Either forwards paths to a running instance or becomes the running instance."""

    paths_received = Signal(list, str)  # absolute or cwd-relative paths, the sender's cwd

    def __init__(self, name: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name or socket_name()
        self._server: QLocalServer | None = None
        self._lock = QLockFile(self.name + ".lock")
        self._lock.setStaleLockTime(10_000)

    def forward_or_listen(self, paths: Sequence[str], cwd: str | None = None) -> bool:
        """True when a running instance took the paths (the caller exits); False when we now listen."""
        cwd = cwd or os.getcwd()
        if not self._lock.tryLock(3000):
            return _send(self.name, paths, cwd)
        try:
            if _send(self.name, paths, cwd):
                return True
            QLocalServer.removeServer(self.name)
            server = QLocalServer(self)
            if not server.listen(self.name):
                return False  # cannot listen (odd folder permissions): run alone, without the socket
            if sys.platform != "win32":
                os.chmod(self.name, 0o700)  # QTBUG-48635: UserAccessOption breaks in-use detection
            server.newConnection.connect(self._on_connection)
            self._server = server
            return False
        finally:
            self._lock.unlock()

    @property
    def listening(self) -> bool:
        return self._server is not None and self._server.isListening()

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    def _on_connection(self) -> None:
        assert self._server is not None
        sock = self._server.nextPendingConnection()
        if sock is None:
            return
        data = b""
        while not data.endswith(b"\n") and len(data) < MAX_MESSAGE_BYTES:
            if not sock.bytesAvailable() and not sock.waitForReadyRead(READ_TIMEOUT_MS):
                break
            data += bytes(sock.readAll().data())
        decoded = decode_message(data.strip())
        sock.write(b"ok\n" if decoded is not None else b"error\n")
        sock.waitForBytesWritten(READ_TIMEOUT_MS)
        sock.disconnectFromServer()
        if decoded is not None:
            self.paths_received.emit(*decoded)
