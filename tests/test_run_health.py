"""A run whose worker died is marked failed, so it cannot hold the run queue for ever."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import dagster as dg
from dagster._core.storage.dagster_run import DagsterRun, DagsterRunStatus

from pipelines.run_health import PID_TAG, fail_runs_of_dead_workers, process_alive
from tests.conftest import NO_TELEMETRY


def dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_live_dead_and_younger_processes() -> None:
    assert process_alive(os.getpid())
    assert not process_alive(dead_pid())
    # A live pid that started after the run was recorded is another process (a reused pid).
    assert not process_alive(os.getpid(), not_after=time.time() - 10 * 86400)


def test_zombie_is_dead() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.time() + 30
    while time.time() < deadline:  # exited but not yet reaped: a zombie
        if Path(f"/proc/{child.pid}/stat").read_text().split(") ")[1].startswith("Z"):
            break
        time.sleep(0.05)
    assert not process_alive(child.pid)
    child.wait()


def add_started_run(instance: dg.DagsterInstance, pid: int) -> str:
    """Record a STARTED run of `refresh_all` whose worker has the given pid."""
    run_id = str(uuid.uuid4())
    instance.add_run(
        DagsterRun(
            job_name="refresh_all",
            run_id=run_id,
            status=DagsterRunStatus.STARTED,
            tags={PID_TAG: str(pid)},
        )
    )
    return run_id


def test_only_runs_whose_worker_died_are_failed(tmp_path: Path) -> None:
    with dg.DagsterInstance.local_temp(str(tmp_path), overrides=NO_TELEMETRY) as instance:
        killed = add_started_run(instance, dead_pid())
        alive = add_started_run(instance, os.getpid())
        assert fail_runs_of_dead_workers(instance) == [killed]
        assert instance.get_run_by_id(killed).status == DagsterRunStatus.FAILURE  # type: ignore[union-attr]
        assert instance.get_run_by_id(alive).status == DagsterRunStatus.STARTED  # type: ignore[union-attr]
        assert fail_runs_of_dead_workers(instance) == []
