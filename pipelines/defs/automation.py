"""Jobs, the reports-folder sensor and the daily schedule that keep the warehouse current."""

import os

import dagster as dg

from pipelines.defs.partitions import reports_partitions
from pipelines.defs.resources import ReportsFolder
from pipelines.folder_watch import FolderState, plan_refresh, scan_folder
from pipelines.refresh import partition_range_tags

# Per-report assets carry the tag scope=report, corpus-wide ones scope=corpus.
CORPUS_WIDE = dg.AssetSelection.tag("scope", "corpus")
# A file modified less than this many seconds ago may still be being written: wait a tick.
SETTLE_SECONDS = float(os.environ.get("REPORTS_SETTLE_SECONDS", "2"))
SENSOR_INTERVAL_SECONDS = int(os.environ.get("REPORTS_SENSOR_INTERVAL", "5"))
REFRESH_CRON = os.environ.get("REFRESH_CRON", "0 6 * * *")

# Refreshes run their steps in one process: a step process costs seconds of start-up, more than
# most steps of an incremental refresh take. `refresh_all_parallel` spreads a large backfill over
# processes instead; the writer lock keeps DuckDB writes one at a time either way.
refresh_all = dg.define_asset_job(
    "refresh_all",
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    description="Every asset: the per-report ones for the requested reports, then the "
    "corpus-wide tables, charts and the published warehouse.",
)

refresh_all_parallel = dg.define_asset_job(
    "refresh_all_parallel",
    selection=dg.AssetSelection.all(),
    executor_def=dg.multiprocess_executor,
    description="Like refresh_all, with every step in its own process (multiprocess executor): "
    "for large backfills on several cores.",
)

refresh_corpus = dg.define_asset_job(
    "refresh_corpus",
    selection=CORPUS_WIDE,
    executor_def=dg.in_process_executor,
    description="The corpus-wide tables, charts and the published warehouse, from the "
    "per-report rows already landed.",
)


@dg.sensor(
    jobs=[refresh_all, refresh_corpus],
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Watches REPORTS_DIR: new or changed files (by content hash) run their "
    "partitions and the corpus-wide assets in one run; deleted files drop their partition "
    "and rows. Files still being written are picked up once they stop changing.",
)
def reports_folder_sensor(
    context: dg.SensorEvaluationContext, reports_folder: ReportsFolder
) -> dg.SensorResult:
    """Turn what changed in the reports folder since the last tick into partitions and runs."""
    previous = FolderState.from_json(context.cursor)
    current = scan_folder(reports_folder.folder, previous, settle_seconds=SETTLE_SECONDS)
    known = list(context.instance.get_dynamic_partitions(reports_partitions.name))
    plan = plan_refresh(previous, current, known)

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
    if plan.refresh or plan.removed_only:
        context.log.info(plan.describe())
    return dg.SensorResult(
        run_requests=run_requests,
        dynamic_partitions_requests=partition_requests,
        cursor=current.to_json(),
    )


refresh_daily = dg.ScheduleDefinition(
    name="refresh_daily",
    job=refresh_corpus,
    cron_schedule=REFRESH_CRON,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Daily refresh of the corpus-wide tables, charts and published warehouse "
    "(cron from REFRESH_CRON, default 06:00).",
)
