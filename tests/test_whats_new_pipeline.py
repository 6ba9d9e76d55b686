"""The whats_new step in Dagster: new, changed and deleted reports touch only their own rows.

The 1,000-report warehouse is landed directly (generated reports, ingested and fingerprinted
in-process: the tables the step reads), then the step runs alone, twice.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from pipelines.bench.corpus import generate_corpus
from pipelines.defs.whats_new import whats_new
from pipelines.publishing import REPORT_PAGES_DIR, staged_charts_dir
from pipelines.report_files import report_id
from pipelines.resources import WarehouseResource
from pipelines.warehouse import Warehouse
from tests.conftest import NO_TELEMETRY, SEEDS
from tests.sentence_warehouse import land_reports
from tests.test_pipeline import Project, project  # noqa: F401 (the seeds-project fixture)

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


def sentence_rows(built: Project) -> dict[str, list[tuple]]:
    """Published sentence_novelty rows per report file name."""
    rows = built.query(
        "SELECT r.file_name, s.* FROM corpus.sentence_novelty s JOIN corpus.reports r "
        "USING (report_id) ORDER BY ALL"
    )
    grouped: dict[str, list[tuple]] = {}
    for row in rows:
        grouped.setdefault(row[0], []).append(row[1:])
    return grouped


def test_new_changed_and_deleted_reports_touch_only_their_rows_and_pages(
    project: Project,  # noqa: F811 (the fixture)
) -> None:
    assert project.refresh().success
    pages = project.settings.warehouse_dir / "charts" / REPORT_PAGES_DIR
    ids = {name: report_id(name) for name in (p.name for p in project.reports.iterdir())}
    assert sorted(p.stem for p in pages.glob("*.html")) == sorted(ids.values())
    seeds_rows = sentence_rows(project)
    assert set(seeds_rows) == set(ids)

    copy = project.reports / "zz_copy_of_004.txt"
    shutil.copy(project.reports / "004_c37010fbd4496169.txt", copy)
    later = copy.stat().st_mtime + 60
    os.utime(copy, (later, later))
    result = project.refresh()
    assert result.success
    assert (pages / f"{report_id(copy.name)}.html").is_file()
    after_copy = sentence_rows(project)
    assert {k: v for k, v in after_copy.items() if k != copy.name} == seeds_rows
    # The copy's `reports` partition carries its page and novelty (0: all said before).
    records = project.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey("reports"), asset_partitions=[copy.name]),
        limit=5,
    ).records
    metadata = records[0].asset_materialization.metadata  # type: ignore[union-attr]
    assert metadata["page"].value.endswith(f"/charts/reports/{report_id(copy.name)}.html")
    assert metadata["novelty"].value == 0.0

    copy.write_text(
        copy.read_text(encoding="utf-8") + "\n\n## Addendum\n\nA wholly new closing remark here.\n",
        encoding="utf-8",
    )
    os.utime(copy, (later, later))
    assert project.refresh().success
    edited = sentence_rows(project)
    assert {k: v for k, v in edited.items() if k != copy.name} == seeds_rows
    assert len(edited[copy.name]) == len(after_copy[copy.name]) + 2  # heading + sentence

    gone = "001_dcc2aed8c26ea6dd.txt"
    (project.reports / gone).unlink()
    assert project.refresh().success
    assert not (pages / f"{ids[gone]}.html").exists()
    remaining = sentence_rows(project)
    assert gone not in remaining
    assert {k: v for k, v in remaining.items()} == {k: v for k, v in edited.items() if k != gone}
