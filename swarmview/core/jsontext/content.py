"""Typed reading of an already-buffered JSON value (serde's ``ContentRefDeserializer``).

Untagged enums buffer the whole value first and then try each variant on the buffer; a failed try
is silent (only the final "did not match any variant" surfaces), so this module only needs to say
*whether* a variant fits, not where it does not.
"""

from __future__ import annotations

from typing import Any

from .encode import U64
from .errors import Diagnostic
from .schema import (
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
    K_VEC,
    Schema,
)

__all__ = ["CMap", "Mismatch", "match_content"]

_I64_MAX = (1 << 63) - 1
_LIMITS = {K_U32: (0, (1 << 32) - 1), K_U64: (0, (1 << 64) - 1), K_I64: (-(1 << 63), _I64_MAX)}
_HEX = frozenset("0123456789abcdefABCDEF")


class CMap(list):  # type: ignore[type-arg]
    """A buffered JSON object: ``(key, value)`` pairs in input order, duplicates kept."""

    __slots__ = ()


class Mismatch(Exception):
    """The buffered value does not fit the variant being tried."""


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def match_content(v: Any, s: Schema, *, strict: bool, sink: list[Diagnostic] | None, path: str = "") -> Any:
    """Decode buffered value ``v`` as ``s``; raise :class:`Mismatch` where serde would fail.

    ``strict=False`` applies swarmview's lenient rules (duplicate fields keep the last value, null
    where an f64 is required becomes NaN); ``sink`` collects diagnostics (positions are filled in
    by the caller).
    """
    k = s.kind
    if k == K_STR:
        if isinstance(v, str):
            return v
        raise Mismatch(f"expected a string at {path or '/'}")
    if k in _LIMITS:
        lo, hi = _LIMITS[k]
        if _is_int(v) and lo <= v <= hi:
            return int(v)
        raise Mismatch(f"expected {s.name} at {path or '/'}")  # type: ignore[union-attr]
    if k == K_F64:
        if _is_int(v) or isinstance(v, float):
            return float(v)
        if v is None and not strict:
            if sink is not None:
                sink.append(Diagnostic("nonfinite_null", path, path.rsplit("/", 1)[-1] or None, 0, 0, "null where an f64 is required"))
            return float("nan")
        raise Mismatch(f"expected f64 at {path or '/'}")
    if k == K_BOOL:
        if isinstance(v, bool):
            return v
        raise Mismatch(f"expected a boolean at {path or '/'}")
    if k == K_OPT:
        return None if v is None else match_content(v, s.inner, strict=strict, sink=sink, path=path)  # type: ignore[union-attr]
    if k == K_ID:
        if not isinstance(v, str):
            raise Mismatch(f"expected an id at {path or '/'}")
        if len(v.encode("utf-8")) != 2 * s.nbytes:  # type: ignore[union-attr]
            raise Mismatch("invalid id length")
        if not set(v) <= _HEX:
            raise Mismatch("invalid hex in id")
        if v.count("0") == len(v):
            if strict:
                raise Mismatch("all-zero id is invalid")
            if sink is not None:
                sink.append(Diagnostic("zero_id", path, None, 0, 0, "all-zero id"))
        if v != v.lower() and sink is not None:
            sink.append(Diagnostic("non_canonical", path, None, 0, 0, "uppercase hex id"))
        return v.lower()
    if k == K_VEC:
        if isinstance(v, list) and not isinstance(v, CMap):
            inner = s.inner  # type: ignore[union-attr]
            return [match_content(x, inner, strict=strict, sink=sink, path=f"{path}/{n}") for n, x in enumerate(v)]
        raise Mismatch(f"expected a sequence at {path or '/'}")
    if k == K_MAP:
        if not isinstance(v, CMap):
            raise Mismatch(f"expected a map at {path or '/'}")
        out: dict[str, Any] = {}
        for key, item in v:
            if key in out and sink is not None:
                sink.append(Diagnostic("duplicate_key", f"{path}/{key}", key, 0, 0, "repeated map key"))
            out[key] = match_content(item, s.inner, strict=strict, sink=sink, path=f"{path}/{key}")  # type: ignore[union-attr]
        return out
    if k == K_ENUM:
        return _enum(v, s, path)
    if k == K_STRUCT:
        return _struct(v, s, strict, sink, path)
    if k == K_ATTR:
        if isinstance(v, (str, bool, float)):
            return v
        if _is_int(v):
            return U64(v) if v > _I64_MAX else v
        if v is None and not strict:
            return float("nan")
        raise Mismatch("data did not match any variant of untagged enum AttrValue")
    if k == K_CANON:
        return _canon(v)
    raise Mismatch(f"unsupported nested type {s!r}")


def _canon(v: Any) -> Any:
    if isinstance(v, CMap):
        return {key: _canon(item) for key, item in v}
    if isinstance(v, list):
        return [_canon(x) for x in v]
    if _is_int(v) and v > _I64_MAX:
        return U64(v)
    return v


def _enum(v: Any, s: Any, path: str) -> Any:
    if isinstance(v, str):
        if v not in s.variants or v in s.newtype:
            raise Mismatch(f"bad variant {v!r} at {path or '/'}")
        return v
    if isinstance(v, CMap) and len(v) == 1:
        ((name, inner),) = v
        if name in s.newtype and isinstance(inner, str):
            return {name: inner}
        if name in s.variants and name not in s.newtype and inner is None:
            return name
    raise Mismatch(f"bad enum value at {path or '/'}")


def _struct(v: Any, s: Any, strict: bool, sink: list[Diagnostic] | None, path: str) -> dict[str, Any]:
    fields = s.fields
    out: dict[str, Any] = {}
    if isinstance(v, CMap):
        for key, item in v:
            idx = s.index.get(key)
            if idx is None:
                continue
            if key in out:
                if strict:
                    raise Mismatch(f"duplicate field `{key}`")
                if sink is not None:
                    sink.append(Diagnostic("duplicate_field", f"{path}/{key}".lstrip("/"), key, 0, 0, "repeated struct field: the last value is kept"))
            out[key] = match_content(item, fields[idx].schema, strict=strict, sink=sink, path=f"{path}/{key}".lstrip("/"))
        result: dict[str, Any] = {}
        for f in fields:
            if f.name in out:
                result[f.name] = out[f.name]
            elif f.presence == "required":
                raise Mismatch(f"missing field `{f.name}`")
            else:
                result[f.name] = f.default_value()
        return result
    if isinstance(v, list):
        if len(v) > len(fields):
            raise Mismatch(f"invalid length {len(v)}, expected fewer elements in sequence")
        for n, f in enumerate(fields):
            if n < len(v):
                out[f.name] = match_content(v[n], f.schema, strict=strict, sink=sink, path=f"{path}/{f.name}".lstrip("/"))
            elif f.presence == "default":
                out[f.name] = f.default_value()
            else:
                raise Mismatch(f"invalid length {n}, expected struct {s.name} with {len(fields)} elements")
        return out
    raise Mismatch(f"expected struct {s.name} at {path or '/'}")
