"""Self-contained HTML report (``--format html``): upstream's page plus what upstream hides.

The page keeps every section of upstream's ``swarm_torch_report`` (§17.3, reproduced exactly by
``html_upstream``) and adds the verification verdict and findings, upstream's own verdict, the run's
identity and counts, the load warnings, metric charts and span statistics. Charts are inline SVG;
there are no scripts and no external resources, so the file opens anywhere without network access.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from swarmview import __version__
from swarmview.core.bundle import Bundle, load_bundle
from swarmview.core.findings import Finding
from swarmview.core.records.series import Series, metric_series
from swarmview.core.verify.engine import run_verify
from swarmview.core.verify.report import Report
from swarmview.export.html_upstream import HEAD, STYLE, banner, escape_html, upstream_sections
from swarmview.export.output import atomic_output

EXTRA_STYLE = (
    ".verdict{font-size:17px}.bad{border:2px solid #b00020;padding:10px;border-radius:10px;background:#fff5f5}"
    ".unsure{border:2px solid #b26a00;padding:10px;border-radius:10px;background:#fffaf0}"
    ".meta td:first-child{width:220px;color:#555}.sev-error{color:#b00020;font-weight:600}"
    ".sev-warning{color:#b26a00;font-weight:600}.sev-unverified{color:#6a1b9a;font-weight:600}"
    ".sev-info{color:#555}.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:12px}"
    ".chart{border:1px solid #ddd;border-radius:8px;padding:6px 8px}.chart h3{font-size:13px;margin:2px 0 4px}"
    ".legend{font-size:12px;color:#333}.legend span{margin-right:10px;display:inline-block}.small{color:#555;font-size:13px}"
)
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
VERDICT_TEXT = {
    "verified": ("ok", "Verified: every file matches the manifest."),
    "verified_with_warnings": ("unsure", "Verified with warnings: every file matches the manifest; see the warnings."),
    "problems": ("bad", "Problems found: the run is not intact or not fully readable."),
    "could_not_verify": ("unsure", "Could not verify: some files could not be read to the end."),
    "cancelled": ("unsure", "Verification was cancelled."),
}
CHART_W, CHART_H, MAX_POINTS = 320, 150, 600


def _fmt_time(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, tz=UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC"


def _duration(ns: int) -> str:
    s = ns / 1e9
    return f"{s:.3f} s" if s < 120 else f"{s / 60:.1f} min"


def _upstream_text(report: Report) -> list[str]:
    up = report.upstream
    lines = []
    validate = up.get("validate_manifest")
    if validate is None:
        lines.append("upstream's validator: not run (fast tier)")
    elif validate.get("ok"):
        lines.append("upstream's validator: manifest accepted")
    elif validate.get("ok") is None:
        lines.append(f"upstream's validator: {validate.get('message')}")
    else:
        lines.append(f"upstream's validator: rejected: {validate.get('kind')}: {validate.get('message')}")
    load = up.get("load_report")
    if load is not None:
        if load.get("ok"):
            lines.append("upstream's report tool: loads the run")
        else:
            where = f"{load.get('file')}: " if load.get("file") else ""
            lines.append(f"upstream's report tool: cannot load the run: {where}{load.get('message')}")
    return lines


def integrity_section(bundle: Bundle, report: Report) -> str:
    cls, text = VERDICT_TEXT.get(report.verdict, ("unsure", report.verdict))
    manifest = bundle.root / "manifest.json"
    digest = hashlib.sha256(manifest.read_bytes()).hexdigest() if manifest.is_file() else "(no manifest.json)"
    counts = report.counts
    parts = [
        "<section><h2>Integrity (swarmview)</h2>",
        f'<div class="{cls} verdict"><strong>{escape_html(text)}</strong>',
        f"<br/><span class=\"small\">{counts.get('files_listed', 0)} files listed, {counts.get('files_ok', 0)} ok, "
        f"{counts.get('files_unlisted', 0)} unlisted; {counts.get('error', 0)} errors, {counts.get('warning', 0)} warnings, "
        f"{counts.get('unverified', 0)} unverified, {counts.get('info', 0)} notes; "
        f"{report.bytes_hashed:,} bytes hashed</span></div>",
        f'<p>manifest.json sha256: <code>{digest}</code></p><ul>',
        *(f"<li>{escape_html(line)}</li>" for line in _upstream_text(report)),
        "</ul>",
        findings_table([f for f in report.findings if f.severity != "info"], "Findings"),
        findings_table([f for f in report.findings if f.severity == "info"], "Notes (info)", collapsed=True),
        "</section>",
    ]
    return "".join(parts)


def findings_table(findings: Sequence[Finding], title: str, *, collapsed: bool = False) -> str:
    """A findings table; notes fold away (``<details>`` needs no script) so problems stay in view."""
    if not findings:
        return f'<p class="small">{escape_html(title)}: none.</p>'
    rows = "".join(
        f'<tr><td class="sev-{f.severity}">{f.severity}</td><td class="mono">{f.code}</td>'
        f'<td class="mono">{escape_html(_where(f))}</td><td>{escape_html(f.message)}</td></tr>'
        for f in findings
    )
    table = (f"<table><thead><tr><th>severity</th><th>code</th><th>where</th><th>message</th></tr></thead>"
             f"<tbody>{rows}</tbody></table>")
    heading = f"{escape_html(title)} ({len(findings)})"
    if collapsed:
        return f"<details><summary><strong>{heading}</strong></summary>{table}</details>"
    return f"<h3>{heading}</h3>{table}"


def _where(f: Finding) -> str:
    if f.path is None:
        return ""
    return f.path + (f":{f.line}" if f.line else "") + (f":{f.column}" if f.column else "")


def run_section(bundle: Bundle) -> str:
    run = bundle.run or {}
    rows: list[tuple[str, str]] = [
        ("run id", bundle.run_id or "(unknown)"),
        ("SwarmTorch version", str(run.get("swarmtorch_version", "?"))),
    ]
    if isinstance(run.get("created_unix_nanos"), int):
        rows.append(("created", _fmt_time(run["created_unix_nanos"])))
    if bundle.time_range:
        a, b = bundle.time_range
        rows.append(("wall-clock range", f"{_fmt_time(a)} → {_fmt_time(b)} ({_duration(b - a)})"))
    for key, value in sorted(bundle.counts.items()):
        rows.append((key.replace("_", " "), f"{value:,}"))
    body = "".join(f"<tr><td>{escape_html(k)}</td><td>{escape_html(v)}</td></tr>" for k, v in rows)
    return f'<section><h2>Run</h2><table class="meta"><tbody>{body}</tbody></table></section>'


def _reduce(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keep every extreme: min and max of y per bucket when there are more points than pixels."""
    if len(x) <= MAX_POINTS:
        return x, y
    buckets = np.linspace(0, len(x), MAX_POINTS // 2 + 1).astype(int)
    xs, ys = [], []
    for a, b in itertools.pairwise(buckets.tolist()):
        if b <= a:
            continue
        seg = y[a:b]
        lo, hi = a + int(np.nanargmin(seg)), a + int(np.nanargmax(seg))
        for i in sorted({lo, hi}):
            xs.append(x[i])
            ys.append(y[i])
    return np.asarray(xs), np.asarray(ys)


def _padded(lo: float, hi: float) -> tuple[float, float]:
    """A drawable range: a single value gets a margin that stays finite even next to ±1.8e308."""
    if hi > lo:
        return lo, hi
    margin = max(abs(lo) * 0.25, 0.5)
    down, up = lo - margin, lo + margin
    if not math.isfinite(up):
        down, up = lo - 2 * margin, lo
    if not math.isfinite(down):
        down, up = lo, lo + 2 * margin
    return down, up


def _legend_label(series: Series) -> str:
    """The value that tells a line from the others of its plot (``peer-0``), else the series label."""
    if series.group_label:
        return ", ".join(part.partition("=")[2] or part for part in series.group_label.split(", "))
    return series.label


def chart_title(series: Series) -> str:
    """Label plus the attributes that keep this plot apart from others of the same name (``{i=3}``)."""
    grouping = {"swarmtorch.peer_id", "swarmtorch.node_key"}
    rest = {k: v for k, v in series.attrs.items() if k not in grouping}
    if not rest:
        return series.label
    return series.label + " {" + ", ".join(f"{k}={v}" for k, v in sorted(rest.items())) + "}"


def chart_svg(title: str, lines: list[Series]) -> str:
    """One small multiple: every line of a plot, min/max-reduced, with its value range and x extent."""
    finite = [(s, np.isfinite(s.y)) for s in lines]
    base = min((int(s.x.min()) for s in lines if len(s.x)), default=0)  # x relative: epoch ns exceed float precision
    shifted = {id(s): (s.x - base).astype(np.float64) for s in lines}
    all_x = np.concatenate([shifted[id(s)][m] for s, m in finite]) if finite else np.array([])
    all_y = np.concatenate([s.y[m] for s, m in finite]) if finite else np.array([])
    if not len(all_y):
        return f'<div class="chart"><h3>{escape_html(title)}</h3><p class="small">no finite values</p></div>'
    x0, x1 = float(all_x.min()), float(all_x.max())
    if x1 == x0:
        x0, x1 = x0 - 1, x0 + 1
    y0, y1 = _padded(float(all_y.min()), float(all_y.max()))
    pad_l, pad_b, pad_t = 50, 16, 6

    def unit(v: np.ndarray, lo: float, hi: float) -> np.ndarray:
        # halved first: the range of two finite doubles (e.g. ±1.7e308) can overflow to inf
        return (v * 0.5 - lo * 0.5) / (hi * 0.5 - lo * 0.5)

    def px(v: np.ndarray) -> np.ndarray:
        return pad_l + unit(v, x0, x1) * (CHART_W - pad_l - 4)

    def py(v: np.ndarray) -> np.ndarray:
        return pad_t + (1 - unit(v, y0, y1)) * (CHART_H - pad_t - pad_b)

    kind = str(lines[0].x_kind)
    x_lo, x_hi = float(all_x.min()), float(all_x.max())
    if kind == "time":
        x_labels = ("+0 s", f"+{(x_hi - x_lo) / 1e9:.3g} s")  # relative to the plot's first point
    else:
        x_labels = (f"{x_lo + base:.0f}", f"{x_hi + base:.0f}")
    parts = [f'<svg width="{CHART_W}" height="{CHART_H + 12}" viewBox="0 0 {CHART_W} {CHART_H + 12}" '
             'xmlns="http://www.w3.org/2000/svg" role="img">',
             f'<rect x="{pad_l}" y="{pad_t}" width="{CHART_W - pad_l - 4}" height="{CHART_H - pad_t - pad_b}" '
             'fill="#fcfcfc" stroke="#ddd"/>',
             f'<text x="2" y="{pad_t + 10}" font-size="10">{_num(y1)}</text>',
             f'<text x="2" y="{CHART_H - pad_b}" font-size="10">{_num(y0)}</text>',
             f'<text x="{pad_l}" y="{CHART_H + 4}" font-size="10">{x_labels[0]}</text>',
             f'<text x="{CHART_W - 4}" y="{CHART_H + 4}" font-size="10" text-anchor="end">{x_labels[1]}</text>']
    legend = []
    for i, (series, mask) in enumerate(finite):
        colour = PALETTE[i % len(PALETTE)]
        xs, ys = _reduce(shifted[id(series)][mask], series.y[mask])
        sx, sy = px(xs), py(ys)
        points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(sx, sy, strict=True))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.2" points="{points}"/>')
        if len(xs) <= 40:  # few points: mark each, a lone point would otherwise be invisible
            parts += [f'<circle cx="{a:.1f}" cy="{b:.1f}" r="2.2" fill="{colour}"/>' for a, b in zip(sx, sy, strict=True)]
        nonfinite = int((~mask).sum())
        legend.append(f'<span style="color:{colour}">■ {escape_html(_legend_label(series))}'
                      f'{f" ({nonfinite} non-finite)" if nonfinite else ""}</span>')
    parts.append("</svg>")
    group = lines[0].group_label.partition("=")[0] if lines[0].group_label and len(lines) > 1 else ""
    by = f"by {kind}" + (f" · one line per {group}" if group else "")
    return (f'<div class="chart"><h3>{escape_html(title)} <span class="small">{escape_html(by)}</span></h3>'
            + "".join(parts) + f'<div class="legend">{"".join(legend)}</div></div>')


