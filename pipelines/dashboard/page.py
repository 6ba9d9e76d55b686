"""The offline HTML dashboard: index.html with every chart, one page per chart, plotly.js beside them.

`write_dashboard` renders ``templates/dashboard.html.j2`` (Jinja2, autoescape on) into
``index.html`` (every chart, plotly.js inlined once) plus one page per chart that loads a sibling
``plotly.min.js``; nothing is fetched from the network, so the pages work from ``file://``.
Figure JSON is embedded in ``<script type="application/json">`` after `script_safe` replaces
``< > &`` and U+2028/U+2029 by JSON escapes (plotly's own encoder already escapes ``< > /``), so
no string can close the element. The pages carry a Content-Security-Policy that allows only their
own inline scripts (by the hash of the text the template emits), ``plotly.min.js`` from
``file:``, and no network.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import math
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import jinja2
import plotly.graph_objects as go
import plotly.io as pio
import polars as pl
from plotly.offline import get_plotlyjs

from pipelines.text.charts.common import SUMMARY_ROWS, Chart, shorten, template_json

PLOTLY_JS = "plotly.min.js"

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_PLOT_CONFIG: dict[str, Any] = {
    "responsive": True,
    "displaylogo": False,
    "showSendToCloud": False,
    "showEditInChartStudio": False,
}


TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("pipelines.dashboard", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


@dataclass(frozen=True, slots=True)
class _ChartView:
    """What the template shows of one chart: text, plot height, figure JSON, summary cells."""

    name: str
    title: str
    caption: str
    height: int
    figure_json: str
    columns: list[tuple[str, bool]]
    rows: list[list[tuple[str, bool]]]


def script_safe(json_text: str) -> str:
    """JSON text that cannot end a <script> element: < > & U+2028 U+2029 become JSON escapes."""
    for raw, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        json_text = json_text.replace(raw, escaped)
    return json_text


@functools.cache
def plotly_js() -> str:
    """The bundled plotly.js source, safe to inline in a <script> element."""
    source = re.sub(r"</(script)", r"<\\/\1", get_plotlyjs(), flags=re.IGNORECASE)
    return source.replace("<!--", "<\\!--")


def _csp_hash(script: str) -> str:
    """CSP source expression allowing exactly this inline script."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def _decimals(values: Sequence[object]) -> int:
    """Decimals (0..3) needed to show every float of a column after rounding to 3 places."""
    needed = 0
    for value in values:
        if isinstance(value, float) and math.isfinite(value):
            text = f"{value:.3f}".rstrip("0")
            needed = max(needed, len(text.split(".")[1]))
    return needed


def _cell(value: object, decimals: int) -> tuple[str, bool]:
    """A summary value as text (the template escapes it), and whether it is numeric."""
    if value is None:
        return "", False
    if isinstance(value, bool):
        return ("yes" if value else "no"), False
    if isinstance(value, int):
        return f"{value:,}", True
    if isinstance(value, float):
        return ("" if not math.isfinite(value) else f"{value:,.{decimals}f}"), True
    if isinstance(value, datetime | date):
        return value.isoformat(), False
    return shorten(value, 200), False


def _summary_cells(
    summary: pl.DataFrame,
) -> tuple[list[tuple[str, bool]], list[list[tuple[str, bool]]]]:
    """The chart's summary rows as (header, numeric) and rows of (text, numeric) (none when empty)."""
    if summary.height == 0 or summary.width == 0:
        return [], []
    rows = summary.head(SUMMARY_ROWS)
    numeric = [dtype.is_numeric() for dtype in rows.dtypes]
    decimals = [_decimals(rows[c].to_list()) for c in rows.columns]
    columns = [(str(c), num) for c, num in zip(rows.columns, numeric, strict=True)]
    cells = [
        [_cell(value, places) for value, places in zip(row, decimals, strict=True)]
        for row in rows.iter_rows()
    ]
    return columns, cells


def figure_json(figure: go.Figure) -> str:
    """Figure JSON without its title (the page shows it), with the shared template, script-safe."""
    fig = figure.to_plotly_json()
    layout = dict(fig.get("layout", {}))
    layout.pop("title", None)
    layout.setdefault("template", template_json())
    margin = dict(layout.get("margin") or {})
    margin["t"] = max(20, int(margin.get("t", 60)) - 40)
    layout["margin"] = margin
    text = pio.json.to_json_plotly({"data": fig.get("data", []), "layout": layout})
    return script_safe(text)


