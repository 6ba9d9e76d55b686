"""Issue 18: a hostile user's faults around the reports folder, each reproduced end to end."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster._core.storage.dagster_run import DagsterRun, DagsterRunStatus
from dagster._core.utils import make_new_run_id

from pipelines.cli import main
from pipelines.definitions import defs
from pipelines.defs.automation import reports_folder_sensor
from pipelines.partitions import PER_REPORT_ASSETS
from pipelines.refresh import partition_range_tags, partitions_in_use, reconcile, run_refresh
from pipelines.report_files import ReportsFolderUnavailable, list_report_files
from pipelines.resources import ReportsFolder
from pipelines.run_health import PID_TAG
from tests.conftest import NO_TELEMETRY, SEEDS
from tests.test_hostile_input import as_unprivileged_user

BIN = Path(sys.executable).parent
WORKTREE = Path(__file__).resolve().parents[1]
OLD = time.time() - 3600  # an mtime well outside the sensor's settle window


def cli_env(tmp_path: Path, reports: Path) -> dict[str, str]:
    """The environment of a `reportscope run` on `reports`, everything else under tmp_path."""
    return {
        **os.environ,
        "PYTHONPATH": str(WORKTREE),
        "REPORTS_DIR": str(reports),
        "WAREHOUSE_DIR": str(tmp_path / "warehouse"),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
    }


def reportscope_run(tmp_path: Path, reports: Path) -> subprocess.CompletedProcess[str]:
    """`reportscope run` in a fresh process, as a user types it."""
    return subprocess.run(
        [str(BIN / "reportscope"), "run"],
        env=cli_env(tmp_path, reports),
        capture_output=True,
        text=True,
        timeout=600,
    )


def cli_instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dg.DagsterInstance:
    """The Dagster instance `reportscope run` used (its event log storage reads DAGSTER_HOME)."""
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    return dg.DagsterInstance.from_config(str(tmp_path / "dagster_home"))


def query(tmp_path: Path, sql: str) -> list[tuple]:
    """Read the published warehouse, as a user would."""
    database = tmp_path / "warehouse" / "reportscope.duckdb"
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def sensor_tick(
    instance: dg.DagsterInstance, folder: Path, cursor: str | None
) -> dg.SensorExecutionData:
    """One sensor evaluation, validated as the daemon does."""
    resources = {"reports_folder": ReportsFolder(path=str(folder), max_report_bytes=1 << 24)}
    context = dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources)
    return reports_folder_sensor.evaluate_tick(context)


@pytest.fixture
def project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, dg.DagsterInstance]]:
    """An empty reports folder and a temporary instance; the warehouse goes under tmp_path."""
    reports = tmp_path / "reports"
    reports.mkdir()
    monkeypatch.setenv("REPORTS_DIR", str(reports))
    monkeypatch.setenv("WAREHOUSE_DIR", str(tmp_path / "warehouse"))
    home = tmp_path / "home"
    home.mkdir()
    with dg.DagsterInstance.local_temp(str(home), overrides=NO_TELEMETRY) as instance:
        yield reports, instance


def apply_partition_requests(instance: dg.DagsterInstance, tick: dg.SensorExecutionData) -> None:
    """Do what the daemon does with a tick's partition requests."""
    for request in tick.dynamic_partitions_requests or []:
        if isinstance(request, dg.AddDynamicPartitionsRequest):
            instance.add_dynamic_partitions(request.partitions_def_name, request.partition_keys)
        else:
            for key in request.partition_keys:
                instance.delete_dynamic_partition(request.partitions_def_name, key)


# --- Fault 1: a missing reports folder must not empty the warehouse -------------------------


