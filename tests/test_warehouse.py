"""Warehouse writes: results streamed chunk by chunk still land in one transaction."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from pipelines.text.redundancy.chunks import report_chunks
from pipelines.warehouse import SCHEMA, Warehouse
from pipelines.writer_lock import WarehouseBusy


def rows(store: Warehouse, table: str) -> list[tuple]:
    """Every row of a table, sorted."""
    return sorted(store.read(f"SELECT * FROM {SCHEMA}.{table}").rows())


def frame(report: str, values: list[int]) -> pl.DataFrame:
    """A tiny per-report frame."""
    return pl.DataFrame({"report_id": [report] * len(values), "value": values})


@pytest.fixture
def store(tmp_path: Path) -> Warehouse:
    warehouse = Warehouse(tmp_path / "warehouse")
    warehouse.replace_many([("facts", frame("a", [1, 2]).vstack(frame("b", [3])), "report_id", [])])
    return warehouse


def test_streamed_chunks_replace_only_their_reports(store: Warehouse) -> None:
    chunks = ({"facts": frame(r, v)} for r, v in [("a", [10]), ("c", [30, 31])])
    written = store.replace_streamed({"facts": "report_id"}, ["a", "c"], chunks)
    assert written == {"facts": 3}
    assert rows(store, "facts") == [("a", 10), ("b", 3), ("c", 30), ("c", 31)]


def test_a_failure_mid_stream_leaves_the_table_as_it_was(store: Warehouse) -> None:
    def chunks() -> Iterator[dict[str, pl.DataFrame]]:
        yield {"facts": frame("a", [10])}
        raise RuntimeError("the second chunk failed")

    with pytest.raises(RuntimeError, match="second chunk"):
        store.replace_streamed({"facts": "report_id"}, ["a"], chunks())
    assert rows(store, "facts") == [("a", 1), ("a", 2), ("b", 3)]


def test_report_chunks_keep_reports_whole_and_cover_every_row() -> None:
    sections = pl.DataFrame(
        {
            "report_id": ["r1", "r1", "r2", "r3", "r3", "r3", "r4"],
            "ordinal": [1, 2, 1, 1, 2, 3, 1],
        }
    )
    chunks = list(report_chunks(sections, 2))
    assert [c["report_id"].unique(maintain_order=True).to_list() for c in chunks] == [
        ["r1", "r2"],
        ["r3", "r4"],
    ]
    assert pl.concat(chunks).equals(sections)
    assert [c.height for c in report_chunks(sections.head(0), 2)] == [0]


def test_replace_tables_patches_keyed_rows_in_the_same_transaction(store: Warehouse) -> None:
    """A whole table replaced and another's rows patched land together, or neither does."""
    written = store.replace_tables(
        {"totals": pl.DataFrame({"n": [4]})}, rows=[("facts", frame("a", [10]), "report_id", ["a"])]
    )
    assert written == 2
    assert rows(store, "facts") == [("a", 10), ("b", 3)] and rows(store, "totals") == [(4,)]
    broken = pl.DataFrame({"report_id": ["b"], "value": ["not a number"]})
    with pytest.raises(Exception, match=r"(?i)convert|cast"):
        store.replace_tables(
            {"totals": pl.DataFrame({"n": [5]})}, rows=[("facts", broken, "report_id", ["b"])]
        )
    assert rows(store, "facts") == [("a", 10), ("b", 3)] and rows(store, "totals") == [(4,)]


def test_a_new_column_is_added_to_an_existing_table(store: Warehouse) -> None:
    """Rows with a column the table lacks: the column is added, older rows hold NULL."""
    extended = frame("c", [5]).with_columns(note=pl.lit("new"))
    store.replace_many([("facts", extended, "report_id", ["c"])])
    assert rows(store, "facts") == [("a", 1, None), ("a", 2, None), ("b", 3, None), ("c", 5, "new")]


def test_a_kept_connection_is_opened_once_and_holds_the_writer_lock(tmp_path: Path) -> None:
    kept = Warehouse(tmp_path / "warehouse", keep_open=True)
    other = Warehouse(tmp_path / "warehouse", lock_timeout_s=0.2)
    with kept.connect() as first:
        first.execute(f"CREATE TABLE {SCHEMA}.facts AS SELECT 1 AS value")
    with kept.connect() as second:
        assert second is first  # the same connection, not a reopened file
    # The lock outlives the `with` blocks: another writer waits, then gives up.
    with pytest.raises(WarehouseBusy, match="held"), other.connect():
        pass
    kept.close_connection(first)  # as publishing does before copying the file
    with kept.connect() as third:
        assert third is not first
        assert third.execute(f"SELECT value FROM {SCHEMA}.facts").fetchall() == [(1,)]
    kept.release()
    assert other.read(f"SELECT value FROM {SCHEMA}.facts").rows() == [(1,)]


def test_runs_in_one_process_keep_the_connection_and_side_by_side_steps_do_not() -> None:
    import dagster as dg

    from pipelines.partitions import PARALLEL_JOB, REFRESH_JOB
    from pipelines.resources import _steps_side_by_side

    def run(job: str, config: dict | None = None) -> dg.DagsterRun:
        return dg.DagsterRun(job_name=job, run_config=config or {})

    assert not _steps_side_by_side(run(REFRESH_JOB))
    assert not _steps_side_by_side(run(REFRESH_JOB, {"execution": {"config": {"in_process": {}}}}))
    assert _steps_side_by_side(run(PARALLEL_JOB))
    multiprocess = {"execution": {"config": {"multiprocess": {"max_concurrent": 2}}}}
    assert _steps_side_by_side(run(REFRESH_JOB, multiprocess))


def test_a_kept_connection_drops_its_cached_blocks_after_each_use(tmp_path: Path) -> None:
    kept = Warehouse(tmp_path / "warehouse", keep_open=True)
    cached = "SELECT sum(memory_usage_bytes) FROM duckdb_memory() WHERE tag = 'BASE_TABLE'"
    with kept.connect() as connection:
        connection.execute(
            f"CREATE TABLE {SCHEMA}.words AS SELECT i, md5(i::VARCHAR) AS word FROM range(2000000) t(i)"
        )
        connection.execute("CHECKPOINT")
        connection.execute(f"SELECT count(DISTINCT word) FROM {SCHEMA}.words").fetchall()
        assert connection.execute(cached).fetchone()[0] > 20 * 2**20  # the table's blocks
    with kept.connect() as connection:  # the same connection, its cache trimmed in between
        assert connection.execute(cached).fetchone()[0] < 2**20
    kept.release()


def test_a_kept_connection_reads_back_a_new_table_filled_in_the_same_transaction(
    tmp_path: Path,
) -> None:
    # DuckDB 1.5.6 read a table created by CREATE TABLE AS from an empty frame and filled with
    # more than a row group in the same transaction as empty on that connection (the soak test
    # found it: the kept connection's later steps saw no shingles).
    kept = Warehouse(tmp_path / "warehouse", keep_open=True)
    rows = 300_000
    big = pl.DataFrame({"report_id": [f"r{i % 200}" for i in range(rows)], "value": range(rows)})
    kept.replace_many([("facts", big, "report_id", [])])
    assert kept.read(f"SELECT count(*) FROM {SCHEMA}.facts").item() == rows
    kept.release()
