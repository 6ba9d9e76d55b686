"""Incremental corpus-wide tables: which reports a refresh folds in, or whether to start over.

A corpus-wide asset keeps an index of the reports its table holds (`report_id`,
`content_sha256`, and the parameters it was built with). A refresh whose only change is new
reports folds just those in, at a cost that does not grow with the corpus; anything else
(a report deleted or changed, other parameters, more than `INCREMENTAL_MAX_SHARE` of the
reports new, no index yet, or a run tagged `reportscope/full_refresh=true`, as the daily
schedule's runs are) recomputes the table from every report. Pure decisions over Polars
frames; the assets read the frames, follow the plan and land the rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pipelines.text.redundancy.incremental import INCREMENTAL_MAX_SHARE as REDUNDANCY_MAX_SHARE

# The run tag that makes every corpus-wide asset recompute from scratch (the daily schedule,
# `reportscope run --full`).
FULL_REFRESH_TAG = "reportscope/full_refresh"
# Above this share of new reports, a table is recomputed rather than folded into (the same
# share as near_duplicate_sections' and report_novelty's plans).
INCREMENTAL_MAX_SHARE = REDUNDANCY_MAX_SHARE
# The columns of every index: the reports a table holds, and what it was built with. The key
# is not `report_id`, so deleting a report's rows (report_inventory) leaves its index row for
# the next plan to notice.
INDEX_KEY = "indexed_report_id"
INDEX_SCHEMA = {INDEX_KEY: pl.String, "content_sha256": pl.String, "parameters": pl.String}


@dataclass(frozen=True)
class IncrementPlan:
    """Recompute everything (`full`, with the `reason`), or fold in the `added` reports."""

    full: bool
    reason: str
    added: list[str]

    def describe(self) -> str:
        """The plan in a few words, for run metadata."""
        return f"full ({self.reason})" if self.full else f"incremental (+{len(self.added)})"


def wants_full_refresh(tags: dict[str, str]) -> bool:
    """True when the run's tags ask every corpus-wide table to be recomputed."""
    return tags.get(FULL_REFRESH_TAG, "").lower() in {"1", "true", "yes"}


def table_index(reports: pl.DataFrame, parameters: str) -> pl.DataFrame:
    """The index rows of a table built from `reports` (report_id, content_sha256)."""
    return reports.select(
        pl.col("report_id").cast(pl.String).alias(INDEX_KEY),
        pl.col("content_sha256").cast(pl.String),
        pl.lit(parameters, pl.String).alias("parameters"),
    ).sort(INDEX_KEY)


def index_rows_of(index: pl.DataFrame, report_ids: list[str]) -> pl.DataFrame:
    """The index rows of some reports (an increment's new rows)."""
    return index.filter(pl.col(INDEX_KEY).is_in(report_ids))


def plan_increment(
    current: pl.DataFrame,
    index: pl.DataFrame | None,
    parameters: str,
    *,
    force_full: bool = False,
    max_share: float = INCREMENTAL_MAX_SHARE,
) -> IncrementPlan:
    """Fold in the new reports of `current` (report_id, content_sha256) or start over.

    `index` is the table's stored index (None when the table or index does not exist yet).
    """
    if force_full:
        return IncrementPlan(True, "full refresh requested", [])
    if index is None:
        return IncrementPlan(True, "no previous state", [])
    if index.height and set(index["parameters"].unique().to_list()) != {parameters}:
        return IncrementPlan(True, "parameters changed", [])
    kept = index.select(pl.col(INDEX_KEY).alias("report_id"), "content_sha256")
    gone = kept.join(current, on=["report_id", "content_sha256"], how="anti")
    if gone.height:
        return IncrementPlan(True, f"{gone.height} report(s) deleted or changed", [])
    added = current.join(kept, on="report_id", how="anti")["report_id"].sort().to_list()
    if len(added) > max_share * max(current.height, 1):
        return IncrementPlan(True, f"{len(added)} of {current.height} reports new", [])
    return IncrementPlan(False, "", added)


def reports_to_compute(
    current: pl.DataFrame, index: pl.DataFrame | None, parameters: str
) -> list[str]:
    """Reports (ids, sorted) of `current` whose rows an append-only table lacks or holds stale.

    For tables whose rows of one report never depend on later ones: a new report, a changed
    one (other content hash) or one computed with other `parameters` is (re)computed, alone.
    """
    if index is None:
        return current["report_id"].sort().to_list()
    done = index.filter(pl.col("parameters") == parameters).select(
        pl.col(INDEX_KEY).alias("report_id"), "content_sha256"
    )
    return (
        current.join(done, on=["report_id", "content_sha256"], how="anti")["report_id"]
        .sort()
        .to_list()
    )
