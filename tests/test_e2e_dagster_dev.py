"""End to end: the real `dagster dev` (webserver + daemon) keeps a copy of the project current.

A report dropped into the folder shows up in every table and the dashboard; a changed report's
rows follow; a deleted report's rows go. "Materialize all" through the webserver's GraphQL API
(as the UI does it) succeeds. The server is stopped at the end.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from pipelines.report_files import report_id
from tests.conftest import ROOT, SEEDS

pytestmark = pytest.mark.e2e
WAIT_S = 120
NEW = "zz_new_report.md"
NEW_REPORT = """# Quantum Sensors for Bridge Inspection

## 1. Why inspect bridges with quantum sensors

Quantum magnetometers detect corrosion inside steel cables long before cracks appear on the
surface. Inspectors mount them on drones that follow the cable from anchor to tower, and the
readings map rust hidden under paint and grease. Cities with old suspension bridges are the first
customers, because replacing a cable costs far more than finding the weak strand early.

## 2. Field trials

Three field trials on river crossings compared drone surveys with manual rope-access inspection.
The drones covered a cable in an afternoon instead of a week, and they found every defect the
climbers found, plus two that the climbers missed under thick coating layers.
"""


@dataclass
class DagsterDev:
    """A running `dagster dev` on a project copy."""

    url: str
    root: Path
    reports: Path
    database: Path
    dashboard: Path

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        """POST a GraphQL query to the webserver and return its data."""
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(
            f"{self.url}/graphql", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            payload = json.loads(response.read())
        assert "errors" not in payload, payload
        return payload["data"]

    def query(self, sql: str, parameters: list | None = None) -> list[tuple]:
        """Query the published warehouse read-only (empty when it does not exist yet)."""
        if not self.database.exists():
            return []
        try:
            with duckdb.connect(str(self.database), read_only=True) as connection:
                return connection.execute(sql, parameters or []).fetchall()
        except duckdb.CatalogException:
            return []


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(what: str, condition: Callable[[], bool], timeout: float = WAIT_S) -> float:
    """Poll until condition() holds; return the seconds it took, fail after `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(1)
    pytest.fail(f"not within {timeout:.0f}s: {what}")


@pytest.fixture(scope="module")
def dagster_dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DagsterDev]:
    root = tmp_path_factory.mktemp("project")
    for name in ("pipelines", "sql"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    (root / ".dagster_home").mkdir()
    shutil.copy(ROOT / ".dagster_home" / "dagster.yaml", root / ".dagster_home" / "dagster.yaml")
    reports = root / "reports"
    shutil.copytree(SEEDS, reports)
    port = free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(root / ".dagster_home"),
        "REPORTS_DIR": str(reports),
        "WAREHOUSE_DIR": str(root / "warehouse"),
        "REPORTS_SETTLE_SECONDS": "1",
        "REPORTS_SENSOR_INTERVAL": "3",
    }
    log = open(root / "dagster_dev.log", "wb")  # noqa: SIM115
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster"), "dev", "-h", "127.0.0.1", "-p", str(port)],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    dev = DagsterDev(
        url=f"http://127.0.0.1:{port}",
        root=root,
        reports=reports,
        database=root / "warehouse" / "reportscope.duckdb",
        dashboard=root / "warehouse" / "charts" / "index.html",
    )
    try:
        wait_for("the webserver answers", lambda: _answers(dev.url), timeout=180)
        yield dev
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
        log.close()
    assert server.returncode is not None  # the server we started is stopped


def _answers(url: str) -> bool:
    """True when the webserver serves /server_info."""
    try:
        with urllib.request.urlopen(f"{url}/server_info", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def rows_of(dev: DagsterDev, table: str, rid: str) -> int:
    """Rows of one report in a per-report table."""
    found = dev.query(f"SELECT count(*) FROM corpus.{table} WHERE report_id = ?", [rid])
    return found[0][0] if found else 0


def test_sensor_picks_up_the_seeds_on_its_own(dagster_dev: DagsterDev) -> None:
    wait_for(
        "the seeds' 61 sections are published",
        lambda: dagster_dev.query("SELECT count(*) FROM corpus.sections") == [(61,)],
        timeout=240,
    )


def test_new_changed_and_deleted_report_follow_within_a_minute_or_two(
    dagster_dev: DagsterDev,
) -> None:
    rid = report_id(NEW)
    (dagster_dev.reports / NEW).write_text(NEW_REPORT, encoding="utf-8")
    per_report = ["sections", "section_readability", "section_topics", "report_repetition"]
    wait_for(
        "the new report's rows in every per-report table, its novelty and the dashboard",
        lambda: (
            all(rows_of(dagster_dev, t, rid) > 0 for t in per_report)
            and rows_of(dagster_dev, "report_novelty", rid) == 1
            and NEW in dagster_dev.dashboard.read_text(encoding="utf-8")
        ),
    )
    assert rows_of(dagster_dev, "sections", rid) == 2
    novelty = dagster_dev.query(
        "SELECT novelty FROM corpus.report_novelty WHERE report_id = ?", [rid]
    )
    assert novelty[0][0] > 0.9  # nothing about bridges in the seeds

    with (dagster_dev.reports / NEW).open("a", encoding="utf-8") as handle:
        handle.write("\n## 3. Costs\n\nA survey costs less than one day of lane closures.\n")
    wait_for(
        "the changed report's third section", lambda: rows_of(dagster_dev, "sections", rid) == 3
    )
    wait_for(
        "readability follows the change",
        lambda: rows_of(dagster_dev, "section_readability", rid) == 3,
    )

    (dagster_dev.reports / NEW).unlink()
    tables = [*per_report, "reports", "report_readability", "report_novelty", "report_topics"]
    wait_for(
        "every row of the deleted report is gone",
        lambda: (
            dagster_dev.query("SELECT count(*) FROM corpus.reports WHERE report_id = ?", [rid])
            == [(0,)]
            and all(rows_of(dagster_dev, t, rid) == 0 for t in tables)
        ),
    )
    assert dagster_dev.query("SELECT count(*) FROM corpus.sections") == [(61,)]


def test_materialize_all_through_graphql_succeeds(dagster_dev: DagsterDev) -> None:
    nodes = dagster_dev.graphql("{ assetNodes { assetKey { path } } }")["assetNodes"]
    keys = [{"path": node["assetKey"]["path"]} for node in nodes]
    launched = dagster_dev.graphql(
        """
        mutation Launch($params: LaunchBackfillParams!) {
          launchPartitionBackfill(backfillParams: $params) {
            __typename
            ... on LaunchBackfillSuccess { backfillId }
            ... on PythonError { message }
          }
        }
        """,
        {"params": {"assetSelection": keys, "allPartitions": True, "title": "Materialize all"}},
    )["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    backfill_id = launched["backfillId"]

    def backfill() -> tuple[str, list[str]]:
        data = dagster_dev.graphql(
            """
            query Backfill($id: String!) {
              partitionBackfillOrError(backfillId: $id) {
                ... on PartitionBackfill { status runs(limit: 50) { status } }
              }
            }
            """,
            {"id": backfill_id},
        )
        found = data["partitionBackfillOrError"]
        return found["status"], [run["status"] for run in found["runs"]]

    finished = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}
    wait_for("the backfill completes", lambda: backfill()[0] in finished, timeout=480)
    status, runs = backfill()
    assert status in {"COMPLETED", "COMPLETED_SUCCESS"}
    assert runs and all(run == "SUCCESS" for run in runs)
