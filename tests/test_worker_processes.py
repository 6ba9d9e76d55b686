"""No worker of the ingest pool outlives the process that started it, even a SIGKILLed one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines.bench.corpus import generate_corpus
from tests.processes import alive, descendants

pytestmark = pytest.mark.pipeline

INGEST_FOR_EVER = """
if __name__ == "__main__":
    import sys
    from pathlib import Path

    from pipelines.report_files import list_report_files

    from pipelines.reports_folder import ingest_reports

    folder = Path(sys.argv[1])
    while True:
        ingest_reports(folder, [f.key for f in list_report_files(folder)], 1 << 24, workers=2)
"""


def test_sigkill_of_an_ingesting_process_leaves_no_worker(tmp_path: Path) -> None:
    generate_corpus(tmp_path / "reports", 200, seed=3)  # over the pool's 64-file threshold
    script = tmp_path / "ingest_for_ever.py"
    script.write_text(INGEST_FOR_EVER, encoding="utf-8")
    main = subprocess.Popen([sys.executable, str(script), str(tmp_path / "reports")])
    workers: set[int] = set()
    deadline = time.time() + 120
    while time.time() < deadline and len(workers) < 2:
        workers |= descendants(main.pid)
        time.sleep(0.1)
    assert len(workers) >= 2, "the pool never started"
    os.kill(main.pid, signal.SIGKILL)
    main.wait()
    deadline = time.time() + 10
    while time.time() < deadline and alive(workers):
        time.sleep(0.2)
    left = alive(workers)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, f"{len(left)} worker(s) outlived their parent"
