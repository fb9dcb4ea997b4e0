"""What the strict reader reports: serde_json's error (text + position) and non-fatal diagnostics."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Diagnostic", "JsonError"]


class JsonError(Exception):
    """A serde_json error exactly as upstream would report it.

    ``message`` has no position; ``line``/``column`` follow serde_json's rules (§2.6: columns count
    bytes, column 0 names an LF); ``offset`` is the byte offset of the named byte (None for empty
    input or position-less errors); ``suffix`` is False for errors serde_json reports without
    position (the untagged mismatch of a whole materialization line).
    """

    def __init__(self, message: str, line: int, column: int, offset: int | None, suffix: bool = True) -> None:
        self.message = message
        self.line = line
        self.column = column
        self.offset = offset
        self.suffix = suffix
        super().__init__(self.serde_text())

    def serde_text(self) -> str:
        """``message at line L column C`` (serde_json's Display), or just the message."""
        if not self.suffix:
            return self.message
        return f"{self.message} at line {self.line} column {self.column}"


@dataclass(frozen=True)
class Diagnostic:
    """A non-fatal observation made while decoding.

    ``kind``: ``duplicate_field`` (struct key repeated: upstream fails, lenient keeps the last),
    ``duplicate_key`` (map key repeated: upstream keeps the last), ``unknown_field``,
    ``nonfinite_null`` (``null`` where an f64/AttrValue is required, read as NaN in lenient mode),
    ``zero_id`` (all-zero id accepted in lenient mode), ``non_canonical`` (array-form struct,
    object-form unit enum, uppercase id), ``compat_v1_fallback`` (a line carrying V2 keys that
    upstream reads as a V1 materialization, F-18).
    """

    kind: str
    path: str
    key: str | None
    line: int
    column: int
    detail: str
