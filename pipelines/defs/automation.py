"""Jobs, the reports-folder sensor and the daily schedule that keep the warehouse current."""

import dagster as dg

from pipelines.asset_specs import CORPUS_WIDE, INCREMENTAL_CHECK_KEYS
from pipelines.folder_watch import DEFERRED, FolderState, plan_refresh, scan_folder
from pipelines.increments import FULL_REFRESH_TAG
from pipelines.landing import (
    ATTEMPT_TAG,
    MAX_ATTEMPTS,
    SET_TAG,
    landing_set_id,
    plan_landing,
    unlanded_partitions,
)
from pipelines.partitions import (
    CORPUS_JOB,
    FULL_JOB,
    PARALLEL_JOB,
    PER_REPORT_ASSETS,
    REFRESH_JOB,
    reports_partitions,
)
from pipelines.refresh import RUNS_NOT_OVER, partition_range_tags, partitions_in_use
from pipelines.report_files import ReportsFolderUnavailable
from pipelines.resources import ReportsFolder
from pipelines.settings import Settings

# REPORTS_SETTLE_SECONDS: a file modified more recently may still be being written (wait a
# tick); REPORTS_SENSOR_INTERVAL and REFRESH_CRON: when the sensor and the schedule run.
SETTINGS = Settings.from_env()
# The incremental-equals-full checks cost a recomputation from scratch: only the daily full
# refresh (and a user who selects them in the UI) runs them.
WITHOUT_FULL_CHECKS = dg.AssetSelection.checks(*INCREMENTAL_CHECK_KEYS)

# Refreshes run their steps in one process: a step process costs seconds of start-up, more than
# most steps of an incremental refresh take. `refresh_all_parallel` spreads a large backfill over
# processes instead; the writer lock keeps DuckDB writes one at a time either way.
refresh_all = dg.define_asset_job(
    REFRESH_JOB,
    selection=dg.AssetSelection.all() - WITHOUT_FULL_CHECKS,
    executor_def=dg.in_process_executor,
    description="Every asset: the per-report ones for the requested reports, then the "
    "corpus-wide tables, charts and the published warehouse.",
)

refresh_all_parallel = dg.define_asset_job(
    PARALLEL_JOB,
    selection=dg.AssetSelection.all() - WITHOUT_FULL_CHECKS,
    executor_def=dg.multiprocess_executor,
    description="Like refresh_all, with every step in its own process (multiprocess executor): "
    "for large backfills on several cores.",
)

refresh_corpus = dg.define_asset_job(
    CORPUS_JOB,
    selection=CORPUS_WIDE - WITHOUT_FULL_CHECKS,
    executor_def=dg.in_process_executor,
    description="The corpus-wide tables, charts and the published warehouse, from the "
    "per-report rows already landed.",
)

refresh_full = dg.define_asset_job(
    FULL_JOB,
    selection=CORPUS_WIDE,
    executor_def=dg.in_process_executor,
    tags={FULL_REFRESH_TAG: "true"},
    description="Every corpus-wide table recomputed from scratch (fresh IDF, phrase "
    "candidates, discovered topics), after checking that the incrementally maintained tables "
    "equal a recomputation with the frozen parameters.",
)


@dg.sensor(
    jobs=[refresh_all, refresh_corpus],
    minimum_interval_seconds=SETTINGS.sensor_interval_seconds,
    default_status=(
        dg.DefaultSensorStatus.RUNNING if SETTINGS.sensor_on else dg.DefaultSensorStatus.STOPPED
    ),
    description="Watches REPORTS_DIR: new or changed files (by content hash) run their "
    "partitions and the corpus-wide assets in one run; deleted files drop their partition "
    "and rows. Files still being written are picked up once they stop changing.",
)
def reports_folder_sensor(
    context: dg.SensorEvaluationContext, reports_folder: ReportsFolder
) -> dg.SensorResult | dg.SkipReason:
    """Turn what changed in the reports folder since the last tick into partitions and runs."""
    previous = FolderState.from_json(context.cursor)
    try:
        current = scan_folder(
            reports_folder.folder, previous, settle_seconds=SETTINGS.settle_seconds
        )
    except ReportsFolderUnavailable as error:
        # Not an empty folder: skip the tick and keep the cursor, so nothing is dropped now
        # and nothing is re-ingested when the folder is back.
        context.log.warning(f"{error}; tick skipped")
        return dg.SkipReason(str(error))
    known = list(context.instance.get_dynamic_partitions(reports_partitions.name))
    plan = plan_refresh(previous, current, known, partitions_in_use(context.instance))
    if plan.kept:
        context.log.info(f"kept until the runs that need them are over: {plan.kept[:5]}")

    partition_requests: list[
        dg.AddDynamicPartitionsRequest | dg.DeleteDynamicPartitionsRequest
    ] = []
    if plan.drop:
        partition_requests.append(reports_partitions.build_delete_request(plan.drop))
    if plan.add:
        partition_requests.append(reports_partitions.build_add_request(plan.add))
    run_requests = []
    if plan.refresh:
        run_requests.append(
            dg.RunRequest(
                run_key=plan.run_key,
                job_name=refresh_all.name,
                tags={
                    **partition_range_tags(plan.refresh),
                    "reportscope/reports": str(len(plan.refresh)),
                },
            )
        )
    elif plan.removed_only:
        run_requests.append(dg.RunRequest(run_key=plan.run_key, job_name=refresh_corpus.name))
    elif not plan.kept and not _runs_in_flight(context.instance):
        # Reports that never landed come from a run that failed (a killed one is marked failed):
        # look for them (a query per per-report asset) only when that count has changed.
        failed_runs = context.instance.get_runs_count(dg.RunsFilter(statuses=ENDED_BADLY))
        if failed_runs != previous.failed_runs:
            current.failed_runs = failed_runs
            landing = _landing_request(context, known, current)
            if landing is not None:
                run_requests.append(landing)
    if plan.refresh or plan.removed_only:
        context.log.info(plan.describe())
    return dg.SensorResult(
        run_requests=run_requests,
        dynamic_partitions_requests=partition_requests,
        cursor=current.to_json(),
    )


