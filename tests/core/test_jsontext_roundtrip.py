"""VERIFY.md §12: decoding and re-encoding reproduces upstream's bytes (B-009…B-013, B-035)."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest

from swarmview.core.jsontext import Diagnostic, JsonError, decode, dumps_compact, dumps_pretty
from swarmview.core.jsontext import types as T
from tests.helpers import FIXTURES

EXACT = ["minimal", "minimal_session", "rich", "nonfinite", "nonfinite_attr", "nonfinite_param", "u64_param_roundtrip",
         "unfinalized", "crashed_midrun", "midrun_always", "descriptor_bounds_warning", "legacy_alpha6",
         "legacy_alpha6_migrated", "rich_missing_artifact", "rich_skipped_names", "minimal_extra_unlisted",
         "minimal_symlink_inside"]
HAND_EDITED = ["rich_byte_flip", "rich_truncated", "rich_noncanonical_paths", "rich_snapshot_mismatch",
               "rich_ndjson_corrupt", "rich_uppercase_ids", "minimal_wrong_size", "minimal_path_parent",
               "minimal_path_leading_dot", "minimal_path_backslash", "minimal_path_absolute",
               "minimal_required_noncanonical", "minimal_dup_keys_manifest", "minimal_bom_manifest",
               "minimal_schema_version_2"]
PRETTY = {"run.json": (T.RUN_FILE_V1, "io"), "manifest.json": (T.MANIFEST_V1, "io"), "graph.json": (T.GRAPH_V1, "slice"),
          "datasets/registry.json": (T.DATASET_REGISTRY_V1, "slice"), "datasets/lineage.json": (T.DATASET_LINEAGE_V1, "slice"),
          "datasets/snapshot_pair_commit.json": (T.SNAPSHOT_PAIR_COMMIT_V1, "slice")}
NDJSON = {"spans.ndjson": T.SPAN_RECORD, "events.ndjson": T.EVENT_RECORD, "metrics.ndjson": T.METRIC_RECORD,
          "datasets/materializations.ndjson": T.MATERIALIZATION_COMPAT, "datasets/registry_updates.ndjson": T.DATASET_ENTRY_V1,
          "datasets/lineage_edges.ndjson": T.LINEAGE_EDGE_V1}


def _mismatches(root: Path) -> tuple[int, list[str]]:
    """Re-serialize every JSON file and NDJSON line; return (items checked, items that differ)."""
    checked, differ = 0, []
    for rel, (schema, reader) in PRETTY.items():
        path = root / rel
        if not path.is_file():
            continue
        raw = path.read_bytes()
        checked += 1
        try:
            value = decode(raw, schema, reader=reader, lenient=True)  # type: ignore[arg-type]
        except JsonError as exc:
            differ.append(f"{rel}: {exc}")
            continue
        if dumps_pretty(value, schema) != raw:
            differ.append(rel)
    for rel, schema in NDJSON.items():
        path = root / rel
        if not path.is_file():
            continue
        for n, line in enumerate(path.read_bytes().split(b"\n"), 1):
            if not line:
                continue
            checked += 1
            try:
                value = decode(line, schema, lenient=True)
            except JsonError as exc:
                differ.append(f"{rel}:{n}: {exc}")
                continue
            if dumps_compact(value, schema) != line:
                differ.append(f"{rel}:{n}")
    return checked, differ


@pytest.mark.parametrize("name", EXACT)
def test_byte_exact_reserialization(name: str) -> None:
    """VERIFY §12: fixtures written through upstream's API re-serialize byte for byte (B-009…B-013)."""
    checked, differ = _mismatches(FIXTURES / name)
    assert checked > 0
    assert differ == []


def test_rich_counts() -> None:
    """All 2,009 metric lines of `rich` re-serialize with `float()` values (§2.7)."""
    lines = (FIXTURES / "rich" / "metrics.ndjson").read_bytes().splitlines()
    assert len(lines) == 2009
    assert all(dumps_compact(decode(x, T.METRIC_RECORD), T.METRIC_RECORD) == x for x in lines)
    upstream = sum(dumps_compact(decode(x, T.METRIC_RECORD, floats="upstream"), T.METRIC_RECORD) != x for x in lines)
    assert upstream == 230  # §2.7: with the emulation, 230 of them do not


