"""The eight views, in tab order, each imported on its own so one missing module cannot stop the rest.

``swarmview open --view NAME`` and the View menu use the names below. A module that is missing or fails
to import becomes a placeholder tab that says so (the heavy views are written in parallel).
"""

from __future__ import annotations

import importlib
import inspect
import logging
from dataclasses import dataclass

from swarmview.app.views.base import RunView

log = logging.getLogger(__name__)

#: (view_name, tab title) in tab order.
VIEWS: tuple[tuple[str, str], ...] = (
    ("overview", "Overview"),
    ("integrity", "Integrity"),
    ("graph", "Graph"),
    ("timeline", "Timeline"),
    ("metrics", "Metrics"),
    ("events", "Events"),
    ("datasets", "Datasets"),
    ("artifacts", "Artifacts"),
)
VIEW_NAMES: tuple[str, ...] = tuple(name for name, _ in VIEWS)


@dataclass(frozen=True)
class ViewSlot:
    """What the shell needs to build one tab: the class, or why there is none."""

    name: str
    title: str
    cls: type[RunView] | None
    reason: str = ""


def _find_view_class(module: object, name: str) -> type[RunView] | None:
    for _, obj in inspect.getmembers(module, inspect.isclass):
        if issubclass(obj, RunView) and obj is not RunView and getattr(obj, "view_name", "") == name:
            return obj
    return None


def view_slots() -> list[ViewSlot]:
    """Import each view module (guarded) and return the tabs in order."""
    slots: list[ViewSlot] = []
    for name, title in VIEWS:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ImportError as exc:
            log.info("view %s not available: %s", name, exc)
            slots.append(ViewSlot(name, title, None, "Its module is not installed."))
            continue
        except Exception as exc:  # a broken module must not take the window down
            log.exception("view %s failed to import", name)
            slots.append(ViewSlot(name, title, None, f"Its module failed to load: {exc}"))
            continue
        cls = _find_view_class(module, name)
        if cls is None:
            slots.append(ViewSlot(name, title, None, f"No view named {name!r} in its module."))
        else:
            slots.append(ViewSlot(name, getattr(cls, "title", "") or title, cls))
    return slots
