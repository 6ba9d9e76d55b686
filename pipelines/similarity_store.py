"""report_similarity's state in the warehouse, and its two refreshes: full and fold-in.

Tables (each refresh writes its changes in ONE transaction):

- `report_similarity` (public): report_id_a < report_id_b, cosine, n_near_duplicate_sections;
  a pair is kept when either report lists the other in `report_neighbours`;
- `report_similarity_terms`: the frozen vocabulary (term, term_column, idf), refitted only by
  a full refresh;
- `report_vectors`: every report's L2 TF-IDF vector (report_id, term_columns, weights);
- `report_neighbours`: every report's directed top-k list (report_id, neighbour_id, cosine,
  rank) -- the lists a full recomputation with the frozen vocabulary gives;
- `report_similarity_index`: the reports (and content hashes) the state holds, and
  `PARAMETERS` (increments.py decides from it: fold in new reports, or start over).

A fold-in reads every stored vector (the one O(N) read: two flat unnested columns, as LIST
values DuckDB converts them 5-8x slower: 0.8 s vs 0.1 s for 6 M values at 10,000 reports) and
scans the stored lists for deleted reports in SQL, and otherwise reads only rows of the reports
it changes: the
stored lists a new report may enter, the lists naming a changed report, their near-duplicate
counts; it patches `report_similarity` (the pairs touching a changed report), appends the new
vectors and index rows and replaces the changed lists.

`report_inventory` deletes a vanished report's rows from every table with a `report_id`
column, this index included, so the index alone cannot tell a deletion: a fold-in first
checks that no stored list or pair names a report that is gone (`orphaned_reports`), and
`refresh` recomputes everything when one does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import duckdb
import numpy as np
import polars as pl
from scipy import sparse

from pipelines.corpus_reads import TEXT_WITH_TABLES
from pipelines.increment_state import read_index
from pipelines.increments import INDEX_KEY, IncrementPlan, table_index
from pipelines.settings import Settings
from pipelines.text.redundancy.similarity_index import (
    NEIGHBOUR_SCHEMA,
    PAIR_SCHEMA,
    NeighbourComparison,
    all_neighbours,
    compare_neighbours,
    entering_edges,
    merge_lists,
    score_new_reports,
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
from pipelines.warehouse import SCHEMA, SELECTED_KEYS, Warehouse, has_table, query

TOP_K = 10
MIN_COSINE = 0.2
# n_near_duplicate_sections depends on the near-duplicate threshold: a new one recomputes all.
# text=tables: reports are vectorized from TEXT_WITH_TABLES (prose and table cells).
PARAMETERS = (
    f"{similarity_parameters(TOP_K, MIN_COSINE)} text=tables "
    f"near_duplicate_threshold={Settings.from_env().near_duplicate_threshold}"
)
PUBLIC_TABLE = "report_similarity"
INDEX_TABLE = "report_similarity_index"
TERMS_TABLE = "report_similarity_terms"
VECTORS_TABLE = "report_vectors"
NEIGHBOURS_TABLE = "report_neighbours"
# The tables a fold-in reads: all must exist, or the refresh is full.
STATE_TABLES = (PUBLIC_TABLE, TERMS_TABLE, VECTORS_TABLE, NEIGHBOURS_TABLE)
SECTIONS_OF_KEYS = (
    f"SELECT report_id, section_id, ordinal, {TEXT_WITH_TABLES} AS plain_text "
    f"FROM {SCHEMA}.sections WHERE report_id IN {SELECTED_KEYS} ORDER BY report_id, ordinal"
)
# Verified near-duplicate section pairs per report pair (report_id_a < report_id_b).
NEAR_DUPLICATE_COUNTS = (
    "SELECT least(report_id_a, report_id_b) AS report_id_a, "
    "greatest(report_id_a, report_id_b) AS report_id_b, "
    f"count(*) AS n_near_duplicate_sections FROM {SCHEMA}.near_duplicate_sections "
    "{where} GROUP BY ALL"
)
TOUCHING_KEYS = f"WHERE report_id_a IN {SELECTED_KEYS} OR report_id_b IN {SELECTED_KEYS}"
# Each stored list's length and last entry, for the lists of the keys (`entering_edges`).
LIST_TAILS = (
    "SELECT report_id, count(*) AS n, arg_max(cosine, rank) AS last_cosine, "
    f"arg_max(neighbour_id, rank) AS last_id FROM {SCHEMA}.{NEIGHBOURS_TABLE} "
    f"WHERE report_id IN {SELECTED_KEYS} GROUP BY report_id"
)
PREVIEW = f"SELECT * FROM {SCHEMA}.{PUBLIC_TABLE} ORDER BY cosine DESC, report_id_a, report_id_b"


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
    """What a refresh left: pair count, a preview, lists changed, the check, step seconds."""

    rows: int
    preview: pl.DataFrame
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


def orphaned_reports(connection: duckdb.DuckDBPyConnection) -> int:
    """Report ids the stored lists or pairs name that are no longer landed reports."""
    found = query(
        connection,
        f"""
        SELECT count(*) AS n FROM (
            SELECT neighbour_id AS report_id FROM {SCHEMA}.{NEIGHBOURS_TABLE}
            UNION SELECT report_id_a FROM {SCHEMA}.{PUBLIC_TABLE}
            UNION SELECT report_id_b FROM {SCHEMA}.{PUBLIC_TABLE}
        ) WHERE report_id NOT IN (SELECT report_id FROM {SCHEMA}.reports)
        """,
    )
    return int(found["n"][0])


def _near_duplicate_counts(
    connection: duckdb.DuckDBPyConnection, report_ids: list[str] | None = None
) -> pl.DataFrame:
    """Near-duplicate section pairs per report pair (all, or those touching `report_ids`)."""
    if not has_table(connection, "near_duplicate_sections"):
        return pl.DataFrame(schema={k: v for k, v in PAIR_SCHEMA.items() if k != "cosine"})
    where = "" if report_ids is None else TOUCHING_KEYS
    return query(connection, NEAR_DUPLICATE_COUNTS.format(where=where), report_ids)


def _read_neighbours(store: Warehouse) -> pl.DataFrame:
    """Every stored directed list."""
    frame = store.read(f"SELECT * FROM {SCHEMA}.{NEIGHBOURS_TABLE}")
    return frame.select(NEIGHBOUR_SCHEMA.keys()).cast(NEIGHBOUR_SCHEMA)  # type: ignore[arg-type]


def _check_previous_state(
    store: Warehouse,
    current: pl.DataFrame,
    documents: pl.DataFrame,
    counts: sparse.csr_matrix,
    terms: list[str],
) -> EqualityCheck:
    """Recompute the stored reports' lists with the STORED vocabulary; compare with the stored.

    Run only on a clean previous state: every stored report still landed with the same
    content, the same parameters, and no stored list naming a report that is gone. Reuses
    the refit's token counts (`reindex_counts`), so each report is tokenized once.
    """
    index = read_index(store, INDEX_TABLE, *STATE_TABLES)
    if index is None:
        return EqualityCheck(None, "not run: no previous state")
    if index.height and set(index["parameters"].unique().to_list()) != {PARAMETERS}:
        return EqualityCheck(None, "not run: parameters changed")
    kept = index.select(pl.col(INDEX_KEY).alias("report_id"), "content_sha256")
    if kept.join(current, on=["report_id", "content_sha256"], how="anti").height:
        return EqualityCheck(None, "not run: reports changed since the last run")
    stored = _read_neighbours(store)
    ids = set(kept["report_id"].to_list())
    named = set(stored["report_id"].to_list()) | set(stored["neighbour_id"].to_list())
    with store.connect() as connection:
        orphans = orphaned_reports(connection)
    if not named <= ids or orphans:
        return EqualityCheck(None, "not run: reports deleted since the last run")
    vocabulary = Vocabulary.from_frame(store.read(f"SELECT * FROM {SCHEMA}.{TERMS_TABLE}"))
    rows = documents.with_row_index("row").filter(pl.col("report_id").is_in(list(ids)))
    stored_counts = reindex_counts(counts[rows["row"].to_numpy()], terms, vocabulary.terms)
    vectors = ReportVectors(rows["report_id"].to_list(), weigh(stored_counts, vocabulary.idf))
    recomputed = all_neighbours(vectors, TOP_K, MIN_COSINE)
    return EqualityCheck(compare_neighbours(recomputed, stored))


def refresh_full(store: Warehouse, current: pl.DataFrame, check: bool) -> SimilarityRefresh:
    """Refit the vocabulary on every report and recompute every list (after the check)."""
    watch = _Stopwatch()
    report_ids = current["report_id"].to_list()
    documents = report_documents(report_ids, store.read(SECTIONS_OF_KEYS, keys=report_ids))
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
    with store.connect() as connection:
        pairs = undirected_pairs(neighbours, _near_duplicate_counts(connection))
        store.replace_tables_on(
            connection,
            {
                PUBLIC_TABLE: pairs,
                TERMS_TABLE: vocabulary.to_frame().cast(TERM_SCHEMA),  # type: ignore[arg-type]
                VECTORS_TABLE: vectors.to_frame(),
                NEIGHBOURS_TABLE: neighbours,
                INDEX_TABLE: table_index(current, PARAMETERS),
            },
        )
    watch.lap("write")
    return SimilarityRefresh(pairs.height, pairs.head(10), len(report_ids), outcome, watch.seconds)


def read_fold_state(
    connection: duckdb.DuckDBPyConnection, added: list[str]
) -> tuple[ReportVectors, ReportVectors]:
    """(every stored vector, the `added` reports' vectors with the frozen vocabulary).

    The stored vectors come as two flat reads of the table in its stored order (DuckDB keeps
    insertion order, and nothing writes between the two on this connection): the number of
    terms per report, and every (term_column, weight) unnested.
    """
    vocabulary = Vocabulary.from_frame(query(connection, f"SELECT * FROM {SCHEMA}.{TERMS_TABLE}"))
    documents = report_documents(added, query(connection, SECTIONS_OF_KEYS, added))
    vectors = f"{SCHEMA}.{VECTORS_TABLE}"
    heads = query(connection, f"SELECT report_id, len(term_columns) AS n FROM {vectors}")
    values = query(
        connection,
        f"SELECT unnest(term_columns) AS term_column, unnest(weights) AS weight FROM {vectors}",
    )
    old = ReportVectors.from_flat(
        heads["report_id"].to_list(),
        heads["n"].to_numpy(),
        values["term_column"].to_numpy(),
        values["weight"].to_numpy(),
        len(vocabulary.terms),
    )
    return old, vectorize(documents, vocabulary)


def _pair_count(connection: duckdb.DuckDBPyConnection) -> int:
    """Rows of the public table."""
    return int(query(connection, f"SELECT count(*) AS n FROM {SCHEMA}.{PUBLIC_TABLE}")["n"][0])


def refresh_incremental(
    store: Warehouse, current: pl.DataFrame, added: list[str]
) -> SimilarityRefresh | None:
    """Fold the `added` reports into the stored state with the frozen vocabulary.

    One connection for every read and the write transaction (opening one costs tens of ms).
    None, with nothing written, when a stored list or pair names a deleted report.
    """
    watch = _Stopwatch()
    skipped = EqualityCheck(None, "not run: incremental refresh")
    with store.connect() as connection:
        if orphaned_reports(connection):
            return None
        if not added:
            preview = query(connection, f"{PREVIEW} LIMIT 10")
            return SimilarityRefresh(_pair_count(connection), preview, 0, skipped)
        old, new = read_fold_state(connection, added)
        watch.lap("read_vectors")
        scores = score_new_reports(old, new, TOP_K, MIN_COSINE)
        watch.lap("score_new")
        scores = entering_edges(scores, query(connection, LIST_TAILS, scores.touched), TOP_K)
        stored = query(
            connection,
            f"SELECT * FROM {SCHEMA}.{NEIGHBOURS_TABLE} WHERE report_id IN {SELECTED_KEYS}",
            scores.touched,
        ).cast(NEIGHBOUR_SCHEMA)  # type: ignore[arg-type]
        lists, changed = merge_lists(stored, scores, TOP_K)
        watch.lap("merge_lists")
        naming = query(
            connection,
            f"SELECT * FROM {SCHEMA}.{NEIGHBOURS_TABLE} WHERE neighbour_id IN {SELECTED_KEYS} "
            f"AND report_id NOT IN {SELECTED_KEYS}",
            changed,
        )
        pairs = undirected_pairs(
            pl.concat([lists, naming.cast(NEIGHBOUR_SCHEMA)]),  # type: ignore[arg-type]
            _near_duplicate_counts(connection, changed),
        )
        watch.lap("pairs")
        new_rows = current.filter(pl.col("report_id").is_in(added))
        store.replace_tables_on(
            connection,
            {},
            rows=[
                (VECTORS_TABLE, new.to_frame(), "report_id", added),
                (NEIGHBOURS_TABLE, lists, "report_id", changed),
                (INDEX_TABLE, table_index(new_rows, PARAMETERS), INDEX_KEY, added),
                # Every pair touching a changed report, on either side: deleted, re-derived.
                (PUBLIC_TABLE, pairs.clear(), "report_id_a", changed),
                (PUBLIC_TABLE, pairs, "report_id_b", changed),
            ],
        )
        watch.lap("write")
        rows = _pair_count(connection)
    watch.lap("close")
    return SimilarityRefresh(rows, pairs.head(10), len(changed), skipped, watch.seconds)


def refresh(
    store: Warehouse, current: pl.DataFrame, plan: IncrementPlan, check: bool
) -> tuple[IncrementPlan, SimilarityRefresh]:
    """Follow the plan: fold the new reports in, or recompute (checking the old state first).

    Returns the plan followed: a fold-in becomes a full refresh when reports were deleted.
    """
    if not plan.full:
        folded = refresh_incremental(store, current, plan.added)
        if folded is not None:
            return plan, folded
        plan = IncrementPlan(True, "reports deleted since the last run", [])
    return plan, refresh_full(store, current, check)
