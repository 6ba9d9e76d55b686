"""A warehouse with just what corpus.sentence_novelty reads, landed without Dagster (fast)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

from pipelines.lsh import MINHASH_CONFIG
from pipelines.reports_folder import ingest_reports
from pipelines.text.redundancy.fingerprints import fingerprint_sections
from pipelines.warehouse import Warehouse

START = datetime(2025, 1, 1, tzinfo=UTC)


def land_reports(store: Warehouse, folder: Path, names: list[str], first_day: int) -> pl.DataFrame:
    """Ingest `names` from `folder` and land reports, sections and section_shingles.

    The i-th name arrives on day `first_day + i` (report_date), so arrival order is list order.
    Returns the landed reports (report_id, file_name).
    """
    reports, sections, rejected = ingest_reports(folder, names, 10**8, workers=1)
    assert rejected.height == 0, rejected
    order = {name: i for i, name in enumerate(names)}
    reports = reports.with_columns(
        pl.col("file_name")
        .replace_strict(order, return_dtype=pl.Int64)
        .map_elements(
            lambda i: START + timedelta(days=first_day + i), return_dtype=pl.Datetime("us", "UTC")
        )
        .alias("report_date")
    )
    shingles, _ = fingerprint_sections(sections, MINHASH_CONFIG)
    ids = reports["report_id"].to_list()
    store.replace_many(
        [
            ("reports", reports, "report_id", ids),
            ("sections", sections, "report_id", ids),
            ("section_shingles", shingles, "report_id", ids),
        ]
    )
    return reports.select("report_id", "file_name")
