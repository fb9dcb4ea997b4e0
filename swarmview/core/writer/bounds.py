"""Write-path checks of telemetry records (§4.5) and the coercion of caller values to upstream types.

Upstream checks only lengths and counts (``observe.rs:validate_*_record``); it writes zero ids and
non-finite floats that its own reader then rejects (F-08, F-09). swarmview's writer runs upstream's
checks first, in upstream's order and with its exact texts (kind ``InvalidInput``), and then refuses
what upstream would write but could not read back, with a message that says so.

Python values map to ``AttrValue`` as upstream would hold them: ``str`` → Str, ``bool`` → Bool
(checked before ``int``), ``int`` → I64 (``U64``-marked ints, and ints above ``i64::MAX`` that fit a
u64, → U64), ``float`` → F64. numpy scalars are converted exactly or refused.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np

from swarmview.core.errors import BundleWriteError
from swarmview.core.jsontext.encode import U64

MAX_RECORD_NAME_LEN = 256
MAX_RECORD_ATTRS = 64
MAX_ATTR_KEY_LEN = 128
MAX_ATTR_VALUE_STR_LEN = 1024
MAX_METRIC_UNIT_LEN = 64

I64_MIN = -(1 << 63)
I64_MAX = (1 << 63) - 1
U64_MAX = (1 << 64) - 1

AttrValue = str | bool | int | float


def invalid(message: str) -> BundleWriteError:
    return BundleWriteError("InvalidInput", message)


def blen(text: str) -> int:
    """Byte length as Rust's ``str::len`` counts it."""
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def check_text(text: object, what: str) -> str:
    """A string Rust could hold: ``str`` and valid UTF-8 (no lone surrogates)."""
    if type(text) is str and text.isascii():  # the common case, without the encode
        return text
    if not isinstance(text, str):
        raise invalid(f"{what} must be a string, got {type(text).__name__}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise invalid(f"{what} contains a lone surrogate (not representable in UTF-8)") from None
    return text


def check_u64(value: object, what: str) -> int:
    """A ``u64`` field (timestamps, counts): exact non-negative integer up to 2**64-1."""
    if type(value) is int and 0 <= value <= U64_MAX:
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise invalid(f"{what} must be an integer, got {type(value).__name__}")
    number = int(value)
    if not 0 <= number <= U64_MAX:
        raise invalid(f"{what} {number} is outside the u64 range 0..{U64_MAX}")
    return number


def _finite(value: float, what: str, allow_nonfinite: bool) -> float:
    if not allow_nonfinite and not math.isfinite(value):
        raise invalid(
            f"{what} is {value!r}: upstream writes NaN/Infinity as null and then cannot read the bundle "
            "back (F-08); refused"
        )
    return value


def coerce_float(value: object, what: str, *, allow_nonfinite: bool = False) -> float:
    """An ``f64`` field (metric value): any real number that converts to a double exactly or by rounding."""
    if type(value) is float:
        return _finite(value, what, allow_nonfinite)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise invalid(f"{what} must be a number, got {type(value).__name__}")
    try:
        number = float(int(value)) if isinstance(value, numbers.Integral) else float(value)
    except OverflowError:
        raise invalid(f"{what} {value} is beyond the f64 range") from None
    return _finite(number, what, allow_nonfinite)


def coerce_int(value: numbers.Integral, what: str) -> int:
    """I64 when it fits, U64 (marked) for ``i64::MAX < n <= u64::MAX`` or a numpy unsigned scalar."""
    number = int(value)
    unsigned = isinstance(value, (U64, np.unsignedinteger))
    if unsigned:
        if not 0 <= number <= U64_MAX:
            raise invalid(f"{what} {number} is outside the u64 range")
        return U64(number)
    if I64_MIN <= number <= I64_MAX:
        return number
    if I64_MAX < number <= U64_MAX:
        return U64(number)
    raise invalid(f"{what} {number} fits neither i64 nor u64")


def coerce_attr_value(value: object, key: str, *, allow_nonfinite: bool = False) -> AttrValue:
    """One ``AttrValue`` as upstream would hold it (bool before int; numpy scalars converted)."""
    kind = type(value)
    if kind is int and I64_MIN <= value <= I64_MAX:  # type: ignore[operator]
        return value  # type: ignore[return-value]
    if kind is float and (allow_nonfinite or math.isfinite(value)):  # type: ignore[arg-type]
        return value  # type: ignore[return-value]
    if kind is bool:
        return value  # type: ignore[return-value]
    what = f"attribute '{key}'"
    if isinstance(value, str):
        return check_text(value, what)
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return coerce_int(value, what)
    if isinstance(value, numbers.Real):
        return _finite(float(value), what, allow_nonfinite)
    raise invalid(f"{what} has unsupported type {type(value).__name__} (str, bool, int or float expected)")


def coerce_attrs(attrs: Mapping[str, object] | None, *, allow_nonfinite: bool = False) -> dict[str, AttrValue]:
    """Validate key types and convert every value; the encoder sorts the keys."""
    if not attrs:
        return {}
    out: dict[str, AttrValue] = {}
    for key, value in attrs.items():
        check_text(key, "attribute key")
        out[key] = coerce_attr_value(value, key, allow_nonfinite=allow_nonfinite)
    return out


def _sorted_keys(attrs: Mapping[str, object]) -> list[str]:
    return sorted(attrs, key=lambda k: k.encode("utf-8", "surrogatepass"))


def record_bounds_error(name: str, attrs: Mapping[str, object], unit: str | None = None) -> str | None:
    """``validate_{span,event,metric}_record``: upstream's first failing check (§4.5), or ``None``."""
    name_len = blen(name)
    if name_len > MAX_RECORD_NAME_LEN:
        return f"record name length {name_len} exceeds maximum"
    if len(attrs) > MAX_RECORD_ATTRS:
        return f"record attribute count {len(attrs)} exceeds maximum"
    for key in _sorted_keys(attrs):
        key_len = blen(key)
        if key_len > MAX_ATTR_KEY_LEN:
            return f"attribute key '{key}' length {key_len} exceeds maximum"
        value = attrs[key]
        if isinstance(value, str):
            value_len = blen(value)
            if value_len > MAX_ATTR_VALUE_STR_LEN:
                return f"string attribute value for key '{key}' length {value_len} exceeds maximum"
    if unit is not None:
        unit_len = blen(unit)
        if unit_len > MAX_METRIC_UNIT_LEN:
            return f"metric unit length {unit_len} exceeds maximum"
    return None


def check_record(name: object, attrs: Mapping[str, object] | None, unit: object = None) -> None:
    """Upstream's bounds (exact texts) on the raw inputs, before any swarmview-only refusal."""
    check_text(name, "record name")
    if unit is not None:
        check_text(unit, "metric unit")
    message = record_bounds_error(name, attrs or {}, unit)  # type: ignore[arg-type]
    if message is not None:
        raise invalid(message)


def coerce_canon(value: object, path: str, *, allow_nonfinite: bool = False) -> Any:
    """A ``CanonValue`` (graph params): null, bool, ints (I64/U64), floats, str, lists, str-keyed maps.

    Non-finite floats are refused unless ``allow_nonfinite`` (upstream writes ``null``, which reads back
    as ``Null`` and silently changes the node's hash, F-08).
    """
    if value is None or isinstance(value, str):
        return value if value is None else check_text(value, f"param {path}")
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return coerce_int(value, f"param {path}")
    if isinstance(value, numbers.Real):
        number = float(value)
        if not allow_nonfinite and not math.isfinite(number):
            raise invalid(
                f"param {path} is {number!r}: upstream writes it as null, reads it back as Null and the "
                "node's hash changes (F-08); refused"
            )
        return number
    if isinstance(value, (list, tuple)):
        return [coerce_canon(v, f"{path}/{i}", allow_nonfinite=allow_nonfinite) for i, v in enumerate(value)]
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            check_text(k, f"param key under {path}")
            out[k] = coerce_canon(v, f"{path}/{k}", allow_nonfinite=allow_nonfinite)
        return out
    raise invalid(f"param {path} has unsupported type {type(value).__name__}")
