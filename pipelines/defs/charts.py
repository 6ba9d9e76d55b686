"""Charts: the Plotly figures and the offline dashboard, from the warehouse tables."""

import shutil
from pathlib import Path

import dagster as dg
import polars as pl

from pipelines.asset_metadata import markdown_preview
from pipelines.corpus_reads import all_assignments, read_reports
from pipelines.dashboard.page import ReportLink, write_dashboard
from pipelines.dashboard.report_page import page_name
from pipelines.publishing import REPORT_PAGES_DIR, published_charts_dir, staged_charts_dir
from pipelines.resources import WarehouseResource
from pipelines.text.charts.registry import build_charts
from pipelines.warehouse import SCHEMA, Warehouse

# Chart name (as build_charts names them) -> the tables it reads.
CHART_TABLES = {
    "topic_frequency": ["topic_frequency"],
    "report_topic_heatmap": ["report_topics"],
    "topic_trend": ["topic_trend"],
    "readability_by_report": ["section_readability"],
    "readability_by_topic": ["section_readability", "section_topics"],
    "readability_vs_length": ["section_readability", "sections"],
    "report_similarity": ["report_similarity"],
    "novelty": ["report_novelty"],
    "repeated_phrases": ["repeated_phrases"],
}
# Whole-table reads for the charts (texts are left out: the charts need none).
_TABLE_QUERIES = {
    "reports": "SELECT report_id, file_name, title, n_words, n_sections, report_date FROM {s}.reports",
    "sections": "SELECT report_id, section_id, ordinal, level, number, heading, n_words, "
    "is_preamble FROM {s}.sections",
    "topics": "SELECT * FROM {s}.topics",
    "topic_frequency": "SELECT * FROM {s}.topic_frequency",
    "report_topics": "SELECT * FROM {s}.report_topics",
    "topic_trend": "SELECT * FROM {s}.topic_trend",
    # The readability charts read these columns only (the table has thirty).
    "section_readability": "SELECT report_id, section_id, n_words, reliable, "
    "flesch_reading_ease, flesch_kincaid_grade FROM {s}.section_readability",
    "report_similarity": "SELECT * FROM {s}.report_similarity",
    "report_novelty": "SELECT * FROM {s}.report_novelty",
    "repeated_phrases": "SELECT * FROM {s}.repeated_phrases",
}


def chart_key(name: str) -> str:
    """Asset key of one chart."""
    return f"{name}_chart"


def read_frames(store: Warehouse) -> dict[str, pl.DataFrame]:
    """Every table the charts read, as Polars frames (missing tables are left out)."""
    with store.connect():  # one connection for all the reads
        frames = {
            name: store.read(query.format(s=SCHEMA))
            for name, query in _TABLE_QUERIES.items()
            if store.table_exists(name)
        }
        if "reports" in frames:
            frames["report_arrival"] = read_reports(store)
        if store.table_exists("section_topics") and store.table_exists("discovered_section_topics"):
            frames["section_topics"] = all_assignments(store)
    return frames


def report_links(frames: dict[str, pl.DataFrame], pages: Path) -> list[ReportLink]:
    """The reports whose page is in `pages`, latest arrival first, as dashboard links."""
    arrival = frames.get("report_arrival")
    present = {p.stem for p in pages.glob("*.html")} if pages.is_dir() else set()
    if arrival is None or not present:
        return []
    return [
        ReportLink(
            title=row["title"] or row["file_name"],
            file_name=row["file_name"],
            when=row["report_date"].strftime("%Y-%m-%d") if row["report_date"] else "",
            href=f"{REPORT_PAGES_DIR}/{page_name(row['report_id'])}",
        )
        for row in arrival.sort("arrival_rank", descending=True).iter_rows(named=True)
        if row["report_id"] in present
    ]


@dg.multi_asset(
    name="charts",
    specs=[
        *(
            dg.AssetSpec(
                chart_key(name),
                deps=tables,
                description=f"Plotly chart `{name}` (warehouse/charts/{name}.html).",
                group_name="dashboard",
                kinds={"plotly"},
                tags={"scope": "corpus"},
                skippable=True,
            )
            for name, tables in CHART_TABLES.items()
        ),
        dg.AssetSpec(
            "dashboard",
            deps=[*(chart_key(name) for name in CHART_TABLES), "report_pages"],
            description="warehouse/charts/index.html: every chart on one self-contained page "
            "that works offline (plotly.js embedded once), plus one HTML file per chart; "
            "staged, and swapped in together with the database by published_warehouse.",
            group_name="dashboard",
            kinds={"plotly", "html"},
            tags={"scope": "corpus"},
        ),
    ],
)
def dashboard(warehouse: WarehouseResource):  # type: ignore[no-untyped-def]
    """Build every chart that has data and stage the dashboard; publishing swaps it in."""
    store = warehouse.get()
    frames = read_frames(store)
    built = build_charts(frames)
    staged = staged_charts_dir(store)
    for stale in staged.iterdir() if staged.is_dir() else []:
        if stale.name == REPORT_PAGES_DIR:  # the report pages stay (written per report)
            continue
        if stale.is_dir():  # charts of an earlier refresh must not linger
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)
    written = {
        name: published_charts_dir(store) / path.name
        for name, path in write_dashboard(
            built, staged, reports=report_links(frames, staged / REPORT_PAGES_DIR)
        ).items()
    }
    for chart in built:
        if chart.name not in CHART_TABLES:
            continue
        yield dg.MaterializeResult(
            asset_key=chart_key(chart.name),
            metadata={
                "path": dg.MetadataValue.path(str(written[chart.name])),
                "open": dg.MetadataValue.url(written[chart.name].as_uri()),
                "title": chart.title,
                "caption": chart.caption,
                "summary": markdown_preview(chart.summary),
            },
        )
    index = written["index"]
    yield dg.MaterializeResult(
        asset_key="dashboard",
        metadata={
            "path": dg.MetadataValue.path(str(index)),
            "open": dg.MetadataValue.url(index.as_uri()),
            "size_mb": round((staged / index.name).stat().st_size / 2**20, 2),
            "charts": len(built),
            "skipped": ", ".join(sorted(set(CHART_TABLES) - {c.name for c in built})) or "none",
        },
    )
