"""Each report's top-k neighbours by TF-IDF cosine: computed for all, or folded in for new ones.

The directed lists (`report_neighbours`: report_id, neighbour_id, cosine, rank) are the state
from which the public `report_similarity` pairs are derived. One rule makes them the same
however they were computed (all at once, or one new report at a time against the stored
vectors): a cosine is rounded to `COSINE_DECIMALS` decimals BEFORE ranking; a report's list
holds the `top_k` other reports with the highest rounded cosine that is >= `min_cosine`,
ties broken by neighbour report_id ascending; rank counts from 1. Since the top-k of a union
is the top-k of the union of the parts' top-k, folding new reports in (each new report's list
over every report; each old list merged with the new reports) gives exactly the lists a full
recomputation with the same vectors gives. Cosines of the two paths differ only in float64
summation order (~1e-16): a cosine within that of a rounding boundary could round apart, a
chance of ~1e-10 per pair, which the `incremental_equals_full` check would report.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import sparse

from pipelines.text.redundancy.similarity_vectors import VECTORIZER_SETTINGS, ReportVectors

COSINE_DECIMALS = 6
# Bump when the rules above change: a new version recomputes every stored list.
INDEX_VERSION = 1
NEIGHBOUR_SCHEMA = {
    "report_id": pl.String,
    "neighbour_id": pl.String,
    "cosine": pl.Float64,
    "rank": pl.Int32,
}
PAIR_SCHEMA = {
    "report_id_a": pl.String,
    "report_id_b": pl.String,
    "cosine": pl.Float64,
    "n_near_duplicate_sections": pl.Int64,
}
# New reports whose cosines against the stored vectors are computed at once (memory bound:
# a dense block of terms x reports of float64).
FOLD_CHUNK = 64


def similarity_parameters(top_k: int, min_cosine: float) -> str:
    """The settings that shape report_similarity, as stored in its index."""
    return (
        f"v{INDEX_VERSION} top_k={top_k} min_cosine={min_cosine} "
        f"round={COSINE_DECIMALS} {VECTORIZER_SETTINGS}"
    )


def select_top_k(
    scores: np.ndarray, column_order: np.ndarray, top_k: int, min_cosine: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each row's top_k columns of rounded `scores` (>= min_cosine; ties: lower order first).

    `scores` must already be rounded, with excluded cells (a report and itself) at -inf;
    `column_order` ranks the columns by report id. Returns (rows, columns, scores, ranks),
    sorted by row then rank.
    """
    n_rows, n_columns = scores.shape
    k = min(top_k, n_columns)
    if k < 1 or n_rows == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0), empty
    kth = -np.partition(-scores, k - 1, axis=1)[:, k - 1]
    rows, columns = np.nonzero((scores >= kth[:, None]) & (scores >= min_cosine))
    values = scores[rows, columns]
    order = np.lexsort((column_order[columns], -values, rows))
    rows, columns, values = rows[order], columns[order], values[order]
    ranks = np.arange(len(rows)) - np.searchsorted(rows, rows, side="left") + 1
    keep = ranks <= k
    return rows[keep], columns[keep], values[keep], ranks[keep]


def _lists(
    ids: np.ndarray, neighbour_ids: np.ndarray, picked: tuple[np.ndarray, ...]
) -> pl.DataFrame:
    """Directed-list rows from `select_top_k` output (row and column positions -> ids)."""
    rows, columns, values, ranks = picked
    return pl.DataFrame(
        {
            "report_id": ids[rows],
            "neighbour_id": neighbour_ids[columns],
            "cosine": values,
            "rank": ranks,
        },
        schema=NEIGHBOUR_SCHEMA,
    )


def all_neighbours(
    vectors: ReportVectors,
    top_k: int,
    min_cosine: float,
    block_rows: int = 512,
    dense_terms: int = 2048,
) -> pl.DataFrame:
    """Every report's directed top-k list, from scratch (rows sorted by report_id, rank).

    X @ X.T exactly in float64, `block_rows` reports at a time: the `dense_terms` terms in
    most reports as a dense BLAS product (their postings are long: sparse products would be
    quadratic in them), the others as a sparse product. Memory O((block_rows + dense_terms) n).
    """
    order = np.argsort(np.array(vectors.ids, dtype=object), kind="stable")
    ids = np.array(vectors.ids, dtype=object)[order]
    matrix = sparse.csr_matrix(vectors.matrix)[order]
    n = matrix.shape[0]
    doc_freq = np.bincount(matrix.indices, minlength=matrix.shape[1])
    common = np.zeros(matrix.shape[1], dtype=bool)
    common[np.argsort(-doc_freq, kind="stable")[:dense_terms]] = True
    dense = matrix[:, np.flatnonzero(common)].toarray()
    rare = matrix[:, np.flatnonzero(~common)].tocsr()
    rare_t = rare.T.tocsr()
    column_order = np.arange(n)
    blocks = [pl.DataFrame(schema=NEIGHBOUR_SCHEMA)]
    for lo in range(0, n, block_rows):
        hi = min(lo + block_rows, n)
        scores = np.round(
            dense[lo:hi] @ dense.T + (rare[lo:hi] @ rare_t).toarray(), COSINE_DECIMALS
        )
        scores[np.arange(hi - lo), np.arange(lo, hi)] = -np.inf  # never a report and itself
        rows, columns, values, ranks = select_top_k(scores, column_order, top_k, min_cosine)
        blocks.append(_lists(ids, ids, (rows + lo, columns, values, ranks)))
    return pl.concat(blocks)


