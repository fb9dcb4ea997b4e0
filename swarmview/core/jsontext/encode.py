"""Upstream-identical JSON text: ``serde_json::to_string`` (NDJSON) and ``to_vec_pretty`` (files).

The schema fixes key order, omitted fields and which numbers are floats (§2.5); strings are escaped
exactly as ``json.dumps(ensure_ascii=False)`` does (§2.4), floats use :func:`format_f64`, non-finite
floats become ``null``, and map keys are sorted by UTF-8 bytes (code point order for ``str``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .floatfmt import format_f64
from .schema import (
    CANON_VALUE,
    K_ATTR,
    K_BOOL,
    K_CANON,
    K_ENUM,
    K_F64,
    K_I64,
    K_ID,
    K_MAP,
    K_OPT,
    K_STR,
    K_STRUCT,
    K_U32,
    K_U64,
    K_UNTAGGED,
    K_VEC,
    Schema,
    Struct,
)

__all__ = ["U64", "EncodeError", "dumps_compact", "dumps_pretty"]

_U64_MAX = (1 << 64) - 1
_I64_MIN = -(1 << 63)
_I64_MAX = (1 << 63) - 1
_RANGES = {K_U32: (0, (1 << 32) - 1, "u32"), K_U64: (0, _U64_MAX, "u64"), K_I64: (_I64_MIN, _I64_MAX, "i64")}
_str_text: Callable[[str], str] = json.JSONEncoder(ensure_ascii=False).encode


class U64(int):
    """An integer upstream held as ``u64`` inside an AttrValue/CanonValue (postcard encodes it
    differently from ``I64``); JSON text is the same digits."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"U64({int(self)})"


class EncodeError(ValueError):
    """The value cannot be written with this schema (upstream's types would not hold it)."""


def _check_int(v: Any, kind: int) -> str:
    if type(v) is bool or not isinstance(v, int):
        raise EncodeError(f"expected an integer, got {type(v).__name__}")
    lo, hi, name = _RANGES[kind]
    if not lo <= v <= hi:
        raise EncodeError(f"integer {v} out of range for {name}")
    return str(int(v))


def _id_text(v: Any, nbytes: int) -> str:
    if isinstance(v, (bytes, bytearray)):
        raw = bytes(v)
    elif isinstance(v, str):
        try:
            raw = bytes.fromhex(v)
        except ValueError:
            raise EncodeError(f"invalid hex id {v!r}") from None
    else:
        raise EncodeError(f"expected an id (hex str or bytes), got {type(v).__name__}")
    if len(raw) > 16:
        # observe.rs:serialize_id_hex_or_bytes; B-036.
        raise EncodeError(f"observe hex buffer supports at most 16-byte IDs (N <= 16), got {len(raw)}")
    if len(raw) != nbytes:
        raise EncodeError(f"id of {len(raw)} bytes where {nbytes} are expected")
    return '"' + raw.hex() + '"'


def _scalar_any(v: Any, canon: bool) -> str | None:
    """AttrValue / CanonValue scalar text, or None when ``v`` is a container (CanonValue only)."""
    if isinstance(v, str):
        return _str_text(v)
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        if not _I64_MIN <= v <= _U64_MAX:
            raise EncodeError(f"integer {v} fits neither i64 nor u64")
        return str(int(v))
    if isinstance(v, float):
        return format_f64(v)
    if v is None:
        if canon:
            return "null"
        raise EncodeError("AttrValue cannot be null")
    if canon and isinstance(v, (list, tuple, dict)):
        return None
    raise EncodeError(f"unsupported attribute/param value {type(v).__name__}")


