"""GUI benchmark (offscreen): launch-to-first-paint, all views loaded, frame times, peak memory.

Usage::

    .venv/bin/python benchmarks/gui.py [BUNDLE] [--out benchmarks/RESULTS.md] [--keep DIR]

Without BUNDLE it builds ``swarmview demo --size large`` (1M spans, 10M metric points) in a temporary
folder, or, if the demo is unavailable, writes equivalent NDJSON itself. Every figure is printed next to
a baseline measured in the same run: an empty Qt window's first paint, and a plain pyqtgraph plot of the
raw points. Each measurement runs in a fresh child process so imports and memory are honest.
Frames are timed by rendering the widget into a QImage (``widget.render``) after changing the view.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGETS = {
    "first_paint_s": 1.0,
    "spans_shown_s": 3.0,
    "timeline_zoomed_ms": 16.0,
    "timeline_full_ms": 50.0,
    "metrics_pan_ms": 40.0,
    "peak_rss_over_ndjson": 3.0,
}


# ----- children --------------------------------------------------------------------------------------
def _median(values: list[float]) -> float:
    s = sorted(values)
    return s[len(s) // 2] if s else float("nan")


def child_empty(launch: float) -> dict:
    """Baseline: an empty QWidget window's first paint after process launch."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QWidget

    app = QApplication([])
    out: dict = {}

    class Probe(QObject):
        def eventFilter(self, obj: QObject, ev: QEvent) -> bool:
            if ev.type() == QEvent.Type.Paint and "first_paint_s" not in out:
                out["first_paint_s"] = time.time() - launch
                QTimer.singleShot(0, app.quit)
            return False

    w = QWidget()
    w.resize(1600, 1000)
    probe = Probe()
    w.installEventFilter(probe)
    w.show()
    app.exec()
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def _render_into(widget, image, region=None) -> None:
    """QWidget.render explicitly (pyqtgraph's views are QGraphicsViews whose ``render`` takes a painter);
    ``region`` limits it to what a pan repaints (one plot of a grid)."""
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QRegion
    from PySide6.QtWidgets import QWidget

    if region is None:
        QWidget.render(widget, image)
    else:
        QWidget.render(widget, image, QPoint(0, 0), QRegion(region))


def _frames(render, steps, n: int = 12) -> list[float]:
    times = []
    for i in range(n):
        t = time.perf_counter()
        steps(i)
        render()
        times.append((time.perf_counter() - t) * 1000)
    return times