def rank_neighbours(edges: pl.DataFrame, top_k: int) -> pl.DataFrame:
    """Each report's top_k edges by (cosine desc, neighbour_id asc), ranked from 1."""
    return (
        edges.sort(["report_id", "cosine", "neighbour_id"], descending=[False, True, False])
        .with_columns(rank=pl.int_range(1, pl.len() + 1, dtype=pl.Int32).over("report_id"))
        .filter(pl.col("rank") <= top_k)
        .select(NEIGHBOUR_SCHEMA.keys())
    )


@dataclass(frozen=True)
class NewScores:
    """New reports against the stored ones: their own lists, and edges into old lists."""

    new_lists: pl.DataFrame
    edges: pl.DataFrame

    @property
    def touched(self) -> list[str]:
        """Old reports a new report reaches min_cosine with: the lists `merge_lists` needs."""
        return self.edges["report_id"].unique().sort().to_list()


def score_new_reports(
    old: ReportVectors, new: ReportVectors, top_k: int, min_cosine: float
) -> NewScores:
    """Cosines of the `new` reports with every old and new report: their lists, and edges.

    Each new report's list is taken over old + new reports (complete: it equals a full
    recomputation's); `edges` are the (old report, new report, cosine) pairs >= min_cosine, the
    only candidates that can enter an old list. One sparse pass over the old vectors per
    `FOLD_CHUNK` new reports.
    """
    if set(old.ids) & set(new.ids):
        raise ValueError("a new report is already among the stored vectors")
    all_ids = np.array(old.ids + new.ids, dtype=object)
    new_ids = np.array(new.ids, dtype=object)
    column_order = np.argsort(np.argsort(all_ids, kind="stable"), kind="stable")
    old_matrix = sparse.csr_matrix(old.matrix)
    new_matrix = sparse.csr_matrix(new.matrix)
    n_new = new_matrix.shape[0]
    within = np.round((new_matrix @ new_matrix.T).toarray(), COSINE_DECIMALS)
    within[np.arange(n_new), np.arange(n_new)] = -np.inf
    new_lists, edges = (
        [pl.DataFrame(schema=NEIGHBOUR_SCHEMA)],
        [pl.DataFrame(schema=NEIGHBOUR_SCHEMA)],
    )
    for lo in range(0, n_new, FOLD_CHUNK):
        hi = min(lo + FOLD_CHUNK, n_new)
        dense_new = new_matrix[lo:hi].T.toarray()  # terms x chunk
        across = np.round(old_matrix @ dense_new, COSINE_DECIMALS)  # old x chunk
        scores = np.hstack([across.T, within[lo:hi]])  # chunk x (old + new)
        rows, columns, values, ranks = select_top_k(scores, column_order, top_k, min_cosine)
        new_lists.append(_lists(new_ids, all_ids, (rows + lo, columns, values, ranks)))
        old_rows, new_columns = np.nonzero(across >= min_cosine)
        ranks = np.zeros(len(old_rows), dtype=np.int64)
        edges.append(
            _lists(
                all_ids, new_ids, (old_rows, new_columns + lo, across[old_rows, new_columns], ranks)
            )
        )
    return NewScores(pl.concat(new_lists), pl.concat(edges))


def entering_edges(scores: NewScores, tails: pl.DataFrame, top_k: int) -> NewScores:
    """Keep only the edges that enter their old report's list, given each list's tail.

    `tails` (report_id, n, last_cosine, last_id) describes the stored lists of (at least) the
    touched reports: length and last entry. An edge enters a list that is not full, or beats
    its last entry by the ranking rule (higher cosine, or equal cosine and lower id); a list
    with no stored row is empty. The lists to read and merge are then only those that change.
    """
    edges = scores.edges.join(tails, on="report_id", how="left").filter(
        pl.col("n").is_null()
        | (pl.col("n") < top_k)
        | (pl.col("cosine") > pl.col("last_cosine"))
        | (
            (pl.col("cosine") == pl.col("last_cosine"))
            & (pl.col("neighbour_id") < pl.col("last_id"))
        )
    )
    return NewScores(scores.new_lists, edges.select(NEIGHBOUR_SCHEMA.keys()))


