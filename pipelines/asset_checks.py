"""Asset checks whose SQL (sql/checks/<name>.sql) returns the offending rows: none means passed.

A run that names its reports (the sensor's and `reportscope run`'s partition range) checks
the rows of those reports only, so a new report's checks cost the same at any corpus size;
a run without a range (the daily refresh, a check launched alone) checks every report.
"""

from collections.abc import Mapping

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
)

from pipelines.asset_metadata import markdown_preview
from pipelines.partitions import reports_partitions
from pipelines.report_files import report_id
from pipelines.resources import WarehouseResource


def run_report_ids(context: dg.AssetCheckExecutionContext) -> list[str] | None:
    """The report ids of the run's partition range, or None when the run names no reports."""
    tags = context.run.tags
    if PARTITION_NAME_TAG in tags:
        return [report_id(tags[PARTITION_NAME_TAG])]
    start, end = tags.get(ASSET_PARTITION_RANGE_START_TAG), tags.get(ASSET_PARTITION_RANGE_END_TAG)
    if start is None or end is None:
        return None
    keys = list(context.instance.get_dynamic_partitions(reports_partitions.name))
    if start not in keys or end not in keys:
        return None
    return [report_id(name) for name in keys[keys.index(start) : keys.index(end) + 1]]


def offending_rows_check(
    *,
    asset: str,
    name: str,
    description: str,
    counted: str,
    parameters: Mapping[str, object] | None = None,
) -> dg.AssetChecksDefinition:
    """A blocking check that passes when its query finds no row; the UI shows count and rows."""

    @dg.asset_check(asset=asset, name=name, description=description)
    def check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> dg.AssetCheckResult:
        report_ids = run_report_ids(context)
        rows = warehouse.get().read_check(name, parameters, report_ids)
        return dg.AssetCheckResult(
            passed=rows.height == 0,
            metadata={
                counted: rows.height,
                "checked": "every report"
                if report_ids is None
                else f"{len(report_ids)} report(s) of this run",
                "rows": markdown_preview(rows),
            },
        )

    return check
