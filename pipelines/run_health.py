"""Runs whose worker process died are failed, so a killed run never holds the queue forever.

Dagster's run monitoring (enabled in `.dagster_home/dagster.yaml`) asks the run launcher
whether each in-progress run's worker is alive. Dagster's own `DefaultRunLauncher` cannot
answer, so a SIGKILLed worker left its run STARTED for ever, filling the run queue. The
worker's pid is on record: runs launched from the UI or a sensor log "Started process for run
(pid: N)" (an engine event with `pid` metadata); runs of `reportscope run` carry the tag
`reportscope/pid`. A pid whose process is gone, a zombie, or younger than the run is dead.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
from dagster._core.events import DagsterEventType
from dagster._core.launcher import CheckRunHealthResult, DefaultRunLauncher, WorkerStatus
from dagster._core.storage.dagster_run import DagsterRun, DagsterRunStatus

PID_TAG = "reportscope/pid"
IN_PROGRESS = [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_alive(pid: int, not_after: float | None = None) -> bool:
    """True when `pid` runs (not a zombie) and, given `not_after`, started no later than it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        try:
            os.kill(pid, 0)  # no /proc (not Linux): existence only
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] in ("Z", "X"):
        return False
    if not_after is None:
        return True
    boot = _boot_time()
    started = boot + int(fields[19]) / _CLOCK_TICKS
    return started <= not_after + 1.0


def _boot_time() -> float:
    """When the machine booted (seconds since the epoch)."""
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith("btime "):
            return float(line.split()[1])
    return 0.0


def worker_pid(instance: dg.DagsterInstance, run: DagsterRun) -> tuple[int, float] | None:
    """The pid of a run's worker and when it was recorded, or None when none is on record."""
    if PID_TAG in run.tags:
        record = instance.get_run_record_by_id(run.run_id)
        created = record.create_timestamp.timestamp() if record else None
        return int(run.tags[PID_TAG]), created or float("inf")
    events = instance.all_logs(run.run_id, of_type=DagsterEventType.ENGINE_EVENT)
    for event in reversed(events):
        data = event.dagster_event.engine_event_data if event.dagster_event else None
        pid = data.metadata.get("pid") if data and data.metadata else None
        if pid is not None:
            return int(pid.value), event.timestamp  # type: ignore[arg-type]
    return None


def worker_health(instance: dg.DagsterInstance, run: DagsterRun) -> CheckRunHealthResult:
    """RUNNING while the run's worker lives, FAILED once it is gone, UNKNOWN without a pid."""
    found = worker_pid(instance, run)
    if found is None:
        return CheckRunHealthResult(WorkerStatus.UNKNOWN, "no worker pid on record")
    pid, recorded = found
    if process_alive(pid, not_after=recorded):
        return CheckRunHealthResult(WorkerStatus.RUNNING)
    return CheckRunHealthResult(WorkerStatus.FAILED, f"run worker (pid {pid}) is gone: killed?")


def fail_runs_of_dead_workers(instance: dg.DagsterInstance) -> list[str]:
    """Mark every in-progress run whose worker died as failed; returns their run ids."""
    failed = []
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=IN_PROGRESS)):
        run = record.dagster_run
        health = worker_health(instance, run)
        if health.status == WorkerStatus.FAILED:
            instance.report_run_failed(run, f"Marked failed by reportscope: {health.msg}")
            failed.append(run.run_id)
    return failed


class MonitoredRunLauncher(DefaultRunLauncher):
    """Dagster's default launcher, able to tell run monitoring whether a run's worker lives."""

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: DagsterRun) -> CheckRunHealthResult:
        return worker_health(self._instance, run)
