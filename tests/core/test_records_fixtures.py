"""Records loading against upstream's own fixtures, verdicts and error-position vectors."""

from __future__ import annotations

import json
import math

import numpy as np
import orjson
import pytest

from swarmview.core.records import NdjsonFile, load_records, parse_ndjson_values
from tests.helpers import FIXTURE_NAMES, FIXTURES, VECTORS, VERDICTS

KINDS = ("spans", "events", "metrics")


def _load(fx: str, kind: str):
    return load_records(kind, FIXTURES / fx / f"{kind}.ndjson", f"{kind}.ndjson")


def _codes(res, min_severity=("error", "warning")):
    return sorted({f.code for f in res.findings if f.severity in min_severity})


def test_rich_counts_and_no_findings_above_info():
    spans, events, metrics = (_load("rich", k) for k in KINDS)
    assert len(spans.table) == 226 and int((~spans.table.has_end).sum()) == 4
    assert len(events.table) == 15 and len(metrics.table) == 2009
    verdict = json.loads((VERDICTS / "rich.json").read_text())["load_report"]["counts"]
    assert (len(spans.table), len(events.table), len(metrics.table)) == (
        verdict["spans"], verdict["events"], verdict["metrics"])
    assert int((~spans.table.has_end).sum()) == verdict["unfinished_spans"]
    for r in (spans, events, metrics):
        assert r.upstream_error is None
        assert [f for f in r.findings if f.severity != "info"] == []
        assert r.slow_lines == 0  # upstream's canonical text never needs the strict decoder


def test_rich_columns_match_the_text_line_by_line():
    """Every row points back to its line, ids/numbers/attrs equal what the line says (§4.1–§4.3)."""
    for kind in KINDS:
        path = FIXTURES / "rich" / f"{kind}.ndjson"
        lines = path.read_bytes().split(b"\n")[:-1]
        t = _load("rich", kind).table
        assert t.line.tolist() == list(range(1, len(lines) + 1))
        all_attrs = t.attrs.all()
        for i, raw in enumerate(lines):
            d = orjson.loads(raw)
            assert t.trace_of(i) == d["trace_id"]
            assert t.name_of(i) == d["name"]
            assert t.attrs.get(i) == d["attrs"] == all_attrs[i]
            assert t.attrs.text(i) == orjson.dumps(d["attrs"])  # byte-exact (VERIFY.md §12)
            sid = d["span_id"]
            assert int(t.span_id[i]) == (0 if sid is None else int(sid, 16))
            if kind == "spans":
                assert int(t.start[i]) == d["start_unix_nanos"]
                assert bool(t.has_end[i]) == (d["end_unix_nanos"] is not None)
                assert int(t.end[i]) == (d["end_unix_nanos"] or 0)
                p = d["parent_span_id"]
                assert int(t.parent_id[i]) == (0 if p is None else int(p, 16))
            else:
                assert int(t.ts[i]) == d["ts_unix_nanos"]
            if kind == "metrics":
                assert t.value[i] == float(d["value"]) and math.copysign(1, t.value[i]) == math.copysign(1, d["value"])
                assert t.unit_of(i) == d["unit"]
        assert t.attrs.keys() == sorted({k for a in all_attrs for k in a})


def test_rich_attr_values_keep_their_variant():
    """B-027 on the records path: ints stay int (I64), floats float (F64), bools bool."""
    t = _load("rich", "spans").table
    row = next(i for i in range(len(t)) if "grad_clipped" in t.attrs.get(i))
    a = t.attrs.get(row)
    assert type(a["grad_clipped"]) is bool and type(a["step"]) is int and type(a["lr"]) is float


def test_nonfinite_metrics_B047():
    """B-047: NaN metric written as null; upstream fails at line 2, swarmview reads all 6 rows (F-08)."""
    r = _load("nonfinite", "metrics")
    expected = json.loads((VERDICTS / "nonfinite.json").read_text())["load_report"]["message"]
    assert r.upstream_error == expected == "invalid ndjson at line 2: invalid type: null, expected f64 at line 1 column 149"
    assert len(r.table) == 6
    nonfin = [f for f in r.findings if f.code == "NONFINITE_AS_NULL"]
    assert [(f.path, f.line, f.severity) for f in nonfin] == [("metrics.ndjson", n, "warning") for n in (2, 3, 4)]
    assert nonfin[0].message.startswith("metrics.ndjson:2: value is null where a number is required")
    v = r.table.value
    assert np.isnan(v[1:4]).all() and v[0] == 1.5 and v[5] == 2.5
    assert v[4] == 0.0 and math.copysign(1, v[4]) == -1.0  # -0.0 kept
    assert _codes(r) == ["NONFINITE_AS_NULL"]


def test_nonfinite_attr_B048():
    """B-048: F64 attribute NaN written as null; upstream's AttrValue error; kept as NaN here."""
    r = _load("nonfinite_attr", "spans")
    expected = json.loads((VERDICTS / "nonfinite_attr.json").read_text())["load_report"]["message"]
    assert r.upstream_error == expected
    assert expected.endswith("data did not match any variant of untagged enum AttrValue at line 1 column 232")
    found = [f for f in r.findings if f.code == "NONFINITE_AS_NULL"]
    assert {f.line for f in found} == {2} and len(found) == 2
    assert {'"grad_norm"' in f.message or '"lr"' in f.message for f in found} == {True}
    a = r.table.attrs.get(1)
    assert set(a) == {"grad_norm", "lr"} and all(math.isnan(v) for v in a.values())
    assert r.table.attrs.all()[1].keys() == a.keys() and r.table.attrs.get(0) == {"ok": 0.5}


