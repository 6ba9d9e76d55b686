"""Keep Dagster's report partitions in step with the reports folder, and run refreshes."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from dagster._core.launcher import WorkerStatus
from dagster._core.storage.dagster_run import DagsterRunStatus
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
)

from pipelines.increments import FULL_REFRESH_TAG
from pipelines.partitions import CORPUS_JOB, REFRESH_JOB, reports_partitions
from pipelines.report_files import list_report_files
from pipelines.run_health import PID_TAG, worker_health

PARTITIONS = reports_partitions.name
# Runs that will still resolve their partitions: waiting in the queue, starting or running.
RUNS_NOT_OVER = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
    DagsterRunStatus.CANCELING,
    DagsterRunStatus.SUSPENDED,
]
_PARTITION_TAGS = (
    ASSET_PARTITION_RANGE_START_TAG,
    ASSET_PARTITION_RANGE_END_TAG,
    PARTITION_NAME_TAG,
)


@dataclass(frozen=True)
class Reconciliation:
    """What changed between the folder and the instance's partitions."""

    partitions: list[str]
    added: list[str]
    removed: list[str]


def reconcile(instance: dg.DagsterInstance, folder: Path) -> Reconciliation:
    """Add a partition per new file and drop vanished files' partitions.

    The rows of dropped reports are deleted by the `report_inventory` asset of the next run.
    A vanished file's partition that a queued or running run ends at is kept until that run is
    over (`partitions_in_use`); the run records the file as disappeared.
    A folder that cannot be listed raises ReportsFolderUnavailable before anything changes.
    """
    on_disk = [f.key for f in list_report_files(folder)]
    known = list(instance.get_dynamic_partitions(PARTITIONS))
    known_set, on_disk_set = set(known), set(on_disk)
    in_use = partitions_in_use(instance)
    added = [name for name in on_disk if name not in known_set]
    removed = [name for name in known if name not in on_disk_set and name not in in_use]
    if removed:
        for name in removed:
            instance.delete_dynamic_partition(PARTITIONS, name)
    if added:
        instance.add_dynamic_partitions(PARTITIONS, added)
    return Reconciliation(list(instance.get_dynamic_partitions(PARTITIONS)), added, removed)


def partitions_in_use(instance: dg.DagsterInstance) -> set[str]:
    """Partitions that a queued or running run names: its range's two ends, or its partition.

    Dagster resolves a run's partition range from its two end keys when the run and each of
    its steps start: deleting an end fails the whole run ("Nonexistent partition keys"), while
    a key deleted inside the range just drops out of it. So these keys must not be deleted
    until the run is over; a run whose worker process is gone is over (run_health.py).
    """
    keys: set[str] = set()
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=RUNS_NOT_OVER)):
        if worker_health(instance, run).status != WorkerStatus.FAILED:
            keys.update(run.tags[tag] for tag in _PARTITION_TAGS if tag in run.tags)
    return keys


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
    *,
    full: bool = True,
) -> dg.ExecuteInProcessResult:
    """Materialize every asset over all report partitions in one run on `instance`.

    `full` (what `reportscope run` does): every corpus-wide table is recomputed from scratch
    (fresh IDF, phrase candidates, discovered topics), so the result equals a clean build of
    the same folder. Otherwise the corpus-wide tables fold in new reports as the sensor's
    refreshes do. Per-report metrics are computed for the reports that lack them either way.
    """
    # With no report yet only the corpus-wide assets can run (they land empty tables).
    job = defs.resolve_job_def(REFRESH_JOB if partitions else CORPUS_JOB)
    return job.execute_in_process(
        instance=instance,
        # The pid lets a later run (or the UI's run monitoring) see that this one was killed.
        tags={
            **partition_range_tags(partitions),
            PID_TAG: str(os.getpid()),
            **({FULL_REFRESH_TAG: "true"} if full else {}),
        },
        run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
        raise_on_error=False,
    )