def _num(v: float) -> str:
    return f"{v:.4g}"


def metrics_section(bundle: Bundle) -> str:
    if not len(bundle.metrics):
        return '<section><h2>Metrics</h2><p class="small">no metrics in this run</p></section>'
    groups: dict[str, list[Series]] = {}
    for series in metric_series(bundle.metrics):
        groups.setdefault(series.group_key, []).append(series)
    charts = [chart_svg(chart_title(lines[0]), lines) for lines in groups.values()]
    return f'<section><h2>Metrics</h2><div class="charts">{"".join(charts)}</div></section>'


def span_stats_section(bundle: Bundle) -> str:
    spans = bundle.spans
    if not len(spans):
        return '<section><h2>Spans by name</h2><p class="small">no spans in this run</p></section>'
    rows = []
    finished = spans.has_end & (spans.end >= spans.start)
    durations = (spans.end.astype(np.int64) - spans.start.astype(np.int64)) / 1e6
    for code, name in enumerate(spans.names):
        mask = spans.name == code
        done = mask & finished
        d = durations[done]
        stats = (f"{d.sum():.3f}", f"{np.percentile(d, 50):.3f}", f"{np.percentile(d, 95):.3f}") if len(d) else ("", "", "")
        rows.append(f'<tr><td class="mono">{escape_html(name)}</td><td>{int(mask.sum())}</td>'
                    f"<td>{int(mask.sum() - done.sum())}</td><td>{stats[0]}</td><td>{stats[1]}</td><td>{stats[2]}</td></tr>")
    return ("<section><h2>Spans by name</h2><table><thead><tr><th>name</th><th>count</th><th>unfinished</th>"
            "<th>total ms</th><th>p50 ms</th><th>p95 ms</th></tr></thead><tbody>" + "".join(rows)
            + "</tbody></table></section>")


