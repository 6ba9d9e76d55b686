"""Ingest: report files -> `corpus.reports`, `corpus.sections`, `corpus.rejected_reports`."""

from collections.abc import Iterator

import dagster as dg
import polars as pl

from pipelines.asset_metadata import markdown_list, markdown_preview
from pipelines.asset_specs import corpus_asset, report_multi_asset, report_spec
from pipelines.partitions import PER_REPORT_ASSETS, REPORT_METRIC_ASSETS, reports_partitions
from pipelines.report_files import report_id
from pipelines.reports_folder import ingest_pool, ingest_reports, keep_first_seen
from pipelines.resources import ReportsFolder, WarehouseResource
from pipelines.warehouse import SCHEMA, Warehouse

# Files read and landed per transaction: a bulk load holds one chunk's text in memory.
REPORTS_PER_CHUNK = 2000
# Rows shown in the materializations' previews.
PREVIEW_ROWS = 20


@report_multi_asset(
    "ingest_reports",
    [
        report_spec(
            "reports",
            group="ingest",
            description="One row per report file: title, content hash, words, encoding, "
            "repairs made, report date; unreadable files go to corpus.rejected_reports.",
            metadata={"table": f"{SCHEMA}.reports"},
        ),
        report_spec(
            "sections",
            group="ingest",
            deps=["reports"],
            description="The sections of every report (Markdown headings, bold-line headings, "
            "numbering, nesting), each with its raw Markdown, the plain text of its prose and the "
            "text of its table cells.",
            metadata={"table": f"{SCHEMA}.sections"},
        ),
    ],
)
def ingest(
    context: dg.AssetExecutionContext, reports_folder: ReportsFolder, warehouse: WarehouseResource
) -> Iterator[dg.MaterializeResult]:
    """Read, repair and section the run's report files, REPORTS_PER_CHUNK at a time, each
    chunk's three tables landed in one transaction (a bulk load holds one chunk in memory)."""
    file_names = list(context.partition_keys)
    store = warehouse.get()
    landed = {"reports": 0, "sections": 0}
    first: tuple[pl.DataFrame, pl.DataFrame] | None = None
    rejections: list[pl.DataFrame] = []
    with ingest_pool(len(file_names)) as pool:
        for start in range(0, max(len(file_names), 1), REPORTS_PER_CHUNK):
            names = file_names[start : start + REPORTS_PER_CHUNK]
            read = ingest_reports(
                reports_folder.folder, names, reports_folder.max_report_bytes, pool=pool
            )
            reports, sections, rejected = _land_chunk(store, *read, names)
            for row in rejected.iter_rows(named=True):
                context.log.warning(f"rejected {row['file_name']!r}: {row['reason']}")
            landed["reports"] += reports.height
            landed["sections"] += sections.height
            rejections.append(rejected)
            first = first or (reports.head(PREVIEW_ROWS), sections.head(PREVIEW_ROWS))
            if len(file_names) > REPORTS_PER_CHUNK:
                context.log.info(f"ingest: {start + len(names)} of {len(file_names)} files")
    assert first is not None  # the loop runs at least once
    reports, sections = first
    rejected = pl.concat(rejections)
    yield dg.MaterializeResult(
        asset_key="reports",
        metadata={
            "dagster/row_count": landed["reports"],
            "rejected": rejected.height,
            "preview": markdown_preview(
                reports.select("file_name", "title", "n_words", "n_sections", "encoding")
            ),
            "rejections": markdown_preview(rejected.select("file_name", "reason")),
        },
    )
    yield dg.MaterializeResult(
        asset_key="sections",
        metadata={
            "dagster/row_count": landed["sections"],
            "preview": markdown_preview(
                sections.select("report_id", "ordinal", "level", "number", "heading", "n_words")
            ),
        },
    )


def _land_chunk(
    store: Warehouse,
    reports: pl.DataFrame,
    sections: pl.DataFrame,
    rejected: pl.DataFrame,
    file_names: list[str],
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Land one chunk's reports, sections and rejections in one transaction; returns them."""
    ids = [report_id(name) for name in file_names]
    # Unchanged content keeps its first ingestion time, so a re-run changes no row.
    reports = keep_first_seen(
        reports,
        store.rows_for("reports", "report_id", ids),
        "report_id",
        "content_sha256",
        "ingested_at",
    )
    rejected = keep_first_seen(
        rejected,
        store.rows_for("rejected_reports", "file_name", file_names),
        "file_name",
        "reason",
        "seen_at",
    )
    store.replace_many(
        [
            ("reports", reports, "report_id", ids),
            ("sections", sections, "report_id", ids),
            ("rejected_reports", rejected, "file_name", file_names),
        ]
    )
    return reports, sections, rejected


@corpus_asset(
    group="ingest",
    deps=[*PER_REPORT_ASSETS, *REPORT_METRIC_ASSETS],
    kinds=frozenset({"duckdb"}),
    description="The reports currently in the folder (one per partition); every row of a "
    "report whose file is gone is deleted from every table.",
)
def report_inventory(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Delete the rows of reports that are no longer partitions, so tables match the folder."""
    current = set(context.instance.get_dynamic_partitions(reports_partitions.name))
    store = warehouse.get()
    gone = sorted(store.landed_file_names() - current)
    if gone:
        store.delete_reports([report_id(name) for name in gone], gone)
        context.log.info(f"removed the rows of {len(gone)} report(s) no longer in the folder")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(current),
            "removed": len(gone),
            "removed_files": markdown_list(gone),
        }
    )
