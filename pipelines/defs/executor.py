"""The code location's default executor: every run launched from the UI runs in one process.

Runs launched from the UI (Materialize all, one asset, a partition range, the launchpad) use
the code location's default executor, which would otherwise be Dagster's multiprocess one: a
Python process per step, each importing Dagster, Polars and DuckDB, seconds before any work.
In one process a UI run costs what `reportscope run` costs. The job `refresh_all_parallel`
keeps the multiprocess executor for large backfills on many cores.
"""

import dagster as dg


@dg.definitions
def executor() -> dg.Definitions:
    """In-process execution for every asset job that does not choose its own executor."""
    return dg.Definitions(executor=dg.in_process_executor)
