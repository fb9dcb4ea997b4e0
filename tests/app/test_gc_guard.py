"""Garbage is collected on the GUI thread only (app/gc_guard.py)."""

from __future__ import annotations

import gc
import weakref

from PySide6.QtWidgets import QApplication

from swarmview.app import gc_guard


class Node:
    pass


def test_guard_turns_automatic_collection_off_and_collects_on_its_timer(qtbot) -> None:
    app = QApplication.instance()
    guard = gc_guard.install(app)
    assert gc_guard.install(app) is guard  # idempotent
    gc.enable()
    guard = gc_guard.MainThreadGarbageCollector(app)
    assert not gc.isenabled()
    a, b = Node(), Node()
    a.other, b.other = b, a  # a cycle only the collector frees
    ref = weakref.ref(a)
    del a, b
    kept = [Node() for _ in range(guard.threshold[0] + 10)]  # push generation 0 past its threshold
    assert ref() is not None  # nothing collects it automatically
    qtbot.waitUntil(lambda: ref() is None, timeout=5000)  # the GUI-thread timer does
    del kept
    guard.deleteLater()
