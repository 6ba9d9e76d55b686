"""The reports-folder sensor: what it sees, what it plans, and the requests it returns."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.dagster_run import DagsterRun, DagsterRunStatus

from pipelines.defs.automation import reports_folder_sensor
from pipelines.folder_watch import FolderState, plan_refresh, scan_folder
from pipelines.resources import ReportsFolder
from tests.conftest import NO_TELEMETRY, SEEDS

OLD = time.time() - 3600  # an mtime well outside the settle window


def write(path: Path, text: str, mtime: float = OLD) -> None:
    """Write a file and set its modification time."""
    path.write_text(text, encoding="utf-8")
    os.utime(path, (mtime, mtime))


def test_new_files_are_planned_together_once(tmp_path: Path) -> None:
    write(tmp_path / "a.md", "# A\n\nalpha")
    write(tmp_path / "b.md", "# B\n\nbeta")
    state = scan_folder(tmp_path, FolderState())
    plan = plan_refresh(FolderState(), state, known=[])
    assert plan.add == ["a.md", "b.md"] and plan.refresh == ["a.md", "b.md"]
    assert plan.run_key is not None
    # The next tick sees the same contents: nothing to do.
    again = plan_refresh(state, scan_folder(tmp_path, state), known=["a.md", "b.md"])
    assert again.refresh == [] and again.run_key is None


def test_touch_without_content_change_is_not_a_change(tmp_path: Path) -> None:
    write(tmp_path / "a.md", "# A\n\nalpha")
    state = scan_folder(tmp_path, FolderState())
    os.utime(tmp_path / "a.md", (OLD + 60, OLD + 60))
    plan = plan_refresh(state, scan_folder(tmp_path, state), known=["a.md"])
    assert plan.refresh == []


def test_changed_content_is_dropped_then_re_added_at_the_end(tmp_path: Path) -> None:
    write(tmp_path / "a.md", "# A\n\nalpha")
    write(tmp_path / "b.md", "# B\n\nbeta")
    state = scan_folder(tmp_path, FolderState())
    write(tmp_path / "a.md", "# A\n\nalpha, revised", OLD + 60)
    changed_state = scan_folder(tmp_path, state)
    plan = plan_refresh(state, changed_state, known=["a.md", "b.md"])
    # This tick drops the partition (no run: Dagster refuses drop + add of one key at once) ...
    assert plan.drop == ["a.md"] and plan.add == [] and plan.refresh == [] and not plan.removed_only
    # ... and the next tick sees the file as new: added at the end, refreshed, one run.
    again = plan_refresh(changed_state, scan_folder(tmp_path, changed_state), known=["b.md"])
    assert again.add == ["a.md"] and again.refresh == ["a.md"] and again.run_key is not None


def test_deleted_file_is_removed_without_a_refresh_of_others(tmp_path: Path) -> None:
    write(tmp_path / "a.md", "# A\n\nalpha")
    state = scan_folder(tmp_path, FolderState())
    (tmp_path / "a.md").unlink()
    plan = plan_refresh(state, scan_folder(tmp_path, state), known=["a.md"])
    assert plan.removed == ["a.md"] and plan.drop == ["a.md"] and plan.removed_only


def test_file_still_being_written_waits_until_it_settles(tmp_path: Path) -> None:
    now = time.time()
    write(tmp_path / "partial.md", "# Half a rep", mtime=now)
    state = scan_folder(tmp_path, FolderState(), settle_seconds=2, now=now + 0.5)
    assert "partial.md" not in state.files
    write(tmp_path / "partial.md", "# Half a report, now complete", mtime=now + 1)
    state = scan_folder(tmp_path, state, settle_seconds=2, now=now + 10)
    plan = plan_refresh(FolderState(), state, known=[])
    assert plan.refresh == ["partial.md"]


def test_same_content_re_added_later_gets_a_new_run_key(tmp_path: Path) -> None:
    write(tmp_path / "a.md", "# A\n\nalpha")
    first_state = scan_folder(tmp_path, FolderState())
    first = plan_refresh(FolderState(), first_state, known=[])
    (tmp_path / "a.md").unlink()
    gone_state = scan_folder(tmp_path, first_state)
    plan_refresh(first_state, gone_state, known=["a.md"])
    write(tmp_path / "a.md", "# A\n\nalpha")
    back = plan_refresh(gone_state, scan_folder(tmp_path, gone_state), known=[])
    assert back.refresh == ["a.md"] and back.run_key != first.run_key


def test_sensor_requests_partitions_and_one_run(tmp_path: Path) -> None:
    reports = settled_seeds(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    with dg.DagsterInstance.local_temp(str(home), overrides=NO_TELEMETRY) as instance:
        context = dg.build_sensor_context(
            instance=instance,
            resources={
                "reports_folder": ReportsFolder(path=str(reports), max_report_bytes=1 << 24)
            },
        )
        result = reports_folder_sensor(context)
        assert isinstance(result, dg.SensorResult)
        (run,) = result.run_requests or []
        assert run.job_name == "refresh_all"
        assert run.tags["dagster/asset_partition_range_start"] == "000_87c5db0444f7b29d.txt"
        assert run.tags["dagster/asset_partition_range_end"] == "004_c37010fbd4496169.txt"
        (add,) = result.dynamic_partitions_requests or []
        assert isinstance(add, dg.AddDynamicPartitionsRequest)
        assert len(add.partition_keys) == 5
        assert FolderState.from_json(result.cursor).files.keys() == {
            p.name for p in reports.iterdir()
        }


@pytest.mark.parametrize("name", ["x'; DROP TABLE corpus.sections; --.md", "rapport é.md"])
def test_odd_file_names_round_trip_through_the_cursor(tmp_path: Path, name: str) -> None:
    write(tmp_path / name, "# T\n\nbody")
    state = scan_folder(tmp_path, FolderState())
    assert FolderState.from_json(state.to_json()).files == state.files


def test_sensor_tick_for_a_deleted_file_runs_the_corpus_job(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    write(reports / "a.md", "# A\n\nalpha")
    home = tmp_path / "home"
    home.mkdir()
    folder = ReportsFolder(path=str(reports), max_report_bytes=1 << 24)
    with dg.DagsterInstance.local_temp(str(home), overrides=NO_TELEMETRY) as instance:
        first = reports_folder_sensor.evaluate_tick(
            dg.build_sensor_context(instance=instance, resources={"reports_folder": folder})
        )
        instance.add_dynamic_partitions("reports", ["a.md"])
        (reports / "a.md").unlink()
        # evaluate_tick validates the result as the daemon does (job names, partition requests).
        tick = reports_folder_sensor.evaluate_tick(
            dg.build_sensor_context(
                instance=instance, cursor=first.cursor, resources={"reports_folder": folder}
            )
        )
        (run,) = tick.run_requests or []
        assert run.job_name == "refresh_corpus"
        (drop,) = tick.dynamic_partitions_requests or []
        assert isinstance(drop, dg.DeleteDynamicPartitionsRequest)
        assert list(drop.partition_keys) == ["a.md"]


def settled_seeds(tmp_path: Path) -> Path:
    """A copy of the seeds whose files stopped changing long ago."""
    reports = tmp_path / "reports"
    shutil.copytree(SEEDS, reports)
    for path in reports.iterdir():
        os.utime(path, (OLD, OLD))
    return reports


def land_partitions(instance: dg.DagsterInstance, keys: list[str]) -> None:
    """Record every per-report asset as materialized for `keys` (what a finished run leaves)."""
    from pipelines.partitions import PER_REPORT_ASSETS

    for key in keys:
        for asset in PER_REPORT_ASSETS:
            instance.report_runless_asset_event(
                dg.AssetMaterialization(asset_key=asset, partition=key)
            )


def test_partitions_a_killed_run_registered_but_never_landed_are_requested(
    tmp_path: Path,
) -> None:
    from pipelines.landing import MAX_ATTEMPTS, SET_TAG
    from pipelines.refresh import reconcile

    reports = settled_seeds(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    with dg.DagsterInstance.local_temp(str(home), overrides=NO_TELEMETRY) as instance:
        keys = reconcile(instance, reports).partitions  # what a run does before it is killed
        land_partitions(instance, keys[:2])  # ...having landed two reports
        resources = {"reports_folder": ReportsFolder(path=str(reports), max_report_bytes=1 << 24)}
        result = reports_folder_sensor(
            dg.build_sensor_context(instance=instance, resources=resources)
        )
        assert isinstance(result, dg.SensorResult)
        assert not result.dynamic_partitions_requests
        (run,) = result.run_requests or []
        assert run.tags["dagster/asset_partition_range_start"] == keys[2]
        assert run.tags["dagster/asset_partition_range_end"] == keys[-1]
        set_id = run.tags[SET_TAG]

        for attempt in range(MAX_ATTEMPTS):  # every attempt failed
            instance.add_run(
                DagsterRun(
                    job_name="refresh_all",
                    run_id=f"00000000-0000-0000-0000-00000000000{attempt}",
                    status=DagsterRunStatus.FAILURE,
                    tags={SET_TAG: set_id},
                )
            )
        again = reports_folder_sensor(
            dg.build_sensor_context(instance=instance, resources=resources, cursor=result.cursor)
        )
        assert isinstance(again, dg.SensorResult) and not again.run_requests


def test_rows_landed_but_never_published_get_a_corpus_run(tmp_path: Path) -> None:
    from pipelines.refresh import reconcile

    reports = settled_seeds(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    with dg.DagsterInstance.local_temp(str(home), overrides=NO_TELEMETRY) as instance:
        land_partitions(instance, reconcile(instance, reports).partitions)  # then killed
        resources = {"reports_folder": ReportsFolder(path=str(reports), max_report_bytes=1 << 24)}
        tick = reports_folder_sensor(
            dg.build_sensor_context(instance=instance, resources=resources)
        )
        assert isinstance(tick, dg.SensorResult)
        (run,) = tick.run_requests or []
        assert run.job_name == "refresh_corpus"

        instance.report_runless_asset_event(dg.AssetMaterialization("published_warehouse"))
        after = reports_folder_sensor(
            dg.build_sensor_context(instance=instance, resources=resources, cursor=tick.cursor)
        )
        assert isinstance(after, dg.SensorResult) and not after.run_requests
