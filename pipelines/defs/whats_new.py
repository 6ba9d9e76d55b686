"""What did this report add: corpus.sentence_novelty and one HTML page per report.

One step for both, so a page is written exactly when its report's sentence rows are (re)computed
(new or changed reports; a page that went missing is rewritten from the stored rows), and the
rows are committed only after their pages are written. A report that is gone loses its page.
The new reports' `reports` partitions get a materialization carrying the page link and novelty
(at most PARTITION_EVENTS_MAX per run: a bulk load does not pay one more event per report).
"""

from collections.abc import Iterator
from datetime import UTC, datetime

import dagster as dg
import polars as pl

from pipelines import sentence_store
from pipelines.asset_metadata import markdown_preview, markdown_text
from pipelines.asset_specs import corpus_spec
from pipelines.dashboard.report_page import (
    page_name,
    remove_report_pages,
    report_views,
    write_report_pages,
)
from pipelines.increment_state import current_reports
from pipelines.publishing import REPORT_PAGES_DIR, published_charts_dir, staged_charts_dir
from pipelines.report_page_reads import page_frames
from pipelines.resources import WarehouseResource
from pipelines.warehouse import Warehouse

# New reports per run whose `reports` partition gets a materialization with its page link.
PARTITION_EVENTS_MAX = 50
# Dagster's tag for an asset's data version: copied from the ingest materialization, so the
# extra materialization leaves the partition's data version (and downstream freshness) alone.
DATA_VERSION_TAG = "dagster/data_version"


# Pages rendered at once: their views (every sentence as an object) are most of the step's
# memory on a bulk load.
PAGES_PER_BATCH = 250


def _pages(store: Warehouse, rows: pl.DataFrame, report_ids: list[str], stamp: str) -> list[dict]:
    """Write the pages of `report_ids` from their sentence rows; per page: id, file, novelty."""
    written: list[dict] = []
    for start in range(0, len(report_ids), PAGES_PER_BATCH):
        batch = report_ids[start : start + PAGES_PER_BATCH]
        mine = rows.filter(pl.col("report_id").is_in(batch))
        cited = mine["first_report_id"].drop_nulls().unique().to_list()
        frames = page_frames(store, batch, cited)
        write_report_pages(
            report_views(frames, mine), staged_charts_dir(store) / REPORT_PAGES_DIR, stamp
        )
        novelty = (
            dict(frames["novelty"].select("report_id", "novelty").iter_rows())
            if "novelty" in frames["novelty"].columns
            else {}
        )
        written += [
            {"report_id": r["report_id"], "file_name": r["file_name"],
             "title": r["title"] or r["file_name"], "novelty": novelty.get(r["report_id"])}
            for r in frames["reports"].iter_rows(named=True)
        ]  # fmt: skip
    return written


def _missing_pages(store: Warehouse, current: pl.DataFrame, todo: list[str]) -> list[str]:
    """Reports whose rows are stored but whose page file is not there (a lost staging folder)."""
    folder = staged_charts_dir(store) / REPORT_PAGES_DIR
    present = {p.stem for p in folder.glob("*.html")} if folder.is_dir() else set()
    return sorted(set(current["report_id"].to_list()) - present - set(todo))


