"""The dashboard in real headless Chromium: every chart renders, offline, and hostile text stays text."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from pipelines.dashboard.page import write_dashboard
from pipelines.text.charts.registry import build_charts
from tests.chart_frames import CHART_NAMES, XSS_IMG, XSS_SCRIPT, hostile_frames

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[1] / "warehouse" / "screenshots"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.e2e


def chromium() -> Path:
    """Debian's Chromium; CI fails without it, a developer's machine skips."""
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing: CI must run the dashboard browser test")
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")


class PageWatch:
    """Everything a page did that the test cares about: requests, console errors, dialogs."""

    def __init__(self, page: Any) -> None:
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on(
            "console",
            lambda msg: self.errors.append(f"console: {msg.text}") if msg.type == "error" else None,
        )
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on("dialog", self._dialog)

    def _dialog(self, dialog: Any) -> None:
        """Record and dismiss an alert/confirm/prompt."""
        self.dialogs.append(dialog.message)
        dialog.dismiss()


def assert_rendered(page: Any, names: list[str]) -> None:
    """Each chart's plot div holds a drawn plotly SVG with at least one trace."""
    for name in names:
        div = page.locator(f"#plot-{name}")
        assert div.count() == 1, name
        svg = div.locator(".main-svg").first
        assert svg.is_visible(), name
        box = svg.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 200, (name, box)
        assert div.locator(".trace, .hm, .heatmaplayer image, .boxlayer path").count() > 0, name


def test_dashboard_in_headless_chromium(tmp_path: Path) -> None:
    executable = chromium()
    from playwright.sync_api import sync_playwright

    charts = build_charts(hostile_frames())
    assert [c.name for c in charts] == CHART_NAMES
    out = write_dashboard(charts, tmp_path / "dashboard", generated_at="test run")
    index_url = out["index"].resolve().as_uri()
    allowed = {index_url, out["plotly_js"].resolve().as_uri()}
    allowed |= {out[name].resolve().as_uri() for name in CHART_NAMES}

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            watch = PageWatch(page)
            page.goto(index_url, wait_until="load")
            page.wait_for_function(
                "n => document.querySelectorAll('.plot .main-svg').length >= n",
                arg=len(CHART_NAMES),
                timeout=30_000,
            )
            assert_rendered(page, CHART_NAMES)

            # hover a heatmap cell and a box so plotly draws hover labels with report strings
            page.locator("#plot-readability_vs_length .nsewdrag").first.hover()
            page.locator("#plot-report_topic_heatmap .nsewdrag").first.hover()
            page.mouse.move(5, 5)

            text = page.inner_text("body")
            assert XSS_SCRIPT in text
            assert XSS_IMG in text
            assert "a & b <b>bold</b>.md" in text
            ticks = page.locator("#plot-readability_by_report .ytick text").all_text_contents()
            assert XSS_SCRIPT in ticks and XSS_IMG in ticks
            assert page.locator("img").count() == 0
            assert page.locator("body script:not([type])").count() == 2  # plotly.js + renderer
            assert page.evaluate("typeof window.alert") == "function"

            shot = tmp_path / "dashboard.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(shot, SCREENSHOTS / "dashboard_test.png")

            # each chart on its own page loads the sibling plotly.min.js from file://
            for name in CHART_NAMES:
                page.goto(out[name].resolve().as_uri(), wait_until="load")
                page.wait_for_selector(f"#plot-{name} .main-svg", timeout=30_000)
                assert_rendered(page, [name])
            page.goto(out["readability_by_report"].resolve().as_uri(), wait_until="load")
            page.wait_for_selector("#plot-readability_by_report .main-svg")
            assert XSS_SCRIPT in page.inner_text("body")
            page.screenshot(path=str(tmp_path / "one_chart.png"), full_page=True)
            shutil.copyfile(
                tmp_path / "one_chart.png", SCREENSHOTS / "dashboard_one_chart_test.png"
            )
            context.close()
        finally:
            browser.close()

    assert watch.dialogs == []
    assert watch.errors == []
    assert watch.requests, "no request recorded"
    assert all(url.startswith("file://") for url in watch.requests), watch.requests
    assert set(watch.requests) <= allowed, set(watch.requests) - allowed


def test_pipeline_dashboard_on_the_seeds_renders_offline(seeds_warehouse: Path) -> None:
    executable = chromium()
    from playwright.sync_api import sync_playwright

    index = seeds_warehouse / "charts" / "index.html"
    names = sorted(p.stem for p in index.parent.glob("*.html") if p.stem != "index")
    assert names == sorted(CHART_NAMES)  # every chart has data on the seeds
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            watch = PageWatch(page)
            page.goto(index.resolve().as_uri(), wait_until="load")
            page.wait_for_function(
                "n => document.querySelectorAll('.plot .main-svg').length >= n",
                arg=len(names),
                timeout=30_000,
            )
            assert_rendered(page, names)
            assert "004_c37010fbd4496169.txt" in page.inner_text("body")
            assert watch.errors == [] and watch.dialogs == []
            assert all(url.startswith("file://") for url in watch.requests), watch.requests
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "dashboard_seeds.png"), full_page=True)
        finally:
            browser.close()