def artifacts_section(bundle: Bundle, report: Report) -> str:
    status = {f.path: f.status for f in report.files}
    rows = "".join(
        f'<tr><td class="mono">{escape_html(path)}</td><td>{size:,}</td><td>{escape_html(status.get(path, "?"))}</td></tr>'
        for path, size in bundle.artifacts
    )
    if not rows:
        return '<section><h2>Artifacts</h2><p class="small">no files under artifacts/</p></section>'
    return ("<section><h2>Artifacts</h2><table><thead><tr><th>path</th><th>bytes</th><th>verification</th></tr>"
            f"</thead><tbody>{rows}</tbody></table></section>")


def report_page(bundle: Bundle, report: Report, run_dir: str) -> str:
    """The whole self-contained page."""
    graph, timeline, registry, lineage = upstream_sections(bundle)
    return (
        HEAD.format(style=STYLE + EXTRA_STYLE)
        + "<h1>SwarmTorch Run Report</h1>"
        + f"<p><strong>Run dir:</strong> <code>{escape_html(run_dir)}</code> "
        + f'<span class="small">· written by swarmview {__version__}</span></p>'
        + integrity_section(bundle, report)
        + run_section(bundle)
        + banner(bundle)
        + graph
        + metrics_section(bundle)
        + span_stats_section(bundle)
        + timeline
        + registry
        + lineage
        + artifacts_section(bundle, report)
        + "</body></html>"
    )


def export_html(root: Path, out: Path, *, cancel: threading.Event | None = None, **_options: object) -> str:
    """``--format html``: verify, load, and write the page atomically."""
    report = run_verify(root, cancel=cancel)
    bundle = load_bundle(root, cancel=cancel)
    page = report_page(bundle, report, Path(root).name)
    with atomic_output(Path(out)) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return page
