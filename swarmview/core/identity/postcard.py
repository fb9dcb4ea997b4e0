"""Postcard encoders for the small structs upstream hashes (§8.1).

Upstream hashes binary postcard encodings, never JSON, so identity hashes depend on the *variant* a
value had in memory (``U64(1)`` and ``I64(1)`` encode differently). These encoders take decoded
Python values; an int that upstream held as ``u64`` is marked with the jsontext ``U64`` int subclass.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping, Sequence
from typing import Any

from swarmview.core.jsontext.encode import U64

I64_MIN = -(1 << 63)
I64_MAX = (1 << 63) - 1
U64_MAX = (1 << 64) - 1


def is_u64_marked(value: object) -> bool:
    """True for the writer-side ``jsontext.encode.U64`` marker: an int upstream held as ``u64``."""
    return isinstance(value, U64)


def varint(n: int) -> bytes:
    """Unsigned LEB128 (postcard's u32/u64/usize)."""
    if n < 0 or n > U64_MAX:
        raise ValueError(f"varint out of range: {n}")
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def zigzag(n: int) -> int:
    """i64 → u64 zigzag mapping (0→0, −1→1, 1→2, …)."""
    if n < I64_MIN or n > I64_MAX:
        raise ValueError(f"i64 out of range: {n}")
    return ((n << 1) ^ (n >> 63)) & U64_MAX


def i64(n: int) -> bytes:
    return varint(zigzag(n))


def boolean(b: bool) -> bytes:
    return b"\x01" if b else b"\x00"


def f64(x: float) -> bytes:
    """8 bytes little-endian IEEE-754 (NaN payloads kept as Python holds them)."""
    return struct.pack("<d", x)


def string(s: str) -> bytes:
    """varint(byte length) + UTF-8 bytes."""
    data = s.encode("utf-8", "surrogatepass")
    return varint(len(data)) + data


def option(value: bytes | None) -> bytes:
    """A serialized ``Option<T>``: ``00`` or ``01`` + T."""
    return b"\x00" if value is None else b"\x01" + value


def utf8_key(s: str) -> bytes:
    """Sort key of a BTreeMap<String, _>: the UTF-8 bytes."""
    return s.encode("utf-8", "surrogatepass")


def canon_value(value: Any) -> bytes:
    """Untagged ``CanonValue``: Null → nothing, no variant tag, maps sorted by key bytes.

    Plain ints ≤ 2**63−1 (and negatives) are ``I64`` as upstream's reader types them; ``U64``-marked
    ints and ints above ``I64_MAX`` are ``U64``.
    """
    if value is None:
        return b""
    if value is True or value is False:
        return boolean(value)
    if isinstance(value, int):
        if is_u64_marked(value) or value > I64_MAX:
            return varint(int(value))
        return i64(int(value))
    if isinstance(value, float):
        return f64(value)
    if isinstance(value, str):
        return string(value)
    if isinstance(value, Mapping):
        return canon_map(value)
    if isinstance(value, Sequence):
        parts = [varint(len(value))]
        parts.extend(canon_value(v) for v in value)
        return b"".join(parts)
    raise TypeError(f"not a CanonValue: {type(value).__name__}")


def canon_map(mapping: Mapping[str, Any]) -> bytes:
    """``BTreeMap<String, CanonValue>``: count, then key/value in ascending UTF-8 key order."""
    parts = [varint(len(mapping))]
    for key in sorted(mapping, key=utf8_key):
        parts.append(string(key))
        parts.append(canon_value(mapping[key]))
    return b"".join(parts)


def has_nonfinite(value: Any) -> bool:
    """Whether a CanonValue holds a NaN/±inf (which JSON turns into ``null``)."""
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, Mapping):
        return any(has_nonfinite(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(has_nonfinite(v) for v in value)
    return False
