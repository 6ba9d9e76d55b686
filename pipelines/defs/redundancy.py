"""Redundancy: repetition inside reports, near-duplicate sections across them, novelty."""

from collections.abc import Iterator

import dagster as dg
import polars as pl

from pipelines.asset_checks import offending_rows_check
from pipelines.asset_metadata import markdown_preview
from pipelines.asset_specs import corpus_asset, corpus_spec, report_asset
from pipelines.corpus_reads import read_reports, read_section_texts, report_texts
from pipelines.increment_state import current_reports, plan_for
from pipelines.report_files import report_id
from pipelines.resources import WarehouseResource
from pipelines.settings import Settings
from pipelines.similarity_store import INDEX_TABLE, PARAMETERS, STATE_TABLES
from pipelines.similarity_store import refresh as refresh_similarity
from pipelines.text.redundancy.chunks import report_chunks
from pipelines.text.redundancy.fingerprints import fingerprint_sections
from pipelines.text.redundancy.incremental import (
    INCREMENTAL_MAX_SHARE,
    near_duplicate_index,
    near_duplicate_plan,
    novelty_changes,
    novelty_index,
)
from pipelines.text.redundancy.minhash import MinhashConfig
from pipelines.text.redundancy.near_duplicates import candidate_pairs, verify_pairs
from pipelines.text.redundancy.novelty import report_novelty as novelty_of_reports
from pipelines.text.redundancy.phrases import repeated_phrases as phrases_of_sections
from pipelines.text.redundancy.repetition import repetition
from pipelines.warehouse import SCHEMA, SELECTED_KEYS, Warehouse

# The MinHash LSH family of the stored fingerprints (shingles, permutations, seed), with the
# Jaccard of word 5-shingles from which two sections are near-duplicates (settings.py).
MINHASH_CONFIG = MinhashConfig(threshold=Settings.from_env().near_duplicate_threshold)
REPETITION_FRACTIONS_IN_UNIT_RANGE = "repetition_fractions_in_unit_range"
NEAR_DUPLICATE_PAIRS_ARE_VERIFIED = "near_duplicate_pairs_are_verified"
INCREMENTAL_EQUALS_FULL = "incremental_equals_full"
# near_duplicate_sections' bookkeeping: a fingerprint of each report's band keys when last
# compared (the column is not `report_id`, so deleting a report leaves its row to be noticed).
NEAR_DUPLICATE_INDEX = "near_duplicate_index"
# report_novelty's bookkeeping: each report's shingle fingerprint and arrival rank.
NOVELTY_INDEX = "report_novelty_index"

# Reports whose sections a per-report step holds in memory at once.
REPORTS_PER_CHUNK = 1000


