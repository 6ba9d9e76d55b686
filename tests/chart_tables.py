"""The fixed shapes of the tables the charts read (as pipelines/defs/charts.py reads them), to build test frames."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import polars as pl

from pipelines.text.charts.common import report_labels
from pipelines.text.readability.formulas import COUNT_COLUMNS, METRIC_COLUMNS

_TS = pl.Datetime("us", "UTC")
_READABILITY: dict[str, pl.DataType] = {
    **{metric: pl.Float64() for metric in METRIC_COLUMNS},
    **{count: pl.Int64() for count in COUNT_COLUMNS},
    "reliable": pl.Boolean(),
}
# Column -> dtype of every table the charts read, in the warehouse's column order (sql/README.md).
TABLE_SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "reports": {
        "report_id": pl.String(),
        "file_name": pl.String(),
        "title": pl.String(),
        "n_words": pl.Int64(),
        "n_sections": pl.Int32(),
        "report_date": _TS,
    },
    "report_arrival": {
        "report_id": pl.String(),
        "file_name": pl.String(),
        "title": pl.String(),
        "report_date": _TS,
        "arrival_rank": pl.Int64(),
    },
    "sections": {
        "report_id": pl.String(),
        "section_id": pl.String(),
        "ordinal": pl.Int32(),
        "level": pl.Int32(),
        "number": pl.Int32(),
        "heading": pl.String(),
        "n_words": pl.Int64(),
        "is_preamble": pl.Boolean(),
    },
    "topics": {
        "topic_id": pl.String(),
        "label": pl.String(),
        "description": pl.String(),
        "source": pl.String(),
    },
    "topic_frequency": {
        "topic_id": pl.String(),
        "label": pl.String(),
        "n_reports": pl.Int64(),
        "n_sections": pl.Int64(),
        "share_of_words": pl.Float64(),
        "first_seen": _TS,
        "last_seen": _TS,
        "mean_position": pl.Float64(),
    },
    "report_topics": {
        "report_id": pl.String(),
        "topic_id": pl.String(),
        "n_sections": pl.Int64(),
        "n_words": pl.Int64(),
        "share_of_words": pl.Float64(),
    },
    "topic_trend": {
        "topic_id": pl.String(),
        "report_date": _TS,
        "arrival_rank": pl.Int64(),
        "n_sections": pl.Int64(),
        "share_of_words": pl.Float64(),
    },
    "section_topics": {
        "section_id": pl.String(),
        "report_id": pl.String(),
        "topic_id": pl.String(),
        "score": pl.Float64(),
        "is_primary": pl.Boolean(),
    },
    "section_readability": {"report_id": pl.String(), "section_id": pl.String(), **_READABILITY},
    "report_readability": {"report_id": pl.String(), **_READABILITY},
    "report_similarity": {
        "report_id_a": pl.String(),
        "report_id_b": pl.String(),
        "cosine": pl.Float64(),
        "n_near_duplicate_sections": pl.Int64(),
    },
    "report_novelty": {
        "report_id": pl.String(),
        "arrival_rank": pl.Int64(),
        "n_shingles": pl.Int64(),
        "n_shingles_seen": pl.Int64(),
        "shingle_share_seen": pl.Float64(),
        "n_sections": pl.Int64(),
        "n_sections_seen": pl.Int64(),
        "section_share_seen": pl.Float64(),
        "novelty": pl.Float64(),
    },
    "repeated_phrases": {
        "phrase": pl.String(),
        "n": pl.Int64(),
        "n_reports": pl.Int64(),
        "n_occurrences": pl.Int64(),
        "expected_reports": pl.Float64(),
        "score": pl.Float64(),
        "example_report_id": pl.String(),
        "example_section_id": pl.String(),
    },
}


def full_shape(name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` as table `name`: its columns in order and type, the ones `frame` lacks all null."""
    schema = TABLE_SCHEMAS[name]
    unknown = set(frame.columns) - set(schema)
    assert not unknown, f"{name} has no column {sorted(unknown)}"
    return frame.select(
        (pl.col(c) if c in frame.columns else pl.lit(None)).cast(dtype).alias(c)
        for c, dtype in schema.items()
    )


def table(name: str, **columns: Sequence[object]) -> pl.DataFrame:
    """A frame of table `name`'s full shape holding the given columns (the others null)."""
    return full_shape(name, pl.DataFrame(columns))


def chart_reports(file_names: Sequence[str], n_words: Sequence[int] | None = None) -> pl.DataFrame:
    """The charts' `reports` frame for reports r1, r2, ... arriving one a day in this order."""
    ids = [f"r{i}" for i in range(1, len(file_names) + 1)]
    dates = [datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=i) for i in range(len(ids))]
    reports = table(
        "reports",
        report_id=ids,
        file_name=file_names,
        n_words=n_words or [None] * len(ids),
        report_date=dates,
    )
    arrival = table(
        "report_arrival",
        report_id=ids,
        file_name=file_names,
        report_date=dates,
        arrival_rank=range(1, len(ids) + 1),
    )
    labels = report_labels(arrival, reports)
    assert labels is not None
    return labels
