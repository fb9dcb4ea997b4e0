"""Bundle root discovery and batch discovery (VERIFY.md §1, §2)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from swarmview.core.bundle import discover_bundles, find_bundle_root
from swarmview.core.errors import NotABundleError
from tests.helpers import copy_fixture


def test_root_from_folder_run_json_and_deep_file(tmp_path: Path) -> None:
    root = copy_fixture("rich", tmp_path)
    assert find_bundle_root(root) == root
    assert find_bundle_root(root / "run.json") == root
    assert find_bundle_root(root / "manifest.json") == root
    assert find_bundle_root(root / "datasets") == root
    assert find_bundle_root(root / "artifacts" / "model" / "checkpoint-0003.bin") == root


def test_rich_skipped_names_user_manifest_resolves_to_run_root(tmp_path: Path) -> None:
    """artifacts/export/manifest.json is a user file: walking up looks for run.json only."""
    root = copy_fixture("rich_skipped_names", tmp_path)
    assert find_bundle_root(root / "artifacts" / "export" / "manifest.json") == root
    assert find_bundle_root(root / "artifacts" / "upload.part.tmp") == root
    assert find_bundle_root(root / "artifacts") == root
    # §1 taken literally: a *folder* given as PATH that holds manifest.json is itself the root
    assert find_bundle_root(root / "artifacts" / "export") == root / "artifacts" / "export"


def test_folder_holding_only_manifest_is_a_root(tmp_path: Path) -> None:
    """PATH itself is the root when it holds manifest.json, even without run.json (§1)."""
    root = copy_fixture("minimal", tmp_path)
    (root / "run.json").unlink()
    assert find_bundle_root(root) == root
    # ... but walking up from inside it does not stop at a manifest-only folder
    (root / "artifacts").mkdir(exist_ok=True)
    with pytest.raises(NotABundleError):
        find_bundle_root(root / "artifacts")


def test_unfinalized_is_a_bundle(tmp_path: Path) -> None:
    root = copy_fixture("unfinalized", tmp_path)
    assert find_bundle_root(root / "spans.ndjson") == root


def test_relative_path_is_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_fixture("minimal", tmp_path)
    monkeypatch.chdir(root / "datasets")
    assert find_bundle_root("registry.json") == root
    assert find_bundle_root("..") == root


def test_missing_path_is_not_a_bundle(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(NotABundleError, match="nope"):
        find_bundle_root(missing)


def test_folder_without_bundle_is_not_a_bundle(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "manifest.json").write_text("{}")
    with pytest.raises(NotABundleError, match=r"no run\.json"):
        find_bundle_root(tmp_path / "a" / "manifest.json")


def test_discover_runs_layout_in_byte_order(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    b = copy_fixture("minimal", runs)
    a = copy_fixture("rich_skipped_names", runs)
    c = copy_fixture("unfinalized", runs)
    found = list(discover_bundles(tmp_path))
    assert found == sorted([a, b, c], key=lambda p: os.fsencode(p.name))
    # a found bundle is not descended into: rich_skipped_names/artifacts/export/manifest.json is not a run
    assert all(p.parent == runs for p in found)


def test_discover_path_that_is_a_bundle(tmp_path: Path) -> None:
    root = copy_fixture("minimal", tmp_path)
    assert list(discover_bundles(root)) == [root]


def test_discover_depth_limit_and_symlinks(tmp_path: Path) -> None:
    deep = tmp_path
    for i in range(9):
        deep = deep / f"d{i}"
    deep.mkdir(parents=True)
    copy_fixture("minimal", deep)  # 10 folders below tmp_path
    shallow = tmp_path / "x"
    shallow.mkdir()
    near = copy_fixture("minimal_session", shallow)
    (tmp_path / "link").symlink_to(shallow, target_is_directory=True)
    assert list(discover_bundles(tmp_path)) == [near]
    assert len(list(discover_bundles(tmp_path, max_depth=10))) == 2


def test_discover_is_lazy(tmp_path: Path) -> None:
    copy_fixture("minimal", tmp_path)
    gen = discover_bundles(tmp_path)
    assert next(gen) == tmp_path / "minimal"
    with pytest.raises(StopIteration):
        next(gen)


def test_discover_reports_unlistable_folders(tmp_path: Path) -> None:
    errors: list[tuple[str, str]] = []
    assert list(discover_bundles(tmp_path / "missing", errors=errors)) == []
    assert errors and errors[0][0].endswith("missing")
