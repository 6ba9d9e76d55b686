"""Redundancy: repetition inside reports, near-duplicate sections across them, novelty."""

from collections.abc import Iterator

import dagster as dg
import polars as pl

from pipelines.asset_metadata import markdown_preview
from pipelines.asset_specs import (
    INCREMENTAL_CHECK,
    corpus_asset,
    incremental_corpus_asset,
)
from pipelines.corpus_reads import ARRIVAL_RANK, read_reports
from pipelines.increment_state import current_reports, plan_for
from pipelines.lsh import FINGERPRINT_PARAMETERS, MINHASH_CONFIG
from pipelines.resources import WarehouseResource
from pipelines.similarity_store import INDEX_TABLE as SIMILARITY_INDEX
from pipelines.similarity_store import PARAMETERS as SIMILARITY_PARAMETERS
from pipelines.similarity_store import STATE_TABLES
from pipelines.similarity_store import refresh as refresh_similarity
from pipelines.text.redundancy.incremental import (
    INCREMENTAL_MAX_SHARE,
    near_duplicate_index,
    near_duplicate_plan,
    novelty_changes,
    novelty_index,
)
from pipelines.text.redundancy.near_duplicates import verify_coded_pairs
from pipelines.text.redundancy.novelty import novelty_from_counts
from pipelines.text.redundancy.novelty import report_novelty as novelty_of_reports
from pipelines.warehouse import SCHEMA, SELECTED_KEYS, Warehouse

# near_duplicate_sections' bookkeeping: a fingerprint of each report's band keys when last
# compared (the column is not `report_id`, so deleting a report leaves its row to be noticed).
NEAR_DUPLICATE_INDEX = "near_duplicate_index"
# report_novelty's bookkeeping: each report's shingle fingerprint and arrival rank.
NOVELTY_INDEX = "report_novelty_index"


# Every report's distinct shingles and how many of them an earlier report holds, counted in
# DuckDB (which spills to disk under its memory limit): 13 M (report, shingle) rows at 10,000
# reports never enter Python.
NOVELTY_COUNTS_SQL = f"""
WITH arrival AS (
    SELECT report_id, {ARRIVAL_RANK} AS arrival_rank FROM {SCHEMA}.reports
), held AS (
    SELECT DISTINCT s.shingle, a.report_id, a.arrival_rank
    FROM {SCHEMA}.section_shingles s JOIN arrival a USING (report_id)
), first_held AS (
    SELECT shingle, min(arrival_rank) AS first_rank FROM held GROUP BY shingle
)
SELECT h.report_id, count(*) AS n_shingles,
       count(*) FILTER (WHERE f.first_rank < h.arrival_rank) AS n_shingles_seen
FROM held h JOIN first_held f USING (shingle)
GROUP BY h.report_id
"""
# The (report, shingle) pairs that decide the novelty of the changed reports (selected_keys):
# all of theirs, plus, per shingle they hold, only the EARLIEST other report holding it (a
# shingle is seen when any earlier report holds it, and then the earliest one does), so the
# rows read stay a few per shingle however many reports repeat it.
NOVELTY_HOLDERS_SQL = f"""
WITH arrival AS (
    SELECT report_id, {ARRIVAL_RANK} AS arrival_rank
    FROM {SCHEMA}.reports
), changed AS (
    SELECT DISTINCT report_id, shingle FROM {SCHEMA}.section_shingles
    WHERE report_id IN {SELECTED_KEYS}
)
SELECT report_id, shingle FROM changed
UNION
SELECT arg_min(s.report_id, a.arrival_rank) AS report_id, s.shingle
FROM {SCHEMA}.section_shingles s JOIN arrival a USING (report_id)
WHERE s.shingle IN (SELECT shingle FROM changed) AND s.report_id NOT IN {SELECTED_KEYS}
GROUP BY s.shingle
"""


