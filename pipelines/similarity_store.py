"""report_similarity's state in the warehouse, and its two refreshes: full and fold-in.

Tables (all written in ONE transaction per refresh):

- `report_similarity` (public): report_id_a < report_id_b, cosine, n_near_duplicate_sections;
  derived from the directed lists on every refresh (cheap: N x top_k rows);
- `report_similarity_terms`: the frozen vocabulary (term, term_column, idf), refitted only by
  a full refresh;
- `report_vectors`: every report's L2 TF-IDF vector (report_id, term_columns, weights);
- `report_neighbours`: every report's directed top-k list (report_id, neighbour_id, cosine,
  rank) -- the lists a full recomputation with the frozen vocabulary gives;
- `report_similarity_index`: the reports (and content hashes) the state holds, and
  `PARAMETERS` (increments.py decides from it: fold in new reports, or start over).

`report_inventory` deletes a vanished report's rows from every table with a `report_id`
column, this index included, so the index alone cannot tell a deletion: a fold-in first
checks that no stored list or pair names a report that is gone (`orphaned_reports`), and
recomputes everything when one does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import polars as pl
from scipy import sparse

from pipelines.increment_state import read_index
from pipelines.increments import IncrementPlan, table_index
from pipelines.text.redundancy.similarity_index import (
    NEIGHBOUR_SCHEMA,
    NeighbourComparison,
    all_neighbours,
    compare_neighbours,
    fold_in,
    similarity_parameters,
    undirected_pairs,
)
from pipelines.text.redundancy.similarity_vectors import (
    TERM_SCHEMA,
    ReportVectors,
    Vocabulary,
    count_terms,
    fit_vocabulary,
    reindex_counts,
    report_documents,
    vectorize,
    weigh,
)
from pipelines.warehouse import SCHEMA, SELECTED_KEYS, Warehouse

TOP_K = 10
MIN_COSINE = 0.2
PARAMETERS = similarity_parameters(TOP_K, MIN_COSINE)
PUBLIC_TABLE = "report_similarity"
INDEX_TABLE = "report_similarity_index"
TERMS_TABLE = "report_similarity_terms"
VECTORS_TABLE = "report_vectors"
NEIGHBOURS_TABLE = "report_neighbours"
# The tables a fold-in reads: all must exist, or the refresh is full.
STATE_TABLES = (PUBLIC_TABLE, TERMS_TABLE, VECTORS_TABLE, NEIGHBOURS_TABLE)


@dataclass(frozen=True)
class EqualityCheck:
    """The stored lists against a recomputation with the stored vocabulary (or why not run)."""

    comparison: NeighbourComparison | None
    reason: str = ""

    def describe(self) -> str:
        """The outcome in a few words, for run metadata."""
        if self.comparison is None:
            return self.reason
        differing = len(self.comparison.differing)
        return f"{self.comparison.n_reports} lists compared, {differing} differ"


@dataclass
class SimilarityRefresh:
    """What a refresh wrote: the public pairs, the reports whose list changed, timings."""

    pairs: pl.DataFrame
    changed: int
    check: EqualityCheck
    seconds: dict[str, float] = field(default_factory=dict)


class _Stopwatch:
    """Seconds spent per named step."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        """Record the time since the previous lap under `name`."""
        now = time.perf_counter()
        self.seconds[name] = round(now - self._last, 4)
        self._last = now


def orphaned_reports(store: Warehouse) -> int:
    """Report ids the stored lists or pairs name that are no longer landed reports."""
    found = store.read(
        f"""
        SELECT count(*) AS n FROM (
            SELECT neighbour_id AS report_id FROM {SCHEMA}.{NEIGHBOURS_TABLE}
            UNION SELECT report_id_a FROM {SCHEMA}.{PUBLIC_TABLE}
            UNION SELECT report_id_b FROM {SCHEMA}.{PUBLIC_TABLE}
        ) WHERE report_id NOT IN (SELECT report_id FROM {SCHEMA}.reports)
        """
    )
    return int(found["n"][0])


def read_documents(store: Warehouse, report_ids: list[str]) -> pl.DataFrame:
    """One document per report of `report_ids` (report_id, text), sorted by report_id."""
    sections = store.read(
        f"SELECT report_id, section_id, ordinal, plain_text FROM {SCHEMA}.sections "
        f"WHERE report_id IN {SELECTED_KEYS} ORDER BY report_id, ordinal",
        keys=report_ids,
    )
    return report_documents(report_ids, sections)


def read_vocabulary(store: Warehouse) -> Vocabulary:
    """The frozen vocabulary of the last full refresh."""
    return Vocabulary.from_frame(store.read(f"SELECT * FROM {SCHEMA}.{TERMS_TABLE}"))


def read_vectors(store: Warehouse, n_terms: int) -> ReportVectors:
    """Every stored report vector, by report_id."""
    frame = store.read(
        f"SELECT report_id, term_columns, weights FROM {SCHEMA}.{VECTORS_TABLE} ORDER BY report_id"
    )
    return ReportVectors.from_frame(frame, n_terms)


def read_neighbours(store: Warehouse) -> pl.DataFrame:
    """Every stored directed list."""
    frame = store.read(f"SELECT * FROM {SCHEMA}.{NEIGHBOURS_TABLE}")
    return frame.select(NEIGHBOUR_SCHEMA.keys()).cast(NEIGHBOUR_SCHEMA)  # type: ignore[arg-type]


def read_near_duplicate_counts(store: Warehouse) -> pl.DataFrame:
    """Verified near-duplicate section pairs per report pair (report_id_a < report_id_b)."""
    if not store.table_exists("near_duplicate_sections"):
        return pl.DataFrame(
            schema={"report_id_a": pl.String, "report_id_b": pl.String,
                    "n_near_duplicate_sections": pl.Int64}
        )  # fmt: skip
    return store.read(
        "SELECT least(report_id_a, report_id_b) AS report_id_a, "
        "greatest(report_id_a, report_id_b) AS report_id_b, "
        f"count(*) AS n_near_duplicate_sections FROM {SCHEMA}.near_duplicate_sections "
        "GROUP BY ALL"
    )


def _check_previous_state(
    store: Warehouse,
    current: pl.DataFrame,
    documents: pl.DataFrame,
    counts: sparse.csr_matrix,
    terms: list[str],
) -> EqualityCheck:
    """Recompute the stored reports' lists with the STORED vocabulary; compare with the stored.

    Run only on a clean previous state: every stored report still landed with the same
    content, the same parameters, and no stored list naming a report that is gone.
    """
    index = read_index(store, INDEX_TABLE, *STATE_TABLES)
    if index is None:
        return EqualityCheck(None, "not run: no previous state")
    if index.height and set(index["parameters"].unique().to_list()) != {PARAMETERS}:
        return EqualityCheck(None, "not run: parameters changed")
    kept = index.select("report_id", "content_sha256")
    if kept.join(current, on=["report_id", "content_sha256"], how="anti").height:
        return EqualityCheck(None, "not run: reports changed since the last run")
    stored = read_neighbours(store)
    ids = set(kept["report_id"].to_list())
    named = set(stored["report_id"].to_list()) | set(stored["neighbour_id"].to_list())
    if not named <= ids or orphaned_reports(store):
        return EqualityCheck(None, "not run: reports deleted since the last run")
    vocabulary = read_vocabulary(store)
    rows = documents.with_row_index("row").filter(pl.col("report_id").is_in(list(ids)))
    stored_counts = reindex_counts(counts[rows["row"].to_numpy()], terms, vocabulary.terms)
    vectors = ReportVectors(rows["report_id"].to_list(), weigh(stored_counts, vocabulary.idf))
    recomputed = all_neighbours(vectors, TOP_K, MIN_COSINE)
    return EqualityCheck(compare_neighbours(recomputed, stored))


def refresh_full(store: Warehouse, current: pl.DataFrame, check: bool) -> SimilarityRefresh:
    """Refit the vocabulary on every report and recompute every list (after the check)."""
    watch = _Stopwatch()
    report_ids = current["report_id"].to_list()
    documents = read_documents(store, report_ids)
    watch.lap("read_texts")
    fitted = fit_vocabulary(documents["text"].to_list())
    if fitted is None:  # no report has a content word: an empty vocabulary
        vocabulary = Vocabulary([], np.zeros(0))
        counts = count_terms(documents["text"].to_list(), [])
    else:
        vocabulary, counts = fitted
    watch.lap("tokenize")
    outcome = EqualityCheck(None, "not run: not selected")
    if check:
        outcome = _check_previous_state(store, current, documents, counts, vocabulary.terms)
        watch.lap("equality_check")
    vectors = ReportVectors(documents["report_id"].to_list(), weigh(counts, vocabulary.idf))
    neighbours = all_neighbours(vectors, TOP_K, MIN_COSINE)
    watch.lap("neighbours")
    pairs = undirected_pairs(neighbours, read_near_duplicate_counts(store))
    store.replace_tables(
        {
            PUBLIC_TABLE: pairs,
            TERMS_TABLE: vocabulary.to_frame().cast(TERM_SCHEMA),  # type: ignore[arg-type]
            VECTORS_TABLE: vectors.to_frame(),
            NEIGHBOURS_TABLE: neighbours,
            INDEX_TABLE: table_index(current, PARAMETERS),
        }
    )
    watch.lap("write")
    return SimilarityRefresh(pairs, len(report_ids), outcome, watch.seconds)


def refresh_incremental(
    store: Warehouse, current: pl.DataFrame, added: list[str]
) -> SimilarityRefresh:
    """Fold the `added` reports into the stored state with the frozen vocabulary.

    With nothing added only the public pairs are derived again (their near-duplicate counts
    may have changed).
    """
    watch = _Stopwatch()
    vocabulary = read_vocabulary(store)
    new = vectorize(read_documents(store, added), vocabulary)
    watch.lap("vectorize_new")
    stored = read_neighbours(store)
    old = read_vectors(store, len(vocabulary.terms)) if added else new
    watch.lap("read_state")
    neighbours, changed = fold_in(stored, old, new, TOP_K, MIN_COSINE) if added else (stored, [])
    watch.lap("fold_in")
    pairs = undirected_pairs(neighbours, read_near_duplicate_counts(store))
    watch.lap("pairs")
    store.replace_tables(
        {PUBLIC_TABLE: pairs, INDEX_TABLE: table_index(current, PARAMETERS)},
        rows=[
            (VECTORS_TABLE, new.to_frame(), "report_id", added),
            (NEIGHBOURS_TABLE, neighbours.filter(pl.col("report_id").is_in(changed)),
             "report_id", changed),
        ],
    )  # fmt: skip
    watch.lap("write")
    skipped = EqualityCheck(None, "not run: incremental refresh")
    return SimilarityRefresh(pairs, len(changed), skipped, watch.seconds)


def refresh(
    store: Warehouse, current: pl.DataFrame, plan: IncrementPlan, check: bool
) -> SimilarityRefresh:
    """Follow the plan: fold the new reports in, or recompute (checking the old state first)."""
    if plan.full:
        return refresh_full(store, current, check)
    return refresh_incremental(store, current, plan.added)
