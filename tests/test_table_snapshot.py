"""The before/after table comparison used for refactors finds every changed row, and only those."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from tests.table_snapshot import compare, dump


def test_same_warehouse_compares_equal_and_a_changed_row_does_not(
    seeds_warehouse: Path, tmp_path: Path
) -> None:
    before = tmp_path / "before"
    tables = dump(seeds_warehouse / "reportscope.duckdb", before)
    assert {"corpus.reports", "corpus.sections", "corpus.topic_frequency"} <= set(tables)
    assert compare(before, before) == []

    changed = tmp_path / "changed.duckdb"
    shutil.copyfile(seeds_warehouse / "reportscope.duckdb", changed)
    with duckdb.connect(str(changed)) as connection:
        connection.execute(
            "UPDATE corpus.sections SET n_words = n_words + 1 "
            "WHERE section_id = (SELECT min(section_id) FROM corpus.sections)"
        )
        connection.execute("DROP VIEW corpus.topic_league")
    after = tmp_path / "after"
    dump(changed, after)
    problems = compare(before, after)
    assert "corpus.sections.parquet: same shape, different values" in problems
    assert "corpus.topic_league.parquet: missing after" in problems
    # Views over sections change with it; every other base table is untouched.
    assert not any(p.startswith(("corpus.reports.", "corpus.topic_frequency.")) for p in problems)