def _partition_events(
    context: dg.AssetExecutionContext, pages: list[dict], store: Warehouse
) -> int:
    """Materialize the new reports' `reports` partitions again with their page and novelty."""
    chosen = pages[:PARTITION_EVENTS_MAX]
    if not chosen:
        return 0
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(
            asset_key=dg.AssetKey("reports"), asset_partitions=[p["file_name"] for p in chosen]
        ),
        limit=4 * len(chosen),
    ).records
    versions: dict[str, str] = {}
    for record in records:  # newest first
        partition = record.partition_key
        version = (record.event_log_entry.tags or {}).get(DATA_VERSION_TAG)
        if partition is not None and version is not None:
            versions.setdefault(partition, version)
    for page in chosen:
        path = published_charts_dir(store) / REPORT_PAGES_DIR / page_name(page["report_id"])
        version = versions.get(page["file_name"])
        context.log_event(
            dg.AssetMaterialization(
                asset_key="reports",
                partition=page["file_name"],
                description="What this report added: its page, sentence by sentence.",
                metadata={
                    "page": dg.MetadataValue.url(path.as_uri()),
                    "page_path": dg.MetadataValue.path(str(path)),
                    "novelty": dg.MetadataValue.float(float(page["novelty"]))
                    if page["novelty"] is not None
                    else dg.MetadataValue.text("not computed"),
                },
                tags={DATA_VERSION_TAG: version} if version is not None else None,
            )
        )
    return len(chosen)


@dg.multi_asset(
    name="whats_new",
    specs=[
        corpus_spec(
            "sentence_novelty",
            group="redundancy",
            deps=["section_fingerprints", "report_inventory"],
            description="Every sentence of every section with the share of its word 5-shingles "
            "that EARLIER reports (arrival order) already held, and the earlier report holding "
            "most of them; computed once per report, when it arrives or changes.",
        ),
        corpus_spec(
            "report_pages",
            group="dashboard",
            deps=["sentence_novelty", "report_novelty", "report_readability", "report_topics"],
            kinds=frozenset({"html"}),
            description="warehouse/charts/reports/<report_id>.html: one offline page per report, "
            "its text shaded sentence by sentence by how much was said before, with its date, "
            "novelty, readability and topics (new ones marked).",
        ),
    ],
)
def whats_new(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> Iterator[dg.MaterializeResult]:
    """Compute the sentence rows and pages of new or changed reports; drop those of gone ones."""
    store = warehouse.get()
    current = current_reports(store)
    todo, gone = sentence_store.pending(store, current)
    sentence_store.forget(store, gone)
    removed = remove_report_pages(
        staged_charts_dir(store) / REPORT_PAGES_DIR, set(current["report_id"].to_list())
    )
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    pages: list[dict] = []
    rows_written = 0
    for chunk in sentence_store.chunks(todo):
        rows = sentence_store.compute(store, chunk)
        pages += _pages(store, rows, chunk, stamp)
        sentence_store.commit(store, current, chunk, rows)
        rows_written += rows.height
        context.log.info(f"sentence novelty: {len(pages)} of {len(todo)} reports")
    repaired = _missing_pages(store, current, todo)
    for chunk in sentence_store.chunks(repaired):
        _pages(store, sentence_store.rows_of(store, chunk), chunk, stamp)
    events = _partition_events(context, pages, store)
    listed = pl.DataFrame(
        pages, schema={"report_id": pl.String, "file_name": pl.String, "title": pl.String,
                       "novelty": pl.Float64},
    )  # fmt: skip
    yield dg.MaterializeResult(
        asset_key="sentence_novelty",
        metadata={
            "reports_computed": len(todo),
            "rows_written": rows_written,
            "reports_forgotten": len(gone),
        },
    )
    links = "\n".join(
        f"- [{markdown_text(p['title'])}]"
        f"({(published_charts_dir(store) / REPORT_PAGES_DIR / page_name(p['report_id'])).as_uri()})"
        f" — novelty {p['novelty'] if p['novelty'] is None else round(p['novelty'], 3)}"
        for p in pages[:PARTITION_EVENTS_MAX]
    )
    yield dg.MaterializeResult(
        asset_key="report_pages",
        metadata={
            "pages_written": len(pages),
            "pages_rewritten": len(repaired),
            "pages_removed": len(removed),
            "partition_events": events,
            "folder": dg.MetadataValue.path(str(published_charts_dir(store) / REPORT_PAGES_DIR)),
            "new_pages": dg.MetadataValue.md(links or "none"),
            "preview": markdown_preview(listed.select("file_name", "novelty")),
        },
    )