def test_hand_edited_fixtures_differ_only_where_verify_says() -> None:
    """VERIFY §12: the hand-edited copies re-serialize exactly except the listed places."""
    expected_failures = {
        "minimal_bom_manifest": {"manifest.json"}, "minimal_dup_keys_manifest": {"manifest.json"},
        "rich_ndjson_corrupt": {"events.ndjson:5"}, "rich_truncated": {"spans.ndjson:90"},
    }
    for name in HAND_EDITED:
        _, differ = _mismatches(FIXTURES / name)
        places = {d.split(": ")[0] for d in differ}
        if name == "rich_uppercase_ids":
            prefixes = {p.split(":")[0] for p in places}
            assert prefixes == {"run.json", "manifest.json", "spans.ndjson", "events.ndjson",
                                "datasets/lineage_edges.ndjson", "datasets/materializations.ndjson"}
            continue
        assert places == expected_failures.get(name, set()), name


def test_uppercase_ids_read_and_reported() -> None:
    """B-035 on the fixture: uppercase ids are accepted, come back lowercase, and are reported."""
    line = (FIXTURES / "rich_uppercase_ids" / "spans.ndjson").read_bytes().split(b"\n")[0]
    diags: list[Diagnostic] = []
    span = decode(line, T.SPAN_RECORD, diagnostics=diags)
    assert span["trace_id"] == span["trace_id"].lower()
    assert {d.kind for d in diags} == {"non_canonical"}
    lowered = re.sub(rb'"(trace_id|span_id|parent_span_id)":"([0-9A-Fa-f]+)"', lambda m: m.group(0).lower(), line)
    assert lowered != line and dumps_compact(span, T.SPAN_RECORD) == lowered
    run = decode((FIXTURES / "rich_uppercase_ids" / "run.json").read_bytes(), T.RUN_FILE_V1, reader="io")
    assert run["run_id"] == run["run_id"].lower()


def test_nonfinite_fixtures_strict_vs_lenient() -> None:
    """F-08: upstream's strict read fails on the `null`s (texts of the verdicts); lenient reads NaN."""
    metrics = (FIXTURES / "nonfinite" / "metrics.ndjson").read_bytes().split(b"\n")
    with pytest.raises(JsonError) as exc:
        decode(metrics[1], T.METRIC_RECORD)
    assert exc.value.serde_text() == "invalid type: null, expected f64 at line 1 column 149"
    values = [decode(x, T.METRIC_RECORD, lenient=True)["value"] for x in metrics if x]
    assert sum(math.isnan(v) for v in values) == 3
    spans = (FIXTURES / "nonfinite_attr" / "spans.ndjson").read_bytes().split(b"\n")
    with pytest.raises(JsonError) as exc:
        decode(spans[1], T.SPAN_RECORD)
    assert exc.value.serde_text() == "data did not match any variant of untagged enum AttrValue at line 1 column 232"
    diags: list[Diagnostic] = []
    attrs: dict[str, Any] = decode(spans[1], T.SPAN_RECORD, lenient=True, diagnostics=diags)["attrs"]
    assert sorted(d.key for d in diags if d.kind == "nonfinite_null") == ["grad_norm", "lr"]  # type: ignore[type-var]
    assert all(math.isnan(attrs[k]) for k in ("grad_norm", "lr"))


def test_legacy_v1_materializations_stay_v1() -> None:
    """§11.3: legacy V1 lines are read as V1 and written back as V1 (no V2 conversion here)."""
    lines = (FIXTURES / "legacy_alpha6" / "datasets" / "materializations.ndjson").read_bytes().splitlines()
    assert lines
    for line in lines:
        rec = decode(line, T.MATERIALIZATION_COMPAT)
        assert rec["__variant__"] == "V1"
        assert dumps_compact(rec, T.MATERIALIZATION_COMPAT) == line


def test_manifest_fixture_errors() -> None:
    """The two manifests that do not parse fail with the validator's texts (read through `io`)."""
    dup = (FIXTURES / "minimal_dup_keys_manifest" / "manifest.json").read_bytes()
    with pytest.raises(JsonError, match=r"^duplicate field `hash_algo` at line 5 column 14$"):
        decode(dup, T.MANIFEST_V1, reader="io")
    bom = (FIXTURES / "minimal_bom_manifest" / "manifest.json").read_bytes()
    with pytest.raises(JsonError, match=r"^expected value at line 1 column 1$"):
        decode(bom, T.MANIFEST_V1, reader="io")
    torn = (FIXTURES / "rich_ndjson_corrupt" / "events.ndjson").read_bytes().split(b"\n")[4]
    with pytest.raises(JsonError, match=r"^EOF while parsing a string at line 1 column 240$"):
        decode(torn, T.EVENT_RECORD)
