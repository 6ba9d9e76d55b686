"""Asset specs with the project's conventions set once: group, kinds, scope tag, partitions.

Per-report assets are partitioned by report file, run every requested partition in one
batch and carry the tag scope=report; corpus-wide assets carry scope=corpus. The jobs select
by these tags (`CORPUS_WIDE` is every asset that is not per-report), so an asset defined
through these helpers can never fall out of a refresh.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import dagster as dg

from pipelines.partitions import reports_partitions, single_run

REPORT_SCOPE = {"scope": "report"}
CORPUS_SCOPE = {"scope": "corpus"}
POLARS_DUCKDB = frozenset({"polars", "duckdb"})
# Everything that is not per-report: what the daily schedule and a deletion refresh.
CORPUS_WIDE = dg.AssetSelection.all() - dg.AssetSelection.tag("scope", "report")


def report_spec(
    key: str,
    *,
    group: str,
    description: str,
    deps: Sequence[str] = (),
    kinds: frozenset[str] = POLARS_DUCKDB,
    metadata: Mapping[str, Any] | None = None,
) -> dg.AssetSpec:
    """The spec of one per-report table of a multi-asset."""
    return dg.AssetSpec(
        key,
        deps=list(deps),
        description=description,
        group_name=group,
        kinds=set(kinds),
        tags=REPORT_SCOPE,
        partitions_def=reports_partitions,
        metadata=metadata,
    )


def corpus_spec(
    key: str,
    *,
    group: str,
    description: str,
    deps: Sequence[str] = (),
    kinds: frozenset[str] = POLARS_DUCKDB,
) -> dg.AssetSpec:
    """The spec of one corpus-wide table of a multi-asset."""
    return dg.AssetSpec(
        key, deps=list(deps), description=description, group_name=group, kinds=set(kinds),
        tags=CORPUS_SCOPE,
    )  # fmt: skip


def report_multi_asset(name: str, specs: Sequence[dg.AssetSpec]) -> Callable[..., Any]:
    """A multi-asset over per-report specs: every requested partition in one run."""
    return dg.multi_asset(
        name=name, specs=list(specs), partitions_def=reports_partitions, backfill_policy=single_run
    )


def corpus_multi_asset(name: str, specs: Sequence[dg.AssetSpec]) -> Callable[..., Any]:
    """A multi-asset over corpus-wide specs."""
    return dg.multi_asset(name=name, specs=list(specs))


def report_asset(
    *,
    group: str,
    description: str,
    deps: Sequence[str] = (),
    kinds: frozenset[str] = POLARS_DUCKDB,
) -> Callable[..., Any]:
    """A per-report asset: partitioned by report file, every requested partition in one run."""
    return dg.asset(
        deps=list(deps),
        partitions_def=reports_partitions,
        backfill_policy=single_run,
        group_name=group,
        kinds=set(kinds),
        tags=REPORT_SCOPE,
        description=description,
    )


def corpus_asset(
    *,
    group: str,
    description: str,
    deps: Sequence[str] = (),
    kinds: frozenset[str] = POLARS_DUCKDB,
    **extra: Any,
) -> Callable[..., Any]:
    """A corpus-wide asset, recomputed from the per-report rows already landed."""
    return dg.asset(
        deps=list(deps), group_name=group, kinds=set(kinds), tags=CORPUS_SCOPE,
        description=description, **extra,
    )  # fmt: skip


# The check every incremental corpus-wide table carries: its rows equal a recomputation from
# scratch with the same frozen parameters. It costs a full recomputation, so the sensor's
# refreshes leave it out and the daily full refresh runs it (automation.py).
INCREMENTAL_CHECK = "incremental_equals_full"
INCREMENTAL_TABLES = ("repeated_phrases", "report_similarity")
INCREMENTAL_CHECK_KEYS = [
    dg.AssetCheckKey(dg.AssetKey(t), INCREMENTAL_CHECK) for t in INCREMENTAL_TABLES
]


def incremental_corpus_asset(
    key: str,
    *,
    group: str,
    description: str,
    deps: Sequence[str] = (),
    kinds: frozenset[str] = POLARS_DUCKDB,
) -> Callable[..., Any]:
    """A corpus-wide table updated from new reports only, with its `incremental_equals_full` check.

    The asset runs the check's recomputation only when the check is selected in the run
    (`context.selected_asset_check_keys`).
    """
    if key not in INCREMENTAL_TABLES:
        raise ValueError(f"{key} is not listed in INCREMENTAL_TABLES")
    return dg.multi_asset(
        name=key,
        specs=[corpus_spec(key, group=group, description=description, deps=deps, kinds=kinds)],
        check_specs=[
            dg.AssetCheckSpec(
                INCREMENTAL_CHECK,
                asset=key,
                description="The incrementally maintained rows equal a recomputation from "
                "every report with the same frozen parameters (run by the daily full refresh).",
            )
        ],
        can_subset=True,
    )
