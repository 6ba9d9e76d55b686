"""`make run`'s command in a fresh process, and the DuckDB CLI reading what it wrote."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from tests.conftest import SEEDS

BIN = Path(sys.executable).parent


def test_run_command_then_duckdb_cli_reads_the_tables(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    shutil.copytree(SEEDS, reports)
    env = {
        **os.environ,
        "REPORTS_DIR": str(reports),
        "WAREHOUSE_DIR": str(tmp_path / "warehouse"),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
    }
    done = subprocess.run(
        [str(BIN / "reportscope"), "run"], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "reports: 5   sections: 61   rejected: 0" in done.stdout
    database = tmp_path / "warehouse" / "reportscope.duckdb"

    version = subprocess.run([str(BIN / "duckdb"), "--version"], capture_output=True, text=True)
    assert version.stdout.split()[0].lstrip("v") == duckdb.__version__

    cli = subprocess.run(
        [str(BIN / "duckdb"), "-readonly", "-csv", str(database)],
        input="SELECT count(*) AS n FROM corpus.sections;\n"
        "SELECT title FROM corpus.reports WHERE file_name LIKE '003%';\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert cli.returncode == 0, cli.stderr
    assert cli.stdout.split("\n")[:4] == [
        "n",
        "61",
        "title",
        "Comprehensive Report on Recent Advancements in AI LLMs",
    ]
