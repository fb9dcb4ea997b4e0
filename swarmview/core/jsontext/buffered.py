"""Values serde buffers before deciding what they are (``Content``): untagged enums.

``AttrValue``, ``CanonValue`` and ``MaterializationRecordCompat`` are untagged: serde first reads
the whole value with ``deserialize_any`` (spending depth, validating every string), then tries the
variants in order on the buffer. Scalars are decided directly here; containers are buffered as
lists and :class:`CMap` pair lists and matched by :mod:`.content`.
"""

from __future__ import annotations

import re
from typing import Any

from .content import CMap, Mismatch, match_content
from .encode import U64
from .errors import Diagnostic
from .lexer import Lexer, Unpos
from .schema import Untagged

__all__ = ["BufferedReader"]

_I64_MAX = (1 << 63) - 1
_NAN = float("nan")
_STR_TOKEN = re.compile(rb'[ \t\n\r]*"([^"\\\x00-\x1f]*)"')


class BufferedReader(Lexer):
    """Content buffering and the three untagged types on top of the byte-level lexer."""

    def content(self) -> Any:
        """serde's ``Content`` buffering (``deserialize_any``): every container counts against the
        depth budget and every string is validated. Objects become :class:`CMap` (order and
        duplicates kept)."""
        data = self.data
        i = self.start()
        c = data[i]
        if c == 34:
            self.i = i + 1
            return self.parse_str()
        if c == 45 or 48 <= c <= 57:
            v, end = self.number(i)
            self.i = end
            if isinstance(v, float) and not self.upstream:
                return float(data[i:end])
            return v
        if c == 110 or c == 116 or c == 102:
            self.i = i + 1
            self.ident(b"ull" if c == 110 else b"rue" if c == 116 else b"alse")
            return None if c == 110 else c == 116
        if c == 91:
            self.enter(i)
            self.i = i + 1
            items: list[Any] = []
            first = True
            while self.seq_next(first):
                first = False
                items.append(self.content())
            self.depth += 1
            self.end_seq()
            return items
        if c == 123:
            self.enter(i)
            self.i = i + 1
            pairs = CMap()
            first = True
            while True:
                key = self.map_key(first)
                if key is None:
                    break
                first = False
                self.colon()
                pairs.append((key, self.content()))
            self.depth += 1
            self.end_map()
            return pairs
        raise self.err_peek("expected value")

    def attr_value(self) -> Any:
        """``AttrValue`` (Str, Bool, I64, U64, F64; untagged): scalars are decided directly, the
        rest is buffered (spending depth) and then fails to match."""
        data = self.data
        m = _STR_TOKEN.match(data, self.i)
        if m is not None:
            try:
                text = m.group(1).decode("utf-8")
            except UnicodeDecodeError:
                pass
            else:
                self.i = m.end()
                return text
        i = self.start()
        c = data[i]
        if c == 34:
            self.i = i + 1
            return self.parse_str()
        if c == 45 or 48 <= c <= 57:
            v, end = self.number(i)
            self.i = end
            if isinstance(v, float):
                return v if self.upstream else float(data[i:end])
            return U64(v) if v > _I64_MAX else v
        if c == 116 or c == 102:
            self.i = i + 1
            self.ident(b"rue" if c == 116 else b"alse")
            return c == 116
        self.content()
        if c == 110 and self.lenient:
            self.diag("nonfinite_null", self.path[-1] if self.path else None, "null attribute value (NaN/inf as written)", i + 1)
            return _NAN
        raise Unpos("data did not match any variant of untagged enum AttrValue")

    def canon_value(self) -> Any:
        """``CanonValue``: every JSON value matches a variant; objects keep the last duplicate."""
        data = self.data
        i = self.start()
        c = data[i]
        if c == 34:
            self.i = i + 1
            return self.parse_str()
        if c == 45 or 48 <= c <= 57:
            v, end = self.number(i)
            self.i = end
            if isinstance(v, float):
                return v if self.upstream else float(data[i:end])
            return U64(v) if v > _I64_MAX else v
        return self._canon_from_content(self.content())

    def _canon_from_content(self, v: Any) -> Any:
        if isinstance(v, CMap):
            out: dict[str, Any] = {}
            for key, item in v:
                if key in out:
                    self.diag("duplicate_key", key, "repeated param key: the last value is kept")
                out[key] = self._canon_from_content(item)
            return out
        if isinstance(v, list):
            return [self._canon_from_content(x) for x in v]
        if type(v) is int and v > _I64_MAX:
            return U64(v)
        return v

    def untagged(self, un: Untagged) -> Any:
        """``MaterializationRecordCompat``: buffer the value, try V2 then V1 (§11.3)."""
        start = self.i
        content = self.content()
        v2, v1 = un.variants
        diags: list[Diagnostic] = []
        sink = diags if self.diags is not None else None
        try:
            value = match_content(content, v2, strict=True, sink=sink)
            value["__variant__"] = "V2"
            self._adopt(diags, start)
            return value
        except Mismatch as exc:
            why_v2 = str(exc)
        diags.clear()
        try:
            value = match_content(content, v1, strict=True, sink=sink)
        except Mismatch:
            value = None
        if value is None and self.lenient:
            for variant, tag in ((v2, "V2"), (v1, "V1")):
                diags.clear()
                try:
                    value = match_content(content, variant, strict=False, sink=sink)
                    value["__variant__"] = tag
                    self._adopt(diags, start)
                    return value
                except Mismatch:
                    continue
        if value is None:
            raise Unpos(f"data did not match any variant of untagged enum {un.name}")
        value["__variant__"] = "V1"
        v2_only = {f.name for f in v2.fields} - {f.name for f in v1.fields}
        keys = {k for k, _ in content} if isinstance(content, CMap) else set()
        if keys & v2_only or value.get("schema_version") == 2:
            self.diag("compat_v1_fallback", None, f"read as V1 because V2 failed: {why_v2}", start + 1)
        self._adopt(diags, start)
        return value

    def _adopt(self, diags: list[Diagnostic], start: int) -> None:
        """Diagnostics from content matching have no byte position: give them the value's start."""
        if self.diags is None:
            return
        line, col = self.linecol(start + 1)
        prefix = "/".join(self.path)
        for d in diags:
            path = f"{prefix}/{d.path}" if prefix and d.path else prefix or d.path
            self.diags.append(Diagnostic(d.kind, path, d.key, line, col, d.detail))