def child_swarmview(launch: float, bundle: str) -> dict:
    """The real window opening ``bundle``: first paint, each heavy view loaded, settled, frame times."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer
    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    loop = QEventLoop()  # not app.exec(): QApplication.quit would close (and clear) the window
    from swarmview.app.main_window import MainWindow

    out: dict = {}
    loaded: dict[str, float] = {}
    win = MainWindow()

    class Probe(QObject):
        def eventFilter(self, obj: QObject, ev: QEvent) -> bool:
            if ev.type() == QEvent.Type.Paint and "first_paint_s" not in out:
                out["first_paint_s"] = time.time() - launch
            return False

    heavy = ("timeline", "metrics", "graph")
    for name in heavy:
        view = win.views[name]
        original = view.set_data

        def wrapped(bundle, prepared, _orig=original, _name=name) -> None:
            _orig(bundle, prepared)
            loaded.setdefault(_name, time.time() - launch)  # when the view first shows the run
            if len(loaded) == len(heavy):
                out["views_loaded_s"] = max(loaded.values())
                QTimer.singleShot(0, loop.quit)

        view.set_data = wrapped  # type: ignore[method-assign]
    probe = Probe()
    win.installEventFilter(probe)
    win.resize(1600, 1000)
    win.show()
    win.open_path(bundle)
    QTimer.singleShot(900_000, loop.quit)
    loop.exec()
    out["view_loaded_s"] = loaded
    out["loaded_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    # timeline frames
    timeline = win.views["timeline"]
    win.show_view("timeline")
    app.processEvents()
    chart = timeline.chart
    image = QImage(chart.size(), QImage.Format.Format_ARGB32_Premultiplied)
    lo, hi = chart.full_range()
    out["spans"] = int(chart.data.span_count) if chart.data is not None else 0
    zoom_w = 10e6  # 10 ms of the run, mid-training
    mid = lo + (hi - lo) * 0.55
    out["timeline_zoomed_ms"] = _frames(lambda: _render_into(chart, image),
                                        lambda i: chart.set_view(mid + i * zoom_w * 0.1, mid + i * zoom_w * 0.1 + zoom_w))
    out["timeline_full_ms"] = _frames(lambda: _render_into(chart, image), lambda i: chart.set_view(lo + i, hi + i))

    # metrics frames: the group with the most points shown alone (as a user studying it would), panned
    # at full width and zoomed to 5 %; the baseline gets the same points and the same size.
    metrics = win.views["metrics"]
    win.show_view("metrics")
    app.processEvents()
    if metrics.prepared is not None and metrics.prepared.groups:
        groups = metrics.prepared.groups
        biggest = max(range(len(groups)), key=lambda i: groups[i].points)
        metrics.list.clearSelection()
        metrics.list.item(biggest).setSelected(True)
        app.processEvents()
    if metrics.plots:
        plot, _group, curves, _ = metrics.plots[0]
        out["metrics_points_in_plot"] = int(sum(c.x.shape[0] for c, _l in curves))
        out["metrics_points_total"] = int(sum(g.points for g in metrics.prepared.groups))
        (x0, x1), _ = plot.vb.viewRange()
        width = x1 - x0
        canvas = metrics.canvas
        region = canvas.mapFromScene(plot.sceneBoundingRect()).boundingRect()
        image = QImage(region.size(), QImage.Format.Format_ARGB32_Premultiplied)
        out["metrics_plot_px"] = [region.width(), region.height()]
        out["metrics_pan_full_ms"] = _frames(lambda: _render_into(canvas, image, region),
                                             lambda i: plot.setXRange(x0 + i * width * 0.02, x1 + i * width * 0.02, padding=0))
        w5 = width * 0.05
        out["metrics_pan_zoomed_ms"] = _frames(lambda: _render_into(canvas, image, region),
                                               lambda i: plot.setXRange(x0 + width / 2 + i * w5 * 0.1,
                                                                        x0 + width / 2 + i * w5 * 0.1 + w5, padding=0))
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if metrics.plots:  # baseline: the same plot's raw points handed to plain pyqtgraph curves
        out["baseline"] = plain_pyqtgraph([(c.x, line.curve.y) for c, line in curves], region.size())
    win.close()
    os._exit(_report(out))


def plain_pyqtgraph(lines, size) -> dict:
    """Pan frames of one PlotWidget holding ``lines`` raw, then with peak downsampling + clipToView."""
    import numpy as np
    import pyqtgraph as pg
    from PySide6.QtGui import QImage

    out: dict = {"points": int(sum(len(x) for x, _ in lines))}
    lo = min(float(np.nanmin(x)) for x, _ in lines)
    hi = max(float(np.nanmax(x)) for x, _ in lines)
    span = hi - lo or 1.0
    for label, peak, n in (("raw", False, 3), ("peak_clip", True, 8)):
        w = pg.PlotWidget()
        w.resize(size)
        for x, y in lines:
            curve = pg.PlotDataItem()
            w.getPlotItem().addItem(curve)
            if peak:  # set after adding: PlotDataItem asks its ViewBox about auto-range
                curve.setDownsampling(auto=True, method="peak")
                curve.setClipToView(True)
            curve.setData(x, y)
        w.show()
        image = QImage(w.size(), QImage.Format.Format_ARGB32_Premultiplied)
        out[f"{label}_pan_full_ms"] = _frames(lambda w=w, image=image: _render_into(w, image),
                                              lambda i, w=w: w.setXRange(lo + i * span * 0.02, hi + i * span * 0.02,
                                                                         padding=0), n)
        w.close()
    return out


def _report(out: dict) -> int:
    sys.stdout.write("RESULT " + json.dumps(out) + "\n")
    sys.stdout.flush()
    return 0


# ----- bundle ----------------------------------------------------------------------------------------
def make_bundle(tmp: Path) -> Path:
    """``swarmview demo --size large``; NDJSON written here if the demo cannot run."""
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "swarmview", "demo", "--size", "large", str(tmp)],
                          capture_output=True, text=True, cwd=REPO)
    runs = sorted((tmp / "runs").glob("*")) if (tmp / "runs").exists() else []
    if proc.returncode == 0 and runs:
        print(f"built demo --size large in {time.perf_counter() - t:.1f} s: {runs[0]}", file=sys.stderr)
        return runs[0]
    print(f"demo failed ({proc.returncode}): {proc.stderr.strip()[-300:]}; writing NDJSON instead", file=sys.stderr)
    return write_ndjson_bundle(tmp / "synthetic")


def write_ndjson_bundle(root: Path, spans: int = 1_000_000, points: int = 10_000_000) -> Path:
    """A bundle with ``spans`` nested spans over 64 peers and ``points`` metric points (no manifest)."""
    import numpy as np

    root.mkdir(parents=True)
    base = 1_775_476_800_000_000_000
    (root / "run.json").write_text(json.dumps({"schema_version": 1, "run_id": "5eed" * 8,
                                               "created_unix_nanos": base, "swarmtorch_version": "0.1.0"}))
    (root / "graph.json").write_text('{"schema_version":1,"nodes":[],"edges":[]}')
    (root / "events.ndjson").write_text("")
    per_root = 10
    with open(root / "spans.ndjson", "w") as f:
        for k in range(spans // per_root):
            peer, i = k % 64, k // 64
            trace = f"{peer + 1:032x}"
            t0 = base + 10**9 + i * 2_000_000 + peer * 1000
            rid = f"{k * per_root + 1:016x}"
            lines = [(rid, None, "train/step", t0, t0 + 1_500_000)]
            for c in range(3):
                cid = f"{k * per_root + 2 + c * 3:016x}"
                cs = t0 + c * 450_000
                lines.append((cid, rid, ("forward", "backward", "optimizer")[c], cs, cs + 400_000))
                for g in range(2):
                    lines.append((f"{k * per_root + 3 + c * 3 + g:016x}", cid, "kernel", cs + g * 180_000,
                                  cs + g * 180_000 + 150_000))
            for sid, parent, name, s, e in lines[:per_root]:
                p = "null" if parent is None else f'"{parent}"'
                f.write(f'{{"schema_version":1,"trace_id":"{trace}","span_id":"{sid}","parent_span_id":{p},'
                        f'"name":"{name}","start_unix_nanos":{s},"end_unix_nanos":{e},'
                        f'"attrs":{{"swarmtorch.peer_id":"peer-{peer}"}}}}\n')
    rng = np.random.default_rng(0)
    peers, names = 4, ("train/loss", "train/accuracy", "train/grad_norm")
    steps = points // (peers * len(names))
    with open(root / "metrics.ndjson", "w") as f:
        walk = rng.normal(size=(peers, len(names), steps)).cumsum(axis=2)
        for s in range(steps):
            ts = base + 2 * 10**9 + s * 1_000_000
            for p in range(peers):
                for j, name in enumerate(names):
                    f.write(f'{{"schema_version":1,"ts_unix_nanos":{ts + p * 3 + j},"trace_id":"{p + 1:032x}",'
                            f'"span_id":null,"name":"{name}","value":{walk[p, j, s]!r},"unit":null,'
                            f'"attrs":{{"step":{s},"swarmtorch.peer_id":"peer-{p}"}}}}\n')
    return root


# ----- parent ----------------------------------------------------------------------------------------
def _child_env() -> dict[str, str]:
    """Offscreen Qt, this checkout first, and bytecode caches written and used as in an installed
    copy (pip compiles them at install): a shell that sets PYTHONDONTWRITEBYTECODE would otherwise have
    every launch compile all of swarmview's sources again, about 0.3 s before the first paint."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def warm_bytecode() -> None:
    subprocess.run([sys.executable, "-c", "import swarmview.app.main_window, swarmview.core.bundle"], env=_child_env(),
                   cwd=REPO, check=True, capture_output=True, timeout=600)  # fmt: skip