def test_ndjson_corrupt_B141():
    """B-141: a torn line in the middle: upstream's whole-load message; the other 14 events are read."""
    r = _load("rich_ndjson_corrupt", "events")
    expected = json.loads((VERDICTS / "rich_ndjson_corrupt.json"). read_text())["load_report"]["message"]
    assert r.upstream_error == expected == "invalid ndjson at line 5: EOF while parsing a string at line 1 column 240"
    errs = [f for f in r.findings if f.severity == "error"]
    assert [(f.code, f.line, f.column) for f in errs] == [("NDJSON_PARSE_ERROR", 5, 240)]
    assert errs[0].message == "events.ndjson:5:240: EOF while parsing a string"
    assert len(r.table) == 14 and 5 not in r.table.line.tolist()


def test_truncated_last_line():
    r = _load("rich_truncated", "spans")
    torn = [f for f in r.findings if f.code == "NDJSON_TORN_LAST_LINE"]
    assert [(f.line, f.severity) for f in torn] == [(90, "error")]
    assert torn[0].message.startswith("spans.ndjson:90: last line has no newline and is not valid JSON")
    assert len(r.table) == 89
    assert r.upstream_error is not None and r.upstream_error.startswith("invalid ndjson at line 90: EOF while parsing")


def test_uppercase_ids_are_read_and_reported_once():
    """B-035: uppercase ids are accepted; one coalesced NON_CANONICAL_JSON (info) per file."""
    for kind in ("spans", "events"):
        up, low = _load("rich_uppercase_ids", kind), _load("rich", kind)
        assert up.upstream_error is None
        nc = [f for f in up.findings if f.code == "NON_CANONICAL_JSON"]
        assert len(nc) == 1 and nc[0].severity == "info" and "uppercase id" in nc[0].message
        assert nc[0].found == len(low.table) and nc[0].line == 1
        assert up.table.trace_ids == low.table.trace_ids
        assert np.array_equal(up.table.span_id, low.table.span_id)


@pytest.mark.parametrize("fx", FIXTURE_NAMES)
def test_every_fixture_matches_upstreams_verdict(fx):
    """The first failing telemetry file's upstream_error is load_report's message (when it got there)."""
    verdict = json.loads((VERDICTS / f"{fx}.json").read_text())
    lr = verdict["load_report"]
    for kind in KINDS:
        p = FIXTURES / fx / f"{kind}.ndjson"
        if not p.exists():
            continue
        r = load_records(kind, p, f"{kind}.ndjson")
        if lr.get("ok"):
            assert r.upstream_error is None, (fx, kind)
            assert len(r.table) == lr["counts"][kind]
        elif lr["message"].startswith("invalid ndjson") and r.upstream_error is not None:
            assert r.upstream_error == lr["message"]
        # one chunk boundary every 997 bytes gives the same result
        f = NdjsonFile(kind, f"{kind}.ndjson")
        data = p.read_bytes()
        for i in range(0, len(data), 997):
            f.feed(data[i : i + 997])
        r2 = f.close()
        assert r2.findings == r.findings and r2.upstream_error == r.upstream_error
        assert np.array_equal(r2.table.line, r.table.line)


def _vectors():
    out = []
    for line in (VECTORS / "serde_json_error_positions.ndjson").read_text().splitlines():
        d = json.loads(line)
        if d["reader"] == "slice" and d["type"] in ("SpanRecord", "EventRecord", "MetricRecord"):
            out.append(pytest.param(d, id=d["case"][:60]))
    return out


@pytest.mark.parametrize("vec", _vectors())
def test_error_position_vectors_B141(vec):
    """Upstream's exact message for each record input (read_ndjson, one line), B-038/B-141."""
    kind = {"SpanRecord": "spans", "EventRecord": "events", "MetricRecord": "metrics"}[vec["type"]]
    f = NdjsonFile(kind, f"{kind}.ndjson")
    f.feed(vec["input"].encode() + b"\n")
    r = f.close()
    if vec["message"] is None:
        assert r.upstream_error is None
        assert len(r.table) == 1
    else:
        assert r.upstream_error == f"invalid ndjson at line 1: {vec['message']}"
        assert r.findings, "a line upstream rejects is always reported"


def test_dataset_logs_parse_with_the_strict_decoder():
    from swarmview.core.jsontext import types

    for fx in ("rich", "crashed_midrun"):
        root = FIXTURES / fx / "datasets"
        for rel, tname in (("registry_updates.ndjson", "DATASET_ENTRY_V1"), ("lineage_edges.ndjson", "LINEAGE_EDGE_V1"),
                           ("materializations.ndjson", "MATERIALIZATION_COMPAT")):
            data = (root / rel).read_bytes()
            pairs, findings, err = parse_ndjson_values(data, getattr(types, tname), f"datasets/{rel}")
            assert err is None and [f for f in findings if f.severity != "info"] == []
            assert [n for n, _ in pairs] == list(range(1, data.count(b"\n") + 1))