@report_asset(
    group="redundancy",
    deps=["sections"],
    description="How much each report (and section) repeats itself: Gopher repetition "
    "fractions (Rae et al. 2021, Table A1) and the zlib compression ratio, as continuous values.",
)
def report_repetition(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Gopher measures on each report's and each section's plain text."""
    store = warehouse.get()
    ids = [report_id(name) for name in context.partition_keys]
    sections = read_section_texts(store, ids)
    per_report = repetition(report_texts(sections), ["report_id"])
    per_section = repetition(sections, ["report_id", "section_id"])
    store.replace_many(
        [
            ("report_repetition", per_report, "report_id", ids),
            ("section_repetition", per_section, "report_id", ids),
        ]
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": per_report.height,
            "preview": markdown_preview(
                per_report.select(
                    "report_id", "dup_line_frac", "dup_5gram_char_frac", "compression_ratio"
                )
            ),
        }
    )


@report_asset(
    group="redundancy",
    deps=["sections"],
    kinds=frozenset({"numpy", "duckdb"}),
    description="The stored index new reports are compared against: each section's word "
    "5-shingles (stable hashes), MinHash signature and LSH band keys.",
)
def section_fingerprints(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Shingle, MinHash and band the run's sections, a chunk of reports at a time."""
    store = warehouse.get()
    ids = [report_id(name) for name in context.partition_keys]
    sections = read_section_texts(store, ids)
    bands, rows = MINHASH_CONFIG.banding

    def fingerprints(chunk: pl.DataFrame) -> dict[str, pl.DataFrame]:
        shingles, band_keys = fingerprint_sections(chunk, MINHASH_CONFIG)
        return {"section_shingles": shingles, "section_band_keys": band_keys}

    written = store.replace_streamed(
        {"section_shingles": "report_id", "section_band_keys": "report_id"},
        ids,
        (fingerprints(chunk) for chunk in report_chunks(sections, REPORTS_PER_CHUNK)),
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": written["section_shingles"],
            "sections": written["section_band_keys"] // bands,
            "bands_x_rows": f"{bands} x {rows}",
            "threshold": MINHASH_CONFIG.threshold,
        }
    )


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
    fingerprints = store.read(
        f"SELECT report_id AS checked_report_id, bit_xor(hash(section_id, band, band_key)) "
        f"AS fingerprint FROM {SCHEMA}.section_band_keys GROUP BY report_id"
    )
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
    if full:
        pairs, n_candidates = _all_near_duplicate_pairs(store)
    else:
        fresh, n_candidates = _near_duplicate_pairs_of(store, stale)
        kept = store.read(
            f"SELECT * FROM {SCHEMA}.near_duplicate_sections WHERE report_id_a NOT IN "
            f"{SELECTED_KEYS} AND report_id_b NOT IN {SELECTED_KEYS}",
            keys=stale,
        )
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


def _all_near_duplicate_pairs(store: Warehouse) -> tuple[pl.DataFrame, int]:
    """Every verified cross-report pair of the index, and how many candidates were checked."""
    band_keys = store.read(
        f"SELECT section_id, report_id, band, band_key FROM {SCHEMA}.section_band_keys"
    )
    candidates = candidate_pairs(band_keys, band_keys.select("section_id", "report_id"))
    del band_keys  # 3M+ rows at 10,000 reports: free them before the verification
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
    involved = pl.concat([candidates["section_id_a"], candidates["section_id_b"]]).unique()
    shingles = store.read(
        f"SELECT section_id, shingle FROM {SCHEMA}.section_shingles "
        f"WHERE section_id IN {SELECTED_KEYS}",
        keys=involved.to_list(),
    )
    owners = store.read(
        f"SELECT DISTINCT section_id, report_id FROM {SCHEMA}.sections "
        f"WHERE section_id IN {SELECTED_KEYS}",
        keys=involved.to_list(),
    )
    pairs = verify_pairs(candidates, shingles, MINHASH_CONFIG.threshold)
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
    arrival = read_reports(store).select("report_id", "arrival_rank")
    fingerprints = store.read(
        f"SELECT report_id AS checked_report_id, bit_xor(hash(section_id, shingle)) "
        f"AS fingerprint FROM {SCHEMA}.section_shingles GROUP BY report_id"
    )
    current = novelty_index(fingerprints, arrival, MINHASH_CONFIG.threshold)
    previous = (
        store.read(f"SELECT * FROM {SCHEMA}.{NOVELTY_INDEX}")
        if store.table_exists(NOVELTY_INDEX) and store.table_exists("report_novelty")
        else None
    )
    changed = novelty_changes(
        current, previous, MINHASH_CONFIG.threshold, max_share=INCREMENTAL_MAX_SHARE
    )
    if changed is None:
        novelty = novelty_of_reports(
            store.read(f"SELECT DISTINCT report_id, shingle FROM {SCHEMA}.section_shingles"),
            arrival,
            near_duplicates=store.read(
                f"SELECT section_id_a, section_id_b FROM {SCHEMA}.near_duplicate_sections"
            ),
            section_report=store.read(f"SELECT section_id, report_id FROM {SCHEMA}.sections"),
        )
    else:
        fresh = novelty_of_reports(
            store.read(
                f"SELECT DISTINCT report_id, shingle FROM {SCHEMA}.section_shingles WHERE shingle "
                f"IN (SELECT shingle FROM {SCHEMA}.section_shingles WHERE report_id IN "
                f"{SELECTED_KEYS})",
                keys=changed,
            ),
            arrival,
            near_duplicates=store.read(
                f"SELECT section_id_a, section_id_b FROM {SCHEMA}.near_duplicate_sections "
                f"WHERE report_id_a IN {SELECTED_KEYS} OR report_id_b IN {SELECTED_KEYS}",
                keys=changed,
            ),
            section_report=store.read(f"SELECT section_id, report_id FROM {SCHEMA}.sections"),
        ).filter(pl.col("report_id").is_in(changed))
        kept = store.read(
            f"SELECT * FROM {SCHEMA}.report_novelty WHERE report_id NOT IN {SELECTED_KEYS}",
            keys=changed,
        )
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


