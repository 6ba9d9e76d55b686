"""Whole-report chunks of a sections frame, so a per-report step bounds what it holds at once."""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl


def report_chunks(sections: pl.DataFrame, reports_per_chunk: int) -> Iterator[pl.DataFrame]:
    """The rows of `sections` split into groups of whole reports, at least one chunk."""
    ids = sections["report_id"].unique(maintain_order=True).to_list()
    if len(ids) <= reports_per_chunk:
        yield sections
        return
    for start in range(0, len(ids), reports_per_chunk):
        yield sections.filter(pl.col("report_id").is_in(ids[start : start + reports_per_chunk]))
