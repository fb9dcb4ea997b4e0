"""A schema-driven JSON reader that accepts, rejects and positions errors exactly as upstream does.

Upstream reads every file with ``serde_json`` 1.0.149 into serde-derive types. This module is a
transcription of that pipeline (``de.rs``, ``read.rs``, serde's derive and untagged-enum code) for
the types of :mod:`.types`: same grammar, same depth budget, same error texts, and the same byte
named in ``line``/``column`` for both of upstream's readers (``slice``: ``from_slice``/``from_str``;
``io``: ``from_reader``), which differ only when serde_json has looked one byte ahead (§2.6).

How positions work here: an error found by the parser itself is positioned where it is raised. An
error raised by a *type* (``missing field``, ``duplicate field``, ``all-zero id``, untagged
mismatch, ...) carries no position in serde; the nearest enclosing ``deserialize_*`` call that
"fixes positions" stamps it with the reader's position at that moment. :class:`Unpos` models such
an error, and each fixing site catches it and stamps it (see :meth:`_Parser.fix`).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Literal

from .buffered import BufferedReader
from .errors import Diagnostic, JsonError
from .floatfmt import format_f64
from .lexer import WS_BYTES, Unpos
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
    K_UNTAGGED,
    K_VEC,
    STR,
    Enum,
    Schema,
    Struct,
)

__all__ = ["Diagnostic", "JsonError", "decode"]

_HEX_ID = re.compile(r"[0-9a-fA-F]*\Z")
_LOWER_ID = re.compile(r"[0-9a-f]*\Z")
_I64_MAX = (1 << 63) - 1
_U32_MAX = (1 << 32) - 1
_INT_KINDS = {K_U32: "u32", K_U64: "u64", K_I64: "i64"}
_NAN = float("nan")
_MISSING = object()
_STR_TOKEN = re.compile(rb'[ \t\n\r]*"([^"\\\x00-\x1f]*)"')
_ID_TOKEN = re.compile(rb'[ \t\n\r]*"([0-9a-f]*)"')
_UINT_TOKEN = re.compile(rb"[ \t\n\r]*(0|[1-9][0-9]{0,18})(?![0-9.eE])")
_FIRST_KEY = re.compile(rb'[ \t\n\r]*"([^"\\\x00-\x1f]*)"[ \t\n\r]*:')
_NEXT_KEY = re.compile(rb'[ \t\n\r]*,[ \t\n\r]*"([^"\\\x00-\x1f]*)"[ \t\n\r]*:')


def one_of(names: tuple[str, ...]) -> str:
    """serde's ``OneOf`` list: `a`; `a` or `b`; one of `a`, `b`, `c`."""
    if len(names) == 1:
        return f"`{names[0]}`"
    if len(names) == 2:
        return f"`{names[0]}` or `{names[1]}`"
    return "one of " + ", ".join(f"`{n}`" for n in names)


def unknown_variant(name: str, variants: tuple[str, ...]) -> str:
    if not variants:
        return f"unknown variant `{name}`, there are no variants"
    return f"unknown variant `{name}`, expected {one_of(variants)}"


def rust_debug_str(s: str) -> str:
    """Rust's ``{:?}`` of a ``&str`` (used in ``invalid type: string "…"``)."""
    out = ['"']
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\0":
            out.append("\\0")
        elif ch.isprintable() and unicodedata.category(ch) not in ("Mn", "Me"):
            out.append(ch)
        else:
            out.append(f"\\u{{{ord(ch):x}}}")
    out.append('"')
    return "".join(out)


def _unexpected_number(v: int | float) -> str:
    if isinstance(v, float):
        return f"floating point `{format_f64(v)}`"
    return f"integer `{v}`"