@corpus_asset(
    group="redundancy",
    deps=["section_fingerprints", "report_inventory"],
    description="Pairs of sections from different reports whose word-shingle Jaccard "
    "similarity reaches the threshold (NEAR_DUPLICATE_THRESHOLD, default 0.5): LSH "
    "candidates from the stored band keys, each verified by exact Jaccard.",
)
def near_duplicate_sections(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Candidate pairs from shared band keys, verified on the stored shingle sets.

    Incremental: only the sections of reports whose band keys changed since the last run are
    compared with the index (a pair depends on nothing else); every pair is recomputed when
    there is no previous state, the threshold changed, or over a fifth of the reports changed.
    """
    store = warehouse.get()
    with store.connect():  # the plan and an incremental run's reads share one connection
        fingerprints = _report_fingerprints(store)
        current = near_duplicate_index(fingerprints, MINHASH_CONFIG.threshold)
        previous = (
            store.read(f"SELECT * FROM {SCHEMA}.{NEAR_DUPLICATE_INDEX}")
            if store.table_exists(NEAR_DUPLICATE_INDEX)
            and store.table_exists("near_duplicate_sections")
            else None
        )
        full, stale = near_duplicate_plan(
            current, previous, MINHASH_CONFIG.threshold, max_share=INCREMENTAL_MAX_SHARE
        )
        if not full:
            fresh, n_candidates = _near_duplicate_pairs_of(store, stale)
            kept = store.read(
                f"SELECT * FROM {SCHEMA}.near_duplicate_sections WHERE report_id_a NOT IN "
                f"{SELECTED_KEYS} AND report_id_b NOT IN {SELECTED_KEYS}",
                keys=stale,
            )
    if full:
        pairs, n_candidates = _all_near_duplicate_pairs(store)
    else:
        pairs = pl.concat([kept, fresh.select(kept.columns)], how="vertical_relaxed")
    pairs = pairs.sort("jaccard", "section_id_a", "section_id_b", descending=[True, False, False])
    store.replace_tables({"near_duplicate_sections": pairs, NEAR_DUPLICATE_INDEX: current})
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": pairs.height,
            "candidates": n_candidates,
            "mode": "full" if full else f"incremental ({len(stale)} changed report(s))",
            "preview": markdown_preview(
                pairs.select("section_id_a", "section_id_b", "jaccard", "containment_a_in_b")
            ),
        }
    )


def _report_fingerprints(store: Warehouse) -> pl.DataFrame:
    """Each report's content hash with the MinHash family: what its fingerprints were made from.

    The per-report fingerprint rows follow from these two alone, so comparing them tells
    which reports changed without reading millions of shingle and band-key rows.
    """
    return store.read(
        f"SELECT report_id AS checked_report_id, hash(content_sha256, ?) AS fingerprint "
        f"FROM {SCHEMA}.reports",
        [FINGERPRINT_PARAMETERS],
    )


# Every cross-report section pair sharing a band bucket (`candidate_pairs`' rule), joined in
# DuckDB: the 3.3 M band-key rows of 10,000 reports never enter Python.
ALL_CANDIDATES_SQL = f"""
SELECT DISTINCT x.section_id AS section_id_a, y.section_id AS section_id_b
FROM {SCHEMA}.section_band_keys x
JOIN {SCHEMA}.section_band_keys y ON x.band = y.band AND x.band_key = y.band_key
WHERE x.section_id < y.section_id AND x.report_id <> y.report_id
ORDER BY section_id_a, section_id_b
"""


def _all_near_duplicate_pairs(store: Warehouse) -> tuple[pl.DataFrame, int]:
    """Every verified cross-report pair of the index, and how many candidates were checked."""
    candidates = store.read(ALL_CANDIDATES_SQL)
    return _verified(store, candidates), candidates.height


def _near_duplicate_pairs_of(store: Warehouse, report_ids: list[str]) -> tuple[pl.DataFrame, int]:
    """The verified pairs with a section of `report_ids`: their band keys against the index."""
    candidates = store.read(
        f"""
        SELECT DISTINCT least(x.section_id, y.section_id) AS section_id_a,
                        greatest(x.section_id, y.section_id) AS section_id_b
        FROM {SCHEMA}.section_band_keys x
        JOIN {SCHEMA}.section_band_keys y ON x.band = y.band AND x.band_key = y.band_key
        WHERE x.report_id IN {SELECTED_KEYS} AND x.report_id <> y.report_id
        """,
        keys=report_ids,
    )
    return _verified(store, candidates), candidates.height


def _verified(store: Warehouse, candidates: pl.DataFrame) -> pl.DataFrame:
    """Candidates verified by exact Jaccard on their stored shingles, with both report ids."""
    involved = pl.concat([candidates["section_id_a"], candidates["section_id_b"]]).unique().sort()
    codes = involved.to_frame("section_id").with_row_index("code").to_arrow()
    with store.connect() as connection:
        # Each involved section's shingles under its integer code (strings stay in DuckDB).
        connection.register("involved_codes", codes)
        sets = connection.execute(
            f"SELECT i.code, s.shingle FROM {SCHEMA}.section_shingles s "
            "JOIN involved_codes i USING (section_id)"
        ).pl()
        connection.unregister("involved_codes")
        owners = store.read(
            f"SELECT DISTINCT section_id, report_id FROM {SCHEMA}.sections "
            f"WHERE section_id IN {SELECTED_KEYS}",
            keys=involved.to_list(),
        )
    pairs = verify_coded_pairs(
        candidates.select("section_id_a", "section_id_b").unique(),
        involved,
        sets["code"].to_numpy(),
        sets["shingle"].to_numpy(),
        MINHASH_CONFIG.threshold,
    )
    return _with_owners(pairs, owners)


def _with_owners(pairs: pl.DataFrame, owners: pl.DataFrame) -> pl.DataFrame:
    """Verified pairs with the report of each section and the threshold they passed."""
    return (
        pairs.join(owners.rename({"section_id": "section_id_a", "report_id": "report_id_a"}), on="section_id_a")
        .join(owners.rename({"section_id": "section_id_b", "report_id": "report_id_b"}), on="section_id_b")
        .with_columns(pl.lit(MINHASH_CONFIG.threshold).alias("threshold"))
    )  # fmt: skip


@corpus_asset(
    group="redundancy",
    deps=["near_duplicate_sections"],
    description="For each report in arrival order (report date, then file name): the share "
    "of its shingles and of its sections already present in earlier reports; novelty = 1 − "
    "the shingle share.",
)
def report_novelty(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Novelty of every report against everything that arrived before it.

    Incremental when only reports arriving after all the others changed (the usual case:
    new reports): an earlier report's row cannot depend on a later one, so only the changed
    reports are computed, from the reports sharing a shingle with them. Anything else (a
    deleted or back-dated report, shifted ranks, no previous state) recomputes every row.
    """
    store = warehouse.get()
    with store.connect():  # the plan and an incremental run's reads share one connection
        arrival = read_reports(store).select("report_id", "arrival_rank")
        fingerprints = _report_fingerprints(store)
        current = novelty_index(fingerprints, arrival, MINHASH_CONFIG.threshold)
        previous = (
            store.read(f"SELECT * FROM {SCHEMA}.{NOVELTY_INDEX}")
            if store.table_exists(NOVELTY_INDEX) and store.table_exists("report_novelty")
            else None
        )
        changed = novelty_changes(
            current, previous, MINHASH_CONFIG.threshold, max_share=INCREMENTAL_MAX_SHARE
        )
        if changed is not None:
            holders = store.read(NOVELTY_HOLDERS_SQL, keys=changed)
            pairs = store.read(
                f"SELECT section_id_a, section_id_b FROM {SCHEMA}.near_duplicate_sections "
                f"WHERE report_id_a IN {SELECTED_KEYS} OR report_id_b IN {SELECTED_KEYS}",
                keys=changed,
            )
            section_report = store.read(f"SELECT section_id, report_id FROM {SCHEMA}.sections")
            kept = store.read(
                f"SELECT * FROM {SCHEMA}.report_novelty WHERE report_id NOT IN {SELECTED_KEYS}",
                keys=changed,
            )
    if changed is None:
        novelty = novelty_from_counts(
            store.read(NOVELTY_COUNTS_SQL),
            arrival,
            near_duplicates=store.read(
                f"SELECT section_id_a, section_id_b FROM {SCHEMA}.near_duplicate_sections"
            ),
            section_report=store.read(f"SELECT section_id, report_id FROM {SCHEMA}.sections"),
        )
    else:
        fresh = novelty_of_reports(
            holders, arrival, near_duplicates=pairs, section_report=section_report
        ).filter(pl.col("report_id").is_in(changed))
        novelty = pl.concat([kept, fresh.select(kept.columns)], how="vertical_relaxed").sort(
            "arrival_rank"
        )
    store.replace_tables({"report_novelty": novelty, NOVELTY_INDEX: current})
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": novelty.height,
            "mode": "full" if changed is None else f"incremental ({len(changed)} report(s))",
            "preview": markdown_preview(
                novelty.select("arrival_rank", "report_id", "novelty", "section_share_seen")
            ),
        }
    )


