"""Reading vector/fixture JSON the way upstream types it, for the identity tests (§2.7, §4.4, §7.3).

Fixtures and typed vectors go through ``jsontext.decode`` (what the loader hands the identity layer);
untyped JSON uses ``json.loads`` with upstream's number typing (``jsontext.parse_number_upstream``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from swarmview.core.jsontext import TYPES_BY_NAME, decode, parse_number_upstream
from swarmview.core.jsontext.encode import U64
from tests.helpers import VECTORS

__all__ = [
    "U64",
    "decode_as",
    "fixture_graphs",
    "load_ndjson",
    "read_ndjson_pairs",
    "strip_omitted",
    "upstream_loads",
]

U64_MAX = (1 << 64) - 1
I64_MIN = -(1 << 63)


def _exact_int(text: str) -> int | float:
    """Integer text typed as upstream's reader types it (§4.4), with the correctly rounded double when it is a float."""
    n = int(text)
    if text.startswith("-") and n == 0:
        return -0.0
    if n > U64_MAX or n < I64_MIN:
        return float(n)
    return n


def upstream_loads(text: str | bytes, floats: Literal["exact", "upstream"] = "upstream") -> Any:
    """``json.loads`` with upstream's number typing; ``floats="exact"`` keeps correctly rounded doubles."""
    if floats == "upstream":
        return json.loads(text, parse_int=parse_number_upstream, parse_float=parse_number_upstream)
    return json.loads(text, parse_int=_exact_int)


def decode_as(data: str | bytes, type_name: str, floats: Literal["exact", "upstream"] = "upstream") -> Any:
    """``jsontext.decode`` with the named upstream type: every field present, ids lowercase."""
    return decode(data, TYPES_BY_NAME[type_name], floats=floats)


def load_ndjson(name: str) -> list[dict[str, Any]]:
    return [
        json.loads(line) for line in (VECTORS / name).read_text(encoding="utf-8").split("\n") if line.strip()
    ]


def read_ndjson_pairs(path: Path, type_name: str) -> list[tuple[int, Any]]:
    """(1-based line, value) for every non-blank line, as upstream numbers them (§16.2)."""
    if not path.exists():
        return []
    text = path.read_bytes().decode("utf-8")
    return [(i, decode_as(line, type_name)) for i, line in enumerate(text.split("\n"), 1) if line.strip()]


def fixture_graphs(bundle: Path) -> tuple[Any, Any]:
    """``graph.json`` decoded with correctly rounded floats and with upstream's (§2.7)."""
    data = (bundle / "graph.json").read_bytes()
    return decode_as(data, "GraphV1", "exact"), decode_as(data, "GraphV1", "upstream")


def strip_omitted(value: Any) -> Any:
    """Drop ``None`` and empty-list fields (what upstream's writer omits) for comparing with its JSON output."""
    if isinstance(value, dict):
        return {
            k: strip_omitted(v) for k, v in value.items() if v is not None and v != [] and k != "__variant__"
        }
    if isinstance(value, list):
        return [strip_omitted(v) for v in value]
    return value


def _typed(value: Any) -> Any:
    """A value with its Python types made visible (so 1, 1.0 and True compare unequal)."""
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    if isinstance(value, U64) and value > (1 << 63) - 1:
        return ("int", repr(int(value)))  # read as U64 either way: the marker is optional above i64::MAX
    return (type(value).__name__, repr(value))


def test_helper_reading_agrees_with_the_decoder() -> None:
    """The untyped helper reading (json + upstream numbers) types every vector param as ``jsontext.decode`` does,
    so hashes computed in these tests from either are the loader's (§4.4, §7.3)."""
    for name in ("node_def_postcard_v1.ndjson", "node_def_postcard_v1_floats.ndjson"):
        for vec in load_ndjson(name):
            for floats in ("exact", "upstream"):
                helper = upstream_loads(vec["node_json"], floats)["params"]  # type: ignore[arg-type]
                decoded = decode_as(vec["node_json"], "NodeV1", floats)["params"]  # type: ignore[arg-type]
                assert _typed(helper) == _typed(decoded), vec["case"]