ENDED_BADLY = [dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]


def _runs_in_flight(instance: dg.DagsterInstance) -> bool:
    """True while any run is queued, starting, running or being canceled."""
    return bool(instance.get_run_records(filters=dg.RunsFilter(statuses=RUNS_NOT_OVER), limit=1))


def _landing_request(
    context: dg.SensorEvaluationContext, known: list[str], current: FolderState
) -> dg.RunRequest | None:
    """A run for the partitions a killed run registered but never landed (landing.py)."""
    on_disk = [name for name, seen in current.files.items() if seen != DEFERRED]
    materialized = {
        name: context.instance.get_materialized_partitions(dg.AssetKey(name))
        for name in PER_REPORT_ASSETS
    }
    unlanded = unlanded_partitions(known, on_disk, materialized)
    if not unlanded:
        return _publish_request(context)
    set_id = landing_set_id(unlanded)
    attempts = len(context.instance.get_run_records(filters=dg.RunsFilter(tags={SET_TAG: set_id})))
    plan = plan_landing(known, unlanded, attempts)
    if plan is None:
        context.log.warning(
            f"{len(unlanded)} report(s) failed to land {attempts} times; not retried "
            f"(first: {unlanded[0]}); see the failed runs"
        )
        return None
    context.log.info(f"landing {len(unlanded)} report(s) a killed run left, attempt {plan.attempt}")
    return dg.RunRequest(
        run_key=plan.run_key,
        job_name=refresh_all.name,
        tags={
            **partition_range_tags(plan.refresh),
            SET_TAG: plan.set_id,
            ATTEMPT_TAG: str(plan.attempt),
            "reportscope/reports": str(len(plan.refresh)),
        },
    )


def _latest_materialization(instance: dg.DagsterInstance, name: str) -> float:
    """When an asset (any partition) last materialized, 0 when never."""
    event = instance.get_latest_materialization_event(dg.AssetKey(name))
    return event.timestamp if event else 0.0


def _publish_request(context: dg.SensorEvaluationContext) -> dg.RunRequest | None:
    """A corpus-wide run when per-report rows changed after the last publish (a killed run).

    At most `MAX_ATTEMPTS` runs for the same per-report state.
    """
    instance = context.instance
    latest_rows = max(_latest_materialization(instance, name) for name in PER_REPORT_ASSETS)
    if latest_rows <= _latest_materialization(instance, "published_warehouse"):
        return None
    set_id = f"publish-{latest_rows:.6f}"
    attempts = len(instance.get_run_records(filters=dg.RunsFilter(tags={SET_TAG: set_id})))
    if attempts >= MAX_ATTEMPTS:
        return None
    context.log.info("publishing rows a killed run landed but never published")
    return dg.RunRequest(
        run_key=f"{set_id}-{attempts + 1}",
        job_name=refresh_corpus.name,
        tags={SET_TAG: set_id, ATTEMPT_TAG: str(attempts + 1)},
    )


refresh_daily = dg.ScheduleDefinition(
    name="refresh_daily",
    job=refresh_full,
    cron_schedule=SETTINGS.refresh_cron,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Daily full recomputation of the corpus-wide tables, with the checks that "
    "the incremental ones equal it; charts and published warehouse (cron from REFRESH_CRON, "
    "default 06:00).",
)
