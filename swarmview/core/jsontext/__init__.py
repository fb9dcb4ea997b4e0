"""Strict JSON in (serde_json emulation) and upstream-identical JSON out, driven by one schema."""

from __future__ import annotations

from .decode import Diagnostic, JsonError, decode
from .encode import U64, EncodeError, dumps_compact, dumps_pretty
from .floatfmt import format_f64
from .numparse import parse_number_upstream
from .types import TYPES_BY_NAME

__all__ = [
    "TYPES_BY_NAME",
    "U64",
    "Diagnostic",
    "EncodeError",
    "JsonError",
    "decode",
    "dumps_compact",
    "dumps_pretty",
    "format_f64",
    "parse_number_upstream",
]
