"""The project's Dagster instance: batched SQLite event writes lose no partition and no event."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

ROOT = Path(__file__).resolve().parents[1]
KEYS = [f"report_{i:04d}.md" for i in range(300)]
parts = dg.DynamicPartitionsDefinition(name="event_log_test_reports")


@dg.asset(partitions_def=parts, backfill_policy=dg.BackfillPolicy.single_run())
def landed(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """A partitioned asset that materializes every partition of its run at once."""
    return dg.MaterializeResult(metadata={"partitions": len(context.partition_keys)})


@dg.asset(partitions_def=parts, backfill_policy=dg.BackfillPolicy.single_run(), deps=[landed])
def derived(context: dg.AssetExecutionContext) -> None:
    """A second partitioned asset, so one run writes two batches."""


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dg.DagsterInstance]:
    """A persistent instance configured by the project's own dagster.yaml."""
    shutil.copy(ROOT / ".dagster_home" / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    with dg.DagsterInstance.get() as opened:
        yield opened


def test_a_range_run_records_every_partition_through_the_batched_storage(
    instance: dg.DagsterInstance,
) -> None:
    from pipelines.event_log import BatchingSqliteEventLogStorage

    assert isinstance(instance.event_log_storage, BatchingSqliteEventLogStorage)
    assert int(os.environ["DAGSTER_EVENT_BATCH_SIZE"]) >= len(KEYS)
    instance.add_dynamic_partitions(parts.name, KEYS)
    job = dg.Definitions(assets=[landed, derived]).resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(
        instance=instance,
        tags={
            "dagster/asset_partition_range_start": KEYS[0],
            "dagster/asset_partition_range_end": KEYS[-1],
        },
    )
    assert result.success
    for key in (dg.AssetKey("landed"), dg.AssetKey("derived")):
        assert instance.get_materialized_partitions(key) == set(KEYS)
        latest = instance.get_latest_materialization_event(key)
        assert latest is not None and latest.dagster_event.partition in KEYS
        records = instance.fetch_materializations(key, limit=1000).records
        assert sorted(r.partition_key for r in records) == KEYS
    materializations = [
        e for e in instance.all_logs(result.run_id) if e.dagster_event_type and
        e.dagster_event_type == dg.DagsterEventType.ASSET_MATERIALIZATION
    ]  # fmt: skip
    assert len(materializations) == 2 * len(KEYS)
    # The run's planned materializations (one per asset, stored as one batch) are where
    # Dagster's one-by-one storage puts them: the run shard, the index and the asset rows.
    planned = [
        e for e in instance.all_logs(result.run_id) if e.dagster_event_type and
        e.dagster_event_type == dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED
    ]  # fmt: skip
    assert sorted(e.dagster_event.asset_key.path[0] for e in planned) == ["derived", "landed"]
    for key in (dg.AssetKey("landed"), dg.AssetKey("derived")):
        info = instance.get_latest_planned_materialization_info(key)
        assert info is not None and info.run_id == result.run_id
        (record,) = instance.get_asset_records([key])
        assert record.asset_entry.last_run_id == result.run_id
    # A second run of a few partitions lands on top: the asset row follows the newest event.
    again = job.execute_in_process(instance=instance, partition_key=KEYS[7])
    assert again.success
    latest = instance.get_latest_materialization_event(dg.AssetKey("derived"))
    assert latest is not None and latest.run_id == again.run_id
    assert latest.dagster_event.partition == KEYS[7]
