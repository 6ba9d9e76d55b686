"""The offline HTML dashboard: index.html with every chart, one page per chart, plotly.js beside them.

`write_dashboard` writes ``index.html`` (every chart, plotly.js inlined once) plus one page per
chart that loads a sibling ``plotly.min.js``; nothing is fetched from the network, so the pages
work from ``file://``. Figure JSON is embedded in ``<script type="application/json">`` after
`script_safe` replaces ``< > &`` and U+2028/U+2029 by JSON escapes (plotly's own encoder already
escapes ``< > /``), so no string can close the element. The pages carry a Content-Security-Policy
that allows only their own inline scripts (by hash), ``plotly.min.js`` from ``file:``, and no
network.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import math
import os
import re
import tempfile
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
import polars as pl
from plotly.offline import get_plotlyjs

from pipelines.text.charts.common import SUMMARY_ROWS, Chart, shorten

PLOTLY_JS = "plotly.min.js"

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_PLOT_CONFIG: dict[str, Any] = {
    "responsive": True,
    "displaylogo": False,
    "showSendToCloud": False,
    "showEditInChartStudio": False,
}


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


_RENDER_JS = """
(function () {
  var config = __CONFIG__;
  var blocks = document.querySelectorAll("script[type='application/json'][data-plot]");
  Array.prototype.forEach.call(blocks, function (block) {
    var div = document.getElementById(block.getAttribute("data-plot"));
    try {
      var fig = JSON.parse(block.textContent);
      Plotly.newPlot(div, fig.data, fig.layout, config);
    } catch (err) {
      div.textContent = "This chart could not be drawn.";
      console.error(err);
    }
  });
})();
""".replace("__CONFIG__", pio.json.to_json_plotly(_PLOT_CONFIG))

_CSS = """
:root { color-scheme: light; }
body { margin: 0; background: #f4f5f7; color: #1f2328;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header, main { max-width: 1180px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 24px; }
h1 { font-size: 26px; margin: 0 0 4px; }
.meta { color: #57606a; margin: 0 0 12px; }
nav ol { columns: 2; margin: 0; padding-left: 22px; }
nav li { margin: 2px 0; }
a { color: #0969da; }
.own { color: #57606a; font-size: 13px; }
section.chart { background: #fff; border: 1px solid #d0d7de; border-radius: 8px;
  margin: 20px 0; padding: 16px 20px; }
section.chart h2 { font-size: 19px; margin: 0 0 4px; }
.caption { color: #424a53; margin: 0 0 8px; }
.plot { width: 100%; }
table.summary { border-collapse: collapse; font-size: 13px; margin-top: 10px; min-width: 50%; }
table.summary caption { text-align: left; color: #57606a; padding-bottom: 4px; }
table.summary th, table.summary td { border-bottom: 1px solid #eaeef2; padding: 3px 8px;
  text-align: left; vertical-align: top; overflow-wrap: anywhere; }
table.summary .num { text-align: right; font-variant-numeric: tabular-nums; }
footer { max-width: 1180px; margin: 0 auto 30px; padding: 0 20px; color: #57606a; font-size: 13px; }
"""


def _decimals(values: Sequence[object]) -> int:
    """Decimals (0..3) needed to show every float of a column after rounding to 3 places."""
    needed = 0
    for value in values:
        if isinstance(value, float) and math.isfinite(value):
            text = f"{value:.3f}".rstrip("0")
            needed = max(needed, len(text.split(".")[1]))
    return needed


def _cell(value: object, decimals: int) -> tuple[str, bool]:
    """A summary value as escaped HTML text, and whether it is numeric."""
    if value is None:
        return "", False
    if isinstance(value, bool):
        return ("yes" if value else "no"), False
    if isinstance(value, int):
        return f"{value:,}", True
    if isinstance(value, float):
        return ("" if not math.isfinite(value) else f"{value:,.{decimals}f}"), True
    if isinstance(value, datetime | date):
        return html.escape(value.isoformat()), False
    return html.escape(shorten(value, 200)), False


def _summary_table(summary: pl.DataFrame) -> str:
    """The chart's summary rows as an escaped HTML table ('' when empty)."""
    if summary.height == 0 or summary.width == 0:
        return ""
    rows = summary.head(SUMMARY_ROWS)
    numeric = [dtype.is_numeric() for dtype in rows.dtypes]
    decimals = [_decimals(rows[c].to_list()) for c in rows.columns]
    head = "".join(
        f'<th class="num">{html.escape(str(c))}</th>' if num else f"<th>{html.escape(str(c))}</th>"
        for c, num in zip(rows.columns, numeric, strict=True)
    )
    body = []
    for row in rows.iter_rows():
        cells = []
        for value, places in zip(row, decimals, strict=True):
            text, is_number = _cell(value, places)
            cells.append(f'<td class="num">{text}</td>' if is_number else f"<td>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        '<table class="summary"><caption>Top rows behind the chart</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def figure_json(figure: go.Figure) -> str:
    """Figure JSON without its title (the page shows it), safe inside a <script> element."""
    fig = figure.to_plotly_json()
    layout = dict(fig.get("layout", {}))
    layout.pop("title", None)
    margin = dict(layout.get("margin") or {})
    margin["t"] = max(20, int(margin.get("t", 60)) - 40)
    layout["margin"] = margin
    text = pio.json.to_json_plotly({"data": fig.get("data", []), "layout": layout})
    return script_safe(text)


def _chart_section(chart: Chart, standalone: bool) -> tuple[str, int]:
    """HTML <section> of one chart (title, caption, plot div, figure JSON, summary) and its height."""
    height = int(chart.figure.layout.height or 450)
    link = (
        ""
        if standalone
        else f' <a class="own" href="{html.escape(chart.name)}.html">open alone</a>'
    )
    name = html.escape(chart.name)
    return (
        f'<section class="chart" id="{name}">'
        f"<h2>{html.escape(chart.title)}{link}</h2>"
        f'<p class="caption">{html.escape(chart.caption)}</p>'
        f'<div class="plot" id="plot-{name}" style="height:{height}px"></div>'
        f'<script type="application/json" data-plot="plot-{name}">{figure_json(chart.figure)}</script>'
        f"{_summary_table(chart.summary)}</section>"
    ), height


def _page(title: str, header: str, body: str, inline_scripts: list[str], src_script: bool) -> str:
    """A complete HTML page with a CSP allowing only the given inline scripts (and plotly.min.js)."""
    script_src = " ".join(_csp_hash(s) for s in inline_scripts) + (" file:" if src_script else "")
    csp = (
        "default-src 'none'; "
        f"script-src {script_src}; "
        "style-src 'unsafe-inline'; img-src data: blob:; font-src data:; "
        "connect-src 'none'; base-uri 'none'; form-action 'none'"
    )
    loader = f'<script src="{PLOTLY_JS}" charset="utf-8"></script>' if src_script else ""
    scripts = "".join(f"<script>{s}</script>" for s in inline_scripts)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{html.escape(csp)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>"
        f"<body><header>{header}</header><main>{body}</main>"
        "<footer>Charts drawn with plotly.js, embedded in this folder; nothing is loaded from the network.</footer>"
        f"{loader}{scripts}</body></html>\n"
    )


def _atomic_write(path: Path, text: str) -> None:
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
    charts: Sequence[Chart], out_dir: Path, generated_at: str | None = None
) -> dict[str, Path]:
    """Write index.html (all charts, plotly.js inline once), <name>.html per chart, plotly.min.js.

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
        _atomic_write(plotly_path, source)
    written["plotly_js"] = plotly_path

    sections = []
    for chart in charts:
        section, _ = _chart_section(chart, standalone=False)
        sections.append(section)
        alone, _ = _chart_section(chart, standalone=True)
        header = (
            '<p class="meta"><a href="index.html">← all charts</a> · generated '
            f"{html.escape(stamp)}</p>"
        )
        page = _page(chart.title, header, alone, [_RENDER_JS], src_script=True)
        path = out_dir / f"{chart.name}.html"
        _atomic_write(path, page)
        written[chart.name] = path

    toc = "".join(
        f'<li><a href="#{html.escape(c.name)}">{html.escape(c.title)}</a></li>' for c in charts
    )
    count = f"{len(charts)} chart{'s' if len(charts) != 1 else ''}"
    header = (
        "<h1>reportscope: the report corpus at a glance</h1>"
        f'<p class="meta">Generated {html.escape(stamp)} · {count}</p>'
        + (f"<nav><ol>{toc}</ol></nav>" if charts else "<p>No chart has data yet.</p>")
    )
    index = _page(
        "reportscope dashboard", header, "".join(sections), [plotly_js(), _RENDER_JS], False
    )
    index_path = out_dir / "index.html"
    _atomic_write(index_path, index)
    written["index"] = index_path
    return written
