"""Bulk NDJSON text for millions of spans and metric points (the large demo, benchmarks).

A series of records that share everything but a few numbers (timestamps, ids, one integer attribute
such as ``step``, the value) is written from numpy columns with one f-string per line: the constant
parts are encoded once with the same helpers as ``records.py``, so each line is byte-identical to
``jsontext.dumps_compact`` of the equivalent record (the tests decode and re-encode every line of
the demo). Bounds (§4.5) and ids are checked once per series, since only numbers vary.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from swarmview.core.writer import bounds, records

U64_MAX = (1 << 64) - 1


def _check_u64_column(column: np.ndarray, what: str) -> list[int]:
    values = column.tolist()
    if values and (min(values) < 0 or max(values) > U64_MAX):
        raise bounds.invalid(f"{what} outside the u64 range")
    return values


def float_texts(values: np.ndarray, what: str) -> list[str]:
    """serde_json text of every value; ``repr`` where it is the same text (0 and 1e-4 <= |x| < 1e16)."""
    column = np.asarray(values, dtype=np.float64)
    if not np.isfinite(column).all():
        raise bounds.invalid(f"{what}: non-finite values are refused (F-08)")
    magnitude = np.abs(column)
    if ((magnitude == 0) | ((magnitude >= 1e-4) & (magnitude < 1e16))).all():
        return list(map(repr, column.tolist()))
    return list(map(records.float_text, column.tolist()))


def _attrs_parts(attrs: Mapping[str, object], var_key: str | None, checked_name: str,
                 unit: str | None = None) -> tuple[str, str]:  # fmt: skip
    """The attrs text around the variable integer attribute: (``{...,"key":``, ``,...}``) or (full, "")."""
    sample = dict(attrs)
    if var_key is not None:
        sample[var_key] = 0
    bounds.check_record(checked_name, sample, unit)
    coerced = bounds.coerce_attrs(attrs)
    if var_key is None:
        return records.attrs_text(coerced), ""
    keys = sorted([*coerced, var_key])
    at = keys.index(var_key)
    before = [f"{records.json_str(k)}:{records.value_text(coerced[k])}" for k in keys[:at]]
    after = [f"{records.json_str(k)}:{records.value_text(coerced[k])}" for k in keys[at + 1 :]]
    head = "{" + "".join(f"{p}," for p in before) + records.json_str(var_key) + ":"
    tail = "".join(f",{p}" for p in after) + "}"
    return head, tail


def metric_lines(
    trace_id: object,
    name: str,
    ts_unix_nanos: np.ndarray,
    values: np.ndarray,
    *,
    attrs: Mapping[str, object] | None = None,
    var_attr: tuple[str, np.ndarray] | None = None,
    unit: str | None = None,
    span_id: object = None,
) -> str:
    """``MetricRecord`` lines (each ending ``\\n``) for one series; ``var_attr`` = (key, int column)."""
    trace = records.id_hex(trace_id, records.TRACE_ID_BYTES, "trace_id")
    span = "null" if span_id is None else f'"{records.id_hex(span_id, records.SPAN_ID_BYTES, "span_id")}"'
    head, tail = _attrs_parts(attrs or {}, None if var_attr is None else var_attr[0], name, unit)
    unit_text = "null" if unit is None else records.json_str(unit)
    pre = '{"schema_version":1,"ts_unix_nanos":'
    mid = f',"trace_id":"{trace}","span_id":{span},"name":{records.json_str(name)},"value":'
    ts = _check_u64_column(np.asarray(ts_unix_nanos), "ts_unix_nanos")
    vals = float_texts(values, f"metric '{name}'")
    if var_attr is None:
        post = f',"unit":{unit_text},"attrs":{head}}}\n'
        return "".join([f"{pre}{t}{mid}{v}{post}" for t, v in zip(ts, vals, strict=True)])
    var = np.asarray(var_attr[1]).tolist()
    post = f',"unit":{unit_text},"attrs":{head}'
    end = f"{tail}}}\n"
    return "".join([f"{pre}{t}{mid}{v}{post}{s}{end}" for t, v, s in zip(ts, vals, var, strict=True)])


def _id_texts(ids: np.ndarray, what: str, *, optional: bool) -> list[str]:
    column = np.asarray(ids, dtype=np.uint64)
    if not optional and (column == 0).any():
        raise bounds.invalid(f"{what}: all-zero ids are refused (F-09)")
    return ["null" if x == 0 else f'"{x:016x}"' for x in column.tolist()]


def span_lines(
    trace_id: object,
    name: str,
    span_ids: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    *,
    parent_ids: np.ndarray | None = None,
    attrs: Mapping[str, object] | None = None,
    var_attr: tuple[str, np.ndarray] | None = None,
) -> str:
    """``SpanRecord`` lines for spans sharing trace, name and attributes.

    ``span_ids``/``parent_ids`` are uint64 columns (parent 0 = none); ``ends`` uses -1 for an
    unfinished span (written ``null``).
    """
    trace = records.id_hex(trace_id, records.TRACE_ID_BYTES, "trace_id")
    head, tail = _attrs_parts(attrs or {}, None if var_attr is None else var_attr[0], name)
    sids = _id_texts(span_ids, "span_id", optional=False)
    n = len(sids)
    parents = ["null"] * n if parent_ids is None else _id_texts(parent_ids, "parent_span_id", optional=True)
    start_list = _check_u64_column(np.asarray(starts), "start_unix_nanos")
    end_column = np.asarray(ends, dtype=np.int64)
    end_texts = ["null" if e < 0 else str(e) for e in end_column.tolist()]
    pre = f'{{"schema_version":1,"trace_id":"{trace}","span_id":'
    name_text = records.json_str(name)
    if var_attr is None:
        post = '}\n'
        return "".join([
            f'{pre}{s},"parent_span_id":{p},"name":{name_text},"start_unix_nanos":{a},"end_unix_nanos":{e},'
            f'"attrs":{head}{post}'
            for s, p, a, e in zip(sids, parents, start_list, end_texts, strict=True)
        ])  # fmt: skip
    var = np.asarray(var_attr[1]).tolist()
    end = f"{tail}}}\n"
    return "".join([
        f'{pre}{s},"parent_span_id":{p},"name":{name_text},"start_unix_nanos":{a},"end_unix_nanos":{e},'
        f'"attrs":{head}{v}{end}'
        for s, p, a, e, v in zip(sids, parents, start_list, end_texts, var, strict=True)
    ])  # fmt: skip
