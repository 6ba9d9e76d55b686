"""The offline dashboard pages: files, no network references, escaping of report strings, size at 10k."""

from __future__ import annotations

import html
import re
import time
from html.parser import HTMLParser
from pathlib import Path

from markupsafe import escape
from plotly.offline import get_plotlyjs

from pipelines.dashboard.page import plotly_js, script_safe, write_dashboard
from pipelines.text.charts import common
from pipelines.text.charts.registry import build_charts
from tests.chart_frames import CHART_NAMES, XSS_IMG, XSS_SCRIPT, hostile_frames, synthetic_frames

# --------------------------------------------------------------------------- dashboard


class _Refs(HTMLParser):
    """Collect the URL attributes (src, href, ...) of the real tags of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Record every URL-valued attribute of the tag."""
        for key, value in attrs:
            if key in {"src", "href", "action", "poster", "data", "srcset"} and value is not None:
                self.urls.append((tag, key, value))


def page_refs(page: str) -> list[tuple[str, str, str]]:
    """(tag, attribute, url) of every src/href in the page's markup (script bodies not parsed)."""
    parser = _Refs()
    parser.feed(page)
    return parser.urls


def external_refs(page: str) -> list[str]:
    """URL attributes of the page's tags that could leave the folder (scheme or //host)."""
    return [
        url for _, _, url in page_refs(page) if re.match(r"^\s*([a-z][a-z0-9+.-]*:|//)", url, re.I)
    ]


def test_dashboard_files_and_offline(tmp_path: Path) -> None:
    built = build_charts(hostile_frames())
    out = write_dashboard(built, tmp_path / "dash", generated_at="2024-05-01 <b>now</b>")
    assert set(out) == {"index", "plotly_js", *CHART_NAMES}
    index = out["index"].read_text(encoding="utf-8")
    js = get_plotlyjs()
    assert index.count(js[:300]) == 1  # plotly.js inlined exactly once
    assert index.count("plotly.js v") == 1
    assert external_refs(index) == []
    assert {(tag, attr) for tag, attr, _ in page_refs(index)} == {("a", "href")}
    markup = index.replace(plotly_js(), "")
    assert "<script src" not in markup and "mathjax" not in markup.lower()
    assert (tmp_path / "dash" / "plotly.min.js").read_text(encoding="utf-8") == js
    assert not list((tmp_path / "dash").glob(".*.tmp"))
    for name in CHART_NAMES:
        page = out[name].read_text(encoding="utf-8")
        assert '<script src="plotly.min.js"' in page and js[:300] not in page
        assert external_refs(page) == []
        assert ("script", "src", "plotly.min.js") in page_refs(page)
        assert f'href="#{name}"' in index
    assert "2024-05-01 &lt;b&gt;now&lt;/b&gt;" in index


def test_dashboard_escapes_report_strings(tmp_path: Path) -> None:
    out = write_dashboard(build_charts(hostile_frames()), tmp_path)
    index = out["index"].read_text(encoding="utf-8")
    body = index.replace(plotly_js(), "")
    # every <script> element is ours: plotly.js, the renderer, JSON data blocks
    for match in re.finditer(r"<script([^>]*)>(.*?)</script>", body, flags=re.S | re.I):
        attrs, content = match.groups()
        assert attrs in ("", ' type="application/json" data-plot="plot-' + attrs.split("plot-")[-1])
        if "application/json" in attrs:
            assert "<" not in content and ">" not in content
    assert "alert(1)" in body  # present, but only as escaped text
    assert XSS_SCRIPT not in body and "<img" not in body.lower()
    assert str(escape(XSS_SCRIPT)) in body  # summary table cell, escaped as Jinja2 escapes
    assert str(escape(XSS_IMG)) in body
    assert body.lower().count("<script") == body.lower().count("</script>")


def test_figure_strings_are_escaped_for_plotly() -> None:
    frames = hostile_frames()
    built = {c.name: c for c in build_charts(frames)}
    heat = built["readability_by_report"].figure.data[0]
    assert html.escape(XSS_SCRIPT, quote=False) in heat.y
    assert html.escape(XSS_IMG, quote=False) in heat.y
    assert "a &amp; b &lt;b&gt;bold&lt;/b&gt;.md" in heat.y
    scatter = built["readability_vs_length"].figure.data[0]
    headings = {row[1] for row in scatter.customdata}
    assert html.escape(XSS_IMG, quote=False) in headings
    assert not any(
        "<" in str(row) for t in built["readability_vs_length"].figure.data for row in t.customdata
    )
    assert script_safe('{"a":"</script><!--\u2028&"}') == (
        '{"a":"\\u003c/script\\u003e\\u003c!--\\u2028\\u0026"}'
    )


def test_dashboard_at_10k_reports_is_small_and_fast(tmp_path: Path) -> None:
    t0 = time.perf_counter()
    frames = synthetic_frames(10_000, sections_per_report=10, n_topics=60)
    t1 = time.perf_counter()
    built = build_charts(frames)
    out = write_dashboard(built, tmp_path)
    t2 = time.perf_counter()
    assert [c.name for c in built] == CHART_NAMES
    size = out["index"].stat().st_size
    print(f"10k dashboard: {size / 1e6:.2f} MB; frames {t1 - t0:.1f}s, charts+write {t2 - t1:.1f}s")
    assert size < 10_000_000
    assert t2 - t1 < 20
    by_name = {c.name: c for c in built}
    assert sum(len(t.x) for t in by_name["readability_vs_length"].figure.data) == common.MAX_POINTS
    assert "sample of 5,000 of 100,000 sections" in by_name["readability_vs_length"].caption
    for name in ("report_topic_heatmap", "report_similarity"):
        assert len(by_name[name].figure.data[0].y) <= common.TOP_REPORTS + 1
    assert (
        len(by_name["readability_by_report"].figure.layout.yaxis.categoryarray)
        == common.TOP_REPORTS + 1
    )
    assert "other (9,970 earlier reports)" in by_name["report_topic_heatmap"].figure.data[0].y
    for path in out.values():
        if path.suffix == ".html" and path.name != "index.html":
            assert path.stat().st_size < 2_000_000
