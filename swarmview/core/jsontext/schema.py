"""A tiny type DSL mirroring upstream's Rust types, so one description drives reading and writing.

Each node carries what serde-derive would generate from the Rust declaration: field order (written
key order), presence on read (required / ``Option`` / ``#[serde(default)]``) and the write rule
(``skip_serializing_if``). ``kind`` is a small int so the decoder can dispatch without isinstance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "ATTR_VALUE",
    "BOOL",
    "CANON_VALUE",
    "F64",
    "I64",
    "STR",
    "U32",
    "U64",
    "Enum",
    "Field",
    "Id",
    "Map",
    "Opt",
    "Prim",
    "Schema",
    "Struct",
    "Untagged",
    "Vec",
]

K_U32, K_U64, K_I64, K_F64, K_BOOL, K_STR = 1, 2, 3, 4, 5, 6
K_OPT, K_VEC, K_MAP, K_ID, K_ENUM, K_STRUCT = 7, 8, 9, 10, 11, 12
K_ATTR, K_CANON, K_UNTAGGED = 13, 14, 15

Presence = Literal["required", "option", "default"]
WriteRule = Literal["always", "omit_if_none", "omit_if_empty"]


@dataclass(frozen=True)
class Prim:
    """A scalar: ``name`` is the Rust type (``u32`` ``u64`` ``i64`` ``f64`` ``bool`` ``String``)."""

    name: str
    kind: int
    expecting: str


U32 = Prim("u32", K_U32, "u32")
U64 = Prim("u64", K_U64, "u64")
I64 = Prim("i64", K_I64, "i64")
F64 = Prim("f64", K_F64, "f64")
BOOL = Prim("bool", K_BOOL, "a boolean")
STR = Prim("String", K_STR, "a string")


@dataclass(frozen=True)
class Opt:
    """``Option<T>``: JSON ``null`` is ``None``."""

    inner: Schema
    kind: int = K_OPT


@dataclass(frozen=True)
class Vec:
    """``Vec<T>``: a JSON array."""

    inner: Schema
    kind: int = K_VEC
    expecting: str = "a sequence"


@dataclass(frozen=True)
class Map:
    """``BTreeMap<String, T>``: duplicate keys keep the last value; written sorted by UTF-8 bytes."""

    inner: Schema
    kind: int = K_MAP
    expecting: str = "a map"


@dataclass(frozen=True)
class Id:
    """An ``observe.rs`` hex id of ``nbytes`` bytes (TraceId/RunId/NodeId 16, SpanId 8)."""

    nbytes: int
    name: str = "TraceId"
    kind: int = K_ID

    @property
    def expecting(self) -> str:
        return f"a lowercase hex string of length {2 * self.nbytes}"


@dataclass(frozen=True)
class Enum:
    """A serde-derive enum with snake_case unit variants; ``newtype`` names variants holding a String
    (``AuthModeMarker::Custom``), written ``{"custom": "…"}`` and decoded as ``{"custom": text}``."""

    name: str
    variants: tuple[str, ...]
    newtype: frozenset[str] = frozenset()
    kind: int = K_ENUM


@dataclass(frozen=True)
class Field:
    """One struct field: read presence (with its default) and write rule."""

    name: str
    schema: Schema
    presence: Presence = "required"
    default: Any = None
    write: WriteRule = "always"

    def default_value(self) -> Any:
        """A fresh default (lists and dicts must not be shared between decoded records)."""
        d = self.default
        if isinstance(d, list):
            return list(d)
        if isinstance(d, dict):
            return dict(d)
        return d


@dataclass(frozen=True)
class Struct:
    """A serde-derive struct (no ``deny_unknown_fields``): fields in declaration order."""

    name: str
    fields: tuple[Field, ...]
    kind: int = K_STRUCT
    index: dict[str, int] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        self.index.update({f.name: i for i, f in enumerate(self.fields)})

    @property
    def expecting(self) -> str:
        return f"struct {self.name}"

    def __hash__(self) -> int:
        return hash(self.name)


@dataclass(frozen=True)
class Untagged:
    """An untagged enum: the value is buffered, then each variant is tried in order."""

    name: str
    variants: tuple[Any, ...]
    kind: int = K_UNTAGGED

    def __hash__(self) -> int:
        return hash(self.name)


# AttrValue: Str, Bool, I64, U64, F64 (observe.rs). CanonValue: Null, Bool, I64, U64, F64, Str,
# Array, Object (run_graph.rs). Their variant lists are documentation; the decoder knows the rules.
ATTR_VALUE = Untagged("AttrValue", ("Str", "Bool", "I64", "U64", "F64"), kind=K_ATTR)
CANON_VALUE = Untagged("CanonValue", ("Null", "Bool", "I64", "U64", "F64", "Str", "Array", "Object"), kind=K_CANON)

Schema = Prim | Opt | Vec | Map | Id | Enum | Struct | Untagged
