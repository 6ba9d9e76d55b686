"""SQL on an open DuckDB connection: the corpus schema, key filters, transactions, row counts."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress

import duckdb
import polars as pl

SCHEMA = "corpus"


# Filter for `read(..., keys=...)`: the keys as a registered frame, which DuckDB joins (a
# list parameter `unnest(?::VARCHAR[])` is 4-10x slower at 10,000 keys).
SELECTED_KEYS = "(SELECT key FROM selected_keys)"


@contextmanager
def selected_keys(connection: duckdb.DuckDBPyConnection, keys: Sequence[str]) -> Iterator[None]:
    """Register `keys` as the view `selected_keys` (column `key`) for one statement."""
    frame = pl.DataFrame({"key": list(keys)}, schema={"key": pl.String})
    connection.register("selected_keys", frame)
    try:
        yield
    finally:
        connection.unregister("selected_keys")


def query(
    connection: duckdb.DuckDBPyConnection, sql: str, keys: Sequence[str] | None = None
) -> pl.DataFrame:
    """`Warehouse.read` on an open connection (a step that reads and writes on one connection)."""
    if keys is None:
        return connection.execute(sql).pl()
    with selected_keys(connection, keys):
        return connection.execute(sql).pl()


def has_table(connection: duckdb.DuckDBPyConnection, table: str) -> bool:
    """True when `corpus.<table>` exists on this connection."""
    found = connection.execute(  # duckdb_tables(): half the cost of information_schema
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
        [SCHEMA, table],
    ).fetchone()
    return bool(found and found[0])


def has_column(connection: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    """True when `corpus.<table>` has `column` (a warehouse landed before the column existed
    lacks it until the table's next write adds it)."""
    found = connection.execute(
        "SELECT count(*) FROM duckdb_columns() "
        "WHERE schema_name = ? AND table_name = ? AND column_name = ?",
        [SCHEMA, table, column],
    ).fetchone()
    return bool(found and found[0])


def table_row_counts(connection: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Exact row counts of every table in the corpus schema of an open database, by name."""
    names = connection.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = ? ORDER BY table_name",
        [SCHEMA],
    ).fetchall()
    return {
        name: connection.execute(f'SELECT count(*) FROM {SCHEMA}."{name}"').fetchone()[0]  # type: ignore[index]
        for (name,) in names
    }


@contextmanager
def transaction(connection: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """BEGIN ... COMMIT; on any error ROLLBACK, and the error raised is the one that happened.

    When the first error already ended the transaction (a full disk, a dropped connection),
    ROLLBACK fails too ("no transaction is active"): that failure must not hide the cause.
    """
    connection.execute("BEGIN TRANSACTION")
    try:
        yield
        connection.execute("COMMIT")
    except BaseException:
        with suppress(duckdb.Error):
            connection.execute("ROLLBACK")
        raise


@contextmanager
def memory_limit(connection: duckdb.DuckDBPyConnection, limit: str) -> Iterator[None]:
    """DuckDB's memory_limit set to `limit` for the block, the previous one restored after
    (also when setting it failed: a failed lower limit can stay in place)."""
    previous = connection.execute("SELECT current_setting('memory_limit')").fetchone()
    try:
        connection.execute(f"SET memory_limit = '{limit}'")
        yield
    finally:
        connection.execute(
            f"SET memory_limit = '{previous[0]}'" if previous else "RESET memory_limit"
        )
