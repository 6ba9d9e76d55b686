"""Keep Dagster's report partitions in step with the reports folder, and run refreshes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from pipelines.partitions import CORPUS_JOB, REFRESH_JOB, reports_partitions
from pipelines.reports_folder import list_report_files

PARTITIONS = reports_partitions.name


@dataclass(frozen=True)
class Reconciliation:
    """What changed between the folder and the instance's partitions."""

    partitions: list[str]
    added: list[str]
    removed: list[str]


def reconcile(instance: dg.DagsterInstance, folder: Path) -> Reconciliation:
    """Add a partition per new file and drop vanished files' partitions.

    The rows of dropped reports are deleted by the `report_inventory` asset of the next run.
    A folder that cannot be listed raises ReportsFolderUnavailable before anything changes.
    """
    on_disk = [f.key for f in list_report_files(folder)]
    known = list(instance.get_dynamic_partitions(PARTITIONS))
    known_set, on_disk_set = set(known), set(on_disk)
    added = [name for name in on_disk if name not in known_set]
    removed = [name for name in known if name not in on_disk_set]
    if removed:
        for name in removed:
            instance.delete_dynamic_partition(PARTITIONS, name)
    if added:
        instance.add_dynamic_partitions(PARTITIONS, added)
    return Reconciliation(list(instance.get_dynamic_partitions(PARTITIONS)), added, removed)


def partition_range_tags(partitions: list[str]) -> dict[str, str]:
    """Run tags that make one run cover every partition (single-run backfill)."""
    if not partitions:
        return {}
    return {
        ASSET_PARTITION_RANGE_START_TAG: partitions[0],
        ASSET_PARTITION_RANGE_END_TAG: partitions[-1],
    }


def run_refresh(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    partitions: list[str],
    log_level: str = "WARNING",
) -> dg.ExecuteInProcessResult:
    """Materialize every asset over all report partitions in one run on `instance`."""
    # With no report yet only the corpus-wide assets can run (they land empty tables).
    job = defs.resolve_job_def(REFRESH_JOB if partitions else CORPUS_JOB)
    return job.execute_in_process(
        instance=instance,
        tags=partition_range_tags(partitions),
        run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
        raise_on_error=False,
    )
