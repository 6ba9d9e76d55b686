"""Asset checks whose SQL (sql/checks/<name>.sql) returns the offending rows: none means passed.

A run that names its reports (the sensor's and `reportscope run`'s partition range) checks
the rows of those reports only, so a new report's checks cost the same at any corpus size;
a run without a range (the daily refresh, a check launched alone) checks every report.
"""

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

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


@dataclass(frozen=True)
class OffendingRowsCheck:
    """A check whose query `sql/checks/<name>.sql` finds the offending rows (none = passed)."""

    asset: str
    name: str
    description: str
    counted: str
    parameters: Mapping[str, object] = field(default_factory=dict)

    @property
    def key(self) -> dg.AssetCheckKey:
        """The check's key: its asset and name."""
        return dg.AssetCheckKey(dg.AssetKey(self.asset), self.name)


def offending_rows_checks(
    name: str, checks: Sequence[OffendingRowsCheck]
) -> dg.AssetChecksDefinition:
    """All the SQL checks in ONE step (a step costs more than most of these queries).

    Each check is still its own check in the UI (on its asset); a run evaluates the selected
    ones, over the run's reports (`run_report_ids`).
    """
    by_key = {check.key: check for check in checks}

    @dg.multi_asset_check(
        name=name,
        specs=[
            dg.AssetCheckSpec(check.name, asset=check.asset, description=check.description)
            for check in checks
        ],
        can_subset=True,
    )
    def run_checks(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> Iterator[dg.AssetCheckResult]:
        store = warehouse.get()
        report_ids = run_report_ids(context)
        scope = "every report" if report_ids is None else f"{len(report_ids)} report(s) of this run"
        keys = sorted(context.selected_asset_check_keys, key=str)
        with store.connect():  # the queries share one connection
            found = {
                key: store.read_check(by_key[key].name, by_key[key].parameters, report_ids)
                for key in keys
            }
        for key, rows in found.items():
            check = by_key[key]
            yield dg.AssetCheckResult(
                asset_key=key.asset_key,
                check_name=key.name,
                passed=rows.height == 0,
                metadata={
                    check.counted: rows.height,
                    "checked": scope,
                    "rows": markdown_preview(rows),
                },
            )

    return run_checks
