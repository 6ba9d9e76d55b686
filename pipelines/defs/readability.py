"""Readability: textstat's formulas for every section and report, computed in bulk."""

import dagster as dg

from pipelines.asset_checks import offending_rows_check
from pipelines.asset_metadata import markdown_preview
from pipelines.asset_specs import report_multi_asset, report_spec
from pipelines.corpus_reads import read_section_texts, report_texts
from pipelines.report_files import report_id
from pipelines.resources import WarehouseResource
from pipelines.text.readability.table import readability as readability_table

READABILITY_IS_FINITE_WHEN_RELIABLE = "readability_is_finite_when_reliable"
REPORT_READABILITY_WITHIN_SECTION_RANGE = "report_readability_within_section_range"
# The SQL of both checks is in sql/checks/<check name>.sql.


@report_multi_asset(
    "readability",
    [
        report_spec(
            "section_readability",
            group="readability",
            deps=["sections"],
            description="textstat's readability formulas and the counts behind them for every "
            "section's plain text; `reliable` is false under 100 words or 3 sentences.",
        ),
        report_spec(
            "report_readability",
            group="readability",
            deps=["sections"],
            description="The same formulas for each whole report (its sections' plain text).",
        ),
    ],
)
def readability(context: dg.AssetExecutionContext, warehouse: WarehouseResource):  # type: ignore[no-untyped-def]
    """Compute section and report readability for the run's reports in one pass each."""
    store = warehouse.get()
    ids = [report_id(name) for name in context.partition_keys]
    sections = read_section_texts(store, ids)
    per_section = readability_table(sections, ["report_id", "section_id"])
    per_report = readability_table(report_texts(sections), ["report_id"])
    store.replace_many(
        [
            ("section_readability", per_section, "report_id", ids),
            ("report_readability", per_report, "report_id", ids),
        ]
    )
    columns = ["flesch_reading_ease", "flesch_kincaid_grade", "n_words", "reliable"]
    yield dg.MaterializeResult(
        asset_key="section_readability",
        metadata={
            "dagster/row_count": per_section.height,
            "unreliable": int((~per_section["reliable"]).sum()),
            "preview": markdown_preview(per_section.select("section_id", *columns)),
        },
    )
    yield dg.MaterializeResult(
        asset_key="report_readability",
        metadata={
            "dagster/row_count": per_report.height,
            "preview": markdown_preview(per_report.select("report_id", *columns)),
        },
    )


readability_is_finite_when_reliable = offending_rows_check(
    asset="section_readability",
    name=READABILITY_IS_FINITE_WHEN_RELIABLE,
    description="Every formula is a finite number on every reliable section and report.",
    counted="rows_not_finite",
)


report_readability_within_section_range = offending_rows_check(
    asset="report_readability",
    name=REPORT_READABILITY_WITHIN_SECTION_RANGE,
    description="For formulas that average over words or sentences (Coleman-Liau, SMOG, "
    "McAlpine EFLAW), each report's value lies within its sections' range.",
    counted="reports_outside_range",
)
