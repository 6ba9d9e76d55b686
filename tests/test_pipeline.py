"""The Dagster pipeline end to end on temporary folders, with a real instance and DuckDB file."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from pipelines.refresh import reconcile, run_refresh
from pipelines.report_files import report_id
from pipelines.settings import Settings
from tests.conftest import NO_TELEMETRY, SEEDS, corpus_dir
from tests.test_table_text import FINDINGS


@dataclass
class Project:
    """A reports folder, a warehouse and a Dagster instance in a temp directory."""

    reports: Path
    settings: Settings
    instance: dg.DagsterInstance

    def refresh(self, *, full: bool = False) -> dg.ExecuteInProcessResult:
        """Reconcile partitions with the folder and run every asset; the corpus-wide tables
        fold in new reports as the sensor's refreshes do (`full`: as `make run` does)."""
        from pipelines.definitions import defs

        change = reconcile(self.instance, self.reports)
        return run_refresh(defs(), self.instance, change.partitions, full=full)

    def query(self, sql: str) -> list[tuple]:
        """Query the published warehouse read-only, as a user would."""
        with duckdb.connect(str(self.settings.database), read_only=True) as connection:
            return connection.execute(sql).fetchall()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    reports = tmp_path / "reports"
    shutil.copytree(SEEDS, reports)
    monkeypatch.setenv("REPORTS_DIR", str(reports))
    monkeypatch.setenv("WAREHOUSE_DIR", str(tmp_path / "warehouse"))
    home = tmp_path / "dagster_home"
    home.mkdir()
    with dg.DagsterInstance.local_temp(str(home), overrides=NO_TELEMETRY) as instance:
        yield Project(reports, Settings.from_env(), instance)


def check_results(result: dg.ExecuteInProcessResult) -> dict[str, bool]:
    """Asset check name -> passed, for the checks evaluated in a run."""
    return {
        event.event_specific_data.asset_check_key.name: event.event_specific_data.passed  # type: ignore[union-attr]
        for event in result.all_events
        if event.event_type_value == "ASSET_CHECK_EVALUATION"
    }


def test_seeds_land_in_one_run_with_checks_passing(project: Project) -> None:
    result = project.refresh()
    assert result.success
    assert len(project.instance.get_runs()) == 1  # five partitions, one run
    assert project.query("SELECT count(*) FROM corpus.reports") == [(5,)]
    # 11 + 19 + 11 + 10 + 10 sections, counted from the seed files' headings.
    assert project.query("SELECT count(*) FROM corpus.sections") == [(61,)]
    checks = check_results(result)
    assert checks["sections_cover_every_word"] is True
    assert checks["every_report_has_sections"] is True
    title = project.query(
        "SELECT title FROM corpus.reports WHERE file_name = '001_dcc2aed8c26ea6dd.txt'"
    )
    assert title == [("Advancements in AI LLMs: A Comprehensive Report",)]


def test_broken_report_is_rejected_and_the_rest_still_land(project: Project) -> None:
    (project.reports / "broken.md").write_bytes(b"\x00\x01\x02binary\x00")
    (project.reports / "empty.txt").write_bytes(b"")
    (project.reports / "notes.pdf").write_bytes(b"not a report suffix")
    result = project.refresh()
    assert result.success
    assert project.query("SELECT count(*) FROM corpus.reports") == [(5,)]
    assert project.query("SELECT file_name, reason FROM corpus.rejected_reports ORDER BY 1") == [
        ("broken.md", "binary content, not text (control bytes such as NUL found)"),
        ("empty.txt", "empty file (no text)"),
    ]


def test_vanished_report_is_removed_with_all_its_rows(project: Project) -> None:
    assert project.refresh().success
    (project.reports / "000_87c5db0444f7b29d.txt").unlink()
    assert project.refresh().success
    assert project.query("SELECT count(*) FROM corpus.reports") == [(4,)]
    assert project.query("SELECT count(*) FROM corpus.sections") == [(61 - 11,)]
    assert "000_87c5db0444f7b29d.txt" not in project.instance.get_dynamic_partitions("reports")


