"""One measured pipeline stage in its own process: `python -m pipelines.bench.stage cold|incremental`.

The parent (`python -m pipelines.bench`) sets REPORTS_DIR, WAREHOUSE_DIR and DAGSTER_HOME to
a temporary build and samples this process tree's memory. Here: load the definitions,
reconcile the partitions with the folder, then ONE run, as `make run` does (`cold`: every
partition) or as the folder sensor does (`incremental`: `refresh_all` with the partition
range tags of just the added reports). Timings go to the JSON file given with `--out`.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import psutil


def run_stage(kind: str) -> dict[str, object]:
    """Reconcile and run; return timings (process start-up excluded from `wall_s`)."""
    started = psutil.Process().create_time()
    loading = time.time()
    import dagster as dg

    from pipelines.definitions import defs
    from pipelines.partitions import REFRESH_JOB
    from pipelines.refresh import partition_range_tags, reconcile, run_refresh
    from pipelines.settings import Settings

    settings = Settings.from_env()
    definitions = defs()
    loaded = time.time()
    with dg.DagsterInstance.get() as instance:
        change = reconcile(instance, settings.reports_dir)
        reconciled = time.time()
        if kind == "cold":
            result = run_refresh(definitions, instance, change.partitions)
        else:
            result = definitions.resolve_job_def(REFRESH_JOB).execute_in_process(
                instance=instance,
                tags=partition_range_tags(change.added),
                run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
                raise_on_error=False,
            )
        finished = time.time()
    return {
        "kind": kind,
        "run_id": result.run_id,
        "success": result.success,
        "failed_steps": [event.step_key for event in result.get_step_failure_events()],
        "partitions": len(change.partitions),
        "added": len(change.added),
        "python_startup_s": loading - started,
        "load_definitions_s": loaded - loading,
        "reconcile_s": reconciled - loaded,
        "run_s": finished - reconciled,
        "wall_s": finished - loaded,
        "run_started_at": reconciled,
        "run_finished_at": finished,
    }


def main(argv: list[str] | None = None) -> int:
    """Entry point: run one stage and write its timings as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=["cold", "incremental"])
    parser.add_argument("--out", type=Path, required=True)
    arguments = parser.parse_args(argv)
    outcome = run_stage(arguments.kind)
    arguments.out.write_text(json.dumps(outcome, indent=1), encoding="utf-8")
    return 0 if outcome["success"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
