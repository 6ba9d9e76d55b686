"""When corpus-wide redundancy tables may be updated for a few reports instead of recomputed.

Pure decisions over the stored bookkeeping index and the current fingerprints (Polars frames
in, report ids out); the assets load the frames, follow the plan and land the rows. An index
row is (checked_report_id, fingerprint, threshold[, arrival_rank]): the column is not
`report_id`, so deleting a report leaves its row to be noticed.
"""

from __future__ import annotations

import polars as pl

# Above this share of changed reports, near_duplicate_sections and report_novelty recompute
# every row.
INCREMENTAL_MAX_SHARE = 0.2


def near_duplicate_index(fingerprints: pl.DataFrame, threshold: float) -> pl.DataFrame:
    """near_duplicate_index rows: each report's band-key fingerprint and the run's threshold."""
    return fingerprints.with_columns(threshold=pl.lit(threshold))


def near_duplicate_plan(
    current: pl.DataFrame, previous: pl.DataFrame | None, threshold: float, max_share: float
) -> tuple[bool, list[str]]:
    """(full, stale): recompute every pair?, and the reports whose band keys changed.

    A report is stale when it is new, its fingerprint changed or it was deleted; only its
    sections need comparing with the index (a pair depends on nothing else). Every pair is
    recomputed when there is no previous state (`previous` None), the threshold changed, or
    more than `max_share` of the current reports are stale.
    """
    stale: list[str] = []
    if previous is not None and set(previous["threshold"].unique()) <= {threshold}:
        stale = (
            pl.concat([current.join(previous, on=["checked_report_id", "fingerprint"], how="anti"),
                       previous.join(current, on="checked_report_id", how="anti")],
                      how="vertical_relaxed")["checked_report_id"].unique().to_list()
        )  # fmt: skip
        full = len(stale) > max_share * max(current.height, 1)
    else:
        full = True
    return full, stale


def novelty_index(
    fingerprints: pl.DataFrame, arrival: pl.DataFrame, threshold: float
) -> pl.DataFrame:
    """report_novelty_index rows: every arriving report's shingle fingerprint, rank, threshold.

    `fingerprints`: checked_report_id, fingerprint (reports with shingles); `arrival`:
    report_id, arrival_rank (every report). A report without shingles gets fingerprint 0.
    """
    return (
        fingerprints.join(
            arrival.rename({"report_id": "checked_report_id"}), on="checked_report_id", how="right"
        )
        .with_columns(
            pl.col("fingerprint").fill_null(0),  # a report without shingles
            threshold=pl.lit(threshold),
        )
        .select("checked_report_id", "fingerprint", "arrival_rank", "threshold")
    )


def novelty_changes(
    current: pl.DataFrame, previous: pl.DataFrame | None, threshold: float, max_share: float
) -> list[str] | None:
    """The reports whose novelty rows must be recomputed, or None when every row must be.

    Only reports arriving after all the unchanged ones may be recomputed alone (an earlier
    report's row cannot depend on a later one). Every row is recomputed without previous
    state, after a deletion, a threshold change, more than `max_share` of the reports
    changed, or a changed report ranked at or before an unchanged one.
    """
    if previous is None:
        return None
    if previous.join(current, on="checked_report_id", how="anti").height:
        return None  # a report was deleted: later reports lose what it had said first
    if set(previous["threshold"].unique()) - {threshold}:
        return None
    same = previous.join(current, on=list(current.columns), how="semi")
    changed = current.join(same, on="checked_report_id", how="anti")
    unchanged_ranks = same["arrival_rank"]
    if changed.height > max_share * max(current.height, 1):
        return None
    if same.height and changed.height and changed["arrival_rank"].min() <= unchanged_ranks.max():
        return None  # a changed report arrived before an unchanged one
    return changed["checked_report_id"].to_list()
