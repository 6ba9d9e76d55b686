"""The DuckDB warehouse: one private working file for the pipeline, one published copy for readers.

DuckDB allows one writing process, and any other open connection to the same file -- even a
read-only one -- blocks that writer. SQL users keep sessions open for hours, so the pipeline
never writes the file they read:

- assets write `warehouse/.work/reportscope.duckdb`, one process at a time (writer_lock.py:
  a file lock, held per connection or for a run in one process), each write one transaction;
- `publish()` checkpoints that file, copies it and atomically renames the copy onto
  `warehouse/reportscope.duckdb`. A reader with the old file open keeps reading the old,
  consistent state; the next connection sees the new one. Nobody ever sees half a refresh.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl
from filelock import FileLock

from pipelines.connections import (
    SCHEMA,
    SELECTED_KEYS,
    has_table,
    query,
    selected_keys,
    table_row_counts,
    transaction,
)
from pipelines.settings import DATABASE_FILE, DEFAULT_DUCKDB_MEMORY_LIMIT, SQL_DIR
from pipelines.warehouse_recovery import is_corrupt_database, recover_working_copy
from pipelines.writer_lock import LOCK_TIMEOUT_S, KeptConnection, acquire_writer_lock


class Warehouse:
    """Connections, idempotent writes and publishing for the files under `warehouse_dir`."""

    def __init__(
        self,
        warehouse_dir: Path,
        lock_timeout_s: float = LOCK_TIMEOUT_S,
        memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT,
        *,
        keep_open: bool = False,
    ) -> None:
        self.warehouse_dir = Path(warehouse_dir)
        # DuckDB's own buffers (hash tables, results) stay under this and spill to disk beyond
        # it; by default DuckDB would take up to 80% of RAM next to the Polars frames.
        self.memory_limit = memory_limit
        self.work_dir = self.warehouse_dir / ".work"
        self.work_path = self.work_dir / DATABASE_FILE
        self.published_path = self.warehouse_dir / DATABASE_FILE
        self.lock_timeout_s = lock_timeout_s
        self._held = threading.local()
        # keep_open (a run in one process): lock and connection kept from first use to release()
        self._kept = KeptConnection(self._acquire, self._open_with_schema) if keep_open else None

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to the working database, under the cross-process writer lock.

        Re-entrant per thread: inside a `with store.connect():` block every read and write of
        this Warehouse reuses the one connection (opening the file costs 15-20 ms each time).
        """
        held = getattr(self._held, "connection", None)
        if held is not None:
            yield held
            return
        if self._kept is not None:
            self._held.connection = self._kept.get()
            try:
                yield self._held.connection
            finally:
                self._held.connection = None
                self._kept.trim()
            return
        lock = self._acquire()
        try:
            connection = self._open_with_schema()
            try:
                self._held.connection = connection
                yield connection
            finally:
                self._held.connection = None
                connection.close()
        finally:
            lock.release()

    def _acquire(self) -> FileLock:
        """The cross-process writer lock, acquired."""
        return acquire_writer_lock(self.work_dir, self.work_path, self.lock_timeout_s)

    def _open_with_schema(self) -> duckdb.DuckDBPyConnection:
        """A new connection to the working database, with the corpus schema in place."""
        connection = self._open_working_copy()
        connection.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        return connection

    def close_connection(self, connection: duckdb.DuckDBPyConnection) -> None:
        """Close `connection` before the file is copied; a kept one reopens on next use."""
        connection.close()
        if self._kept is not None:
            self._kept.forget(connection)

    def release(self) -> None:
        """Close the kept connection and release the writer lock (the end of a run)."""
        if self._kept is not None:
            self._kept.release()

    def _open_working_copy(self) -> duckdb.DuckDBPyConnection:
        """Connect to the working database, rebuilding it first when the file is corrupt."""
        config = {"memory_limit": self.memory_limit}
        try:
            return duckdb.connect(str(self.work_path), config=config)
        except duckdb.Error as error:
            if not is_corrupt_database(self.work_path, error):
                raise
            recover_working_copy(self, error)
            return duckdb.connect(str(self.work_path), config=config)

    def read(
        self,
        sql: str,
        parameters: Sequence[object] | Mapping[str, object] | None = None,
        *,
        keys: Sequence[str] | None = None,
    ) -> pl.DataFrame:
        """Run a query on the working database and return the result as a Polars frame.

        With `keys`, the query can filter on them as `IN (SELECT key FROM selected_keys)`.
        """
        with self.connect() as connection:
            if keys is None:
                return connection.execute(sql, parameters or []).pl()
            with selected_keys(connection, keys):
                return connection.execute(sql, parameters or []).pl()

    def read_check(
        self,
        name: str,
        parameters: Mapping[str, object] | None = None,
        report_ids: Sequence[str] | None = None,
    ) -> pl.DataFrame:
        """The rows of the asset check query `sql/checks/<name>.sql` (rows found = a problem).

        The query sees the checked reports' ids as `selected_keys`: `report_ids`, or every
        landed report when None.
        """
        if report_ids is None:
            report_ids = (
                self.read(f"SELECT report_id FROM {SCHEMA}.reports")["report_id"].to_list()
                if self.table_exists("reports")
                else []
            )
        return self.read(
            (SQL_DIR / "checks" / f"{name}.sql").read_text(encoding="utf-8"),
            parameters,
            keys=report_ids,
        )

    def row_counts(self) -> dict[str, int]:
        """Exact row counts of every table of the working database, by table name."""
        with self.connect() as connection:
            return table_row_counts(connection)

    def rows_for(self, table: str, key_column: str, keys: Sequence[str]) -> pl.DataFrame:
        """The rows of `corpus.<table>` whose key is in `keys` (empty when the table is new)."""
        with self.connect() as connection:
            if not has_table(connection, table):
                return pl.DataFrame()
            with selected_keys(connection, keys):
                return connection.execute(
                    f'SELECT * FROM {SCHEMA}."{table}" WHERE "{key_column}" IN {SELECTED_KEYS}'
                ).pl()

    def table_exists(self, table: str) -> bool:
        """True when `corpus.<table>` exists in the working database."""
        with self.connect() as connection:
            return has_table(connection, table)

    def replace_rows(
        self, table: str, frame: pl.DataFrame, key_column: str, keys: Sequence[str]
    ) -> int:
        """Delete the rows of `keys` and insert `frame` in one transaction; returns rows inserted."""
        return self.replace_many([(table, frame, key_column, keys)])

    def replace_many(
        self,
        writes: Sequence[tuple[str, pl.DataFrame, str, Sequence[str]]],
        upserts: Mapping[str, tuple[pl.DataFrame, Sequence[str]]] | None = None,
    ) -> int:
        """Several `replace_rows` (and `upserts`, as in replace_tables) in ONE transaction."""
        with self.connect() as connection, transaction(connection):
            for table, frame, key_column, keys in writes:
                self._ensure_table(connection, table, frame)
                self._delete_keys(connection, table, key_column, keys)
                self._insert(connection, table, frame)
            self._upsert(connection, upserts or {})
        return sum(frame.height for _, frame, _, _ in writes)

    def _upsert(
        self,
        connection: duckdb.DuckDBPyConnection,
        upserts: Mapping[str, tuple[pl.DataFrame, Sequence[str]]],
    ) -> None:
        """Replace the rows whose key columns match a row of each frame by the frame's rows."""
        for table, (frame, key) in upserts.items():
            self._ensure_table(connection, table, frame)
            connection.register("incoming_frame", frame)
            matches = " AND ".join(f'"{table}"."{c}" = incoming_frame."{c}"' for c in key)
            connection.execute(
                f'DELETE FROM {SCHEMA}."{table}" USING incoming_frame WHERE {matches}'
            )
            connection.unregister("incoming_frame")
            self._insert(connection, table, frame)

    def replace_streamed(
        self,
        key_columns: Mapping[str, str],
        keys: Sequence[str],
        chunks: Iterable[Mapping[str, pl.DataFrame]],
    ) -> dict[str, int]:
        """`replace_many` for results computed chunk by chunk, in ONE transaction.

        Deletes the rows of `keys` from each table of `key_columns` ({table: key column}), then
        inserts each chunk's frames as the chunk is produced, so only one chunk's results are
        in memory at a time. Returns rows inserted per table.
        """
        written = dict.fromkeys(key_columns, 0)
        with self.connect() as connection, transaction(connection):
            deleted: set[str] = set()
            for chunk in chunks:
                for table, frame in chunk.items():
                    self._ensure_table(connection, table, frame)
                    if table not in deleted:
                        self._delete_keys(connection, table, key_columns[table], keys)
                    deleted.add(table)
                    self._insert(connection, table, frame)
                    written[table] += frame.height
        return written

    def replace_tables(
        self,
        tables: dict[str, pl.DataFrame],
        upserts: Mapping[str, tuple[pl.DataFrame, Sequence[str]]] | None = None,
        rows: Sequence[tuple[str, pl.DataFrame, str, Sequence[str]]] = (),
    ) -> int:
        """Replace corpus-wide tables' contents in ONE transaction; returns rows written.

        In the same transaction: `upserts` ({table: (rows, key columns)}) replace the rows
        whose key matches one of theirs, the others stay (an increment's few changed rows);
        `rows` (table, frame, key column, keys) are replaced as `replace_many` does.
        """
        with self.connect() as connection:
            return self.replace_tables_on(connection, tables, upserts, rows)

    def replace_tables_on(
        self,
        connection: duckdb.DuckDBPyConnection,
        tables: dict[str, pl.DataFrame],
        upserts: Mapping[str, tuple[pl.DataFrame, Sequence[str]]] | None = None,
        rows: Sequence[tuple[str, pl.DataFrame, str, Sequence[str]]] = (),
    ) -> int:
        """`replace_tables` on an open connection (from `connect`), in its own transaction."""
        upserts = upserts or {}
        with transaction(connection):
            for table, frame in tables.items():
                connection.register("incoming_frame", frame)
                connection.execute(
                    f'CREATE OR REPLACE TABLE {SCHEMA}."{table}" AS SELECT * FROM incoming_frame'
                )
                connection.unregister("incoming_frame")
            self._upsert(connection, upserts)
            for table, frame, key_column, keys in rows:
                self._ensure_table(connection, table, frame)
                self._delete_keys(connection, table, key_column, keys)
                self._insert(connection, table, frame)
        written = sum(frame.height for frame in tables.values())
        written += sum(frame.height for frame, _ in upserts.values())
        return written + sum(frame.height for _, frame, _, _ in rows)

    def delete_reports(self, report_ids: Sequence[str], file_names: Sequence[str]) -> None:
        """Remove every row that came from these reports, in every per-report table."""
        with self.connect() as connection, transaction(connection):
            for table, column in self._per_report_tables(connection):
                values = file_names if column == "file_name" else report_ids
                self._delete_keys(connection, table, column, values)

    def landed_file_names(self) -> set[str]:
        """File names with rows in corpus.reports or corpus.rejected_reports."""
        with self.connect() as connection:
            tables = [t for t in ("reports", "rejected_reports") if has_table(connection, t)]
            if not tables:
                return set()
            union = " UNION ".join(f"SELECT file_name FROM {SCHEMA}.{t}" for t in tables)
            return {row[0] for row in connection.execute(union).fetchall()}

    def _per_report_tables(self, connection: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
        """Base tables keyed by report_id (or, for rejections, by file_name)."""
        rows = connection.execute(
            """
            SELECT t.table_name, bool_or(c.column_name = 'report_id') AS has_report_id
            FROM information_schema.tables t
            JOIN information_schema.columns c USING (table_schema, table_name)
            WHERE t.table_schema = ? AND t.table_type = 'BASE TABLE'
            GROUP BY t.table_name, c.table_name
            HAVING bool_or(c.column_name IN ('report_id', 'file_name'))
            """,
            [SCHEMA],
        ).fetchall()
        return [(name, "report_id" if has_id else "file_name") for name, has_id in rows]

    def _ensure_table(
        self, connection: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame
    ) -> None:
        """Create the table from the frame's column types, or add columns the code added since."""
        existing = {
            row[0]
            for row in connection.execute(
                "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ?",
                [SCHEMA, table],
            ).fetchall()
        }
        if existing and existing.issuperset(frame.columns):
            return
        connection.register("incoming_schema", frame.head(0))
        try:
            described = connection.execute("DESCRIBE incoming_schema").fetchall()
            # DDL, not CREATE TABLE AS an empty frame: DuckDB 1.5.6 then reads a table given over
            # a row group in the same transaction as empty on that connection until reopened.
            if not existing:
                columns = ", ".join(
                    f'"{name}" {column_type}' for name, column_type, *_ in described
                )
                connection.execute(f'CREATE TABLE {SCHEMA}."{table}" ({columns})')
                return
            for name, column_type, *_ in described:
                if name not in existing:
                    connection.execute(
                        f'ALTER TABLE {SCHEMA}."{table}" ADD COLUMN "{name}" {column_type}'
                    )
        finally:
            connection.unregister("incoming_schema")

    @staticmethod
    def _delete_keys(
        connection: duckdb.DuckDBPyConnection, table: str, key_column: str, keys: Sequence[str]
    ) -> None:
        """Delete the rows of `corpus.<table>` whose `key_column` is one of `keys`."""
        if not keys:
            return
        with selected_keys(connection, keys):
            connection.execute(
                f'DELETE FROM {SCHEMA}."{table}" WHERE "{key_column}" IN {SELECTED_KEYS}'
            )

    @staticmethod
    def _insert(connection: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
        """Insert a frame by column name."""
        if frame.height == 0:
            return
        connection.register("incoming_frame", frame)
        try:
            columns = ", ".join(f'"{name}"' for name in frame.columns)
            connection.execute(
                f'INSERT INTO {SCHEMA}."{table}" ({columns}) SELECT {columns} FROM incoming_frame'
            )
        finally:
            connection.unregister("incoming_frame")

    def apply_views(self) -> list[str]:
        """(Re)create the views of sql/views.sql; returns the view names."""
        script = (SQL_DIR / "views.sql").read_text(encoding="utf-8")
        with self.connect() as connection:
            connection.execute(script)
            rows = connection.execute(
                "SELECT view_name FROM duckdb_views() WHERE schema_name = ? AND NOT internal",
                [SCHEMA],
            ).fetchall()
        return sorted(row[0] for row in rows)

    def publish(self) -> Path:
        """Swap the working database and the staged charts in for readers (publishing.py)."""
        from pipelines.publishing import publish

        return publish(self)


__all__ = [
    "SCHEMA",
    "SELECTED_KEYS",
    "Warehouse",
    "has_table",
    "query",
    "table_row_counts",
]