@incremental_corpus_asset(
    "report_similarity",
    group="redundancy",
    deps=["near_duplicate_sections"],
    kinds=frozenset({"scikit-learn", "duckdb"}),
    description="Report × report similarity: TF-IDF cosine of whole reports (each report's "
    "closest neighbours) and how many near-duplicate sections the two share. New reports are "
    "folded in with the vocabulary and idf frozen at the last full refresh (daily).",
)
def report_similarity(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """Each report's most similar reports by TF-IDF cosine, with shared near-duplicates.

    Incremental (similarity_store.py): new reports are vectorized with the frozen vocabulary
    and folded into the stored neighbour lists, at a cost that does not grow with the corpus
    beyond reading the stored vectors; a full refresh (the daily run, a changed or deleted
    report, many new ones) refits the vocabulary, after checking the stored lists when the
    check is selected. A check that could not be evaluated yields no result (skipped).
    """
    store = warehouse.get()
    current = current_reports(store)
    plan = plan_for(context, store, current, SIMILARITY_INDEX, SIMILARITY_PARAMETERS, *STATE_TABLES)
    check_key = dg.AssetCheckKey(dg.AssetKey("report_similarity"), INCREMENTAL_CHECK)
    wanted = check_key in context.selected_asset_check_keys
    plan, result = refresh_similarity(store, current, plan, check=wanted)
    comparison = result.check.comparison
    yield dg.MaterializeResult(
        asset_key="report_similarity",
        metadata={
            "dagster/row_count": result.rows,
            "mode": plan.describe(),
            "changed_lists": result.changed,
            "incremental_equals_full": result.check.describe(),
            "seconds": dg.MetadataValue.json(result.seconds),
            "preview": markdown_preview(result.preview),
        },
    )
    if wanted and comparison is not None:
        yield dg.AssetCheckResult(
            asset_key="report_similarity",
            check_name=INCREMENTAL_CHECK,
            passed=comparison.equal,
            metadata={
                "reports_compared": comparison.n_reports,
                "reports_differing": len(comparison.differing),
                "only_stored": markdown_preview(comparison.only_actual),
                "only_recomputed": markdown_preview(comparison.only_expected),
            },
        )
