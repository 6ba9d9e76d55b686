"""Where the incremental corpus-wide assets keep their indexes, and how a run picks its plan."""

from __future__ import annotations

import dagster as dg
import polars as pl

from pipelines.increments import IncrementPlan, plan_increment, wants_full_refresh
from pipelines.warehouse import SCHEMA, Warehouse


def current_reports(store: Warehouse) -> pl.DataFrame:
    """Every landed report's id and content hash: what a corpus-wide table should hold."""
    if not store.table_exists("reports"):
        return pl.DataFrame(schema={"report_id": pl.String, "content_sha256": pl.String})
    return store.read(f"SELECT report_id, content_sha256 FROM {SCHEMA}.reports ORDER BY report_id")


def read_index(store: Warehouse, index_table: str, *tables: str) -> pl.DataFrame | None:
    """A table's stored index, or None when it (or any of the tables it indexes) is missing."""
    if not all(store.table_exists(name) for name in (index_table, *tables)):
        return None
    return store.read(f'SELECT * FROM {SCHEMA}."{index_table}"')


def plan_for(
    context: dg.AssetExecutionContext,
    store: Warehouse,
    current: pl.DataFrame,
    index_table: str,
    parameters: str,
    *tables: str,
) -> IncrementPlan:
    """The plan of one asset in this run: the run's tags, the stored index, the reports."""
    return plan_increment(
        current,
        read_index(store, index_table, *tables),
        parameters,
        force_full=wants_full_refresh(dict(context.run.tags)),
    )
