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


def run_cli(tmp_path: Path, reports: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    """`reportscope run` on `reports` with a warehouse and instance under tmp_path."""
    env = {
        **os.environ,
        "REPORTS_DIR": str(reports),
        "WAREHOUSE_DIR": str(tmp_path / "warehouse"),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        **extra,
    }
    return subprocess.run(
        [str(BIN / "reportscope"), "run"], env=env, capture_output=True, text=True, timeout=600
    )


def test_a_failed_run_says_so_with_the_failing_step_and_its_root_cause(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    shutil.copytree(SEEDS, reports)
    taxonomy = tmp_path / "topics.toml"
    taxonomy.write_text('[[topic]]\nid = "Not A Valid Id"\nlabel = "x"\n', encoding="utf-8")
    done = run_cli(tmp_path, reports, TOPICS_FILE=str(taxonomy))
    assert done.returncode == 1
    assert "refreshed" not in done.stdout
    first, *rest = done.stderr.strip().splitlines()
    assert first.startswith("reportscope: the refresh FAILED after ")
    assert "published warehouse and charts are unchanged" in first
    step = next(line for line in rest if line.startswith("  step report_metrics:"))
    assert "TaxonomyError: " in step and str(taxonomy) in step
    assert step.count("TaxonomyError") == 1


def test_checks_that_did_not_pass_are_listed_with_their_numbers(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "garden.md").write_text(
        "# Notes from the allotment\n\n"
        + "".join(
            f"## {heading}\n\n{body} The beds were {heading.lower()} again on Sunday.\n\n"
            for heading, body in [
                ("Soil", "We dug compost into the clay beds before the frost came."),
                ("Watering", "The tomatoes wanted water every evening in July."),
                ("Pruning", "Apple trees were pruned back to outward facing buds."),
                ("Slugs", "Beer traps caught more slugs than the copper tape did."),
                ("Harvest", "Beans, courgettes and far too many marrows came in."),
            ]
        ),
        encoding="utf-8",
    )
    done = run_cli(tmp_path, reports)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "checks that did not pass:" in done.stdout
    line = next(
        x for x in done.stdout.splitlines() if "check sections_mostly_have_a_taxonomy_topic" in x
    )
    assert "(warning)" in line and "sections=5" in line
    share = float(line.split("share_tagged=")[1].split(",")[0])
    assert share < 0.8  # the check's threshold: gardening is not in the AI taxonomy
