"""Soak: refreshes of 200 reports SIGKILLed ten times, then `make ui` with its sensor lands
everything within two minutes, leaves no process behind, and equals a clean build."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from pipelines.bench.corpus import generate_corpus
from tests.conftest import ROOT
from tests.processes import alive, descendants, free_port, wait_for_http
from tests.table_snapshot import compare, dump

pytestmark = pytest.mark.pipeline

N_REPORTS = 200
KILLS = 10
LAND_WITHIN_S = 120
BIN = Path(sys.executable).parent


def project_env(root: Path, name: str) -> dict[str, str]:
    """Environment of one project: the shared reports folder, its own warehouse and instance."""
    return {
        **os.environ,
        "REPORTS_DIR": str(root / "reports"),
        "WAREHOUSE_DIR": str(root / name / "warehouse"),
        "DAGSTER_HOME": str(root / name / "home"),
        "REPORTS_SENSOR_INTERVAL": "2",
        "REPORTS_SETTLE_SECONDS": "0",
    }


def reports_landed(database: Path) -> int:
    """Reports in the published warehouse (0 before the first publish)."""
    if not database.exists():
        return 0
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute("SELECT count(*) FROM corpus.reports").fetchone()[0]  # type: ignore[index]


def runs_in_progress(env: dict[str, str]) -> int:
    """Runs the instance still counts as queued, starting or started."""
    code = (
        "import dagster as dg\n"
        "from pipelines.run_health import IN_PROGRESS\n"
        "with dg.DagsterInstance.get() as i:\n"
        "    statuses = [*IN_PROGRESS, dg.DagsterRunStatus.QUEUED]\n"
        "    print(len(i.get_run_records(filters=dg.RunsFilter(statuses=statuses))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return int(done.stdout.strip())


def test_killed_refreshes_then_the_ui_sensor_land_everything(tmp_path: Path) -> None:
    generate_corpus(tmp_path / "reports", N_REPORTS, seed=7)
    env = project_env(tmp_path, "soak")
    Path(env["DAGSTER_HOME"]).mkdir(parents=True)
    rng = random.Random(18)
    log = open(tmp_path / "soak.log", "ab")  # noqa: SIM115
    for _ in range(KILLS):
        victim = subprocess.Popen(
            [str(BIN / "reportscope"), "run"], env=env, stdout=log, stderr=log,
            start_new_session=True,
        )  # fmt: skip
        time.sleep(rng.uniform(2.0, 16.0))  # a cold build of the 200 reports takes about 20 s
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait()

    port = free_port()
    ui = subprocess.Popen(
        [str(BIN / "reportscope"), "ui", "--host", "127.0.0.1", "--port", str(port)],
        env=env, cwd=ROOT, stdout=log, stderr=log, start_new_session=True,
    )  # fmt: skip
    try:
        wait_for_http(f"http://127.0.0.1:{port}/server_info", ui, tmp_path / "soak.log")
        started = time.time()
        database = Path(env["WAREHOUSE_DIR"]) / "reportscope.duckdb"
        while time.time() - started < LAND_WITHIN_S:
            if reports_landed(database) == N_REPORTS and runs_in_progress(env) == 0:
                break
            time.sleep(3)
        landed_after = time.time() - started
        processes = descendants(ui.pid) | {ui.pid}
    finally:
        os.killpg(ui.pid, signal.SIGINT)
        ui.wait(timeout=30)
    assert reports_landed(database) == N_REPORTS, f"after {landed_after:.0f}s"
    assert landed_after < LAND_WITHIN_S
    time.sleep(2)
    assert not alive(processes), "processes of ours outlived the UI"

    clean = project_env(tmp_path, "clean")
    subprocess.run([str(BIN / "reportscope"), "run"], env=clean, stdout=log, stderr=log, check=True)
    dump(database, tmp_path / "after_kills")
    dump(Path(clean["WAREHOUSE_DIR"]) / "reportscope.duckdb", tmp_path / "clean_build")
    assert compare(tmp_path / "clean_build", tmp_path / "after_kills") == []
