"""The compare window (issue 11 "Compare"): overlay, graph diff, span statistics, datasets and artifacts
on runs that differ in known ways (tests/app/runs_gui_data.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from swarmview.app.runs.compare_window import CompareWindow
from tests.app.runs_gui_data import RUN_A, RUN_B, RUN_C, build_runs, copy_runs, save_screenshot
from tests.helpers import snapshot_tree


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("compare-template")
    build_runs(base)
    return base


@pytest.fixture
def runs(template: Path, tmp_path: Path) -> Path:
    return copy_runs(template, tmp_path / "base")


def open_compare(qtbot, roots: list[Path]) -> CompareWindow:
    window = CompareWindow(roots)
    qtbot.addWidget(window)
    window.resize(1300, 760)
    window.show()
    with qtbot.waitSignal(window.ready, timeout=60_000):
        pass
    return window


def wait_drawn(qtbot, window: CompareWindow, curves: int) -> None:
    qtbot.waitUntil(lambda: window.metrics.curve_count() == curves, timeout=20_000)


def save(window: CompareWindow, tab: str, tmp_path: Path) -> None:
    window.show_tab(tab)
    save_screenshot(window, f"compare-{tab}", tmp_path)


def test_overlay_draws_one_curve_per_run_and_series(qtbot, runs: Path, tmp_path: Path) -> None:
    before = snapshot_tree(runs)
    # newest first, as the browser passes them: the window orders oldest first (A = baseline)
    window = open_compare(qtbot, [runs / "runs" / RUN_B, runs / "runs" / RUN_A])
    assert [r.run_id for r in window.data.runs] == [RUN_A, RUN_B]
    labels = [window.metrics.list.item(i).text() for i in range(window.metrics.list.count())]
    assert len(labels) == 3  # train/acc × 2 peers, train/loss
    wait_drawn(qtbot, window, 2 * 3)  # runs × series (all three shown by default)
    loss = next(s for s in window.metrics.selected_series() if s.name == "train/loss")
    assert loss.y[1][0] == pytest.approx(2 * loss.y[0][0])  # B's loss is twice A's
    window.metrics.search.setText("loss")
    hidden = [window.metrics.list.item(i).isHidden() for i in range(3)]
    assert hidden.count(False) == 1
    window.metrics.list.clearSelection()
    for i in range(3):
        window.metrics.list.item(i).setSelected(not hidden[i])
    wait_drawn(qtbot, window, 2)
    window.metrics.search.setText("")
    window.metrics.align.setCurrentIndex(1)  # relative time: seconds since each run's start
    qtbot.waitUntil(lambda: window.metrics.curves and window.metrics.curves[0][0].getAxis("bottom").labelText
                    == "seconds since start", timeout=10_000)
    curve = window.metrics.curves[0][1][1]
    assert curve.x.max() == pytest.approx(0.45)  # B started an hour later, yet aligned at 0
    with qtbot.waitSignal(window.metrics.redrawn, timeout=10_000):
        window.metrics.slider.setValue(0)
    smooth = window.metrics.curve_data[(loss.key, 0)].smooth
    assert smooth[0] == pytest.approx(1.0) and smooth[-1] == pytest.approx(0.1)  # no smoothing: raw values
    window.metrics.align.setCurrentIndex(0)
    window.metrics.list.selectAll()
    wait_drawn(qtbot, window, 6)
    with qtbot.waitSignal(window.metrics.redrawn, timeout=10_000):
        window.metrics.slider.setValue(600)
    qtbot.wait(50)  # layout of the new plots
    plot = window.metrics.curves[-1][0]  # train/loss
    window.metrics._on_mouse(plot.vb.sceneBoundingRect().center())
    label = window.metrics.crosshairs[-1][2].label
    text = label.textItem.toPlainText()
    assert label.isVisible() and "A @ " in text and "B @ " in text
    save(window, "metrics", tmp_path)
    window.close()
    assert snapshot_tree(runs) == before


def test_graph_diff_lists_the_added_and_changed_nodes(qtbot, runs: Path, tmp_path: Path) -> None:
    window = open_compare(qtbot, [runs / "runs" / RUN_A, runs / "runs" / RUN_B])
    g = window.pairs[(0, 1)].graph
    assert {(n.node_key, n.status) for n in g.nodes} == {("eval/new", "added"), ("prep/clean", "changed")}
    changed = next(n for n in g.nodes if n.status == "changed")
    assert [(p.path, p.a, p.b) for p in changed.params] == [("lr", "0.1", "0.2")]
    rows = [r.cells for r in window.graph.model.rows]
    assert ("added", "eval/new") in {(r[0], r[1]) for r in rows}
    assert ("", "", "", "param lr", "0.1", "0.2") in rows
    assert "1 added, 0 removed, 1 changed, 2 unchanged" in window.graph.summary.text()
    save(window, "graph", tmp_path)
    # swapping the pair swaps the roles: the node is then removed
    with qtbot.waitSignal(window.pair_ready, timeout=20_000):
        window.combo_a.setCurrentIndex(1)
        window.combo_b.setCurrentIndex(0)
    assert {(n.node_key, n.status) for n in window.pairs[(1, 0)].graph.nodes} == {("eval/new", "removed"),
                                                                                   ("prep/clean", "changed")}
    window.close()


def test_span_statistics_show_counts_and_changes(qtbot, runs: Path, tmp_path: Path) -> None:
    window = open_compare(qtbot, [runs / "runs" / RUN_A, runs / "runs" / RUN_B])
    spans = window.spans
    headers = spans.model.headers
    step = spans.row("train/step")
    assert step is not None
    cells = dict(zip(headers, step.cells, strict=True))
    assert (cells["count A"], cells["count B"]) == ("10", "15")
    assert cells["Δ count B−A"].startswith("▲ +5 (+50%)")
    assert cells["Δ p50 B−A"].startswith("▲")  # B's steps take twice as long
    assert step.colours  # changes are coloured
    save_row = spans.row("io/save")
    assert save_row is not None and dict(zip(headers, save_row.cells, strict=True))["Δ count B−A"] == "="
    spans.only_changed.setChecked(True)
    assert [r.cells[0] for r in spans.model.rows] == ["train/step"]
    spans.only_changed.setChecked(False)
    save(window, "spans", tmp_path)
    window.close()


def test_datasets_and_artifacts_differences(qtbot, runs: Path, tmp_path: Path) -> None:
    window = open_compare(qtbot, [runs / "runs" / RUN_A, runs / "runs" / RUN_B])
    pair = window.pairs[(0, 1)]
    assert {(d.path, d.status) for d in pair.artifacts} == {("artifacts/model.bin", "changed"),
                                                            ("artifacts/same.txt", "same")}
    model = next(d for d in pair.artifacts if d.path == "artifacts/model.bin")
    assert model.bytes == (100, 200) and model.sha256[0] != model.sha256[1]
    shown = [r.cells[1] for r in window.files.artifacts.rows]
    assert shown == ["artifacts/model.bin"]  # "only differences" by default
    raw = next(d for d in pair.datasets if d.asset_key == "dataset://t/raw")
    assert raw.status == "changed" and "source" in {f.path for f in raw.fields}
    save(window, "files", tmp_path)
    window.close()


def test_three_runs_and_a_damaged_one(qtbot, runs: Path) -> None:
    window = open_compare(qtbot, [runs / "runs" / r for r in (RUN_A, RUN_B, RUN_C)])
    assert [r.letter for r in window.data.runs] == ["A", "B", "C"]
    wait_drawn(qtbot, window, 3 * 3 + 1)  # C's flipped byte made one more acc series (peer-2)
    assert "count C" in window.spans.model.headers
    window.close()
