"""Graph view: the run's DAG laid out in layers (core.identity.layout), with trust marks and lineage.

Layout runs in ``prepare`` (a worker). A click selects a node: its details show beside the graph, its
ancestors and descendants stay lit while the rest fades (Dagster's lineage selection), and the
selection goes on the bus so the timeline outlines the spans that node ran.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from typing import Any, ClassVar

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent, QPainter, QWheelEvent
from PySide6.QtWidgets import (
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from swarmview.app.plot.dag_items import (
    KIND_COLOURS,
    NODE_H,
    UNSAFE_RED,
    X_SCALE,
    Y_SCALE,
    EdgeItem,
    NodeItem,
)
from swarmview.app.selection import SelectionBus
from swarmview.app.views.base import DamageNotice, RunView, damaged_files


@dataclass(frozen=True)
class GraphPrepared:
    """Nodes, positions, edge polylines, trust facts and adjacency, computed off the GUI thread."""

    nodes: list[dict[str, Any]]
    positions: dict[str, tuple[float, float]]
    edges: list[tuple[str, str, str | None, list[tuple[float, float]], bool]]  # from, to, asset, path, reversed
    unsafe: dict[str, list[str]]  # node_id -> reasons (empty = safe)
    untrusted_inputs: dict[str, list[str]]
    registry: dict[str, dict[str, Any]]
    succ: dict[str, list[str]] = field(default_factory=dict)
    pred: dict[str, list[str]] = field(default_factory=dict)
    dangling_edges: int = 0


def unsafe_reasons(node: dict[str, Any], registry: dict[str, dict[str, Any]]) -> tuple[list[str], list[str]]:
    """§13.4 in words: (reasons the node is unsafe, its inputs that are untrusted or not in the registry)."""
    reasons: list[str] = []
    trust = node.get("execution_trust") or "core"
    if trust != "core":
        reasons.append(f"execution_trust is {trust}")
    bad_inputs: list[str] = []
    for ref in node.get("inputs") or []:
        key = ref.get("asset_key") if isinstance(ref, dict) else None
        entry = registry.get(key) if key is not None else None
        if entry is None:
            bad_inputs.append(str(key))
            reasons.append(f"input {key} is not in the registry (fail closed)")
        elif entry.get("trust") == "untrusted":
            bad_inputs.append(str(key))
            reasons.append(f"input {key} is untrusted")
    return reasons, bad_inputs


def build_graph(bundle: Any) -> GraphPrepared:
    """Lay the graph out and judge every node (runs in a worker)."""
    from swarmview.core.identity.layout import layout_dag

    graph = getattr(bundle, "graph", None) or {}
    nodes = [n for n in (graph.get("nodes") or []) if isinstance(n, dict)]
    ids = [str(n.get("node_id") or n.get("node_key")) for n in nodes]
    raw_edges = [e for e in (graph.get("edges") or []) if isinstance(e, dict)]
    pairs = [(str(e.get("from_node_id")), str(e.get("to_node_id"))) for e in raw_edges]
    layout = layout_dag(ids, pairs)
    registry = {str(d.get("asset_key")): d for d in (getattr(bundle, "registry", None) or []) if isinstance(d, dict)}
    known = set(ids)
    edges = []
    succ: dict[str, list[str]] = {i: [] for i in ids}
    pred: dict[str, list[str]] = {i: [] for i in ids}
    dangling = 0
    for k, (e, (a, b)) in enumerate(zip(raw_edges, pairs, strict=True)):
        if a not in known or b not in known or a == b:
            dangling += a not in known or b not in known
            continue
        edges.append((a, b, e.get("asset_key"), layout.edge_paths[k], k in layout.reversed_edges))
        succ[a].append(b)
        pred[b].append(a)
    unsafe: dict[str, list[str]] = {}
    untrusted: dict[str, list[str]] = {}
    for nid, node in zip(ids, nodes, strict=True):
        unsafe[nid], untrusted[nid] = unsafe_reasons(node, registry)
    return GraphPrepared(nodes, layout.positions, edges, unsafe, untrusted, registry, succ, pred, dangling)


def reachable(start: str, adjacency: dict[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    stack = [start]
    while stack:
        for nxt in adjacency.get(stack.pop(), []):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


class DagCanvas(QGraphicsView):
    """Zoom with the wheel about the pointer, pan by dragging, 0/F to fit."""

    def __init__(self, scene: QGraphicsScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.on_node_clicked: Any = None
        self._press: QPointF | None = None

    def zoom_by(self, factor: float) -> None:
        current = self.transform().m11()
        factor = min(max(factor, 0.05 / current), 4.0 / current)
        self.scale(factor, factor)

    def fit(self) -> None:
        rect = self.scene().itemsBoundingRect()
        if not rect.isEmpty():
            self.fitInView(rect.adjusted(-30, -30, 30, 30), Qt.AspectRatioMode.KeepAspectRatio)
            if self.transform().m11() > 1.2:  # small graphs: do not blow boxes up
                self.resetTransform()
                self.centerOn(rect.center())

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta().y()
        if delta:
            self.zoom_by(1.2 ** (delta / 120))
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_0, Qt.Key.Key_Home, Qt.Key.Key_F):
            self.fit()
        elif event.key() in (Qt.Key.Key_Plus, Qt.Key.Key_Equal, Qt.Key.Key_W):
            self.zoom_by(1.25)
        elif event.key() in (Qt.Key.Key_Minus, Qt.Key.Key_S):
            self.zoom_by(0.8)
        else:
            super().keyPressEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._press = event.position()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        if self._press is not None and (event.position() - self._press).manhattanLength() < 5:
            item = self.itemAt(event.position().toPoint())
            while item is not None and not isinstance(item, NodeItem):
                item = item.parentItem()
            if self.on_node_clicked is not None:
                self.on_node_clicked(item.node_id if isinstance(item, NodeItem) else None)
        self._press = None


class GraphView(RunView):
    """Layered DAG with op-kind colours, trust marks, search, details and lineage highlight."""

    view_name: ClassVar[str] = "graph"
    title: ClassVar[str] = "Graph"
    source_files: ClassVar[tuple[str, ...]] = ("graph.json", "datasets/registry.json")
    needs_metrics: ClassVar[bool] = False

    def __init__(self, bus: SelectionBus, parent: QWidget | None = None) -> None:
        super().__init__(bus, parent)
        self.prepared: GraphPrepared | None = None
        self.bundle: Any = None
        self.node_items: dict[str, NodeItem] = {}
        self.edge_items: list[EdgeItem] = []
        self.selected: str | None = None

        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Find node by key, op type or asset (Enter: go to next)")
        self.search.setClearButtonEnabled(True)
        fit = QPushButton("Fit", self)
        legend = QHBoxLayout()
        legend.setSpacing(10)
        for kind, colour in KIND_COLOURS.items():
            chip = QLabel(f"<span style='background:{colour.name()}; border:1px solid #777'>&nbsp;&nbsp;&nbsp;&nbsp;</span> {kind}", self)
            legend.addWidget(chip)
        legend.addWidget(QLabel(f"<span style='color:{UNSAFE_RED.name()}'>▭ red border</span> = unsafe (§13.4)", self))
        legend.addStretch(1)
        self.status = QLabel("", self)
        legend.addWidget(self.status)
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(fit)

        self.scene = QGraphicsScene(self)
        self.canvas = DagCanvas(self.scene, self)
        self.canvas.on_node_clicked = self._on_node_clicked
        self.details = QTextBrowser(self)
        self.details.setOpenLinks(False)
        self.details.setHtml("<i>Click a node to see its definition, trust and lineage.</i>")
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.canvas)
        split.addWidget(self.details)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setSizes([900, 320])
        self.damage = DamageNotice(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addLayout(legend)
        layout.addWidget(self.damage)
        layout.addWidget(split, 1)

        self._match_index = -1
        fit.clicked.connect(self.canvas.fit)
        self.search.textChanged.connect(self._on_search)
        self.search.returnPressed.connect(self._next_match)
        bus.node_selected.connect(self._on_bus_node)
        bus.span_selected.connect(self._on_bus_span)

    # ----- RunView contract -----------------------------------------------------------------------
    @staticmethod
    def prepare(bundle: Any) -> GraphPrepared:
        return build_graph(bundle)

    def set_data(self, bundle: Any, prepared: object) -> None:
        assert isinstance(prepared, GraphPrepared)
        self.bundle = bundle
        self.prepared = prepared
        self.selected = None
        self.scene.clear()
        self.node_items = {}
        self.edge_items = []
        for node in prepared.nodes:
            nid = str(node.get("node_id") or node.get("node_key"))
            x, y = prepared.positions.get(nid, (0.0, 0.0))
            item = NodeItem(nid, str(node.get("node_key")), str(node.get("op_kind")), str(node.get("op_type")),
                            bool(prepared.unsafe.get(nid)), len(prepared.untrusted_inputs.get(nid, [])))
            item.setPos(x * X_SCALE, y * Y_SCALE)
            item.setToolTip(self._node_tooltip(node, nid))
            self.scene.addItem(item)
            self.node_items[nid] = item
        for a, b, asset, path, rev in prepared.edges:
            pts = [QPointF(px * X_SCALE, py * Y_SCALE) for px, py in path]
            if len(pts) < 2:
                continue
            down = pts[-1].y() >= pts[0].y()
            pts[0] = QPointF(pts[0].x(), pts[0].y() + (NODE_H / 2 if down else -NODE_H / 2))
            pts[-1] = QPointF(pts[-1].x(), pts[-1].y() + (-NODE_H / 2 if down else NODE_H / 2))
            edge = EdgeItem(pts, asset, a, b, rev)
            self.scene.addItem(edge)
            self.edge_items.append(edge)
        n_unsafe = sum(1 for r in prepared.unsafe.values() if r)
        text = f"{len(prepared.nodes)} nodes, {len(self.edge_items)} edges, {n_unsafe} unsafe"
        if prepared.dangling_edges:
            text += f", {prepared.dangling_edges} edge(s) to unknown nodes not drawn"
        self.status.setText(text if prepared.nodes else "graph.json has no nodes")
        self.scene.setSceneRect(self.scene.itemsBoundingRect().adjusted(-60, -60, 60, 60))
        self.canvas.fit()
        if self.search.text():
            self._on_search(self.search.text())

    def set_report(self, report: Any | None) -> None:
        self.damage.show_damage(self.source_files, damaged_files(report))

    def clear(self) -> None:
        self.scene.clear()
        self.node_items = {}
        self.edge_items = []
        self.prepared = None
        self.details.clear()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.canvas.fit()

    # ----- selection and lineage ------------------------------------------------------------------
    def _on_node_clicked(self, node_id: str | None) -> None:
        self.select_node(node_id)
        if node_id is not None:
            self.bus.node_selected.emit(node_id)

    def _on_bus_node(self, node_id: str) -> None:
        if node_id != self.selected and node_id in self.node_items:
            self.select_node(node_id, center=True)

    def _on_bus_span(self, row: int) -> None:
        """A span of the timeline: select the node it ran (``swarmtorch.node_key``), if any."""
        if self.bundle is None or self.prepared is None or not 0 <= row < len(self.bundle.spans):
            return
        key = self.bundle.spans.attrs.get(row).get("swarmtorch.node_key")
        for nid, item in self.node_items.items():
            if item.key == key:
                self.select_node(nid, center=True)
                return

    def select_node(self, node_id: str | None, center: bool = False) -> None:
        """Light the node, its ancestors and descendants; fade the rest; show its details."""
        prepared = self.prepared
        self.selected = node_id if node_id in self.node_items else None
        if prepared is None:
            return
        lit: set[str] | None = None
        if self.selected is not None:
            lit = {self.selected} | reachable(self.selected, prepared.succ) | reachable(self.selected, prepared.pred)
        for nid, item in self.node_items.items():
            item.selected = nid == self.selected
            item.dimmed = lit is not None and nid not in lit
            item.update()
        for edge in self.edge_items:
            on_path = lit is not None and edge.from_id in lit and edge.to_id in lit
            edge.set_state(on_path, lit is not None and not on_path)
        if self.selected is None:
            self.details.setHtml("<i>Click a node to see its definition, trust and lineage.</i>")
            return
        self.details.setHtml(self._details_html(self.selected))
        if center:
            self.canvas.centerOn(self.node_items[self.selected])

    def upstream(self, node_id: str) -> set[str]:
        assert self.prepared is not None
        return reachable(node_id, self.prepared.pred)

    def downstream(self, node_id: str) -> set[str]:
        assert self.prepared is not None
        return reachable(node_id, self.prepared.succ)

    # ----- search ---------------------------------------------------------------------------------
    def matches(self, text: str) -> list[str]:
        needle = text.strip().lower()
        if not needle or self.prepared is None:
            return []
        out = []
        for node in self.prepared.nodes:
            assets = [r.get("asset_key", "") for r in (node.get("inputs") or []) + (node.get("outputs") or [])]
            hay = " ".join([str(node.get("node_key")), str(node.get("op_type")), str(node.get("op_kind")), *assets])
            if needle in hay.lower():
                out.append(str(node.get("node_id") or node.get("node_key")))
        return out

    def _on_search(self, text: str) -> None:
        hits = set(self.matches(text))
        for nid, item in self.node_items.items():
            item.matched = nid in hits
            item.update()
        self._match_index = -1
        if text.strip():
            self.status.setText(f"{len(hits)} node(s) match")

    def _next_match(self) -> None:
        hits = self.matches(self.search.text())
        if hits:
            self._match_index = (self._match_index + 1) % len(hits)
            self._on_node_clicked(hits[self._match_index])
            self.canvas.centerOn(self.node_items[hits[self._match_index]])

    # ----- text -----------------------------------------------------------------------------------
    def _node_tooltip(self, node: dict[str, Any], nid: str) -> str:
        assert self.prepared is not None
        lines = [f"<b>{html.escape(str(node.get('node_key')))}</b>",
                 f"{html.escape(str(node.get('op_kind')))}:{html.escape(str(node.get('op_type')))}",
                 f"trust: {html.escape(str(node.get('execution_trust') or 'core'))}"]
        for reason in self.prepared.unsafe.get(nid, []):
            lines.append(f"<span style='color:{UNSAFE_RED.name()}'>unsafe: {html.escape(reason)}</span>")
        return "<br>".join(lines)

    def _details_html(self, nid: str) -> str:
        prepared = self.prepared
        assert prepared is not None
        node = next(n for n in prepared.nodes if str(n.get("node_id") or n.get("node_key")) == nid)
        esc = html.escape
        rows = [f"<h3 style='margin:0'>{esc(str(node.get('node_key')))}</h3>",
                f"<tt>{esc(nid)}</tt>",
                f"<p><b>{esc(str(node.get('op_kind')))}</b> : {esc(str(node.get('op_type')))}"
                f" · trust <b>{esc(str(node.get('execution_trust') or 'core'))}</b></p>"]
        reasons = prepared.unsafe.get(nid, [])
        if reasons:
            rows.append(f"<p style='color:{UNSAFE_RED.name()}'><b>UNSAFE</b> (§13.4):<br>"
                        + "<br>".join(esc(r) for r in reasons) + "</p>")
        else:
            rows.append("<p style='color:#2a7a2a'>safe: core trust, every input trusted in the registry</p>")
        if node.get("unsafe_surface"):
            rows.append("<p>graph.json marks <tt>unsafe_surface: true</tt> (caller-provided, not derived)</p>")

        def refs(name: str) -> str:
            items = []
            for r in node.get(name) or []:
                key = str(r.get("asset_key"))
                entry = prepared.registry.get(key)
                trust = "not in registry" if entry is None else str(entry.get("trust", "trusted"))
                colour = "#2a7a2a" if trust == "trusted" else UNSAFE_RED.name()
                items.append(f"<li>{esc(key)} <span style='color:{colour}'>({esc(trust)})</span></li>")
            return f"<b>{name}</b><ul style='margin-top:0'>{''.join(items) or '<li>none</li>'}</ul>"

        rows.append(refs("inputs"))
        rows.append(refs("outputs"))
        keys = {n: self.node_items[n].key for n in self.node_items}
        up = sorted(keys[n] for n in self.upstream(nid))
        down = sorted(keys[n] for n in self.downstream(nid))
        rows.append(f"<b>upstream</b> ({len(up)}): {esc(', '.join(up)) or 'none'}<br>"
                    f"<b>downstream</b> ({len(down)}): {esc(', '.join(down)) or 'none'}")
        params = json.dumps(node.get("params") or {}, indent=1, sort_keys=True, default=str)
        if len(params) > 3000:
            params = params[:3000] + "\n…"
        rows.append(f"<b>params</b><pre style='margin:0'>{esc(params)}</pre>")
        for k in ("code_ref", "cache_policy", "materialization_policy", "node_def_hash", "op_hash"):
            if node.get(k) is not None:
                rows.append(f"<b>{k}</b>: <tt>{esc(str(node[k]))}</tt>")
        for k in ("execution_hint", "resources"):
            if node.get(k):
                rows.append(f"<b>{k}</b>: {esc(json.dumps(node[k], sort_keys=True, default=str))}")
        blocks = ("<h3", "<p", "<b>inputs", "<b>outputs", "<b>params")
        return "".join(r if r.startswith(blocks) else f"<div>{r}</div>" for r in rows)
