"""A read-only connection to the published warehouse that always sees the latest publish.

`duckdb.connect(path, read_only=True)` hands back the database instance a process already has
open for that path: in a notebook whose earlier connection is still referenced, re-running
the connect cell after a refresh keeps showing the old snapshot (the publish swapped in a new
file; the old instance still reads the old one). Attaching the file to a fresh in-memory
database opens it anew every time, so each `connect_published()` sees the latest publish,
and the catalog keeps the file's name, `reportscope`, so `corpus.*` queries work unchanged.
"""

from pathlib import Path

import duckdb

from pipelines.settings import DATABASE_FILE, Settings

CATALOG = Path(DATABASE_FILE).stem


def connect_published(database: Path | str | None = None) -> duckdb.DuckDBPyConnection:
    """Open the published warehouse (default: WAREHOUSE_DIR's) read-only, as it is now."""
    path = Path(database) if database is not None else Settings.from_env().database
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} does not exist: run `make run` first, or set WAREHOUSE_DIR"
        )
    connection = duckdb.connect()
    escaped = str(path).replace("'", "''")
    connection.execute(f"ATTACH '{escaped}' AS {CATALOG} (READ_ONLY)")
    connection.execute(f"USE {CATALOG}")
    return connection
