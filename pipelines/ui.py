"""`reportscope ui`: `dg dev` with the project's instance, stopped whole by one Ctrl-C.

`dg dev` starts a webserver, a daemon, code servers and run workers. A signal that reaches
only some of them (`kill` of the leader, a supervisor's SIGTERM) left the others running;
even Ctrl-C on the whole group took about ten seconds. Here `dg dev` runs in its own process
group: the first SIGINT or SIGTERM is passed to the whole group, and whatever still runs
after GRACE_SECONDS is killed. Runs cut short this way are marked failed by run monitoring
the next time the UI starts (pipelines/run_health.py).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pipelines.instance_home import ensure_dagster_home

GRACE_SECONDS = 5.0


def stop_group(leader: subprocess.Popen[bytes], grace_seconds: float = GRACE_SECONDS) -> None:
    """SIGTERM the leader's process group, then SIGKILL it if anything is left after the grace."""
    try:
        os.killpg(leader.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace_seconds
    while time.monotonic() < deadline:
        if leader.poll() is not None and not group_alive(leader.pid):
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(leader.pid, signal.SIGKILL)
    leader.wait()


def group_alive(group: int) -> bool:
    """True while any process of the group exists."""
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def serve(host: str, port: int) -> int:
    """Run `dg dev` on host:port until it exits or a signal asks everything to stop."""
    ensure_dagster_home()
    dg_cli = Path(sys.executable).parent / "dg"
    leader = subprocess.Popen(
        [str(dg_cli), "dev", "--host", host, "--port", str(port)], start_new_session=True
    )
    stopping: list[int] = []

    def on_signal(signum: int, _frame: object) -> None:
        stopping.append(signum)

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        while leader.poll() is None and not stopping:
            time.sleep(0.2)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        stop_group(leader)
    return 130 if stopping else (leader.returncode or 0)
