"""Readability: textstat's formulas for every section and report, computed in bulk."""

import dagster as dg
import polars as pl

from pipelines.defs.metadata import markdown_preview
from pipelines.defs.partitions import reports_partitions, single_run
from pipelines.defs.resources import WarehouseResource
from pipelines.reports_folder import report_id
from pipelines.text import readability as formulas
from pipelines.warehouse import SCHEMA, SELECTED_KEYS, Warehouse

READABILITY_IS_FINITE_WHEN_RELIABLE = "readability_is_finite_when_reliable"
REPORT_READABILITY_WITHIN_SECTION_RANGE = "report_readability_within_section_range"
# Formulas that are a monotone function of one ratio over words or sentences: a report's value
# is then an average of its sections' and must lie within their range (Coleman-Liau uses
# letters and sentences per 100 words, SMOG polysyllables per sentence, McAlpine EFLAW
# (words + mini words) per sentence). Slack for sentences that merge across section joins.
AVERAGE_FORMULAS = ("coleman_liau_index", "smog_index", "mcalpine_eflaw")
RANGE_SLACK = 0.5


def read_section_texts(store: Warehouse, report_ids: list[str]) -> pl.DataFrame:
    """The plain text of the given reports' sections, in report and section order."""
    return store.read(
        f"SELECT report_id, section_id, ordinal, plain_text FROM {SCHEMA}.sections "
        f"WHERE report_id IN {SELECTED_KEYS} ORDER BY report_id, ordinal",
        keys=report_ids,
    )


def report_texts(sections: pl.DataFrame) -> pl.DataFrame:
    """A report's plain text: its sections' plain text in order, one per line block."""
    return (
        sections.sort("report_id", "ordinal")
        .group_by("report_id", maintain_order=True)
        .agg(pl.col("plain_text").str.join("\n"))
    )


@dg.multi_asset(
    name="readability",
    specs=[
        dg.AssetSpec(
            "section_readability",
            deps=["sections"],
            description="textstat's readability formulas and the counts behind them for every "
            "section's plain text; `reliable` is false under 100 words or 3 sentences.",
            group_name="readability",
            kinds={"polars", "duckdb"},
            tags={"scope": "report"},
            partitions_def=reports_partitions,
        ),
        dg.AssetSpec(
            "report_readability",
            deps=["sections"],
            description="The same formulas for each whole report (its sections' plain text).",
            group_name="readability",
            kinds={"polars", "duckdb"},
            tags={"scope": "report"},
            partitions_def=reports_partitions,
        ),
    ],
    partitions_def=reports_partitions,
    backfill_policy=single_run,
)
def readability(context: dg.AssetExecutionContext, warehouse: WarehouseResource):  # type: ignore[no-untyped-def]
    """Compute section and report readability for the run's reports in one pass each."""
    store = warehouse.get()
    ids = [report_id(name) for name in context.partition_keys]
    sections = read_section_texts(store, ids)
    per_section = formulas.readability(sections, ["report_id", "section_id"])
    per_report = formulas.readability(report_texts(sections), ["report_id"])
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


@dg.asset_check(
    asset="section_readability",
    name=READABILITY_IS_FINITE_WHEN_RELIABLE,
    description="Every formula is a finite number on every reliable section and report.",
)
def readability_is_finite_when_reliable(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    """Count reliable rows where any metric is NULL, NaN or infinite."""
    condition = " OR ".join(
        f"{c} IS NULL OR isnan({c}) OR isinf({c})" for c in formulas.METRIC_COLUMNS
    )
    bad = warehouse.get().read(
        f"""
        SELECT 'section' AS level, section_id AS id FROM {SCHEMA}.section_readability
        WHERE reliable AND ({condition})
        UNION ALL
        SELECT 'report', report_id FROM {SCHEMA}.report_readability
        WHERE reliable AND ({condition})
        """
    )
    return dg.AssetCheckResult(
        passed=bad.height == 0,
        metadata={"rows_not_finite": bad.height, "rows": markdown_preview(bad)},
    )


@dg.asset_check(
    asset="report_readability",
    name=REPORT_READABILITY_WITHIN_SECTION_RANGE,
    description="For formulas that average over words or sentences (Coleman-Liau, SMOG, "
    "McAlpine EFLAW), each report's value lies within its sections' range.",
)
def report_readability_within_section_range(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    """Compare each report's averaging formulas with the min/max over its sections."""
    outside = " OR ".join(
        f"r.{c} < s.min_{c} - {RANGE_SLACK} OR r.{c} > s.max_{c} + {RANGE_SLACK}"
        for c in AVERAGE_FORMULAS
    )
    ranges = ", ".join(f"min({c}) AS min_{c}, max({c}) AS max_{c}" for c in AVERAGE_FORMULAS)
    bad = warehouse.get().read(
        f"""
        WITH s AS (
            SELECT report_id, {ranges} FROM {SCHEMA}.section_readability
            WHERE n_words > 0 GROUP BY report_id
        )
        SELECT r.report_id, {", ".join(f"r.{c}" for c in AVERAGE_FORMULAS)}
        FROM {SCHEMA}.report_readability r JOIN s USING (report_id)
        WHERE r.reliable AND ({outside})
        """
    )
    return dg.AssetCheckResult(
        passed=bad.height == 0,
        metadata={"reports_outside_range": bad.height, "reports": markdown_preview(bad)},
    )
