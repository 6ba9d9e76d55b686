"""Boilerplate: `repeated_phrases`, folded in from new reports' counts of stored candidates."""

import dagster as dg
import polars as pl

from pipelines.asset_metadata import markdown_preview
from pipelines.asset_specs import INCREMENTAL_CHECK, incremental_corpus_asset
from pipelines.corpus_reads import read_section_texts
from pipelines.increment_state import current_reports, plan_for
from pipelines.increments import INDEX_KEY, index_rows_of, table_index
from pipelines.resources import WarehouseResource
from pipelines.text.redundancy.phrase_counts import add_counts, candidate_mismatches, count_phrases
from pipelines.text.redundancy.phrases import frequent_phrases, rank_phrases
from pipelines.warehouse import SCHEMA, Warehouse

# repeated_phrases' bookkeeping: the reports its counts hold, and every candidate phrase.
PHRASES_INDEX = "repeated_phrases_index"
PHRASE_CANDIDATES = "phrase_candidates"
# v2: the candidates hold the 1-grams and the totals row the score needs.
# v3: phrases are counted in prose and table cells (corpus_reads.TEXT_WITH_TABLES).
PHRASE_PARAMETERS = "n=3..8;min_reports=0.5%;top=100;v3"
# Reports whose sections the incremental-equals-full check holds in memory at once.
REPORTS_PER_CHUNK = 1000


@incremental_corpus_asset(
    "repeated_phrases",
    group="redundancy",
    deps=["report_inventory"],
    description="Boilerplate: the 3- to 8-word phrases (two or more content words) that "
    "recur across reports far more than their words' frequencies predict (score = reports × "
    "ln(reports / expected reports)), with an example. New reports update the counts of the "
    "stored candidates and word counts (corpus.phrase_candidates); the daily full refresh "
    "finds new candidates.",
)
def repeated_phrases(context: dg.AssetExecutionContext, warehouse: WarehouseResource):  # type: ignore[no-untyped-def]
    """The best-scored maximal phrases (`rank_phrases`), folding in only the new reports' counts."""
    store = warehouse.get()
    with store.connect():  # the plan's reads share one connection
        current = current_reports(store)
        plan = plan_for(
            context, store, current, PHRASES_INDEX, PHRASE_PARAMETERS, PHRASE_CANDIDATES,
            "repeated_phrases",
        )  # fmt: skip
        stored = (
            store.read(f"SELECT * FROM {SCHEMA}.{PHRASE_CANDIDATES}")
            if store.table_exists(PHRASE_CANDIDATES)
            else None
        )
    # Before this run changes anything: the stored counts against a recount from scratch.
    check = (
        _phrases_equal_full(store, stored, current.height)
        if context.selected_asset_check_keys
        else None
    )
    index = table_index(current, PHRASE_PARAMETERS)
    if plan.full:
        candidates = frequent_phrases(read_section_texts(store, None))
        phrases = rank_phrases(candidates)
        tables = {PHRASE_CANDIDATES: candidates, PHRASES_INDEX: index}
        upserts = {}
    else:
        assert stored is not None  # an incremental plan has a previous state
        counts = count_phrases(read_section_texts(store, plan.added), stored)
        changed = add_counts(stored.join(counts, on="phrase", how="semi"), counts)
        candidates = stored.update(changed, on="phrase")
        phrases = rank_phrases(candidates)
        # Only the counted candidates and the new reports' index rows are written.
        tables = {}
        upserts = {
            PHRASE_CANDIDATES: (changed, ["phrase"]),
            PHRASES_INDEX: (index_rows_of(index, plan.added), [INDEX_KEY]),
        }
    store.replace_tables({"repeated_phrases": phrases, **tables}, upserts)
    yield dg.MaterializeResult(
        asset_key="repeated_phrases",
        metadata={
            "dagster/row_count": phrases.height,
            "mode": plan.describe(),
            "candidates": candidates.height,
            "preview": markdown_preview(
                phrases.select("phrase", "n_reports", "n_occurrences", "score")
            ),
        },
    )
    if check is not None:
        yield check


def _phrases_equal_full(
    store: Warehouse, stored: pl.DataFrame | None, n_reports: int
) -> dg.AssetCheckResult:
    """Recount the stored candidates over every report; every count must match."""
    if stored is None:
        return dg.AssetCheckResult(
            asset_key="repeated_phrases",
            check_name=INCREMENTAL_CHECK,
            passed=True,
            metadata={"compared": "nothing yet: the table is built from scratch in this run"},
        )
    ids = store.read(f"SELECT report_id FROM {SCHEMA}.reports ORDER BY report_id")["report_id"]
    counts = [
        count_phrases(
            read_section_texts(store, ids.slice(start, REPORTS_PER_CHUNK).to_list()), stored
        )
        for start in range(0, len(ids), REPORTS_PER_CHUNK)
    ]
    full = (
        pl.concat(counts).group_by("phrase").agg(pl.col("n_reports", "n_occurrences").sum())
        if counts
        else pl.DataFrame(
            schema={"phrase": pl.String, "n_reports": pl.Int64, "n_occurrences": pl.Int64}
        )
    )
    recomputed = stored.drop("n_reports", "n_occurrences").join(full, on="phrase", how="left")
    recomputed = recomputed.with_columns(pl.col("n_reports", "n_occurrences").fill_null(0))
    differ = candidate_mismatches(stored, recomputed, min_reports=0)
    return dg.AssetCheckResult(
        asset_key="repeated_phrases",
        check_name=INCREMENTAL_CHECK,
        passed=differ.height == 0,
        metadata={
            "compared": f"{stored.height} candidate phrases recounted over {n_reports} reports",
            "mismatches": differ.height,
            "rows": markdown_preview(differ),
        },
    )
