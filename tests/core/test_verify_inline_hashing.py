"""One hashing worker runs inline (no pool per run in batches) and gives the same report as a pool."""

from __future__ import annotations

from pathlib import Path

import pytest

from swarmview.core.verify.engine import run_verify
from tests.helpers import copy_fixture


@pytest.mark.parametrize("name", ["rich", "crashed_midrun", "rich_byte_flip", "minimal_extra_unlisted"])
def test_inline_and_pooled_hashing_agree(tmp_path: Path, name: str) -> None:
    root = copy_fixture(name, tmp_path)
    inline, pooled = run_verify(root, workers=1), run_verify(root, workers=4)
    a, b = inline.to_json(), pooled.to_json()
    a.pop("elapsed_s"), b.pop("elapsed_s")
    assert a == b
    assert inline.bytes_hashed > 0
