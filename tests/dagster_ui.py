"""A real `reportscope ui` for browser tests: start it, ask its GraphQL API, stop its whole group."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.ui import group_alive

CLI = Path(sys.executable).parent / "reportscope"
STOP_GRACE_S = 15.0

REGISTER_PARTITIONS = """
import sys
from pathlib import Path

import dagster as dg

from pipelines.instance_home import ensure_dagster_home

ensure_dagster_home()
from pipelines.refresh import reconcile

with dg.DagsterInstance.get() as instance:
    print(len(reconcile(instance, Path(sys.argv[1])).partitions))
"""

LOCATIONS = """
{ workspaceOrError { __typename ... on Workspace {
    locationEntries { name loadStatus locationOrLoadError { __typename
      ... on PythonError { message } } } } } }
"""


BACKFILL = """
query Backfill($id: String!) { partitionBackfillOrError(backfillId: $id) {
  __typename ... on PythonError { message }
  ... on PartitionBackfill { id status numPartitions timestamp endTimestamp
    error { message }
    runs(limit: 100) { id status jobName creationTime startTime endTime } } } }
"""

ASSETS = """
{ assetNodes { assetKey { path } isPartitioned
    partitionStats { numMaterialized numPartitions numFailed }
    assetMaterializations(limit: 1) { runId } } }
"""

RUN_LOG = """
query RunLog($runId: ID!) { logsForRun(runId: $runId, limit: 200) {
  ... on EventConnection { events { __typename ... on MessageEvent { message } } } } }
"""

# Backfill statuses after which the daemon does nothing more for it.
FINISHED = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}


def free_port() -> int:
    """A TCP port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def register_partitions(env: dict[str, str], folder: Path, cwd: Path) -> int:
    """Add one dynamic partition per report file to env's DAGSTER_HOME; return how many exist."""
    done = subprocess.run(
        [sys.executable, "-c", REGISTER_PARTITIONS, str(folder)],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return int(done.stdout.strip().splitlines()[-1])


@dataclass
class DagsterUI:
    """A running `reportscope ui`: its URL, process group leader and log."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """POST a GraphQL query and return its data; a GraphQL error fails loudly."""
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(
            f"{self.url}/graphql", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            payload = json.loads(response.read())
        if payload.get("errors"):
            raise AssertionError(f"GraphQL errors: {payload['errors']}")
        return payload["data"]

    def answers(self) -> bool:
        """True when the webserver serves /server_info."""
        try:
            with urllib.request.urlopen(f"{self.url}/server_info", timeout=5) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def location_loaded(self) -> bool:
        """True when every code location has loaded (a load error fails at once)."""
        try:
            data = self.graphql(LOCATIONS)["workspaceOrError"]
        except (urllib.error.URLError, OSError):
            return False
        entries = data.get("locationEntries") or []
        kinds = [(e.get("locationOrLoadError") or {}).get("__typename") for e in entries]
        if "PythonError" in kinds:
            raise AssertionError(f"code location failed to load: {entries}\n{self.log_tail()}")
        return bool(entries) and all(kind == "RepositoryLocation" for kind in kinds)

    def backfill(self, backfill_id: str) -> dict[str, Any]:
        """The backfill's status, timestamps and runs."""
        data = self.graphql(BACKFILL, {"id": backfill_id})["partitionBackfillOrError"]
        if data["__typename"] != "PartitionBackfill":
            raise AssertionError(f"backfill {backfill_id}: {data}")
        return data

    def unmaterialized(self) -> list[str]:
        """Assets of the code location with a partition or itself never materialized."""
        missing = []
        for node in self.graphql(ASSETS)["assetNodes"]:
            name = "/".join(node["assetKey"]["path"])
            stats = node["partitionStats"] or {}
            if node["isPartitioned"]:
                total = stats.get("numPartitions", 0)
                if not total or stats["numFailed"] or stats["numMaterialized"] < total:
                    missing.append(f"{name} {stats}")
            elif not node["assetMaterializations"]:
                missing.append(name)
        return missing

    def executor_lines(self, run_id: str) -> list[str]:
        """The run's engine messages that name how its steps ran (in process or multiprocess)."""
        events = self.graphql(RUN_LOG, {"runId": run_id})["logsForRun"].get("events") or []
        messages = [e.get("message") or "" for e in events]
        return [m for m in messages if "xecuting steps" in m or "executor" in m.lower()][:2]

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the UI's output, for failure messages."""
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def wait_for(what: str, condition: Callable[[], bool], timeout: float, every: float = 1.0) -> float:
    """Poll until condition() holds; return the seconds it took; raise after `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(every)
    raise TimeoutError(f"not within {timeout:.0f}s: {what}")


@contextlib.contextmanager
def running_ui(
    env: dict[str, str], cwd: Path, log: Path, timeout: float = 240
) -> Iterator[DagsterUI]:
    """`reportscope ui` on a free port in its own process group, ready; stopped whole after."""
    port = free_port()
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [str(CLI), "ui", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=cwd,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    ui = DagsterUI(url=f"http://127.0.0.1:{port}", process=process, log=log)
    try:
        wait_for("the webserver answers /server_info", ui.answers, timeout)
        wait_for("the code location loads", ui.location_loaded, timeout)
        yield ui
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes], grace: float = STOP_GRACE_S) -> None:
    """SIGINT the process group (Ctrl-C), then SIGKILL whatever is left after `grace` seconds."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGINT)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and (process.poll() is None or group_alive(process.pid)):
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
