"""Series identity works on attr text: removing ``step`` anywhere in the map keeps canonical JSON (VERIFY.md §11)."""

from __future__ import annotations

import orjson
import pytest

from swarmview.core.records.series import _split_step


@pytest.mark.parametrize(
    ("attrs", "step"),
    [
        ({"step": 3}, 3),
        ({"i": 1, "step": -2}, -2),
        ({"a": "x", "step": 7, "swarmtorch.peer_id": "p"}, 7),
        ({"step": 1.0, "z": 1}, None),  # a float step is an ordinary attribute
        ({"step": "3"}, None),
        ({"k": 'v"step":9}'}, None),  # inside a string value: escaped, never matched
    ],
)
def test_step_is_split_from_the_identity_text(attrs: dict, step: int | None) -> None:
    text = orjson.dumps(dict(sorted(attrs.items())))
    rest, found = _split_step(text)
    assert found == step
    expected = {k: v for k, v in attrs.items() if not (k == "step" and type(v) is int)}
    assert orjson.loads(rest) == expected
