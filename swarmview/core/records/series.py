"""Metric series (VERIFY.md §11): what one line of a plot is, its x axis, restarts and plot grouping.

A series is (``name``, the record's attrs without the x key), attribute values compared *with their
variant* (``1``, ``1.0``, ``"1"`` and ``true`` differ, which Python's ``==`` would conflate, so keys
are built from upstream's JSON text of each value). ``unit``, ``trace_id`` and ``span_id`` are not part
of the identity.
"""

from __future__ import annotations

import re
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


#: ``"step":<integer>`` in compact JSON text: a raw ``"step":`` is always that key (a string value
#: cannot hold an unescaped ``"``, and a value is never followed by ``:``); the literal prefix keeps the
#: search fast.
_STEP = re.compile(rb'"step":(-?[0-9]+)(?=[,}])')


def _split_step(text: bytes) -> tuple[bytes, int | None]:
    """The attr text without an integer ``step`` key (still canonical JSON), and the step."""
    m = _STEP.search(text)
    if m is None:
        return text, None
    a, b = m.span()
    if text[b] == 44:  # ',' after it: drop "step":N,
        rest = text[:a] + text[b + 1 :]
    else:  # last key: drop the ',' before it (or nothing when it is the only key)
        rest = text[: a - 1] + text[b:] if text[a - 1] == 44 else text[:a] + text[b:]
    return rest, int(m.group(1))



def _identities_loop(
    names: list[int], texts: list[bytes]
) -> tuple[np.ndarray, np.ndarray, list[int], dict[tuple[int, bytes], int]]:
    """Per point: series id, whether it has an integer step, the step; ids in order of first appearance."""
    n = len(texts)
    ident: dict[tuple[int, bytes], int] = {}
    series_of = np.empty(n, np.int64)
    step_vals: list[int] = [0] * n
    has_step = np.zeros(n, bool)
    split, get = _split_step, ident.get
    for i in range(n):
        rest, step = split(texts[i])
        k = (names[i], rest)
        s = get(k)
        if s is None:
            s = ident[k] = len(ident)
        series_of[i] = s
        if step is not None:
            step_vals[i] = step
            has_step[i] = True
    return series_of, has_step, step_vals, ident


#: tables at least this long get their series identities from the compiled kernel when it is there
KERNEL_MIN_ROWS = 50_000


def _identities_kernel(table: MetricTable) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[tuple[int, bytes], int]] | None:
    """What :func:`_identities_loop` returns, from the kernel (:func:`kernel.series_keys`): one pass over
    the attribute text without a Python object per point; None without the kernel or for a step too
    long for int64."""
    from .kernelpath import kernel_module

    kernel = kernel_module()
    if kernel is None:
        return None
    n = len(table)
    h1, h2 = np.empty(n, np.uint64), np.empty(n, np.uint64)
    step, flag = np.zeros(n, np.int64), np.zeros(n, np.uint8)
    names = np.ascontiguousarray(table.name, dtype=np.int64)
    for chunk, row0, starts in table.attrs.chunks():
        kernel.series_keys(np.frombuffer(chunk, np.uint8), starts.astype(np.int64), names, h1, h2, step, flag, row0)
    if (flag == 2).any():
        return None
    first, series_of = kernel.groups(h1, h2)
    ident = {(int(table.name[r]), _split_step(table.attrs.text(r))[0]): s for s, r in enumerate(first.tolist())}
    return series_of, flag == 1, step, ident


def metric_series(table: MetricTable) -> list[Series]:
    """All series of a metrics table in order of first appearance (file order of points kept).

    Works on each row's attr *text* (upstream's canonical compact JSON: sorted keys, variant-exact
    values), so identity costs one regex and one dict lookup per point instead of a decode and an
    encode; attrs are decoded once per series.
    """
    n = len(table)
    if n == 0:
        return []
    got = _identities_kernel(table) if n >= KERNEL_MIN_ROWS else None
    if got is None:
        series_of, has_step, step_list, ident = _identities_loop(table.name.tolist(), table.attrs.texts())
        step_vals: Any = step_list
    else:
        series_of, has_step, step_vals, ident = got
    order = np.argsort(series_of, kind="stable")
    bounds = np.searchsorted(series_of[order], np.arange(len(ident) + 1))
    out: list[Series] = []
    ts = table.ts
    for (name_code, akey_b), s in ident.items():
        rows = order[bounds[s] : bounds[s + 1]].astype(np.int64)
        attrs = orjson.loads(akey_b)
        akey = _json_key(attrs)
        name = table.names[name_code]
        if has_step[rows].all():
            if isinstance(step_vals, np.ndarray):
                x = step_vals[rows]
            else:
                st = [step_vals[r] for r in rows.tolist()]
                big = any(v > 2**63 - 1 or v < -(2**63) for v in st)
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
        units = table.unit[rows]
        with_unit = np.flatnonzero(units >= 0)
        unit = table.units[int(units[with_unit[0]])] if len(with_unit) else None
        group_attrs = {k: v for k, v in attrs.items() if k not in GROUPING_KEYS}
        group_label = ", ".join(f"{k}={v}" for k, v in sorted(attrs.items()) if k in GROUPING_KEYS)
        out.append(Series(
            key=f"{name}{akey}", name=name, label=f"{name} [{unit}]" if unit else name, unit=unit,
            attrs=dict(attrs), group_key=f"{name}{_json_key(group_attrs)}", group_label=group_label,
            x_kind=x_kind, rows=rows, x=x, y=y, segments=segments,
        ))  # fmt: skip
    return out
