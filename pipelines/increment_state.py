"""Where the incremental corpus-wide assets keep their indexes, and how a run picks its plan."""

from __future__ import annotations

import dagster as dg
import polars as pl

from pipelines.increments import IncrementPlan, plan_increment, wants_full_refresh
from pipelines.warehouse import SCHEMA, Warehouse, has_table, query


def current_reports(store: Warehouse) -> pl.DataFrame:
    """Every landed report's id and content hash: what a corpus-wide table should hold."""
    with store.connect() as connection:  # one connection: opening one costs tens of ms
        if not has_table(connection, "reports"):
            return pl.DataFrame(schema={"report_id": pl.String, "content_sha256": pl.String})
        return query(
            connection, f"SELECT report_id, content_sha256 FROM {SCHEMA}.reports ORDER BY report_id"
        )


def read_index(store: Warehouse, index_table: str, *tables: str) -> pl.DataFrame | None:
    """A table's stored index, or None when it (or any of the tables it indexes) is missing."""
    with store.connect() as connection:
        if not all(has_table(connection, name) for name in (index_table, *tables)):
            return None
        return query(connection, f'SELECT * FROM {SCHEMA}."{index_table}"')


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
