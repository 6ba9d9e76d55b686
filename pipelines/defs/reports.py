"""Ingest: report files -> `corpus.reports`, `corpus.sections`, `corpus.rejected_reports`."""

from collections.abc import Iterator

import dagster as dg

from pipelines.asset_metadata import markdown_list, markdown_preview
from pipelines.asset_specs import corpus_asset, report_multi_asset, report_spec
from pipelines.partitions import PER_REPORT_ASSETS, REPORT_METRIC_ASSETS, reports_partitions
from pipelines.report_files import report_id
from pipelines.reports_folder import ingest_reports, keep_first_seen
from pipelines.resources import ReportsFolder, WarehouseResource
from pipelines.warehouse import SCHEMA


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
    """Read, repair and section the run's report files; land all three tables in one transaction."""
    file_names = list(context.partition_keys)
    reports, sections, rejected = ingest_reports(
        reports_folder.folder, file_names, reports_folder.max_report_bytes
    )
    ids = [report_id(name) for name in file_names]
    store = warehouse.get()
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
    for row in rejected.iter_rows(named=True):
        context.log.warning(f"rejected {row['file_name']!r}: {row['reason']}")
    yield dg.MaterializeResult(
        asset_key="reports",
        metadata={
            "dagster/row_count": reports.height,
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
            "dagster/row_count": sections.height,
            "preview": markdown_preview(
                sections.select("report_id", "ordinal", "level", "number", "heading", "n_words")
            ),
        },
    )


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