@dg.multi_asset(
    name="report_similarity",
    specs=[
        corpus_spec(
            "report_similarity",
            group="redundancy",
            deps=["near_duplicate_sections"],
            kinds=frozenset({"scikit-learn", "duckdb"}),
            description="Report × report similarity: TF-IDF cosine of whole reports (each "
            "report's closest neighbours) and how many near-duplicate sections the two share.",
        )
    ],
    check_specs=[
        dg.AssetCheckSpec(
            INCREMENTAL_EQUALS_FULL,
            asset="report_similarity",
            description="On a full refresh over a previous state: every stored neighbour "
            "list equals a recomputation from scratch with the stored vocabulary and idf. "
            "Skipped on incremental refreshes and when reports changed since the last run.",
        )
    ],
    # The check is optional (can_subset): a refresh that does not evaluate it yields no
    # result, and Dagster records it as skipped rather than as passed.
    can_subset=True,
)
def report_similarity(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """Each report's most similar reports by TF-IDF cosine, with shared near-duplicates.

    Incremental (similarity_store.py): new reports are vectorized with the frozen vocabulary
    and folded into the stored neighbour lists, at a cost that does not grow with the corpus
    beyond reading the stored vectors; a full refresh (the daily run, a changed or deleted
    report, many new ones) refits the vocabulary, after checking the stored lists.
    """
    store = warehouse.get()
    current = current_reports(store)
    plan = plan_for(context, store, current, INDEX_TABLE, PARAMETERS, *STATE_TABLES)
    check_key = dg.AssetCheckKey(dg.AssetKey("report_similarity"), INCREMENTAL_EQUALS_FULL)
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
            check_name=INCREMENTAL_EQUALS_FULL,
            passed=comparison.equal,
            metadata={
                "reports_compared": comparison.n_reports,
                "reports_differing": len(comparison.differing),
                "only_stored": markdown_preview(comparison.only_actual),
                "only_recomputed": markdown_preview(comparison.only_expected),
            },
        )


@corpus_asset(
    group="redundancy",
    deps=["report_inventory"],
    description="Boilerplate: the 3- to 8-word phrases that recur in the most reports, with "
    "report counts and an example.",
)
def repeated_phrases(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Maximal phrases shared by the most reports."""
    store = warehouse.get()
    phrases = phrases_of_sections(
        store.read(f"SELECT section_id, report_id, plain_text FROM {SCHEMA}.sections")
    )
    store.replace_tables({"repeated_phrases": phrases})
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": phrases.height,
            "preview": markdown_preview(phrases.select("phrase", "n_reports", "n_occurrences")),
        }
    )


repetition_fractions_in_unit_range = offending_rows_check(
    asset="report_repetition",
    name=REPETITION_FRACTIONS_IN_UNIT_RANGE,
    description="Every Gopher repetition fraction lies within [0, 1].",
    counted="rows_outside",
)


near_duplicate_pairs_are_verified = offending_rows_check(
    asset="near_duplicate_sections",
    name=NEAR_DUPLICATE_PAIRS_ARE_VERIFIED,
    description="Every stored pair's Jaccard, recomputed in SQL from the stored shingles, "
    "equals the stored value and reaches the threshold; fractions lie within [0, 1].",
    counted="unverified_pairs",
)
