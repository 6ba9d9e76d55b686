"""Sorted exports of every warehouse table, to prove a refactor changed no row.

    python -m tests.table_snapshot build REPORTS_DIR OUT_DIR   # `reportscope run` + dump
    python -m tests.table_snapshot dump WAREHOUSE.duckdb OUT_DIR
    python -m tests.table_snapshot compare BEFORE_DIR AFTER_DIR

Timestamps (and the run-dependent columns named in VOLATILE) are left out; every other column
of every base table and view is written as a Parquet file sorted by all its columns, so two
builds of the same reports compare equal exactly when their rows are the same.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb
import polars as pl

# Columns whose value depends on when or where a build ran, not on the reports.
VOLATILE = {"ingested_at", "published_at", "refreshed_at", "computed_at", "path", "file_path"}
TIME_TYPES = ("TIMESTAMP", "DATE", "TIME")


def table_names(connection: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """Every (schema, table) of the database, views included, system schemas excluded."""
    rows = connection.execute(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_schema NOT IN ('information_schema', 'pg_catalog') ORDER BY 1, 2"
    ).fetchall()
    return [(schema, name) for schema, name in rows]


def stable_columns(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    """The columns of a table that do not depend on the time or place of the build."""
    rows = connection.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [schema, table],
    ).fetchall()
    return [
        name
        for name, kind in rows
        if name not in VOLATILE and not any(kind.startswith(t) for t in TIME_TYPES)
    ]


def dump(database: Path, out_dir: Path) -> list[str]:
    """Write each table's stable columns, sorted, to OUT_DIR/<schema>.<table>.parquet."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with duckdb.connect(str(database), read_only=True) as connection:
        for schema, table in table_names(connection):
            columns = stable_columns(connection, schema, table)
            if not columns:
                continue
            listed = ", ".join(f'"{c}"' for c in columns)
            frame = connection.execute(
                f'SELECT {listed} FROM "{schema}"."{table}" ORDER BY ALL'
            ).pl()
            frame.write_parquet(out_dir / f"{schema}.{table}.parquet")
            written.append(f"{schema}.{table}")
    return written


def compare(before: Path, after: Path) -> list[str]:
    """The differences between two dumps, one line each (empty when every table is equal)."""
    problems = []
    names_before = {p.name for p in before.glob("*.parquet")}
    names_after = {p.name for p in after.glob("*.parquet")}
    for name in sorted(names_before - names_after):
        problems.append(f"{name}: missing after")
    for name in sorted(names_after - names_before):
        problems.append(f"{name}: new after (not compared)")
    for name in sorted(names_before & names_after):
        old, new = pl.read_parquet(before / name), pl.read_parquet(after / name)
        if old.columns != new.columns:
            problems.append(f"{name}: columns {old.columns} -> {new.columns}")
        elif old.height != new.height:
            problems.append(f"{name}: {old.height} -> {new.height} rows")
        elif not old.equals(new, null_equal=True):
            problems.append(f"{name}: same shape, different values")
    return problems


def build(reports: Path, out_dir: Path) -> Path:
    """Run `reportscope run` on a copy of REPORTS in a temporary project and dump its tables."""
    root = Path(tempfile.mkdtemp(prefix="snapshot_"))
    shutil.copytree(reports, root / "reports")
    env = {
        **os.environ,
        "REPORTS_DIR": str(root / "reports"),
        "WAREHOUSE_DIR": str(root / "warehouse"),
        "DAGSTER_HOME": str(root / "dagster_home"),
    }
    cli = Path(sys.executable).parent / "reportscope"
    subprocess.run([str(cli), "run"], env=env, check=True)
    dump(root / "warehouse" / "reportscope.duckdb", out_dir)
    return root


def main(argv: list[str]) -> int:
    """Command line: build, dump or compare."""
    match argv:
        case ["build", reports, out]:
            build(Path(reports), Path(out))
        case ["dump", database, out]:
            print("\n".join(dump(Path(database), Path(out))))
        case ["compare", before, after]:
            problems = compare(Path(before), Path(after))
            print("\n".join(problems) if problems else "every table is identical")
            return 1 if problems else 0
        case _:
            print(__doc__, file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
