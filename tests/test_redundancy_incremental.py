"""Tests of pipelines.text.redundancy.incremental: which reports a refresh recomputes."""

from __future__ import annotations

import polars as pl

from pipelines.text.redundancy.incremental import (
    INCREMENTAL_MAX_SHARE,
    near_duplicate_index,
    near_duplicate_plan,
    novelty_changes,
    novelty_index,
)


def pair_index(rows: dict[str, int], threshold: float = 0.5) -> pl.DataFrame:
    """A near_duplicate_index frame: report -> band-key fingerprint, at `threshold`."""
    fingerprints = pl.DataFrame(
        {"checked_report_id": list(rows), "fingerprint": list(rows.values())},
        schema={"checked_report_id": pl.String, "fingerprint": pl.UInt64},
    )
    return near_duplicate_index(fingerprints, threshold)


def rank_index(rows: dict[str, tuple[int, int]], threshold: float = 0.5) -> pl.DataFrame:
    """A report_novelty_index frame: report -> (shingle fingerprint, arrival rank)."""
    return pl.DataFrame(
        {
            "checked_report_id": list(rows),
            "fingerprint": [fingerprint for fingerprint, _ in rows.values()],
            "arrival_rank": [rank for _, rank in rows.values()],
            "threshold": [threshold] * len(rows),
        },
        schema={
            "checked_report_id": pl.String,
            "fingerprint": pl.UInt64,
            "arrival_rank": pl.Int64,
            "threshold": pl.Float64,
        },
    )


# --- near_duplicate_sections ------------------------------------------------------------------


def test_near_duplicate_index_adds_the_threshold_to_every_report() -> None:
    """Each report's fingerprint row carries the run's threshold."""
    index = pair_index({"a": 1, "b": 2}, threshold=0.7)
    assert index.columns == ["checked_report_id", "fingerprint", "threshold"]
    assert index["threshold"].to_list() == [0.7, 0.7]


def test_no_previous_state_recomputes_every_pair() -> None:
    """Without a stored index there is nothing to update: full, nothing stale."""
    assert near_duplicate_plan(pair_index({"a": 1}), None, 0.5, max_share=1.0) == (True, [])


def test_unchanged_index_is_incremental_with_nothing_stale() -> None:
    """The same fingerprints as last time: no report to compare, no full recomputation."""
    index = pair_index({"a": 1, "b": 2, "c": 3})
    assert near_duplicate_plan(index, index, 0.5, max_share=0.2) == (False, [])


def test_new_changed_and_deleted_reports_are_stale() -> None:
    """New d, changed b (fingerprint 2 -> 20) and deleted c are stale; unchanged a is not."""
    previous = pair_index({"a": 1, "b": 2, "c": 3})
    current = pair_index({"a": 1, "b": 20, "d": 4})
    full, stale = near_duplicate_plan(current, previous, 0.5, max_share=1.0)
    assert not full
    assert sorted(stale) == ["b", "c", "d"]


def test_more_stale_reports_than_the_share_recompute_every_pair() -> None:
    """10 reports at the pipeline's share (0.2): 2 stale stay incremental, 3 (> 2) go full."""
    previous = pair_index({f"r{i}": i for i in range(10)})
    two = pair_index({f"r{i}": i + 100 * (i < 2) for i in range(10)})
    three = pair_index({f"r{i}": i + 100 * (i < 3) for i in range(10)})
    full, stale = near_duplicate_plan(two, previous, 0.5, max_share=INCREMENTAL_MAX_SHARE)
    assert (full, sorted(stale)) == (False, ["r0", "r1"])
    full, stale = near_duplicate_plan(three, previous, 0.5, max_share=INCREMENTAL_MAX_SHARE)
    assert (full, sorted(stale)) == (True, ["r0", "r1", "r2"])


def test_a_threshold_change_recomputes_every_pair() -> None:
    """Pairs stored at 0.5 are not the pairs at 0.6, even when no report changed."""
    previous = pair_index({"a": 1, "b": 2}, threshold=0.5)
    current = pair_index({"a": 1, "b": 2}, threshold=0.6)
    assert near_duplicate_plan(current, previous, 0.6, max_share=1.0) == (True, [])


# --- report_novelty ---------------------------------------------------------------------------


