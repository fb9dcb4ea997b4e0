"""Hex identifiers of ``observe.rs`` (BUNDLE_FORMAT §3.1): what upstream's reader accepts.

Kept outside ``jsontext`` because loaders that read with orjson (the fast path) validate ids here
with the exact serde texts.
"""

from __future__ import annotations

import re

__all__ = ["NODE_ID", "RUN_ID", "SPAN_ID", "TRACE_ID", "id_error", "is_canonical_id"]

TRACE_ID = 16
SPAN_ID = 8
RUN_ID = 16
NODE_ID = 16

_HEX = re.compile(r"[0-9a-fA-F]*\Z")
_LOWER_HEX = re.compile(r"[0-9a-f]*\Z")


def id_error(text: str, nbytes: int) -> str | None:
    """The serde message upstream raises for ``text`` as an id of ``nbytes`` bytes, or None if valid.

    Order as in ``parse_hex_exact``: byte length first, then hex digits (either case), then all-zero.
    """
    if len(text.encode("utf-8")) != 2 * nbytes:
        return "invalid id length"
    if not _HEX.match(text):
        return "invalid hex in id"
    if text.strip("0") == "":
        return "all-zero id is invalid"
    return None


def is_canonical_id(text: str) -> bool:
    """True when ``text`` is already how upstream writes ids (lowercase hex)."""
    return bool(_LOWER_HEX.match(text))
