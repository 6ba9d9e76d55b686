"""Dagster resources: the reports folder, the DuckDB warehouse and the taxonomy, configured from settings.py."""

import hashlib
from pathlib import Path

import dagster as dg
import polars as pl
from pydantic import PrivateAttr

from pipelines.partitions import PARALLEL_JOB
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
    """The DuckDB warehouse folder (WAREHOUSE_DIR): working database, published copy, charts.

    A run in one process opens the database once and keeps it, with the writer lock, until the
    run ends (each open cost 15-20 ms, 49 per refresh): another run waits for it, as it would
    for any writer. Steps in their own processes (`refresh_all_parallel`, a multiprocess run
    config) open it for each read or write instead, so they can run side by side.
    """

    warehouse_dir: str
    # DUCKDB_MEMORY_LIMIT: DuckDB's memory_limit for the pipeline's connections.
    memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT
    _store: Warehouse | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """The run's Warehouse: one kept connection, unless steps run side by side."""
        run = context.run
        self._store = Warehouse(
            Path(self.warehouse_dir),
            memory_limit=self.memory_limit,
            keep_open=run is not None and not _steps_side_by_side(run),
        )

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        """Close the run's kept connection and release the writer lock."""
        if self._store is not None:
            self._store.release()
            self._store = None

    def get(self) -> Warehouse:
        """The run's Warehouse (a fresh handle outside a run)."""
        if self._store is not None:
            return self._store
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


def _steps_side_by_side(run: dg.DagsterRun) -> bool:
    """Whether the run's steps run in processes of their own (multiprocess executor)."""
    execution = (run.run_config or {}).get("execution") or {}
    chosen = {*execution, *(execution.get("config") or {})}  # either run config layout
    return run.job_name == PARALLEL_JOB or "multiprocess" in chosen


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
