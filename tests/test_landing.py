"""Reports a killed run registered but never landed are requested again, a bounded number of times."""

from __future__ import annotations

from pipelines.landing import MAX_ATTEMPTS, plan_landing, unlanded_partitions

ORDER = ["a.md", "b.md", "c.md", "d.md", "e.md"]


def test_a_partition_lands_only_when_every_per_report_asset_has_it() -> None:
    materialized = {"reports": {"a.md", "b.md", "c.md"}, "sections": {"a.md", "b.md"}}
    assert unlanded_partitions(ORDER, ORDER, materialized) == ["c.md", "d.md", "e.md"]


def test_a_file_gone_from_the_folder_is_not_requested() -> None:
    materialized = {"reports": {"a.md"}}
    assert unlanded_partitions(ORDER, ["a.md", "b.md", "e.md"], materialized) == ["b.md", "e.md"]


def test_the_run_covers_one_contiguous_range_from_the_first_unlanded_to_the_end() -> None:
    plan = plan_landing(ORDER, ["b.md", "d.md"], attempts_so_far=0)
    assert plan is not None
    assert plan.refresh == ["b.md", "c.md", "d.md", "e.md"]
    assert plan.attempt == 1 and plan.run_key.endswith("-1")


def test_the_same_set_gets_a_new_key_per_attempt_and_stops_after_the_last() -> None:
    keys = {plan_landing(ORDER, ["c.md"], n).run_key for n in range(MAX_ATTEMPTS)}  # type: ignore[union-attr]
    assert len(keys) == MAX_ATTEMPTS
    assert plan_landing(ORDER, ["c.md"], MAX_ATTEMPTS) is None
    assert plan_landing(ORDER, [], 0) is None
