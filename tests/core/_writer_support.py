"""Helpers shared by the writer and demo tests: tree comparison and upstream's validator."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import FIXTURES

#: The fixtures' frozen clock (README: 2026-04-06T12:00:00Z).
FIXTURE_CLOCK = 1_775_476_800_000_000_000
SEC = 1_000_000_000


def file_tree(root: Path) -> dict[str, bytes]:
    """Every regular file below ``root`` (relative posix path → bytes)."""
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            p = Path(dirpath, name)
            out[p.relative_to(root).as_posix()] = p.read_bytes()
    return out


def assert_same_tree(made: Path, fixture: str) -> None:
    """Every file of the fixture exists in ``made`` with identical bytes, and nothing else."""
    expected = file_tree(FIXTURES / fixture)
    got = file_tree(made)
    assert sorted(got) == sorted(expected)
    for rel, data in expected.items():
        assert got[rel] == data, f"{fixture}: {rel} differs"


def upstream_verdict(root: Path) -> tuple[dict, dict]:
    """``open`` and ``validate_manifest`` as upstream would judge ``root`` (skips if not available yet)."""
    mod = pytest.importorskip("swarmview.core.verify.upstream_validate")
    return mod.upstream_stages(root)


def assert_upstream_valid(root: Path) -> None:
    opened, validated = upstream_verdict(root)
    assert opened["ok"] is True, opened
    assert validated["ok"] is True, validated