def run_child(kind: str, bundle: str | None) -> dict:
    launch = time.time()
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, "--launch", repr(launch)]
    if bundle:
        cmd.append(bundle)
    env = _child_env()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, timeout=3600)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise RuntimeError(f"child {kind} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")


def ndjson_bytes(bundle: Path) -> int:
    return sum(p.stat().st_size for p in bundle.rglob("*.ndjson"))


def summarise(bundle: Path, empty: dict, sv: dict) -> list[str]:
    pg_base = sv.get("baseline", {})
    nd = ndjson_bytes(bundle)
    m = _median
    rows = [
        ("launch → first paint", f"{sv['first_paint_s']:.2f} s", f"{empty['first_paint_s']:.2f} s (empty window)",
         f"≤ {TARGETS['first_paint_s']} s"),
        ("launch → timeline shows the spans", f"{sv['view_loaded_s'].get('timeline', float('nan')):.2f} s", "—",
         f"≤ {TARGETS['spans_shown_s']} s"),
        ("launch → all heavy views loaded", f"{sv.get('views_loaded_s', float('nan')):.2f} s "
         f"({', '.join(f'{k} {v:.2f}' for k, v in sv['view_loaded_s'].items())})", "—", "—"),
        ("timeline frame, 10 ms zoomed in", f"{m(sv['timeline_zoomed_ms']):.1f} ms (max {max(sv['timeline_zoomed_ms']):.1f})",
         "—", f"≤ {TARGETS['timeline_zoomed_ms']} ms"),
        ("timeline frame, whole run", f"{m(sv['timeline_full_ms']):.1f} ms (max {max(sv['timeline_full_ms']):.1f})",
         "—", f"≤ {TARGETS['timeline_full_ms']} ms"),
    ]
    if "metrics_pan_full_ms" in sv:
        rows += [
            (f"metrics pan frame, whole x ({sv['metrics_points_in_plot']:,} pts in plot)",
             f"{m(sv['metrics_pan_full_ms']):.1f} ms (max {max(sv['metrics_pan_full_ms']):.1f})",
             f"plain pyqtgraph, same points: raw {m(pg_base['raw_pan_full_ms']):.0f} ms, "
             f"peak+clipToView {m(pg_base['peak_clip_pan_full_ms']):.0f} ms", f"≤ {TARGETS['metrics_pan_ms']} ms"),
            ("metrics pan frame, 5 % of x", f"{m(sv['metrics_pan_zoomed_ms']):.1f} ms", "—",
             f"≤ {TARGETS['metrics_pan_ms']} ms"),
        ]
    rows.append(("peak memory (RSS)", f"{sv['peak_rss_mb']:.0f} MB = {sv['peak_rss_mb'] * 2**20 / nd:.2f}× NDJSON "
                 f"({nd / 2**20:.0f} MB)", f"{empty['peak_rss_mb']:.0f} MB empty window",
                 f"≤ {TARGETS['peak_rss_over_ndjson']}× NDJSON"))
    lines = ["| measure | swarmview | baseline (same run) | target |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bundle", nargs="?")
    ap.add_argument("--child")
    ap.add_argument("--launch", type=float)
    ap.add_argument("--out", type=Path, help="append the results to this Markdown file")
    ap.add_argument("--keep", type=Path, help="build the demo bundle here and keep it")
    args = ap.parse_args(argv)
    if args.child:
        fn = {"empty": child_empty, "swarmview": child_swarmview}[args.child]
        result = fn(args.launch, args.bundle) if args.child != "empty" else fn(args.launch)
        return _report(result)
    tmp = None
    if args.bundle:
        bundle = Path(args.bundle)
    else:
        tmp = args.keep or Path(tempfile.mkdtemp(prefix="swarmview-bench-"))
        tmp.mkdir(parents=True, exist_ok=True)
        bundle = make_bundle(tmp)
    try:
        warm_bytecode()
        empty = run_child("empty", None)
        sv = run_child("swarmview", str(bundle))
    finally:
        if tmp is not None and args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)
    table = summarise(bundle, empty, sv)
    header = (f"## gui: first paint, views loaded, frames, memory ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})"
              f"\n\nPython {platform.python_version()}, {os.cpu_count()} cores, Qt offscreen (software raster); "
              f"{sv.get('spans', 0):,} spans, {sv.get('metrics_points_total', 0):,} metric points; load average at the "
              f"end {' '.join(f'{x:.1f}' for x in os.getloadavg())} (the machine is shared). Frames: median of 12 "
              "`widget.render(QImage)` after a view change (max in brackets).")
    command = "`.venv/bin/python benchmarks/gui.py " + " ".join(sys.argv[1:]) + "`"
    text = "\n".join([header, "", command, "", *table, ""])
    print(text)
    print(json.dumps({"empty": empty, "swarmview": sv}), file=sys.stderr)
    if args.out:
        with open(args.out, "a", encoding="utf-8") as f:
            f.write("\n" + text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