def test_run_with_the_reports_folder_gone_fails_and_removes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reports = tmp_path / "reports"
    shutil.copytree(SEEDS, reports)
    assert reportscope_run(tmp_path, reports).returncode == 0
    assert query(tmp_path, "SELECT count(*) FROM corpus.reports") == [(5,)]
    with cli_instance(tmp_path, monkeypatch) as instance:
        runs_before = len(instance.get_runs())
        assert len(instance.get_dynamic_partitions("reports")) == 5

    reports.rename(tmp_path / "reports_unmounted")
    done = reportscope_run(tmp_path, reports)

    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and str(reports) in lines[0] and "does not exist" in lines[0]
    assert "removed" not in done.stdout
    assert query(tmp_path, "SELECT count(*) FROM corpus.reports") == [(5,)]
    with cli_instance(tmp_path, monkeypatch) as instance:
        assert len(instance.get_runs()) == runs_before  # no run launched
        assert len(instance.get_dynamic_partitions("reports")) == 5  # nothing removed


@pytest.mark.parametrize("kind", ["missing", "a file"])
def test_run_on_a_fresh_setup_names_an_unusable_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    reports = tmp_path / "reports"
    if kind == "a file":
        reports.write_text("not a folder\n", encoding="utf-8")
    for name, value in cli_env(tmp_path, reports).items():
        monkeypatch.setenv(name, value)
    assert main(["run"]) != 0
    out, err = capsys.readouterr()
    assert "no report in" not in out
    reason = "does not exist" if kind == "missing" else "is not a directory"
    (line,) = err.strip().splitlines()
    assert str(reports) in line and reason in line


def test_list_report_files_names_an_unreadable_folder() -> None:
    folder = Path(tempfile.mkdtemp(prefix="reportscope-perm-"))
    (folder / "a.md").write_text("# A\n\nalpha\n", encoding="utf-8")
    folder.chmod(0o300)  # no read permission: its names cannot be listed

    def attempt() -> str:
        try:
            return f"listed {list_report_files(folder)}"
        except ReportsFolderUnavailable as error:
            return str(error)

    message = as_unprivileged_user(attempt)
    folder.chmod(0o700)
    shutil.rmtree(folder)
    assert str(folder) in message and "permission denied" in message