def merge_lists(
    stored: pl.DataFrame, scores: NewScores, top_k: int
) -> tuple[pl.DataFrame, list[str]]:
    """The new lists of the new and touched old reports, and which of them changed.

    `stored` must hold the stored lists of at least `scores.touched` (others are ignored).
    A touched old list changed when a new report entered it; every new report's list is new.
    """
    touched = scores.edges.select("report_id").unique()
    mine = stored.select(NEIGHBOUR_SCHEMA.keys()).join(touched, on="report_id", how="semi")
    merged = rank_neighbours(pl.concat([mine, scores.edges]), top_k)
    new_ids = scores.new_lists["report_id"].unique().to_list()
    entered = scores.edges["neighbour_id"].unique()
    changed_old = merged.filter(pl.col("neighbour_id").is_in(entered.implode()))["report_id"]
    changed_old = changed_old.unique()
    lists = pl.concat([merged.filter(pl.col("report_id").is_in(changed_old.implode())),
                       scores.new_lists])  # fmt: skip
    return lists, sorted(set(changed_old.to_list()) | set(new_ids))


def fold_in(
    stored: pl.DataFrame,
    old: ReportVectors,
    new: ReportVectors,
    top_k: int,
    min_cosine: float,
) -> tuple[pl.DataFrame, list[str]]:
    """Every directed list once `new` reports join `old` ones, and the reports whose list changed.

    `stored` holds the old reports' lists (as `all_neighbours` or an earlier fold-in left
    them); rows sorted by report_id, rank. `score_new_reports`, `entering_edges`, then
    `merge_lists`.
    """
    scores = score_new_reports(old, new, top_k, min_cosine)
    tails = stored.group_by("report_id").agg(
        n=pl.len(),
        last_cosine=pl.col("cosine").sort_by("rank").last(),
        last_id=pl.col("neighbour_id").sort_by("rank").last(),
    )
    lists, changed = merge_lists(stored, entering_edges(scores, tails, top_k), top_k)
    kept = stored.select(NEIGHBOUR_SCHEMA.keys()).filter(~pl.col("report_id").is_in(changed))
    return pl.concat([kept, lists]).sort("report_id", "rank"), changed


def undirected_pairs(
    neighbours: pl.DataFrame, near_duplicate_counts: pl.DataFrame | None = None
) -> pl.DataFrame:
    """report_similarity rows: a pair (a < b) is kept when either report lists the other.

    `near_duplicate_counts` (report_id_a < report_id_b, n_near_duplicate_sections) fills the
    count (0 when a pair has none; null when not given). Sorted by cosine desc, a, b.
    """
    pairs = (
        neighbours.select(
            pl.min_horizontal("report_id", "neighbour_id").alias("report_id_a"),
            pl.max_horizontal("report_id", "neighbour_id").alias("report_id_b"),
            "cosine",
        )
        .group_by("report_id_a", "report_id_b")
        .agg(pl.col("cosine").max())
    )
    if near_duplicate_counts is None:
        pairs = pairs.with_columns(n_near_duplicate_sections=pl.lit(None, pl.Int64))
    else:
        pairs = pairs.join(
            near_duplicate_counts.select(
                "report_id_a", "report_id_b", pl.col("n_near_duplicate_sections").cast(pl.Int64)
            ),
            on=["report_id_a", "report_id_b"],
            how="left",
        ).with_columns(pl.col("n_near_duplicate_sections").fill_null(0))
    return (
        pairs.select(PAIR_SCHEMA.keys())
        .cast(PAIR_SCHEMA)  # type: ignore[arg-type]
        .sort(["cosine", "report_id_a", "report_id_b"], descending=[True, False, False])
    )


@dataclass(frozen=True)
class NeighbourComparison:
    """How two sets of directed lists differ: reports compared, reports whose lists differ."""

    n_reports: int
    differing: list[str]
    only_expected: pl.DataFrame
    only_actual: pl.DataFrame

    @property
    def equal(self) -> bool:
        """True when every list is identical (same neighbours, cosines and ranks)."""
        return not self.differing


def compare_neighbours(expected: pl.DataFrame, actual: pl.DataFrame) -> NeighbourComparison:
    """Row-by-row comparison of directed lists (cosines compared at COSINE_DECIMALS)."""

    def keyed(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.select(
            pl.col("report_id").cast(pl.String),
            pl.col("neighbour_id").cast(pl.String),
            pl.col("rank").cast(pl.Int64),
            (pl.col("cosine") * 10**COSINE_DECIMALS).round().cast(pl.Int64).alias("micro"),
        )

    left, right = keyed(expected), keyed(actual)
    on = ["report_id", "neighbour_id", "rank", "micro"]
    only_expected = left.join(right, on=on, how="anti")
    only_actual = right.join(left, on=on, how="anti")
    differing = pl.concat([only_expected["report_id"], only_actual["report_id"]]).unique().sort()
    reports = pl.concat([left["report_id"], right["report_id"]]).n_unique()
    return NeighbourComparison(reports, differing.to_list(), only_expected, only_actual)
