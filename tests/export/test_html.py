"""The HTML report: upstream's page reproduced exactly, plus what upstream hides (issue 9 §5)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from swarmview.core.bundle import load_bundle
from swarmview.core.writer import BundleWriter
from swarmview.export.html_upstream import escape_html, rust_display_f64, timeline_rows, upstream_page
from tests.helpers import VERDICTS, copy_fixture

RUN = "0123456789abcdef0123456789abcdef"
TRACE = "11111111111111111111111111111111"
FP = "ab" * 32


@pytest.mark.parametrize("name", ["rich", "minimal"])
def test_upstream_sections_are_byte_identical_to_swarm_torch_report(tmp_path: Path, name: str) -> None:
    """B-147, B-148, B-149, B-150: the page upstream's report binary wrote for the fixture, byte for byte."""
    root = copy_fixture(name, tmp_path)
    assert upstream_page(load_bundle(root), name) == (VERDICTS / f"{name}.html").read_text(encoding="utf-8")


def node(key: str, inputs: list[str], outputs: list[str], trust: str = "core") -> dict:
    return {"node_key": key, "op_kind": "data", "op_type": "transform",
            "inputs": [{"asset_key": a} for a in inputs], "outputs": [{"asset_key": a} for a in outputs],
            "params": {}, "execution_trust": trust}


@pytest.fixture
def crafted(tmp_path: Path) -> Path:
    w = BundleWriter.create(tmp_path, RUN, clock_ns=lambda: 1_700_000_000_000_000_000)
    graph = w.write_graph({"schema_version": 1, "nodes": [
        node("prep/<clean>", ["dataset://ns/missing"], ["dataset://ns/out"]),
        node("ok/node", [], ["dataset://ns/b"]),
    ], "edges": []})
    node_id = graph["nodes"][0]["node_id"]
    base = {"schema_version": 2, "asset_key": "dataset://ns/out", "fingerprint_v0": FP, "node_id": node_id,
            "node_def_hash": graph["nodes"][0]["node_def_hash"], "op_type": "transform", "cache_decision": "miss",
            "status": "ok"}
    w.append_materialization_v2({**base, "record_seq": 1, "ts_unix_nanos": 3000, "unsafe_surface": False})
    w.append_materialization_v2({**base, "record_seq": 2, "ts_unix_nanos": 2000, "unsafe_surface": True,
                                 "unsafe_reasons": ["untrusted_input", "unsafe_extension"],
                                 "applied_transforms": [{"transform_name": "dp_clip", "core_trusted": False,
                                                         "round_id": 1}]})
    w.append_materialization({"schema_version": 1, "ts_unix_nanos": 2000, "asset_key": "dataset://ns/v1",
                              "fingerprint_v0": "deadbeef", "node_id": node_id, "node_def_hash": "x" * 64,
                              "unsafe_surface": False})
    w.append_event(2000, TRACE, "e<&>'\"")
    w.append_metric(2000, TRACE, "m", 9.165508846693303, unit="By")
    w.append_span(TRACE, "2222222222222222", "s-open", 1000)
    w.append_span(TRACE, "3333333333333333", "s-done", 2000, 5_002_000)
    w.finalize_manifest()
    w.close()
    return tmp_path / "runs" / RUN


def test_b144_materialization_detail_uses_the_node_status_not_the_record(crafted: Path) -> None:
    rows = [r for r in timeline_rows(load_bundle(crafted)) if r[1] == "materialization" and r[0] == 3000]
    (_, _, name, detail), = rows
    assert name == "dataset://ns/out"
    assert "unsafe=true" in detail  # its node has an input missing from the registry
    assert "unsafe_reasons=none" in detail and "node_id=" in detail
    assert re.search(r"node_def_hash=[0-9a-f]{64}$", detail)


def test_b145_b146_reasons_and_banner(crafted: Path) -> None:
    bundle = load_bundle(crafted)
    details = [r[3] for r in timeline_rows(bundle) if r[1] == "materialization"]
    assert any("unsafe_reasons=untrusted_input,unsafe_extension transforms=dp_clip" in d for d in details)
    page = upstream_page(bundle, "crafted")
    assert "<strong>Unsafe surfaces detected.</strong>" in page
    assert "<li>node: <code>prep/&lt;clean&gt;</code></li>" in page
    assert ("<li>unsafe materialization: <code>dataset://ns/v1</code> reasons=<code>missing_provenance</code></li>"
            in page)


def test_b149_timeline_order_and_details(crafted: Path) -> None:
    rows = list(timeline_rows(load_bundle(crafted)))
    assert [(ts, kind) for ts, kind, _, _ in rows] == [
        (1000, "span"), (2000, "event"), (2000, "materialization"), (2000, "materialization"),
        (2000, "metric"), (2000, "span"), (3000, "materialization"),
    ]
    details = {name: detail for _, _, name, detail in rows}
    assert details["m"] == "value=9.165508846693305 By"  # upstream's reader, Rust Display (§2.7)
    assert details["s-open"] == "duration_ms=?"
    assert details["s-done"] == "duration_ms=5"


def test_b148_graph_svg_and_b151_escaping(crafted: Path) -> None:
    page = upstream_page(load_bundle(crafted), "a&b")
    assert "<code>a&amp;b</code>" in page
    assert "prep/&lt;clean&gt;  [data:transform]  UNSAFE</text>" in page
    assert "ok/node  [data:transform]</text>" in page
    assert escape_html("<a href='x'>&\"") == "&lt;a href=&#39;x&#39;&gt;&amp;&quot;"
    assert "e&lt;&amp;&gt;&#39;&quot;" in page


def test_b150_registry_trust_and_lineage_op_kind_labels(tmp_path: Path) -> None:
    root = copy_fixture("rich", tmp_path)
    page = upstream_page(load_bundle(root), "rich")
    assert "<td>Untrusted</td>" in page and "<td>Trusted</td>" in page
    assert "<td>Train</td>" in page and "<td>Data</td>" in page


def test_rust_display() -> None:
    assert [rust_display_f64(x) for x in (1.0, 0.1, 1e20, -0.0, 1e-7, 2.5)] == [
        "1", "0.1", "100000000000000000000", "-0", "0.0000001", "2.5"]


def test_report_is_self_contained_and_adds_what_upstream_hides(tmp_path: Path) -> None:
    root = copy_fixture("nonfinite", tmp_path)
    out = tmp_path / "report.html"
    result = subprocess.run([sys.executable, "-m", "swarmview", "export", str(root), "--format", "html", "-o", str(out)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    page = out.read_text(encoding="utf-8")
    assert "<script" not in page and not re.search(r"(src|href)=\"(https?:)?//", page)
    assert "Verified with warnings" in page and "NONFINITE_AS_NULL" in page
    assert "upstream&#39;s report tool: cannot load the run: metrics.ndjson: invalid ndjson at line 2" in page
    assert "<h2>Metrics</h2>" in page and "<polyline" in page and "3 non-finite" in page
    assert page.count("<h2>Timeline</h2>") == 1
