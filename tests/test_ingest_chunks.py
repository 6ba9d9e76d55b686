"""A bulk load is ingested a chunk of files at a time: the rows are those of one big chunk."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from pipelines.refresh import partition_range_tags, reconcile
from pipelines.warehouse import SCHEMA, Warehouse
from tests.conftest import NO_TELEMETRY, SEEDS

INGEST_KEYS = [dg.AssetKey("reports"), dg.AssetKey("sections")]


def ingest_only(root: Path, reports: Path, monkeypatch: pytest.MonkeyPatch) -> Warehouse:
    """Materialize the ingest step alone over every file of `reports`; its warehouse."""
    from pipelines.definitions import defs

    monkeypatch.setenv("REPORTS_DIR", str(reports))
    monkeypatch.setenv("WAREHOUSE_DIR", str(root / "warehouse"))
    (root / "home").mkdir(parents=True)
    with dg.DagsterInstance.local_temp(str(root / "home"), overrides=NO_TELEMETRY) as instance:
        partitions = reconcile(instance, reports).partitions
        job = defs().resolve_implicit_global_asset_job_def()
        result = job.execute_in_process(
            instance=instance, asset_selection=INGEST_KEYS, tags=partition_range_tags(partitions)
        )
        assert result.success
    return Warehouse(root / "warehouse")


def table(store: Warehouse, name: str) -> pl.DataFrame:
    """A table sorted on its key, without the ingestion timestamps."""
    frame = store.read(f"SELECT * FROM {SCHEMA}.{name}")
    frame = frame.drop([c for c in ("ingested_at", "seen_at") if c in frame.columns])
    return frame.sort(frame.columns[:2])


def test_chunked_ingest_lands_every_file_once_with_the_same_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipelines.defs import reports as ingest_module

    reports = tmp_path / "reports"
    shutil.copytree(SEEDS, reports)
    # Two more files, so that every chunk of two has a rejection or a copy in it.
    (reports / "binary.md").write_bytes(b"\x00\x01\x02 not text \xff" * 50)
    shutil.copy(reports / sorted(p.name for p in SEEDS.iterdir())[0], reports / "zz_copy.md")
    whole = ingest_only(tmp_path / "whole", reports, monkeypatch)
    monkeypatch.setattr(ingest_module, "REPORTS_PER_CHUNK", 2)
    chunked = ingest_only(tmp_path / "chunked", reports, monkeypatch)
    for name in ("reports", "sections", "rejected_reports"):
        assert table(chunked, name).equals(table(whole, name)), name
    assert table(whole, "reports").height == len(list(SEEDS.iterdir())) + 1
    assert table(whole, "rejected_reports")["file_name"].to_list() == ["binary.md"]