def test_sensor_skips_a_tick_without_the_folder_and_keeps_its_cursor(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    for name in ("a.md", "b.md"):
        (reports / name).write_text(f"# {name}\n\nbody of {name}\n", encoding="utf-8")
        os.utime(reports / name, (OLD, OLD))
    home = tmp_path / "home"
    home.mkdir()
    with dg.DagsterInstance.local_temp(str(home), overrides=NO_TELEMETRY) as instance:
        first = sensor_tick(instance, reports, None)
        apply_partition_requests(instance, first)
        assert len(first.run_requests or []) == 1
        for key in ("a.md", "b.md"):  # the requested run landed both reports
            for asset in PER_REPORT_ASSETS:
                instance.report_runless_asset_event(
                    dg.AssetMaterialization(asset_key=asset, partition=key)
                )
        instance.report_runless_asset_event(dg.AssetMaterialization("published_warehouse"))

        reports.rename(tmp_path / "away")
        away = sensor_tick(instance, reports, first.cursor)
        assert not away.run_requests and not away.dynamic_partitions_requests
        assert away.skip_message and str(reports) in away.skip_message
        assert away.cursor == first.cursor
        assert set(instance.get_dynamic_partitions("reports")) == {"a.md", "b.md"}

        (tmp_path / "away").rename(reports)
        back = sensor_tick(instance, reports, away.cursor)
        assert not back.run_requests and not back.dynamic_partitions_requests


# --- Fault 2: a file name that is not valid UTF-8 must not stop ingestion ---------------------

# The name below, with its one undecodable byte escaped as the rejection shows it.
BAD_NAME = b"caf\xe9_report.md"
BAD_NAME_SHOWN = "caf\\xe9_report.md"
BAD_NAME_REASON = f"file name is not valid UTF-8 (rename it): {BAD_NAME_SHOWN}"


def write_bad_name(folder: Path) -> None:
    """A healthy report whose file name is the bytes BAD_NAME."""
    fd = os.open(os.path.join(os.fsencode(folder), BAD_NAME), os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, b"# Caf\xc3\xa9 report\n\n## Menu\n\nCoffee and cake.\n")
    os.close(fd)
    os.utime(os.path.join(os.fsencode(folder), BAD_NAME), (OLD, OLD))


def test_run_rejects_a_non_utf8_file_name_and_lands_the_rest(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    shutil.copytree(SEEDS, reports)
    write_bad_name(reports)
    done = reportscope_run(tmp_path, reports)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "reports: 5   sections: 61   rejected: 1" in done.stdout
    assert query(tmp_path, "SELECT file_name, reason FROM corpus.rejected_reports") == [
        (BAD_NAME_SHOWN, BAD_NAME_REASON)
    ]
    landed = {row[0] for row in query(tmp_path, "SELECT file_name FROM corpus.reports")}
    assert landed == {p.name for p in SEEDS.iterdir()}
    # Renamed, it lands; the rejection of the old name goes.
    os.rename(os.path.join(os.fsencode(reports), BAD_NAME), reports / "cafe_report.md")
    done = reportscope_run(tmp_path, reports)
    assert done.returncode == 0, done.stderr[-3000:]
    assert query(tmp_path, "SELECT count(*) FROM corpus.rejected_reports") == [(0,)]
    assert query(
        tmp_path, "SELECT title FROM corpus.reports WHERE file_name = 'cafe_report.md'"
    ) == [("Café report",)]


def test_sensor_and_its_run_reject_a_non_utf8_file_name(
    tmp_path: Path, project: tuple[Path, dg.DagsterInstance]
) -> None:
    reports, instance = project
    write_reports(reports, ["a.md"])
    write_bad_name(reports)
    tick = sensor_tick(instance, reports, None)
    apply_partition_requests(instance, tick)
    (request,) = tick.run_requests or []
    result = (
        defs()
        .resolve_job_def(request.job_name)
        .execute_in_process(instance=instance, tags=request.tags, raise_on_error=False)
    )
    assert result.success
    assert query(tmp_path, "SELECT file_name, reason FROM corpus.rejected_reports") == [
        (BAD_NAME_SHOWN, BAD_NAME_REASON)
    ]
    assert query(tmp_path, "SELECT file_name FROM corpus.reports") == [("a.md",)]
    # The next tick sees nothing new: no failing tick, no run again and again.
    again = sensor_tick(instance, reports, tick.cursor)
    assert not again.run_requests and not again.dynamic_partitions_requests


# --- Fault 3: a file deleted while a run that covers it waits or runs -------------------------

DISAPPEARED = "file disappeared before it could be read"


def write_reports(folder: Path, names: list[str]) -> None:
    """One small healthy report per name, old enough for the sensor to take it."""
    folder.mkdir(exist_ok=True)
    for name in names:
        (folder / name).write_text(f"# {name}\n\n## Part\n\nbody of {name}\n", encoding="utf-8")
        os.utime(folder / name, (OLD, OLD))


def queue_run(instance: dg.DagsterInstance, tags: dict[str, str]) -> DagsterRun:
    """A refresh run with these tags, created and not started yet (as a queued one waits).

    (A QUEUED record needs the origin of a code location; waiting is all that matters here.)
    """
    run = DagsterRun(
        job_name="refresh_all",
        run_id=make_new_run_id(),
        tags=tags,
        status=DagsterRunStatus.NOT_STARTED,
    )
    return instance.add_run(run)


def test_reconcile_keeps_the_partitions_a_queued_run_ends_at(
    tmp_path: Path, project: tuple[Path, dg.DagsterInstance]
) -> None:
    reports, instance = project
    write_reports(reports, ["a.md", "b.md", "c.md"])
    tags = partition_range_tags(reconcile(instance, reports).partitions)
    waiting = queue_run(instance, tags)  # a..c
    (reports / "b.md").unlink()  # inside the range
    (reports / "c.md").unlink()  # its end
    change = reconcile(instance, reports)  # the sensor or another `reportscope run`
    assert change.removed == ["b.md"]
    # The queued run starts: its range still resolves, the vanished end is recorded.
    job = defs().resolve_job_def("refresh_all")
    result = job.execute_in_process(instance=instance, tags=tags, raise_on_error=False)
    assert result.success
    assert query(tmp_path, "SELECT file_name, reason FROM corpus.rejected_reports") == [
        ("c.md", DISAPPEARED)
    ]
    assert query(tmp_path, "SELECT file_name FROM corpus.reports") == [("a.md",)]
    # Once that run is over, the next reconcile drops the partition and its rows.
    instance.report_run_canceled(waiting)
    change = reconcile(instance, reports)
    assert change.removed == ["c.md"] and change.partitions == ["a.md"]
    assert run_refresh(defs(), instance, change.partitions).success
    assert query(tmp_path, "SELECT count(*) FROM corpus.rejected_reports") == [(0,)]


def test_sensor_keeps_the_partitions_a_queued_run_ends_at_until_it_is_over(
    tmp_path: Path, project: tuple[Path, dg.DagsterInstance]
) -> None:
    reports, instance = project
    write_reports(reports, ["a.md", "b.md", "c.md"])
    first = sensor_tick(instance, reports, None)
    apply_partition_requests(instance, first)
    (request,) = first.run_requests or []
    waiting = queue_run(instance, dict(request.tags))  # a..c, not started yet
    (reports / "c.md").unlink()  # the range's end goes
    (reports / "a.md").write_text("# a.md\n\n## Part\n\nrevised body\n", encoding="utf-8")
    os.utime(reports / "a.md", (OLD + 60, OLD + 60))  # the range's start changes
    second = sensor_tick(instance, reports, first.cursor)
    apply_partition_requests(instance, second)
    assert not second.dynamic_partitions_requests and not second.run_requests
    # The queued run starts after that tick: it succeeds and records the vanished file.
    job = defs().resolve_job_def(request.job_name)
    result = job.execute_in_process(instance=instance, tags=request.tags, raise_on_error=False)
    assert result.success
    assert query(tmp_path, "SELECT file_name, reason FROM corpus.rejected_reports") == [
        ("c.md", DISAPPEARED)
    ]
    # Once it is over, the next ticks drop c.md and refresh a.md, as without a queued run.
    instance.report_run_canceled(waiting)
    third = sensor_tick(instance, reports, second.cursor)
    (drop,) = third.dynamic_partitions_requests or []
    assert isinstance(drop, dg.DeleteDynamicPartitionsRequest)
    assert sorted(drop.partition_keys) == ["a.md", "c.md"]
    (corpus_run,) = third.run_requests or []
    assert corpus_run.job_name == "refresh_corpus"
    apply_partition_requests(instance, third)
    fourth = sensor_tick(instance, reports, third.cursor)
    (add,) = fourth.dynamic_partitions_requests or []
    assert list(add.partition_keys) == ["a.md"]
    (refresh,) = fourth.run_requests or []
    assert refresh.tags["dagster/asset_partition_range_start"] == "a.md"


def test_a_run_whose_process_was_killed_holds_no_partition(tmp_path: Path) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()
    home = tmp_path / "home"
    home.mkdir()
    with dg.DagsterInstance.local_temp(str(home), overrides=NO_TELEMETRY) as instance:
        tags = partition_range_tags(["a.md", "c.md"])
        queue_run(instance, {**tags, PID_TAG: str(os.getpid())})
        assert partitions_in_use(instance) == {"a.md", "c.md"}
        queue_run(instance, {**partition_range_tags(["x.md"]), PID_TAG: str(gone.pid)})
        assert partitions_in_use(instance) == {"a.md", "c.md"}
