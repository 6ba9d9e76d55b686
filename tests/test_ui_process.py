"""`make ui` (reportscope ui): a fresh DAGSTER_HOME gets the project's instance config, and one
Ctrl-C or SIGTERM stops the UI, the daemon, the code servers and every worker within 10 s."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEEDS

pytestmark = pytest.mark.pipeline


def free_port() -> int:
    """A TCP port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def descendants(pid: int) -> set[int]:
    """Every live (non-zombie) process below `pid`, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            if fields[0] != "Z":
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pids: set[int]) -> set[int]:
    """The pids of `pids` that still run (zombies count as gone)."""
    running = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            running.add(pid)
    return running


def start_ui(tmp_path: Path) -> tuple[subprocess.Popen[bytes], int, Path]:
    """`reportscope ui` on a free port with a fresh DAGSTER_HOME, in its own process group."""
    port = free_port()
    home = tmp_path / "fresh_home"
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "REPORTS_DIR": str(SEEDS),
        "WAREHOUSE_DIR": str(tmp_path / "warehouse"),
    }
    cli = Path(sys.executable).parent / "reportscope"
    ui = subprocess.Popen(
        [str(cli), "ui", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=open(tmp_path / "ui.log", "wb"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
        start_new_session=True,  # like a terminal: Ctrl-C reaches this whole group
    )
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2)
            return ui, port, home
        except OSError:
            assert ui.poll() is None, (tmp_path / "ui.log").read_text()
            time.sleep(1)
    raise AssertionError("the UI did not come up in 180 s")


@pytest.mark.parametrize("how", ["ctrl_c_to_the_group", "sigterm_to_the_command"])
def test_one_signal_stops_everything_within_ten_seconds(tmp_path: Path, how: str) -> None:
    ui, _port, home = start_ui(tmp_path)
    assert (home / "dagster.yaml").read_text() == (ROOT / ".dagster_home/dagster.yaml").read_text()
    time.sleep(3)  # let the daemon and code servers settle
    started = descendants(ui.pid) | {ui.pid}
    assert len(started) >= 4, started  # dg dev, webserver, daemon, code server
    if how == "ctrl_c_to_the_group":
        os.killpg(ui.pid, signal.SIGINT)
    else:
        ui.send_signal(signal.SIGTERM)
    stop = time.time()
    while time.time() - stop < 10 and alive(started):
        time.sleep(0.2)
    left = alive(started)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, f"still running {time.time() - stop:.1f}s after the signal: {sorted(left)}"
    ui.wait(timeout=10)
