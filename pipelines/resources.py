"""Dagster resources: the reports folder, the DuckDB warehouse and the taxonomy, configured from settings.py."""

import hashlib
from pathlib import Path

import dagster as dg
import polars as pl

from pipelines.settings import DEFAULT_DUCKDB_MEMORY_LIMIT, Settings
from pipelines.text.topics.taxonomy import load_taxonomy
from pipelines.warehouse import Warehouse


class ReportsFolder(dg.ConfigurableResource):
    """The folder reports land in (REPORTS_DIR) and the largest file read (REPORTS_MAX_BYTES)."""

    path: str
    max_report_bytes: int

    @property
    def folder(self) -> Path:
        """The folder as a Path."""
        return Path(self.path)


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse folder (WAREHOUSE_DIR): working database, published copy, charts."""

    warehouse_dir: str
    # DUCKDB_MEMORY_LIMIT: DuckDB's memory_limit for the pipeline's connections.
    memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT

    def get(self) -> Warehouse:
        """A Warehouse handle on the configured folder."""
        return Warehouse(Path(self.warehouse_dir), memory_limit=self.memory_limit)


class Taxonomy(dg.ConfigurableResource):
    """The topic taxonomy users edit (TOPICS_FILE, default pipelines/topics.toml)."""

    path: str

    def load(self) -> pl.DataFrame:
        """The taxonomy as a frame (one row per topic), validated."""
        return load_taxonomy(Path(self.path))

    def fingerprint(self) -> str:
        """A short hash of the file's content: any edit makes the topic tables start over."""
        return hashlib.sha256(Path(self.path).read_bytes()).hexdigest()[:16]


def resources_from_env(settings: Settings | None = None) -> dict[str, dg.ConfigurableResource]:
    """The resource instances for the current environment (or the given settings)."""
    settings = settings or Settings.from_env()
    return {
        "reports_folder": ReportsFolder(
            path=str(settings.reports_dir), max_report_bytes=settings.max_report_bytes
        ),
        "warehouse": WarehouseResource(
            warehouse_dir=str(settings.warehouse_dir), memory_limit=settings.duckdb_memory_limit
        ),
        "taxonomy": Taxonomy(path=str(settings.topics_file)),
    }
