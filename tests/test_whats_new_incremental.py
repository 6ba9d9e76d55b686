"""The whats_new step on a 1,000-report warehouse: one new report, one page, only its rows.

The warehouse is landed directly (generated reports, ingested and fingerprinted in-process:
the tables the step reads), then the step runs alone through Dagster, twice.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from pipelines.bench.corpus import generate_corpus
from pipelines.defs.whats_new import whats_new
from pipelines.publishing import REPORT_PAGES_DIR, staged_charts_dir
from pipelines.resources import WarehouseResource
from pipelines.warehouse import Warehouse
from tests.conftest import NO_TELEMETRY, SEEDS
from tests.sentence_warehouse import land_reports

pytestmark = pytest.mark.pipeline

N_REPORTS = 1000


def run_step(warehouse_dir: Path, instance: dg.DagsterInstance) -> dict[str, object]:
    """Materialize whats_new alone; returns the report_pages metadata values."""
    result = dg.materialize(
        [whats_new],
        resources={"warehouse": WarehouseResource(warehouse_dir=str(warehouse_dir))},
        instance=instance,
    )
    assert result.success
    pages = [
        m
        for m in result.asset_materializations_for_node("whats_new")
        if m.asset_key == dg.AssetKey("report_pages")
    ]
    return {key: value.value for key, value in pages[0].metadata.items()}


def page_files(store: Warehouse) -> dict[str, int]:
    """Each page file's name and inode (a rewrite by rename gives a new inode)."""
    folder = staged_charts_dir(store) / REPORT_PAGES_DIR
    return {path.name: path.stat().st_ino for path in folder.glob("*.html")}


def test_one_new_report_in_a_thousand_writes_one_page_and_only_its_rows(tmp_path: Path) -> None:
    generated = tmp_path / "generated"
    generate_corpus(generated, N_REPORTS, seed=0, pool_dirs=(SEEDS,))
    names = sorted(p.name for p in generated.iterdir())
    assert len(names) == N_REPORTS
    store = Warehouse(tmp_path / "warehouse")
    land_reports(store, generated, names, first_day=0)
    home = tmp_path / "dagster_home"
    home.mkdir()
    with dg.DagsterInstance.local_temp(str(home), overrides=NO_TELEMETRY) as instance:
        first = run_step(store.warehouse_dir, instance)
        assert first["pages_written"] == N_REPORTS
        before_rows = store.read("SELECT * FROM corpus.sentence_novelty")
        before_pages = page_files(store)
        assert len(before_pages) == N_REPORTS

        later = tmp_path / "later"
        later.mkdir()
        shutil.copy(SEEDS / "004_c37010fbd4496169.txt", later / "zz_new_report.txt")
        new_id = land_reports(store, later, ["zz_new_report.txt"], first_day=N_REPORTS + 10)[
            "report_id"
        ][0]
        second = run_step(store.warehouse_dir, instance)

    assert second["pages_written"] == 1 and second["pages_removed"] == 0
    after_pages = page_files(store)
    changed = {name for name, inode in after_pages.items() if before_pages.get(name) != inode}
    assert changed == {f"{new_id}.html"}
    after_rows = store.read("SELECT * FROM corpus.sentence_novelty")
    others = after_rows.filter(pl.col("report_id") != new_id)
    key = ["report_id", "section_id", "sentence_no"]
    assert others.sort(key).equals(before_rows.sort(key))
    mine = after_rows.filter(pl.col("report_id") == new_id)
    assert mine.height > 30
    assert after_rows.height == before_rows.height + mine.height