def test_novelty_index_keeps_every_arriving_report() -> None:
    """Reports come from `arrival`; one without shingles gets fingerprint 0 and its rank."""
    fingerprints = pl.DataFrame(
        {"checked_report_id": ["a", "zz"], "fingerprint": [11, 99]},
        schema={"checked_report_id": pl.String, "fingerprint": pl.UInt64},
    )
    arrival = pl.DataFrame(
        {"report_id": ["a", "b"], "arrival_rank": [1, 2]},
        schema={"report_id": pl.String, "arrival_rank": pl.Int64},
    )
    index = novelty_index(fingerprints, arrival, 0.5)
    assert index.columns == ["checked_report_id", "fingerprint", "arrival_rank", "threshold"]
    assert index.sort("checked_report_id").rows() == [("a", 11, 1, 0.5), ("b", 0, 2, 0.5)]


def test_novelty_without_previous_state_recomputes_every_row() -> None:
    """No stored index: None (every row)."""
    assert novelty_changes(rank_index({"a": (1, 1)}), None, 0.5, max_share=1.0) is None


def test_novelty_of_reports_arriving_after_all_others_is_incremental() -> None:
    """New c (rank 3) and d (rank 4) arrive after unchanged a (1) and b (2): only c and d."""
    previous = rank_index({"a": (1, 1), "b": (2, 2)})
    current = rank_index({"a": (1, 1), "b": (2, 2), "c": (3, 3), "d": (4, 4)})
    assert sorted(novelty_changes(current, previous, 0.5, max_share=1.0) or []) == ["c", "d"]


def test_unchanged_novelty_index_recomputes_nothing() -> None:
    """The same index as last time: an empty list, not None."""
    index = rank_index({"a": (1, 1), "b": (2, 2)})
    assert novelty_changes(index, index, 0.5, max_share=0.2) == []


def test_a_deleted_report_recomputes_every_novelty_row() -> None:
    """b is gone: later reports may now say first what b said, so None."""
    previous = rank_index({"a": (1, 1), "b": (2, 2), "c": (3, 3)})
    current = rank_index({"a": (1, 1), "c": (3, 2)})
    assert novelty_changes(current, previous, 0.5, max_share=1.0) is None


def test_a_changed_early_report_recomputes_every_novelty_row() -> None:
    """a (rank 1) changed before unchanged b (rank 2): b's row depends on a, so None."""
    previous = rank_index({"a": (1, 1), "b": (2, 2)})
    current = rank_index({"a": (10, 1), "b": (2, 2)})
    assert novelty_changes(current, previous, 0.5, max_share=1.0) is None


def test_a_changed_last_report_is_recomputed_alone() -> None:
    """b (the latest, rank 2) changed: no unchanged report depends on it, so only b."""
    previous = rank_index({"a": (1, 1), "b": (2, 2)})
    current = rank_index({"a": (1, 1), "b": (20, 2)})
    assert novelty_changes(current, previous, 0.5, max_share=1.0) == ["b"]


def test_a_shifted_rank_counts_as_a_change() -> None:
    """Same fingerprints, a and b swap ranks 1 and 2 before unchanged c (3): None."""
    previous = rank_index({"a": (1, 1), "b": (2, 2), "c": (3, 3)})
    current = rank_index({"a": (1, 2), "b": (2, 1), "c": (3, 3)})
    assert novelty_changes(current, previous, 0.5, max_share=1.0) is None


def test_a_new_report_tied_with_an_unchanged_one_recomputes_every_row() -> None:
    """c arrives with the rank of unchanged b (rank <= the latest unchanged rank): None."""
    previous = rank_index({"a": (1, 1), "b": (2, 2)})
    current = rank_index({"a": (1, 1), "b": (2, 2), "c": (3, 2)})
    assert novelty_changes(current, previous, 0.5, max_share=1.0) is None


def test_more_new_novelty_reports_than_the_share_recompute_every_row() -> None:
    """8 unchanged + 2 new = 10: the pipeline's share (0.2) allows 2, a share of 0.1 not."""
    previous = rank_index({f"r{i}": (i, i) for i in range(8)})
    current = rank_index({f"r{i}": (i, i) for i in range(10)})
    changed = novelty_changes(current, previous, 0.5, max_share=INCREMENTAL_MAX_SHARE)
    assert sorted(changed or []) == ["r8", "r9"]
    assert novelty_changes(current, previous, 0.5, max_share=0.1) is None


def test_a_novelty_threshold_change_recomputes_every_row() -> None:
    """Section shares depend on the near-duplicate threshold: a change means None."""
    previous = rank_index({"a": (1, 1)}, threshold=0.5)
    current = rank_index({"a": (1, 1), "b": (2, 2)}, threshold=0.6)
    assert novelty_changes(current, previous, 0.6, max_share=1.0) is None
