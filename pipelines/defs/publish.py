"""Publish: apply sql/views.sql and hand readers a consistent copy of the warehouse."""

import dagster as dg

from pipelines.asset_specs import corpus_asset
from pipelines.resources import WarehouseResource

# Every asset that lands a table, and the staged dashboard: the published copy and the charts
# follow all of them, swapped in together.
WAREHOUSE_TABLES = [
    "report_inventory",
    "topics",
    "topic_frequency",
    "report_topics",
    "topic_trend",
    "topic_terms",
    "near_duplicate_sections",
    "report_novelty",
    "report_similarity",
    "repeated_phrases",
    "sentence_novelty",
    "dashboard",
]


@corpus_asset(
    group="publish",
    deps=WAREHOUSE_TABLES,
    kinds=frozenset({"duckdb"}),
    description="The read-only copy of the warehouse that SQL sessions, notebooks and the "
    "dashboard read (warehouse/reportscope.duckdb), views applied, swapped in atomically.",
    automation_condition=dg.AutomationCondition.eager(),
)
def published_warehouse(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Apply the views, checkpoint, and atomically replace the published database file."""
    store = warehouse.get()
    views = store.apply_views()
    tables = store.row_counts()
    path = store.publish()
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "size_mb": round(path.stat().st_size / 2**20, 2),
            "views": ", ".join(views),
            "tables": dg.MetadataValue.md(
                "\n".join(f"- `corpus.{name}`: {rows} rows" for name, rows in tables.items())
            ),
        }
    )
