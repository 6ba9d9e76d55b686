"""Incremental plans: new reports are folded in; anything else recomputes every row."""

import polars as pl

from pipelines.increments import plan_increment, table_index, wants_full_refresh


def _reports(*pairs: tuple[str, str]) -> pl.DataFrame:
    return pl.DataFrame(
        {"report_id": [p[0] for p in pairs], "content_sha256": [p[1] for p in pairs]}
    )


BASE = _reports(*((f"r{i}", f"h{i}") for i in range(10)))


def test_only_new_reports_are_folded_in() -> None:
    current = pl.concat([BASE, _reports(("r10", "h10"))])
    plan = plan_increment(current, table_index(BASE, "p"), "p")
    assert (plan.full, plan.added) == (False, ["r10"])


def test_nothing_new_is_an_empty_increment() -> None:
    plan = plan_increment(BASE, table_index(BASE, "p"), "p")
    assert (plan.full, plan.added) == (False, [])


def test_a_deleted_report_recomputes_everything() -> None:
    plan = plan_increment(BASE.head(9), table_index(BASE, "p"), "p")
    assert plan.full and "deleted" in plan.reason


def test_a_changed_report_recomputes_everything() -> None:
    changed = BASE.with_columns(
        pl.when(pl.col("report_id") == "r3").then(pl.lit("x")).otherwise("content_sha256")
        .alias("content_sha256")
    )  # fmt: skip
    assert plan_increment(changed, table_index(BASE, "p"), "p").full


def test_other_parameters_recompute_everything() -> None:
    assert plan_increment(BASE, table_index(BASE, "p"), "q").reason == "parameters changed"


def test_no_index_or_a_requested_full_refresh_recompute_everything() -> None:
    assert plan_increment(BASE, None, "p").full
    assert plan_increment(BASE, table_index(BASE, "p"), "p", force_full=True).full


def test_many_new_reports_recompute_everything() -> None:
    current = pl.concat([BASE, _reports(*((f"n{i}", "x") for i in range(3)))])
    assert plan_increment(current, table_index(BASE, "p"), "p", max_share=0.2).full
    assert not plan_increment(current, table_index(BASE, "p"), "p", max_share=0.5).full


def test_the_full_refresh_tag() -> None:
    assert wants_full_refresh({"reportscope/full_refresh": "true"})
    assert not wants_full_refresh({"reportscope/full_refresh": "false"})
    assert not wants_full_refresh({})
