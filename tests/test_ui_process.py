"""`make ui` (reportscope ui): a fresh DAGSTER_HOME gets the project's instance config, and one
Ctrl-C or SIGTERM stops the UI, the daemon, the code servers and every worker within 10 s."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEEDS
from tests.processes import alive, descendants, free_port, wait_for_http

pytestmark = pytest.mark.pipeline


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
    wait_for_http(f"http://127.0.0.1:{port}/server_info", ui, tmp_path / "ui.log")
    return ui, port, home


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