class _Writer:
    """One pass over value + schema appending text pieces (compact, or pretty at ``level``)."""

    def __init__(self, pretty: bool) -> None:
        self.out: list[str] = []
        self.pretty = pretty

    def _open(self, n: int, level: int) -> str:
        """Separator before member ``n`` (pretty: newline + indentation)."""
        if self.pretty:
            pad = "\n" + "  " * (level + 1)
            return pad if n == 0 else "," + pad
        return "," if n else ""

    def _close(self, close: str, level: int) -> None:
        self.out.append("\n" + "  " * level + close if self.pretty else close)

    def value(self, v: Any, s: Schema, level: int) -> None:
        k = s.kind
        out = self.out
        if k == K_STR:
            if not isinstance(v, str):
                raise EncodeError(f"expected a string, got {type(v).__name__}")
            out.append(_str_text(v))
        elif k in (K_U32, K_U64, K_I64):
            out.append(_check_int(v, k))
        elif k == K_F64:
            if type(v) is bool or not isinstance(v, (int, float)):
                raise EncodeError(f"expected a float, got {type(v).__name__}")
            out.append(format_f64(float(v)))
        elif k == K_BOOL:
            if type(v) is not bool:
                raise EncodeError(f"expected a bool, got {type(v).__name__}")
            out.append("true" if v else "false")
        elif k == K_OPT:
            if v is None:
                out.append("null")
            else:
                self.value(v, s.inner, level)  # type: ignore[union-attr]
        elif k == K_ID:
            out.append(_id_text(v, s.nbytes))  # type: ignore[union-attr]
        elif k == K_STRUCT:
            self.struct(v, s, level)  # type: ignore[arg-type]
        elif k == K_VEC:
            if not isinstance(v, (list, tuple)):
                raise EncodeError(f"expected a list, got {type(v).__name__}")
            self.seq(v, s.inner, level)  # type: ignore[union-attr]
        elif k == K_MAP:
            self.map(v, s.inner, level)  # type: ignore[union-attr]
        elif k == K_ENUM:
            self.enum(v, s, level)
        elif k in (K_ATTR, K_CANON):
            self.any_value(v, k == K_CANON, level)
        elif k == K_UNTAGGED:
            self.untagged(v, s, level)
        else:  # pragma: no cover - schema kinds are closed
            raise EncodeError(f"unknown schema kind {k}")

    def seq(self, v: list[Any] | tuple[Any, ...], inner: Schema, level: int) -> None:
        if not v:
            self.out.append("[]")
            return
        self.out.append("[")
        for n, x in enumerate(v):
            self.out.append(self._open(n, level))
            self.value(x, inner, level + 1)
        self._close("]", level)

    def struct(self, v: Any, s: Struct, level: int) -> None:
        if not isinstance(v, dict):
            raise EncodeError(f"expected a dict for {s.name}, got {type(v).__name__}")
        out = self.out
        sep = ": " if self.pretty else ":"
        n = 0
        for f in s.fields:
            fv = v.get(f.name)
            if fv is None and f.name not in v and f.presence == "default":
                fv = f.default_value()
            if fv is None and f.write == "omit_if_none":
                continue
            if f.write == "omit_if_empty" and not fv:
                continue
            if fv is None and f.schema.kind != K_OPT:
                raise EncodeError(f"{s.name}.{f.name} is required")
            out.append(("{" if n == 0 else "") + self._open(n, level) + '"' + f.name + '"' + sep)
            self.value(fv, f.schema, level + 1)
            n += 1
        if n == 0:
            out.append("{}")
        else:
            self._close("}", level)

    def map(self, v: Any, inner: Schema, level: int) -> None:
        if not isinstance(v, dict):
            raise EncodeError(f"expected a dict, got {type(v).__name__}")
        if not v:
            self.out.append("{}")
            return
        for key in v:
            if not isinstance(key, str):
                raise EncodeError(f"map keys must be strings, got {type(key).__name__}")
        sep = ": " if self.pretty else ":"
        self.out.append("{")
        for n, key in enumerate(sorted(v)):
            self.out.append(self._open(n, level) + _str_text(key) + sep)
            self.value(v[key], inner, level + 1)
        self._close("}", level)

    def enum(self, v: Any, s: Any, level: int) -> None:
        if isinstance(v, str):
            if v not in s.variants or v in s.newtype:
                raise EncodeError(f"{v!r} is not a unit variant of {s.name}")
            self.out.append('"' + v + '"')
            return
        if isinstance(v, dict) and len(v) == 1:
            ((name, inner),) = v.items()
            if name in s.newtype and isinstance(inner, str):
                sep = ": " if self.pretty else ":"
                self.out.append("{" + self._open(0, level) + '"' + name + '"' + sep + _str_text(inner))
                self._close("}", level)
                return
        raise EncodeError(f"{v!r} is not a value of {s.name}")

    def any_value(self, v: Any, canon: bool, level: int) -> None:
        text = _scalar_any(v, canon)
        if text is not None:
            self.out.append(text)
        elif isinstance(v, dict):
            self.map(v, CANON_VALUE, level)
        else:
            self.seq(v, CANON_VALUE, level)

    def untagged(self, v: Any, s: Any, level: int) -> None:
        """MaterializationRecordCompat: written as the variant it holds (``__variant__``)."""
        tag = v.get("__variant__", "V2") if isinstance(v, dict) else "V2"
        target = {"V2": s.variants[0], "V1": s.variants[1]}.get(tag)
        if target is None:
            raise EncodeError(f"unknown variant {tag!r} of {s.name}")
        self.value(v, target, level)




def dumps_compact(value: Any, schema: Schema) -> bytes:
    """``serde_json::to_string``: one NDJSON record without its trailing newline (§2.3)."""
    w = _Writer(pretty=False)
    w.value(value, schema, 0)
    return "".join(w.out).encode("utf-8")


def dumps_pretty(value: Any, schema: Schema) -> bytes:
    """``serde_json::to_vec_pretty``: two-space indent, ``": "``, no trailing newline (§2.2)."""
    w = _Writer(pretty=True)
    w.value(value, schema, 0)
    return "".join(w.out).encode("utf-8")