def _chart_view(chart: Chart) -> _ChartView:
    """The template's view of one chart (title, caption, plot height, figure JSON, summary)."""
    columns, rows = _summary_cells(chart.summary)
    return _ChartView(
        name=chart.name,
        title=chart.title,
        caption=chart.caption,
        height=int(chart.figure.layout.height or 450),
        figure_json=figure_json(chart.figure),
        columns=columns,
        rows=rows,
    )


@dataclass(frozen=True, slots=True)
class ReportLink:
    """One report on the dashboard: its title, file, date and its page (relative link)."""

    title: str
    file_name: str
    when: str
    href: str


# Reports listed on the dashboard, latest first; the search box finds any of them.
LATEST_REPORTS = 30


@functools.cache
def _search_js() -> str:
    """The inline script of the report title search (search.js): filters an embedded list."""
    return TEMPLATES.get_template("search.js").render()


def _report_index_json(reports: Sequence[ReportLink]) -> str:
    """Every report's title, file and page as script-safe JSON for the search box."""
    return script_safe(
        json.dumps([[r.title, r.file_name, r.href] for r in reports], ensure_ascii=False)
    )


@functools.cache
def _render_js() -> str:
    """The inline script that draws every figure of a page (render.js with the plot config)."""
    config = pio.json.to_json_plotly(_PLOT_CONFIG)
    return TEMPLATES.get_template("render.js").render(config=config)


def _page(
    charts: Sequence[_ChartView],
    stamp: str,
    standalone: bool,
    reports: Sequence[ReportLink] = (),
) -> str:
    """A complete HTML page with a CSP allowing only its own inline scripts (and plotly.min.js).

    index.html inlines plotly.js and lists the latest `reports` with a title search over all of
    them; a standalone chart page loads the sibling plotly.min.js.
    """
    scripts = [_render_js()] if standalone else [plotly_js(), _render_js()]
    if reports and not standalone:
        scripts.append(_search_js())
    script_src = " ".join(_csp_hash(s) for s in scripts) + (" file:" if standalone else "")
    csp = (
        "default-src 'none'; "
        f"script-src {script_src}; "
        "style-src 'unsafe-inline'; img-src data: blob:; font-src data:; "
        "connect-src 'none'; base-uri 'none'; form-action 'none'"
    )
    return TEMPLATES.get_template("dashboard.html.j2").render(
        charts=charts,
        stamp=stamp,
        standalone=standalone,
        csp=csp,
        scripts=scripts,
        plotly_src=PLOTLY_JS if standalone else None,
        latest=list(reports[:LATEST_REPORTS]) if not standalone else [],
        n_reports=len(reports),
        report_index=_report_index_json(reports) if reports and not standalone else None,
    )


def atomic_write(path: Path, text: str) -> None:
    """Write `text` to `path` through a temp file in the same folder and os.replace."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_dashboard(
    charts: Sequence[Chart],
    out_dir: Path,
    generated_at: str | None = None,
    reports: Sequence[ReportLink] = (),
) -> dict[str, Path]:
    """Write index.html (all charts, plotly.js inline once), <name>.html per chart, plotly.min.js.

    `reports` (latest first): index.html links the first LATEST_REPORTS of them and searches
    all of their titles.

    Returns the written paths: "index", "plotly_js" and one entry per chart name.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = [chart.name for chart in charts]
    bad = [n for n in names if not _NAME.match(n) or n in {"index", "plotly.min"}]
    if bad or len(set(names)) != len(names):
        raise ValueError(f"chart names must be unique, lowercase and file-safe: {names}")
    stamp = generated_at or datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    written: dict[str, Path] = {}

    plotly_path = out_dir / PLOTLY_JS
    source = plotly_js()
    try:
        current = plotly_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        current = None
    if current != source:
        atomic_write(plotly_path, source)
    written["plotly_js"] = plotly_path

    views = [_chart_view(chart) for chart in charts]
    for view in views:
        path = out_dir / f"{view.name}.html"
        atomic_write(path, _page([view], stamp, standalone=True))
        written[view.name] = path

    index_path = out_dir / "index.html"
    atomic_write(index_path, _page(views, stamp, standalone=False, reports=reports))
    written["index"] = index_path
    return written
