"""The dashboard in real headless Chromium: every chart renders, offline, and hostile text stays text."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from pipelines.dashboard.page import write_dashboard
from pipelines.dashboard.report_page import report_views, write_report_pages
from pipelines.text.charts.registry import build_charts
from tests.chart_frames import CHART_NAMES, XSS_IMG, XSS_SCRIPT, hostile_frames
from tests.report_page_frames import EARLIER, hostile_page_rows

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


def open_offline(executable: Path, url: str, viewport_height: int = 900) -> tuple[Any, Any, Any]:
    """Playwright, browser and a watched page opened at `url` (the caller closes them)."""
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
    page = browser.new_context(viewport={"width": 1100, "height": viewport_height}).new_page()
    watch = PageWatch(page)
    page.goto(url, wait_until="load")
    return playwright, browser, (page, watch)


def test_report_page_shows_hostile_text_as_text_offline(tmp_path: Path) -> None:
    executable = chromium()
    frames, rows = hostile_page_rows()
    [path] = write_report_pages(report_views(frames, rows), tmp_path / "reports", "test run")
    playwright, browser, (page, watch) = open_offline(executable, path.resolve().as_uri())
    try:
        text = page.inner_text("body")
        assert f"Title {XSS_SCRIPT}" in page.inner_text("h1")
        assert f"Heading {XSS_SCRIPT}." in text and f"Topic {XSS_IMG}" in text
        assert f"a & b {XSS_IMG}.md" in text
        assert page.locator("script").count() == 0 and page.locator("img").count() == 0
        # The repeated sentence is shaded fully, the new one as new, the short one not at all.
        assert page.locator(".s.seen-10").count() == 1 + 1  # the sentence and the legend
        assert page.locator("main .s.seen-0").count() == 2
        assert page.locator("main .s.unjudged").count() == 1
        link = page.locator("main a.repeats")
        assert link.count() == 1 and link.get_attribute("href") == f"{EARLIER}.html"
        assert f"Old {XSS_IMG}" in link.inner_text()
        assert page.locator(".new-topic").count() == 1
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "report_page_test.png"), full_page=True)
    finally:
        browser.close()
        playwright.stop()
    assert watch.errors == [] and watch.dialogs == []
    assert watch.requests == [path.resolve().as_uri()]


def test_seed_report_pages_and_the_dashboard_search_work_offline(seeds_warehouse: Path) -> None:
    executable = chromium()
    charts = seeds_warehouse / "charts"
    pages = sorted((charts / "reports").glob("*.html"))
    assert len(pages) == 5  # one per seed
    playwright, browser, (page, watch) = open_offline(executable, (charts / "index.html").as_uri())
    try:
        latest = page.locator("#latest-list a")
        assert latest.count() == 5
        # Latest first: seed 004 arrives last (same date, greatest file name).
        assert latest.first.inner_text() == "Report on Recent Advancements in AI LLMs"
        page.fill("#report-search", "developments in 2024")
        found = page.locator("#report-results a")
        assert found.count() == 1
        assert found.first.inner_text() == "Comprehensive Report on AI LLMs Developments in 2024"
        page.fill("#report-search", "no such title anywhere")
        assert page.locator("#report-results").inner_text() == "No report title matches."
        page.fill("#report-search", "")
        assert page.locator("#latest-list").is_visible()
        latest.first.click()
        page.wait_for_load_state("load")
        assert page.url.endswith(".html") and "/reports/" in page.url
        assert page.locator("main .s").count() > 30
        assert page.locator("h1").inner_text() == "Report on Recent Advancements in AI LLMs"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "report_page_seed_004.png"), full_page=True)
    finally:
        browser.close()
        playwright.stop()
    assert watch.errors == [] and watch.dialogs == []
    assert all(url.startswith("file://") for url in watch.requests), watch.requests
