"""One measured stage run from the parent: its child process, its memory, and its per-step table.

The child is `pipelines.bench.stage`; the per-step table (wall time, compute vs Dagster
bookkeeping, peak RSS) comes from that run's records in the Dagster event log.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from pipelines.bench.memory import MemorySampler
from pipelines.settings import PROJECT_ROOT


def run_stage(kind: str, env: dict[str, str], work: Path) -> dict[str, Any]:
    """Run `pipelines.bench.stage` in a child process, sampling its memory; add per-step data."""
    out = work / f"{kind}.json"
    log = work / f"{kind}.log"
    with open(log, "wb") as handle:
        child = subprocess.Popen(
            [sys.executable, "-m", "pipelines.bench.stage", kind, "--out", str(out)],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
        sampler = MemorySampler(child.pid)
        sampler.start()
        returncode = child.wait()
        sampler.stop()
    if not out.exists():
        tail = log.read_text(encoding="utf-8", errors="replace")[-4000:]
        raise RuntimeError(f"{kind} stage crashed (exit {returncode}):\n{tail}")
    outcome = json.loads(out.read_text(encoding="utf-8"))
    outcome["peak_rss_mb"] = sampler.peak()
    outcome["run_peak_rss_mb"] = sampler.peak(outcome["run_started_at"], outcome["run_finished_at"])
    outcome["steps"] = step_table(env["DAGSTER_HOME"], outcome["run_id"], sampler)
    if not outcome["success"]:
        outcome["log_tail"] = log.read_text(encoding="utf-8", errors="replace")[-4000:]
    return outcome


def step_table(home: str, run_id: str, sampler: MemorySampler) -> list[dict[str, Any]]:
    """Per step: start, seconds, peak RSS while it ran, and its compute vs Dagster bookkeeping.

    A step's compute ends at its first output event; what follows (one
    ASSET_MATERIALIZATION event per partition and asset, each written to the event log) is
    Dagster's bookkeeping, reported as `events_s` with the number of events.
    """
    import dagster as dg

    kinds = {
        dg.DagsterEventType.STEP_START,
        dg.DagsterEventType.STEP_SUCCESS,
        dg.DagsterEventType.STEP_FAILURE,
        dg.DagsterEventType.STEP_SKIPPED,
        dg.DagsterEventType.STEP_OUTPUT,
        dg.DagsterEventType.ASSET_MATERIALIZATION,
        dg.DagsterEventType.ASSET_CHECK_EVALUATION,
    }
    previous = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = home
    try:
        with dg.DagsterInstance.get() as instance:
            records = instance.all_logs(run_id, of_type=kinds)
            planned = len(
                instance.all_logs(
                    run_id, of_type={dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED}
                )
            )
    finally:
        if previous is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = previous
    starts: dict[str, float] = {}
    first_output: dict[str, float] = {}
    events: dict[str, int] = {}
    steps: list[dict[str, Any]] = []
    ends = {dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE}
    for record in records:
        event_type = record.dagster_event_type
        key = record.step_key
        if event_type is None or key is None:
            continue
        if event_type == dg.DagsterEventType.STEP_START:
            starts[key] = record.timestamp
        elif event_type in ends | {dg.DagsterEventType.STEP_SKIPPED} and key in starts:
            start = starts.pop(key)
            compute_end = first_output.get(key, record.timestamp)
            steps.append(
                {
                    "step": key,
                    "status": event_type.value.removeprefix("STEP_").lower(),
                    "start": start,
                    "seconds": record.timestamp - start,
                    "compute_s": compute_end - start,
                    "events_s": record.timestamp - compute_end,
                    "events": events.get(key, 0),
                    "peak_rss_mb": sampler.peak(start, record.timestamp),
                }
            )
        else:
            first_output.setdefault(key, record.timestamp)
            events[key] = events.get(key, 0) + 1
    for key, start in starts.items():  # a step still running when the stage was stopped
        end = sampler.samples[-1][0] if sampler.samples else start
        steps.append(
            {
                "step": key,
                "status": "stopped",
                "start": start,
                "seconds": end - start,
                "compute_s": end - start,
                "events_s": 0.0,
                "events": events.get(key, 0),
                "peak_rss_mb": sampler.peak(start, end),
            }
        )
    steps.sort(key=lambda s: s["start"])
    if steps:
        steps[0]["planned_events_before_run"] = planned
    return steps
