"""refresh_all with Dagster's multiprocess executor: independent steps overlap, DuckDB never locks.

Every step runs in its own process; all of them write the same working DuckDB file, which
only one process may open at a time. The writer lock in `pipelines.warehouse` makes them
take turns per connection, so the run succeeds and lands exactly what an in-process run of
the same folder lands.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from pipelines.bench.corpus import generate_corpus
from pipelines.partitions import REFRESH_JOB
from pipelines.refresh import partition_range_tags, reconcile, run_refresh
from pipelines.settings import DATABASE_FILE
from tests.conftest import NO_TELEMETRY, SEEDS

pytestmark = pytest.mark.e2e  # starts a process per step: about two minutes on two cores

PARALLEL_JOB = "refresh_all_parallel"
# Corpus-wide steps that only depend on the inventory and the per-report rows: free to run
# side by side.
PARALLEL_STEPS = {"near_duplicate_sections", "repeated_phrases", "topic_catalog"}
LOCK_ERRORS = ("could not set lock", "conflicting lock", "warehousebusy", "lock on file")
# Columns that record when a row was written, not what it holds.
TIMESTAMPS = {"ingested_at", "seen_at"}


def refresh_all_job() -> dg.JobDefinition:
    """refresh_all with a multiprocess executor (module level: step processes rebuild it here).

    `refresh_all_parallel` when the code location defines it, else `refresh_all` itself.
    """
    from pipelines.definitions import defs

    definitions = defs()
    names = {job.name for job in definitions.resolve_all_job_defs()}
    return definitions.resolve_job_def(PARALLEL_JOB if PARALLEL_JOB in names else REFRESH_JOB)


def multiprocess_config(job: dg.JobDefinition, max_concurrent: int) -> dict:
    """Run config running `job`'s steps in up to `max_concurrent` processes."""
    settings = {"max_concurrent": max_concurrent}
    if job.executor_def.name == dg.multi_or_in_process_executor.name:
        return {"execution": {"config": {"multiprocess": settings}}}
    assert job.executor_def.name == dg.multiprocess_executor.name, job.executor_def.name
    return {"execution": {"config": settings}}


def _tables(warehouse: Path) -> dict[str, pl.DataFrame]:
    """Every corpus table of a published warehouse, sorted on all columns, timestamps dropped."""
    with duckdb.connect(str(warehouse / DATABASE_FILE), read_only=True) as connection:
        names = [
            row[0]
            for row in connection.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'corpus'"
            ).fetchall()
        ]
        frames = {}
        for name in names:
            frame = connection.execute(f'SELECT * FROM corpus."{name}"').pl()
            frame = frame.drop([c for c in frame.columns if c in TIMESTAMPS])
            sortable = [c for c, t in frame.schema.items() if not t.is_nested()]
            frames[name] = frame.sort(sortable, nulls_last=True)
        return frames


def _step_intervals(instance: dg.DagsterInstance, run_id: str) -> dict[str, tuple[float, float]]:
    """Step key -> (start, end): from its worker process starting to the step's success."""
    starts: dict[str, float] = {}
    intervals: dict[str, tuple[float, float]] = {}
    for record in instance.all_logs(
        run_id,
        of_type={dg.DagsterEventType.STEP_WORKER_STARTING, dg.DagsterEventType.STEP_SUCCESS},
    ):
        assert record.step_key is not None
        if record.dagster_event_type == dg.DagsterEventType.STEP_WORKER_STARTING:
            starts[record.step_key] = record.timestamp
        else:
            intervals[record.step_key] = (starts[record.step_key], record.timestamp)
    return intervals


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The five seeds plus 20 generated reports."""
    root = tmp_path_factory.mktemp("multiprocess")
    reports = root / "reports"
    shutil.copytree(SEEDS, reports)
    generate_corpus(root / "generated", 20, seed=3)
    for path in (root / "generated").iterdir():
        shutil.copy2(path, reports / path.name)
    return reports


def test_multiprocess_refresh_matches_in_process(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipelines.definitions import defs

    monkeypatch.setenv("REPORTS_DIR", str(folder))
    # Reference: the same folder built in one process, as `make run` does.
    monkeypatch.setenv("WAREHOUSE_DIR", str(tmp_path / "in_process"))
    (tmp_path / "home_a").mkdir()
    with dg.DagsterInstance.local_temp(str(tmp_path / "home_a"), overrides=NO_TELEMETRY) as ref:
        change = reconcile(ref, folder)
        assert run_refresh(defs(), ref, change.partitions).success

    # The same run with every step in its own process, two at a time. Child processes read
    # REPORTS_DIR / WAREHOUSE_DIR from the environment they inherit.
    monkeypatch.setenv("WAREHOUSE_DIR", str(tmp_path / "multiprocess"))
    (tmp_path / "home_b").mkdir()
    with dg.DagsterInstance.local_temp(
        str(tmp_path / "home_b"), overrides=NO_TELEMETRY
    ) as instance:
        partitions = reconcile(instance, folder).partitions
        result = dg.execute_job(
            dg.reconstructable(refresh_all_job),
            instance=instance,
            tags=partition_range_tags(partitions),
            run_config=multiprocess_config(refresh_all_job(), max_concurrent=2),
        )
        assert result.success, [e.message for e in result.all_events if e.is_failure]
        records = instance.all_logs(result.run_id)
        intervals = _step_intervals(instance, result.run_id)

    # No step failed or logged a DuckDB / writer-lock error.
    assert not [r for r in records if r.dagster_event_type == dg.DagsterEventType.STEP_FAILURE]
    messages = " ".join(
        f"{r.user_message} {r.dagster_event.event_specific_data if r.dagster_event else ''}"
        for r in records
    ).lower()
    assert not [word for word in LOCK_ERRORS if word in messages]

    # At least two independent steps' processes ran at the same time.
    steps = sorted((intervals[s], s) for s in PARALLEL_STEPS if s in intervals)
    assert len(steps) == len(PARALLEL_STEPS), sorted(intervals)
    overlapping = [
        (a, b)
        for i, ((a_start, a_end), a) in enumerate(steps)
        for (b_start, b_end), b in steps[i + 1 :]
        if b_start < a_end and a_start < b_end
    ]
    assert overlapping, steps

    # Both runs landed the same rows in every table.
    expected = _tables(tmp_path / "in_process")
    landed = _tables(tmp_path / "multiprocess")
    assert sorted(landed) == sorted(expected)
    assert {n: f.height for n, f in landed.items()} == {n: f.height for n, f in expected.items()}
    assert expected["reports"].height == 25
    for name in ("reports", "sections", "section_readability", "near_duplicate_sections"):
        assert landed[name].equals(expected[name]), name
