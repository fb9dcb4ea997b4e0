"""CSV and Parquet tables equal the source exactly, u64 timestamps included (issue 9 §4)."""

from __future__ import annotations

import csv
import json
import math
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from swarmview.core.bundle import load_bundle
from swarmview.core.records.tables import span_hex
from tests.helpers import copy_fixture


def export(root: Path, fmt: str, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "swarmview", "export", str(root), "--format", fmt, "-o", str(out)],
        capture_output=True, text=True, timeout=300,
    )


def bits(x: float) -> bytes:
    return struct.pack("<d", x)


@pytest.mark.parametrize("fixture", ["rich", "nonfinite"])
def test_csv_values_equal_the_source_exactly(tmp_path: Path, fixture: str) -> None:
    root = copy_fixture(fixture, tmp_path)
    out = tmp_path / "csv"
    assert export(root, "csv", out).returncode == 0
    bundle = load_bundle(root)
    with open(out / "spans.csv", newline="") as fh:
        spans = list(csv.DictReader(fh))
    assert len(spans) == len(bundle.spans)
    for row, rec in enumerate(spans):
        assert int(rec["start_unix_nanos"]) == int(bundle.spans.start[row])
        assert rec["span_id"] == span_hex(bundle.spans.span_id[row])
        assert (rec["end_unix_nanos"] == "") == (not bundle.spans.has_end[row])
        assert json.loads(rec["attrs"]) == bundle.spans.attrs.get(row)
    with open(out / "metrics.csv", newline="") as fh:
        metrics = list(csv.DictReader(fh))
    assert len(metrics) == len(bundle.metrics)
    for row, rec in enumerate(metrics):
        source = float(bundle.metrics.value[row])
        value = float(rec["value"])
        assert (math.isnan(source) and math.isnan(value)) or bits(value) == bits(source)
        assert int(rec["ts_unix_nanos"]) == int(bundle.metrics.ts[row])
        assert int(rec["line"]) == int(bundle.metrics.line[row])
    with open(out / "materializations.csv", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == len(bundle.materializations)


def test_parquet_values_equal_the_source_exactly(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    root = copy_fixture("rich", tmp_path)
    out = tmp_path / "pq"
    result = export(root, "parquet", out)
    assert result.returncode == 0, result.stderr
    bundle = load_bundle(root)
    spans = pq.read_table(out / "spans.parquet")
    assert str(spans.schema.field("start_unix_nanos").type) == "uint64"
    assert spans.column("start_unix_nanos").to_pylist() == [int(v) for v in bundle.spans.start]
    metrics = pq.read_table(out / "metrics.parquet")
    assert [bits(v) for v in metrics.column("value").to_pylist()] == [bits(float(v)) for v in bundle.metrics.value]
    mats = pq.read_table(out / "materializations.parquet")
    assert mats.num_rows == len(bundle.materializations) == 15
    assert mats.column("asset_key").to_pylist() == [m["asset_key"] for m in bundle.materializations]


def test_existing_output_folder_is_refused_and_kept(tmp_path: Path) -> None:
    root = copy_fixture("minimal", tmp_path)
    out = tmp_path / "busy"
    out.mkdir()
    (out / "mine.txt").write_text("mine")
    result = export(root, "csv", out)
    assert result.returncode == 3 and "already exists" in result.stderr
    assert [p.name for p in out.iterdir()] == ["mine.txt"]
