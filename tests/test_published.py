"""Readers that reconnect see the latest publish, even while an older connection is open."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from pipelines.published import connect_published
from pipelines.warehouse import Warehouse


def publish_reports(store: Warehouse, n: int) -> None:
    """Land n report rows in the working database and publish it."""
    store.replace_tables({"reports": pl.DataFrame({"report_id": [f"r{i}" for i in range(n)]})})
    store.publish()


def count(connection: duckdb.DuckDBPyConnection) -> int:
    """Reports the connection sees."""
    return connection.execute("SELECT count(*) FROM corpus.reports").fetchone()[0]  # type: ignore[index]


def test_reconnecting_sees_the_latest_publish_while_an_old_connection_is_open(
    tmp_path: Path,
) -> None:
    store = Warehouse(tmp_path)
    publish_reports(store, 250)
    notebook_connection = duckdb.connect(str(store.published_path), read_only=True)
    published = connect_published(store.published_path)
    assert count(notebook_connection) == count(published) == 250

    publish_reports(store, 330)
    # The plain pattern, re-run while the first connection lives, returns the old snapshot...
    stale = duckdb.connect(str(store.published_path), read_only=True)
    assert count(stale) == 250
    # ...the published-connection pattern sees the new file, and the old readers keep theirs.
    assert count(connect_published(store.published_path)) == 330
    assert count(published) == 250
    for connection in (stale, notebook_connection, published):
        connection.close()


def test_the_catalog_keeps_the_file_name_and_is_read_only(tmp_path: Path) -> None:
    store = Warehouse(tmp_path)
    publish_reports(store, 3)
    connection = connect_published(store.published_path)
    assert connection.execute("SELECT current_database()").fetchone() == ("reportscope",)
    assert count(connection) == 3
    try:
        connection.execute("DELETE FROM corpus.reports")
    except duckdb.Error as error:
        assert "read-only" in str(error).lower()
    else:
        raise AssertionError("the published warehouse accepted a write")
