"""Novelty in arrival order: the share of a report already said by EARLIER reports."""

from __future__ import annotations

import numpy as np
import polars as pl

_NOVELTY_COLUMNS = [
    "report_id",
    "arrival_rank",
    "n_shingles",
    "n_shingles_seen",
    "shingle_share_seen",
    "n_sections",
    "n_sections_seen",
    "section_share_seen",
    "novelty",
]


def report_novelty(
    report_shingles: pl.DataFrame,
    arrival: pl.DataFrame,
    near_duplicates: pl.DataFrame | None = None,
    section_report: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Per report (arrival order): share of shingles / sections already seen in EARLIER reports.

    Inputs: `report_shingles` (`report_id`, `shingle`; section_shingles output works, duplicates
    are fine), `arrival` (`report_id`, `arrival_rank`; lower = earlier, ties are not "earlier"),
    optionally verified `near_duplicates` (`section_id_a`, `section_id_b`) with `section_report`
    (`section_id`, `report_id`, all sections). A shingle is seen if the minimum arrival rank of
    the reports holding it is below the report's rank (one group-by, no loop over reports).
    Output, one row per `arrival` row: report_id, arrival_rank, n_shingles, n_shingles_seen,
    shingle_share_seen, n_sections, n_sections_seen, section_share_seen (null without
    near_duplicates), novelty = 1 - shingle_share_seen (null when the report has no shingles).
    """
    ranks = arrival.select("report_id", pl.col("arrival_rank").cast(pl.Int64)).with_row_index(
        "report_index"
    )
    counts = _shingle_stats(report_shingles, ranks).join(
        ranks.select("report_index", "report_id"), on="report_index"
    )
    return novelty_from_counts(counts, arrival, near_duplicates, section_report)


def novelty_from_counts(
    shingle_counts: pl.DataFrame,
    arrival: pl.DataFrame,
    near_duplicates: pl.DataFrame | None = None,
    section_report: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """`report_novelty`'s table from per-report counts already made (e.g. in SQL, for a corpus
    whose shingles do not fit in memory): `shingle_counts` has report_id, n_shingles,
    n_shingles_seen (reports without shingles may be absent); the rest as `report_novelty`.
    """
    ranks = arrival.select("report_id", pl.col("arrival_rank").cast(pl.Int64))
    out = ranks.join(
        shingle_counts.select("report_id", "n_shingles", "n_shingles_seen"),
        on="report_id",
        how="left",
        maintain_order="left",
    ).with_columns(pl.col("n_shingles", "n_shingles_seen").fill_null(0).cast(pl.Int64))
    out = out.with_columns(
        shingle_share_seen=pl.when(pl.col("n_shingles") > 0).then(
            pl.col("n_shingles_seen") / pl.col("n_shingles")
        )
    ).with_columns(novelty=1.0 - pl.col("shingle_share_seen"))
    if near_duplicates is None or section_report is None:
        return out.with_columns(
            n_sections=pl.lit(None, pl.Int64),
            n_sections_seen=pl.lit(None, pl.Int64),
            section_share_seen=pl.lit(None, pl.Float64),
        ).select(_NOVELTY_COLUMNS)
    owners = section_report.select("section_id", "report_id").unique().join(ranks, on="report_id")
    links = pl.concat(
        [
            near_duplicates.select(
                pl.col("section_id_a").alias("section_id"), pl.col("section_id_b").alias("other")
            ),
            near_duplicates.select(
                pl.col("section_id_b").alias("section_id"), pl.col("section_id_a").alias("other")
            ),
        ]
    )
    seen_sections = (
        links.join(owners, on="section_id")
        .join(
            owners.select(pl.col("section_id").alias("other"), pl.col("arrival_rank").alias("r2")),
            on="other",
        )
        .filter(pl.col("r2") < pl.col("arrival_rank"))
        .select("section_id")
        .unique()
        .with_columns(seen=pl.lit(True))
    )
    section_stats = (
        owners.join(seen_sections, on="section_id", how="left")
        .group_by("report_id")
        .agg(
            pl.len().alias("n_sections"),
            pl.col("seen").fill_null(False).sum().cast(pl.Int64).alias("n_sections_seen"),
        )
    )
    return (
        out.join(section_stats, on="report_id", how="left", maintain_order="left")
        .with_columns(pl.col("n_sections", "n_sections_seen").fill_null(0).cast(pl.Int64))
        .with_columns(
            section_share_seen=pl.when(pl.col("n_sections") > 0).then(
                pl.col("n_sections_seen") / pl.col("n_sections")
            )
        )
        .select(_NOVELTY_COLUMNS)
    )


def _shingle_stats(report_shingles: pl.DataFrame, ranks: pl.DataFrame) -> pl.DataFrame:
    """report_index, n_shingles (distinct), n_shingles_seen (first held by an earlier rank).

    Sorting by (shingle, rank) puts each shingle's earliest holder first; scans over the sorted
    integer columns then count, where a hash-based unique + window took ~1 GB per 10M rows.
    """
    ordered = (
        report_shingles.select("report_id", "shingle")
        .join(ranks.select("report_id", "report_index", "arrival_rank"), on="report_id")
        .select("shingle", "arrival_rank", "report_index")
        .sort("shingle", "arrival_rank", "report_index")
    )
    shingle = ordered["shingle"].to_numpy()
    rank = ordered["arrival_rank"].to_numpy()
    index = ordered["report_index"].to_numpy().astype(np.int64)
    del ordered
    starts = np.ones(len(shingle), dtype=bool)
    starts[1:] = shingle[1:] != shingle[:-1]
    first_rank = rank[np.maximum.accumulate(np.where(starts, np.arange(len(shingle)), 0))]
    distinct = starts.copy()
    distinct[1:] |= index[1:] != index[:-1]  # first row of each (shingle, report) pair
    n_reports = ranks.height
    n_shingles = np.bincount(index[distinct], minlength=n_reports)
    n_seen = np.bincount(index[distinct & (first_rank < rank)], minlength=n_reports)
    return pl.DataFrame(
        {
            "report_index": pl.Series(np.arange(n_reports), dtype=ranks["report_index"].dtype),
            "n_shingles": n_shingles.astype(np.int64),
            "n_shingles_seen": n_seen.astype(np.int64),
        }
    ).filter(pl.col("n_shingles") > 0)
