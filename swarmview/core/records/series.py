"""Metric series (VERIFY.md §11): what one line of a plot is, its x axis, restarts and plot grouping.

A series is (``name``, the record's attrs without the x key), attribute values compared *with their
variant* (``1``, ``1.0``, ``"1"`` and ``true`` differ, which Python's ``==`` would conflate, so keys
are built from upstream's JSON text of each value). ``unit``, ``trace_id`` and ``span_id`` are not part
of the identity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import orjson

from .tables import AttrValue, MetricTable

__all__ = ["GROUPING_KEYS", "STEP_KEY", "Series", "metric_series"]

STEP_KEY = "step"
GROUPING_KEYS = ("swarmtorch.peer_id", "swarmtorch.node_key")

XKind = Literal["step", "time", "index"]


@dataclass(frozen=True, eq=False)
class Series:
    """One line of a plot. ``rows`` index the metric table; ``segments`` are the start offsets (into
    ``x``/``y``) of each run between restarts, always beginning with 0."""

    key: str  # stable id: name + canonical JSON of the identity attrs (SelectionBus.series_selected)
    name: str
    label: str  # name, plus " [unit]" from the first record with a unit
    unit: str | None
    attrs: dict[str, AttrValue]  # identity attrs (without the x key)
    group_key: str  # plots: series that differ only in a grouping key share this
    group_label: str  # the grouping attrs that tell this line from the others of its plot ("" if none)
    x_kind: XKind
    rows: np.ndarray  # int64
    x: np.ndarray  # int64 (step, ns since epoch, or 0-based index); float64 if a step exceeds int64
    y: np.ndarray  # float64, NaN where the file has null
    segments: np.ndarray  # int64

    def __len__(self) -> int:
        return len(self.rows)


def _json_key(attrs: dict[str, Any]) -> str:
    """Canonical text of an attr map: sorted keys, upstream's spelling of every value (variant-aware)."""
    return orjson.dumps(attrs, option=orjson.OPT_SORT_KEYS).decode()


def metric_series(table: MetricTable) -> list[Series]:
    """All series of a metrics table in order of first appearance (file order of points kept)."""
    n = len(table)
    if n == 0:
        return []
    all_attrs = table.attrs.all()  # fresh dicts: the x key is removed in place
    dumps, sort = orjson.dumps, orjson.OPT_SORT_KEYS
    ident: dict[tuple[int, bytes], int] = {}
    members: list[list[int]] = []
    steps: list[list[int | None]] = []
    id_attrs: list[dict[str, Any]] = []
    names = table.name.tolist()
    for i, a in enumerate(all_attrs):
        step = a.get(STEP_KEY)
        if type(step) is int:
            del a[STEP_KEY]
        else:
            step = None
        k = (names[i], dumps(a, option=sort))
        s = ident.get(k)
        if s is None:
            s = ident[k] = len(members)
            members.append([])
            steps.append([])
            id_attrs.append(a)
        members[s].append(i)
        steps[s].append(step)
    out: list[Series] = []
    ts = table.ts
    for (name_code, akey_b), s in ident.items():
        rows = np.array(members[s], np.int64)
        attrs = id_attrs[s]
        akey = akey_b.decode()
        name = table.names[name_code]
        if None not in steps[s]:
            st = steps[s]
            big = any(v > 2**63 - 1 or v < -(2**63) for v in st)  # type: ignore[operator]
            x = np.array(st, np.float64 if big else np.int64)
            x_kind: XKind = "step"
        else:
            t = ts[rows]
            if len(t) > 1 and np.all(t == t[0]):
                x, x_kind = np.arange(len(rows), dtype=np.int64), "index"
            else:
                x, x_kind = t.astype(np.int64), "time"
        y = table.value[rows].astype(np.float64, copy=False)
        segments = np.concatenate([[0], np.flatnonzero(np.diff(x) < 0) + 1]).astype(np.int64)
        unit = next((table.units[int(u)] for u in table.unit[rows] if u >= 0), None)
        group_attrs = {k: v for k, v in attrs.items() if k not in GROUPING_KEYS}
        group_label = ", ".join(f"{k}={v}" for k, v in sorted(attrs.items()) if k in GROUPING_KEYS)
        out.append(Series(
            key=f"{name}{akey}", name=name, label=f"{name} [{unit}]" if unit else name, unit=unit,
            attrs=dict(attrs), group_key=f"{name}{_json_key(group_attrs)}", group_label=group_label,
            x_kind=x_kind, rows=rows, x=x, y=y, segments=segments,
        ))  # fmt: skip
    return out