def test_changed_report_replaces_its_rows(project: Project) -> None:
    assert project.refresh().success
    target = project.reports / "004_c37010fbd4496169.txt"
    target.write_text(
        target.read_text(encoding="utf-8") + "\n## 11. A New Section\n\nFresh words.\n"
    )
    assert project.refresh().success
    rows = project.query(
        "SELECT count(*), max(number) FROM corpus.sections s JOIN corpus.reports r USING (report_id) "
        "WHERE r.file_name = '004_c37010fbd4496169.txt'"
    )
    assert rows == [(11, 11)]


def test_open_reader_does_not_block_a_refresh_and_sees_a_consistent_state(project: Project) -> None:
    assert project.refresh().success
    reader = duckdb.connect(str(project.settings.database), read_only=True)
    try:
        before = reader.execute("SELECT count(*) FROM corpus.sections").fetchone()
        (project.reports / "004_c37010fbd4496169.txt").unlink()
        assert project.refresh().success  # the open read-only session did not block it
        assert reader.execute("SELECT count(*) FROM corpus.sections").fetchone() == before
    finally:
        reader.close()
    assert project.query("SELECT count(*) FROM corpus.sections") == [(61 - 10,)]


def test_topic_gold_counts_land_in_topic_tables(project: Project) -> None:
    assert project.refresh().success
    # From the seed headings: multimodal sections in 000, 002, 003, 004; ethics in all five;
    # explainability in 000-003.
    rows = dict(
        project.query(
            "SELECT topic_id, n_reports FROM corpus.topic_frequency "
            "WHERE topic_id IN ('multimodal', 'ethics_fairness', 'explainability')"
        )
    )
    assert rows == {"multimodal": 4, "ethics_fairness": 5, "explainability": 4}
    per_report = project.query(
        "SELECT list(DISTINCT r.file_name[:3] ORDER BY r.file_name[:3]) FROM corpus.report_topics t "
        "JOIN corpus.reports r USING (report_id) WHERE t.topic_id = 'multimodal'"
    )
    assert per_report == [(["000", "002", "003", "004"],)]