class _Parser(BufferedReader):
    """The typed half: serde-derive structs, enums, maps, sequences, ids and untagged values."""

    def invalid_type(self, expecting: str) -> JsonError:
        """``peek_invalid_type``: consume the offending value when serde does, then position."""
        data, i = self.data, self.i
        c = data[i]
        if c == 110:
            self.i = i + 1
            self.ident(b"ull")
            return self.fix(f"invalid type: null, expected {expecting}", False)
        if c == 116 or c == 102:
            self.i = i + 1
            self.ident(b"rue" if c == 116 else b"alse")
            return self.fix(f"invalid type: boolean `{'true' if c == 116 else 'false'}`, expected {expecting}", False)
        if c == 45 or 48 <= c <= 57:
            v, self.i = self.number(i)
            return self.fix(f"invalid type: {_unexpected_number(v)}, expected {expecting}", True)
        if c == 34:
            self.i = i + 1
            s = self.parse_str()
            return self.fix(f"invalid type: string {rust_debug_str(s)}, expected {expecting}", False)
        if c == 91:
            return self.fix(f"invalid type: sequence, expected {expecting}", True)
        if c == 123:
            return self.fix(f"invalid type: map, expected {expecting}", True)
        return self.err_peek("expected value")

    def start(self) -> int:
        """``parse_whitespace`` before a value; EOF there is ``EOF while parsing a value``."""
        i = self.i
        if i < self.n and self.data[i] in WS_BYTES:
            i = self.ws()
        if i >= self.n:
            raise self.err_peek("EOF while parsing a value")
        return i

    def value(self, s: Schema) -> Any:
        k = s.kind
        if k == K_STR:
            m = _STR_TOKEN.match(self.data, self.i)
            if m is not None:
                try:
                    text = m.group(1).decode("utf-8")
                except UnicodeDecodeError:
                    pass
                else:
                    self.i = m.end()
                    return text
            i = self.start()
            if self.data[i] == 34:
                self.i = i + 1
                return self.parse_str()
            raise self.invalid_type("a string")
        if k == K_U64 or k == K_U32 or k == K_I64:
            return self.integer(k)
        if k == K_OPT:
            i = self.ws()
            if i < self.n and self.data[i] == 110:
                self.i = i + 1
                self.ident(b"ull")
                return None
            return self.value(s.inner)  # type: ignore[union-attr]
        if k == K_ID:
            return self.hex_id(s.nbytes, s.expecting)  # type: ignore[union-attr]
        if k == K_ATTR:
            return self.attr_value()
        if k == K_MAP:
            return self.map(s.inner)  # type: ignore[union-attr]
        if k == K_STRUCT:
            return self.struct(s)  # type: ignore[arg-type]
        if k == K_F64:
            return self.f64()
        if k == K_BOOL:
            i = self.start()
            c = self.data[i]
            if c == 116 or c == 102:
                self.i = i + 1
                self.ident(b"rue" if c == 116 else b"alse")
                return c == 116
            raise self.invalid_type("a boolean")
        if k == K_VEC:
            return self.vec(s.inner)  # type: ignore[union-attr]
        if k == K_ENUM:
            return self.enum(s)  # type: ignore[arg-type]
        if k == K_CANON:
            return self.canon_value()
        if k == K_UNTAGGED:
            return self.untagged(s)  # type: ignore[arg-type]
        raise TypeError(f"not a schema: {s!r}")  # pragma: no cover

    def integer(self, k: int) -> int:
        m = _UINT_TOKEN.match(self.data, self.i)
        if m is not None:
            v = int(m.group(1))
            if v <= (_U32_MAX if k == K_U32 else _I64_MAX):
                self.i = m.end()
                return v
        i = self.start()
        c = self.data[i]
        name = _INT_KINDS[k]
        if not (c == 45 or 48 <= c <= 57):
            raise self.invalid_type(name)
        v, self.i = self.number(i)
        if isinstance(v, float):
            raise self.fix(f"invalid type: floating point `{format_f64(v)}`, expected {name}", True)
        if (k == K_I64 and v > _I64_MAX) or (k != K_I64 and v < 0) or (k == K_U32 and v > _U32_MAX):
            raise self.fix(f"invalid value: integer `{v}`, expected {name}", True)
        return v

    def f64(self) -> float:
        i = self.start()
        c = self.data[i]
        if c == 45 or 48 <= c <= 57:
            v, end = self.number(i)
            self.i = end
            return self.float_value(v, i, end)
        if c == 110 and self.lenient:
            self.i = i + 1
            self.ident(b"ull")
            self.diag("nonfinite_null", self.path[-1] if self.path else None, "null where an f64 is required", i + 1)
            return _NAN
        raise self.invalid_type("f64")

    def hex_id(self, nbytes: int, expecting: str) -> str:
        """``observe.rs`` ids: ``deserialize_str`` with the hex visitor, then the all-zero check
        (raised after the value, so positioned by the enclosing container)."""
        m = _ID_TOKEN.match(self.data, self.i)
        if m is not None and m.end(1) - m.start(1) == 2 * nbytes:
            text = m.group(1).decode("ascii")
            if text.count("0") != len(text):
                self.i = m.end()
                return text
        i = self.start()
        if self.data[i] != 34:
            raise self.invalid_type(expecting)
        self.i = i + 1
        s = self.parse_str()
        if len(s) != 2 * nbytes or not _HEX_ID.match(s):
            if len(s.encode("utf-8")) != 2 * nbytes:
                raise self.fix("invalid id length", False)
            raise self.fix("invalid hex in id", False)
        if s.count("0") == len(s):
            if not self.lenient:
                raise Unpos("all-zero id is invalid")
            self.diag("zero_id", self.path[-1] if self.path else None, "all-zero id")
        if not _LOWER_ID.match(s):
            self.diag("non_canonical", self.path[-1] if self.path else None, "uppercase hex id", i + 1)
            return s.lower()
        return s

    def vec(self, inner: Schema) -> list[Any]:
        i = self.start()
        if self.data[i] != 91:
            raise self.invalid_type("a sequence")
        self.enter(i)
        self.i = i + 1
        out: list[Any] = []
        track = self.diags is not None
        try:
            first = True
            while self.seq_next(first):
                first = False
                if track:
                    self.path.append(str(len(out)))
                out.append(self.value(inner))
                if track:
                    self.path.pop()
        except Unpos as exc:
            raise self.fail_after(exc, 93) from None
        self.depth += 1
        self.end_seq()
        return out

    def map(self, inner: Schema) -> dict[str, Any]:
        i = self.start()
        if self.data[i] != 123:
            raise self.invalid_type("a map")
        self.enter(i)
        self.i = i + 1
        out: dict[str, Any] = {}
        track = self.diags is not None
        try:
            first = True
            data = self.data
            while True:
                key = self._fast_key(data, first)
                if key is None:
                    key = self.map_key(first)
                    if key is None:
                        break
                    self.colon()
                first = False
                if track:
                    self.path.append(key)
                    if key in out:
                        self.diag("duplicate_key", key, "repeated map key: the last value is kept")
                out[key] = self.value(inner)
                if track:
                    self.path.pop()
        except Unpos as exc:
            raise self.fail_after(exc, 125) from None
        self.depth += 1
        self.end_map()
        return out

    def _fast_key(self, data: bytes, first: bool) -> str | None:
        """``[,]"key":`` in one regex for map keys (consumes it); None leaves the slow path to
        ``map_key``/``colon`` (and their exact errors)."""
        m = (_FIRST_KEY if first else _NEXT_KEY).match(data, self.i)
        if m is None:
            return None
        try:
            key = m.group(1).decode("utf-8")
        except UnicodeDecodeError:
            return None
        self.i = m.end()
        return key

    def struct(self, st: Struct) -> dict[str, Any]:
        i = self.start()
        c = self.data[i]
        if c == 123:
            self.enter(i)
            self.i = i + 1
            try:
                vals = self._struct_fields(st)
            except Unpos as exc:
                raise self.fail_after(exc, 125) from None
            self.depth += 1
            self.end_map()
            return vals
        if c == 91:
            self.enter(i)
            self.i = i + 1
            try:
                vals = self._struct_seq(st)
            except Unpos as exc:
                raise self.fail_after(exc, 93) from None
            self.depth += 1
            self.end_seq()
            self.diag("non_canonical", None, f"struct {st.name} given as an array", i + 1)
            return vals
        raise self.invalid_type(st.expecting)

    def _struct_fields(self, st: Struct) -> dict[str, Any]:
        """serde-derive ``visit_map``: unknown keys ignored, duplicates rejected, then missing fields
        checked in declaration order."""
        fields = st.fields
        index = st.index
        vals: list[Any] = [_MISSING] * len(fields)
        track = self.diags is not None
        data = self.data
        first = True
        while True:
            # Fast path: `[,]"key":` in one regex; anything unusual goes through map_key/colon.
            m = (_FIRST_KEY if first else _NEXT_KEY).match(data, self.i)
            key: str | None = None
            if m is not None:
                try:
                    key = m.group(1).decode("utf-8")
                except UnicodeDecodeError:
                    m = None
            if m is not None:
                key_end = m.end(1) + 1
                self.i = m.end()
            else:
                key = self.map_key(first)
                if key is None:
                    break
                key_end = self.i
            first = False
            idx = index.get(key)  # type: ignore[arg-type]
            if idx is None:
                if m is None:
                    self.colon()
                self.ignore_value()
                self.diag("unknown_field", key, f"unknown field of {st.name} ignored", key_end)
                continue
            if vals[idx] is not _MISSING:
                if not self.lenient:
                    self.i = key_end  # serde raises before the colon is read
                    raise Unpos(f"duplicate field `{fields[idx].name}`")
                self.diag("duplicate_field", key, "repeated struct field: upstream fails, the last value is kept")
            if m is None:
                self.colon()
            if track:
                self.path.append(key)  # type: ignore[arg-type]
                vals[idx] = self.value(fields[idx].schema)
                self.path.pop()
            else:
                vals[idx] = self.value(fields[idx].schema)
        out: dict[str, Any] = {}
        for f, v in zip(fields, vals, strict=True):
            if v is _MISSING:
                if f.presence == "required":
                    raise Unpos(f"missing field `{f.name}`")
                v = f.default_value()
            out[f.name] = v
        return out

    def _struct_seq(self, st: Struct) -> dict[str, Any]:
        """serde-derive ``visit_seq``: elements are the fields in declaration order."""
        out: dict[str, Any] = {}
        first = True
        for index, f in enumerate(st.fields):
            if self.seq_next(first):
                first = False
                out[f.name] = self.value(f.schema)
            elif f.presence == "default":
                out[f.name] = f.default_value()
            else:
                raise Unpos(f"invalid length {index}, expected struct {st.name} with {len(st.fields)} elements")
        return out

    def enum(self, en: Enum) -> Any:
        """``deserialize_enum``: a variant string, or a one-key object ``{"variant": value}``. Not a
        position-fixing site: type errors here are stamped by the enclosing container."""
        data = self.data
        i = self.start()
        c = data[i]
        if c == 34:
            self.i = i + 1
            name = self.parse_str()
            if name not in en.variants:
                raise self.fix(unknown_variant(name, en.variants), False)
            if name in en.newtype:
                raise Unpos("invalid type: unit variant, expected newtype variant")
            return name
        if c != 123:
            raise self.err_peek("expected value")
        self.enter(i)
        self.i = i + 1
        j = self.start()
        if data[j] != 34:
            raise self.invalid_type("variant identifier")
        self.i = j + 1
        name = self.parse_str()
        if name not in en.variants:
            raise self.fix(unknown_variant(name, en.variants), False)
        self.colon()
        if name in en.newtype:
            value: Any = {name: self.value(STR)}
        else:
            j = self.start()
            if data[j] != 110:
                raise self.invalid_type("unit")
            self.i = j + 1
            self.ident(b"ull")
            value = name
            self.diag("non_canonical", name, f"unit variant of {en.name} given as an object", i + 1)
        self.depth += 1
        j = self.ws()
        if j < self.n and data[j] == 125:
            self.i = j + 1
            return value
        if j >= self.n:
            raise self.fix("EOF while parsing an object", False)
        raise self.fix("expected value", True)




def decode(
    data: bytes | str,
    schema: Schema,
    *,
    reader: Literal["slice", "io"] = "slice",
    floats: Literal["exact", "upstream"] = "exact",
    lenient: bool = False,
    diagnostics: list[Diagnostic] | None = None,
) -> Any:
    """Read one JSON text as upstream's ``serde_json`` would read it into ``schema``.

    ``lenient=False`` raises :class:`JsonError` exactly where and as upstream would. ``lenient=True``
    is swarmview's reading (duplicate struct fields keep the last value, ``null`` where an f64 or an
    AttrValue is required becomes NaN, all-zero ids are accepted), each such case recorded in
    ``diagnostics`` (when given) together with duplicate map keys, unknown fields and non-canonical
    forms. ``floats="exact"`` keeps ``float()`` of each number text; ``"upstream"`` the double
    upstream computes (§2.7).
    """
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    parser = _Parser(bytes(data), reader == "io", floats == "upstream", lenient, diagnostics)
    try:
        value = parser.value(schema)
    except Unpos as exc:
        raise JsonError(exc.message, 0, 0, None, suffix=False) from None
    i = parser.ws()
    if i < parser.n:
        raise parser.err_peek("trailing characters")
    return value

