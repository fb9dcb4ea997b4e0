"""The bundle tree as it is on disk, seen with ``lstat`` only (links are never followed, F-03).

Names are kept as bytes so that non-UTF-8 names (F-17) survive; folders that cannot be listed are
recorded instead of aborting, because one unreadable folder must not hide the rest of the bundle.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

KIND_FILE = "file"
KIND_DIR = "directory"
KIND_LINK = "symlink"


@dataclass(frozen=True)
class TreeItem:
    """One name below the root: its relative path (bytes, ``/``-separated) and ``lstat`` result."""

    rel: bytes
    st: os.stat_result

    @property
    def kind(self) -> str:
        return kind_of(self.st.st_mode)

    @property
    def name(self) -> bytes:
        return self.rel.rsplit(b"/", 1)[-1]


@dataclass(frozen=True)
class Tree:
    items: list[TreeItem]
    #: Folders (relative, bytes; ``b""`` is the root) that could not be listed, with the OSError.
    unreadable: list[tuple[bytes, OSError]]

    def by_rel(self) -> dict[bytes, TreeItem]:
        return {item.rel: item for item in self.items}


def kind_of(mode: int) -> str:
    """``file``, ``directory``, ``symlink``, ``fifo``, ``socket`` or ``device`` (F-04 wording)."""
    if stat.S_ISREG(mode):
        return KIND_FILE
    if stat.S_ISDIR(mode):
        return KIND_DIR
    if stat.S_ISLNK(mode):
        return KIND_LINK
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "device"


def walk(root: str | os.PathLike[str], should_stop: object = None) -> Tree:
    """Every name below ``root`` in byte order, depth first, without following any link."""
    base = os.fsencode(root)
    items: list[TreeItem] = []
    unreadable: list[tuple[bytes, OSError]] = []
    stack: list[bytes] = [b""]
    while stack:
        if callable(should_stop) and should_stop():
            break
        rel = stack.pop()
        folder = os.path.join(base, rel) if rel else base
        try:
            with os.scandir(folder) as it:
                names = sorted(entry.name for entry in it)
        except OSError as exc:
            unreadable.append((rel, exc))
            continue
        subdirs = []
        for name in names:
            child = rel + b"/" + name if rel else name
            try:
                st = os.lstat(os.path.join(base, child))
            except OSError as exc:
                unreadable.append((child, exc))
                continue
            items.append(TreeItem(child, st))
            if stat.S_ISDIR(st.st_mode):
                subdirs.append(child)
        stack.extend(reversed(subdirs))
    items.sort(key=lambda item: item.rel)
    return Tree(items, unreadable)