def test_edited_taxonomy_is_followed_without_code_change(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipelines.settings import PROJECT_ROOT

    edited = tmp_path / "topics.toml"
    edited.write_text(
        (PROJECT_ROOT / "pipelines" / "topics.toml").read_text(encoding="utf-8")
        + '\n[[topic]]\nid = "tamil_nadu"\nlabel = "Tamil Nadu"\n'
        'description = "The Indian state."\nterms = ["tamil nadu", "tamilnadu", "chennai"]\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("TOPICS_FILE", str(edited))
    shutil.copy(corpus_dir() / "report_069.md", project.reports / "report_069.md")
    assert project.refresh().success
    labels = dict(project.query("SELECT topic_id, label FROM corpus.topics"))
    assert labels["tamil_nadu"] == "Tamil Nadu"
    # Heading "2. Chennai's AI and Tech Hub" now carries the new topic.
    tagged = project.query(
        "SELECT s.heading FROM corpus.section_topics t JOIN corpus.sections s USING (section_id) "
        "WHERE t.topic_id = 'tamil_nadu' AND t.is_primary"
    )
    assert ("Chennai's AI and Tech Hub",) in tagged


def test_copy_of_seed_004_is_not_novel_and_pairs_every_section(project: Project) -> None:
    original = project.reports / "004_c37010fbd4496169.txt"
    copy = project.reports / "zz_copy_of_004.txt"
    shutil.copy(original, copy)
    later = original.stat().st_mtime + 60  # arrives after every seed
    os.utime(copy, (later, later))
    assert project.refresh().success
    novelty = dict(
        project.query(
            "SELECT r.file_name, n.novelty FROM corpus.report_novelty n JOIN corpus.reports r "
            "USING (report_id)"
        )
    )
    assert novelty["zz_copy_of_004.txt"] <= 0.05
    seeds = [v for name, v in novelty.items() if name != "zz_copy_of_004.txt"]
    assert len(seeds) == 5 and min(seeds) > 0.9
    # All ten numbered sections of the copy pair with the original's, at Jaccard >= 0.95.
    pairs = project.query(
        """
        SELECT sa.number, sb.number, p.jaccard
        FROM corpus.near_duplicate_sections p
        JOIN corpus.sections sa ON sa.section_id = p.section_id_a
        JOIN corpus.sections sb ON sb.section_id = p.section_id_b
        JOIN corpus.reports ra ON ra.report_id = sa.report_id
        JOIN corpus.reports rb ON rb.report_id = sb.report_id
        WHERE (ra.file_name, rb.file_name) IN (('004_c37010fbd4496169.txt', 'zz_copy_of_004.txt'),
                                              ('zz_copy_of_004.txt', '004_c37010fbd4496169.txt'))
        """
    )
    assert sorted(a for a, b, _ in pairs if a == b) == list(range(1, 11))
    assert all(j >= 0.95 for _, _, j in pairs)


def test_fingerprints_computed_two_reports_at_a_time_equal_one_pass(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunking the per-report step (for memory) changes no shingle and no band key."""
    from pipelines.defs import report_metrics as assets
    from pipelines.text.redundancy.minhash import lsh_band_keys, minhash_signatures
    from pipelines.text.redundancy.shingles import section_shingles

    monkeypatch.setattr(assets, "REPORTS_PER_CHUNK", 2)
    assert project.refresh().success
    with duckdb.connect(str(project.settings.database), read_only=True) as connection:
        sections = connection.execute(
            "SELECT report_id, section_id, ordinal, plain_text FROM corpus.sections "
            "ORDER BY report_id, ordinal"
        ).pl()
        landed = connection.execute(
            "SELECT section_id, band, band_key FROM corpus.section_band_keys"
        ).pl()
        landed_shingles = connection.execute(
            "SELECT count(*), count(DISTINCT section_id) FROM corpus.section_shingles"
        ).fetchone()
    assert sections["report_id"].n_unique() == 5
    config = assets.MINHASH_CONFIG
    shingles = section_shingles(sections, k=config.shingle_words)
    ids, signatures = minhash_signatures(shingles, config.num_perm, config.seed)
    bands, rows = config.banding
    expected = lsh_band_keys(ids, signatures, bands, rows)
    order = ["section_id", "band"]
    assert landed.sort(order).equals(expected.sort(order).select(landed.columns))
    assert landed_shingles == (shingles.height, shingles["section_id"].n_unique())


def materialization_mode(result: dg.ExecuteInProcessResult, asset: str) -> str:
    """The `mode` metadata of one asset's materialization in a run."""
    (event,) = [
        e for e in result.get_asset_materialization_events() if e.asset_key == dg.AssetKey(asset)
    ]
    return str(event.materialization.metadata["mode"].value)


def test_incremental_near_duplicates_equal_a_full_recomputation(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New, changed and deleted reports update the pairs exactly as recomputing them all."""
    from pipelines.defs import redundancy as assets
    from pipelines.warehouse import Warehouse

    assert materialization_mode(project.refresh(), "near_duplicate_sections") == "full"
    monkeypatch.setattr(assets, "INCREMENTAL_MAX_SHARE", 1.0)
    seed_004 = project.reports / "004_c37010fbd4496169.txt"
    shutil.copy(seed_004, project.reports / "zz_copy_of_004.txt")
    # A changed report: seed 001 now also carries two sections of seed 004.
    seed_001 = next(project.reports.glob("001_*"))
    text_004 = seed_004.read_text(encoding="utf-8")
    seed_001.write_text(
        seed_001.read_text(encoding="utf-8") + "\n\n" + text_004[len(text_004) // 2 :],
        encoding="utf-8",
    )
    (project.reports / "zz_copy_of_004.txt").touch()
    next(project.reports.glob("002_*")).unlink()  # a deleted report
    result = project.refresh()
    assert result.success
    assert materialization_mode(result, "near_duplicate_sections").startswith(
        "incremental (3 changed"
    )
    pairs = "SELECT * FROM corpus.near_duplicate_sections"
    incremental = project.query(pairs)
    assert len(incremental) >= 10
    # Without the bookkeeping table the same refresh recomputes every pair.
    with Warehouse(project.settings.warehouse_dir).connect() as connection:
        connection.execute(f"DROP TABLE corpus.{assets.NEAR_DUPLICATE_INDEX}")
    result = project.refresh()
    assert materialization_mode(result, "near_duplicate_sections") == "full"
    assert project.query(pairs) == incremental


def test_incremental_phrase_counts_pass_the_full_recount_check(project: Project) -> None:
    """A new report adds its counts to every stored phrase candidate, word row and the totals
    row; the daily full refresh's incremental_equals_full check recounts them all over every
    report and finds them equal, and the ranked table has its score."""
    from pipelines.definitions import defs
    from pipelines.partitions import FULL_JOB

    assert materialization_mode(project.refresh(), "repeated_phrases").startswith("full")
    seed_004 = project.reports / "004_c37010fbd4496169.txt"
    text = seed_004.read_text(encoding="utf-8")
    (project.reports / "zz_half_of_004.txt").write_text(text[: len(text) // 2], encoding="utf-8")
    result = project.refresh()
    assert result.success
    assert materialization_mode(result, "repeated_phrases") == "incremental (+1)"
    totals = project.query("SELECT n_reports FROM corpus.phrase_candidates WHERE n = 0")
    assert totals == [(6,)]
    scores = project.query("SELECT score FROM corpus.repeated_phrases")
    assert scores and all(score > 0 for (score,) in scores)
    full = (
        defs()
        .resolve_job_def(FULL_JOB)
        .execute_in_process(instance=project.instance, raise_on_error=False)
    )
    assert full.success
    assert check_results(full)["incremental_equals_full"] is True
    assert materialization_mode(full, "repeated_phrases").startswith("full")


def test_incremental_novelty_of_later_reports_equals_a_full_recomputation(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New later reports get their novelty alone; the table equals recomputing every row."""
    from pipelines.defs import redundancy as assets
    from pipelines.warehouse import Warehouse

    assert materialization_mode(project.refresh(), "report_novelty") == "full"
    monkeypatch.setattr(assets, "INCREMENTAL_MAX_SHARE", 1.0)  # 2 new of 7 is a lot here
    seed_004 = project.reports / "004_c37010fbd4496169.txt"
    later = seed_004.stat().st_mtime + 60
    for name in ("zz_copy_of_004.txt", "zz_half_of_004.txt"):
        text = seed_004.read_text(encoding="utf-8")
        (project.reports / name).write_text(
            text if name.startswith("zz_copy") else text[: len(text) // 2], encoding="utf-8"
        )
        os.utime(project.reports / name, (later, later))
    result = project.refresh()
    assert materialization_mode(result, "report_novelty") == "incremental (2 report(s))"
    table = "SELECT * FROM corpus.report_novelty ORDER BY arrival_rank"
    incremental = project.query(table)
    assert len(incremental) == 7
    with Warehouse(project.settings.warehouse_dir).connect() as connection:
        connection.execute(f"DROP TABLE corpus.{assets.NOVELTY_INDEX}")
    assert materialization_mode(project.refresh(), "report_novelty") == "full"
    assert project.query(table) == incremental
    # A deleted report changes what later reports said first: every row is recomputed.
    next(project.reports.glob("001_*")).unlink()
    assert materialization_mode(project.refresh(), "report_novelty") == "full"


def test_incremental_similarity_equals_a_full_recomputation(project: Project) -> None:
    """Reports folded in one at a time leave the lists the stored vocabulary gives from scratch.

    The daily full refresh then checks exactly that (incremental_equals_full passes), and a
    deleted report that a stored list names makes the next refresh full.
    """
    from pipelines.definitions import defs
    from pipelines.partitions import FULL_JOB
    from pipelines.similarity_store import MIN_COSINE, TOP_K
    from pipelines.text.redundancy.similarity_index import all_neighbours, undirected_pairs
    from pipelines.text.redundancy.similarity_vectors import (
        Vocabulary,
        report_documents,
        vectorize,
    )
    from pipelines.text.redundancy.tfidf import near_duplicate_counts
    from pipelines.warehouse import Warehouse

    first = project.refresh()
    assert materialization_mode(first, "report_similarity") == "full (no previous state)"
    assert "incremental_equals_full" not in check_results(first)  # nothing to compare yet
    seed_004 = (project.reports / "004_c37010fbd4496169.txt").read_text(encoding="utf-8")
    seed_001 = next(project.reports.glob("001_*")).read_text(encoding="utf-8")
    for name, text in (("zz_copy_of_004.txt", seed_004), ("zz_half_of_001.txt", seed_001[:6000])):
        (project.reports / name).write_text(text, encoding="utf-8")
        result = project.refresh()
        assert materialization_mode(result, "report_similarity") == "incremental (+1)"
        assert "incremental_equals_full" not in check_results(result)
    with duckdb.connect(str(project.settings.database), read_only=True) as connection:
        terms = connection.execute("SELECT * FROM corpus.report_similarity_terms").pl()
        sections = connection.execute("SELECT * FROM corpus.sections").pl()
        ids = [r[0] for r in connection.execute("SELECT report_id FROM corpus.reports").fetchall()]
        stored = connection.execute("SELECT * FROM corpus.report_neighbours").pl()
        public = connection.execute("SELECT * FROM corpus.report_similarity").pl()
        near = connection.execute("SELECT * FROM corpus.near_duplicate_sections").pl()
    every = vectorize(report_documents(ids, sections), Vocabulary.from_frame(terms))
    full = all_neighbours(every, TOP_K, MIN_COSINE)
    assert stored.sort("report_id", "rank").equals(full)
    order = ["report_id_a", "report_id_b"]
    recomputed = undirected_pairs(full, near_duplicate_counts(near, sections))
    assert public.sort(order).equals(recomputed.sort(order))
    assert len(ids) == 7 and stored.height > 7
    copy_of_004 = stored.filter(pl.col("report_id") == report_id("zz_copy_of_004.txt"))
    assert copy_of_004.row(0)[1:3] == (report_id("004_c37010fbd4496169.txt"), 1.0)
    assert public["n_near_duplicate_sections"].max() >= 10  # the copy shares every section
    daily = (  # the daily schedule's job: full refresh, with the incremental_equals_full checks
        defs()
        .resolve_job_def(FULL_JOB)
        .execute_in_process(instance=project.instance, raise_on_error=False)
    )
    assert materialization_mode(daily, "report_similarity") == "full (full refresh requested)"
    assert check_results(daily)["incremental_equals_full"] is True
    with Warehouse(project.settings.warehouse_dir).connect() as connection:  # a corrupt list
        connection.execute("UPDATE corpus.report_neighbours SET cosine = 0.5 WHERE rank = 1")
    daily = (  # the daily schedule's job: full refresh, with the incremental_equals_full checks
        defs()
        .resolve_job_def(FULL_JOB)
        .execute_in_process(instance=project.instance, raise_on_error=False)
    )
    assert check_results(daily)["incremental_equals_full"] is False
    gone = report_id("zz_copy_of_004.txt")
    (project.reports / "zz_copy_of_004.txt").unlink()
    result = project.refresh()
    assert "deleted" in materialization_mode(result, "report_similarity")  # the index noticed
    assert "incremental_equals_full" not in check_results(result)  # its old lists named it
    assert project.query(
        f"SELECT count(*) FROM corpus.report_similarity WHERE '{gone}' IN (report_id_a, report_id_b)"
    ) == [(0,)]


# A report dated in its first lines, whose efficiency findings sit only in a table.
DATED_TABLE_REPORT = FINDINGS.replace(
    "# Quarterly Findings\n", "# Vendor Review\n\n**Date:** June 2025\n"
)


def test_a_cloned_folder_is_dated_by_first_lines_and_trends_by_arrival(project: Project) -> None:
    (project.reports / "005_vendor_review.md").write_text(DATED_TABLE_REPORT, encoding="utf-8")
    for path in project.reports.iterdir():  # a fresh clone: one mtime for every file
        os.utime(path, (1_750_000_000, 1_750_000_000))
    assert project.refresh().success
    dates = project.query(
        "SELECT file_name[:3], report_date::DATE::VARCHAR, report_date_source FROM corpus.reports "
        "ORDER BY file_name"
    )
    assert dates == [
        *[(f"00{n}", "2025-06-15", "file_mtime") for n in range(5)],
        ("005", "2025-06-01", "first_lines"),
    ]
    # Two distinct dates among six reports: the trend runs over arrival order, one per report.
    assert project.query(
        "SELECT DISTINCT axis, count(DISTINCT arrival_rank) OVER () FROM corpus.topic_trend"
    ) == [("arrival", 6)]
    caption = (project.settings.charts_dir / "topic_trend.html").read_text(encoding="utf-8")
    assert "Reports share fewer than 3 distinct dates, so the axis is arrival order" in caption
    # The Results section names efficiency only in its table's cells.
    assert project.query(
        "SELECT t.topic_id FROM corpus.section_topics t JOIN corpus.sections s USING (section_id) "
        "WHERE s.heading = 'Results' AND t.is_primary"
    ) == [("efficiency_sustainability",)]
