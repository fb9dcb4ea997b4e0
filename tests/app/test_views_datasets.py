"""Datasets view: registry with trust, materializations, lineage, selection → dataset_selected."""

from __future__ import annotations

import pytest

from swarmview.app.views.datasets import DatasetsView
from swarmview.app.views.details import DetailsPanel
from tests.app.conftest import OFFSCREEN_NOISE, load_and_verify, make_view

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"), pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)]


def _column(model, title: str) -> list[str]:
    c = [col.title for col in model.columns].index(title)
    return [model.data(model.index(r, c)) for r in range(model.rowCount())]


def test_datasets_fill_from_rich(qtbot, tmp_path) -> None:
    bundle, report = load_and_verify("rich", tmp_path)
    view, _ = make_view(qtbot, DatasetsView, bundle, report)
    assert view.registry_model.rowCount() == len(bundle.registry) > 0
    trust = _column(view.registry_model, "Trust")
    assert "⚠ untrusted" in trust and "trusted" in trust
    assert view.mat_model.rowCount() == len(bundle.materializations) > 0
    cache = _column(view.mat_model, "Cache")
    assert any(c.startswith("hit") for c in cache) and any(c.startswith("miss") for c in cache)
    status = _column(view.mat_model, "Status")
    assert any(s.startswith("error") for s in status)  # the denied/failed scheduler nodes
    edges = sum(view.lineage.topLevelItem(i).childCount() for i in range(view.lineage.topLevelItemCount()))
    assert edges == len(bundle.lineage)
    assert "untrusted" in view.registry_label.text()


def test_selecting_a_dataset_emits_and_details_follow(qtbot, tmp_path) -> None:
    bundle, _ = load_and_verify("rich", tmp_path)
    view, bus = make_view(qtbot, DatasetsView, bundle)
    details = DetailsPanel(bus)
    qtbot.addWidget(details)
    details.set_bundle(bundle)
    with qtbot.waitSignal(bus.dataset_selected) as sig:
        view.registry_table.selectRow(1)
    key = view.registry[1]["asset_key"]
    assert sig.args == [key]
    assert details.heading.text() == f"Dataset {key}"
    # and back: a selection elsewhere selects the registry row
    other = view.registry[0]["asset_key"]
    bus.dataset_selected.emit(other)
    assert view.registry_table.currentIndex().row() == 0


def test_snapshot_mismatch_is_marked(qtbot, tmp_path) -> None:
    bundle, report = load_and_verify("rich_byte_flip", tmp_path)
    view, _ = make_view(qtbot, DatasetsView, bundle, report)
    assert not view.notice.isVisible()  # metrics.ndjson is damaged, not the dataset files
