"""Report similarity's vectors and neighbour lists: hand-built gold values, no Dagster."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from scipy import sparse

from pipelines.text.redundancy.similarity_index import (
    NEIGHBOUR_SCHEMA,
    NewScores,
    all_neighbours,
    compare_neighbours,
    entering_edges,
    fold_in,
    merge_lists,
    rank_neighbours,
    score_new_reports,
    select_top_k,
    undirected_pairs,
)
from pipelines.text.redundancy.similarity_vectors import (
    ReportVectors,
    Vocabulary,
    count_terms,
    fit_counts,
    fit_vocabulary,
    reindex_counts,
    report_documents,
    vectorize,
    weigh,
)

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def vectors(rows: dict[str, tuple[float, ...]]) -> ReportVectors:
    """Hand-built vectors: report id -> dense coordinates."""
    return ReportVectors(list(rows), sparse.csr_matrix(np.array(list(rows.values()), float)))


def lists(*rows: tuple[str, str, float, int]) -> pl.DataFrame:
    """Directed-list rows (report_id, neighbour_id, cosine, rank)."""
    return pl.DataFrame(rows, schema=NEIGHBOUR_SCHEMA, orient="row")


# Unit vectors with known cosines: A.B = A.C = 0.6, B.C = 0.36, B.D = C.E = 0.8, others 0.
A, B, C = (1.0, 0.0, 0.0), (0.6, 0.8, 0.0), (0.6, 0.0, 0.8)
D, E = (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)


# --- vectors ----------------------------------------------------------------------------------


def test_weights_and_cosine_of_two_tiny_reports_by_hand() -> None:
    """tf 1 + ln 2, smooth idf ln(3/2) + 1, L2 rows: the values worked out by hand."""
    fitted = fit_vocabulary(["apple apple banana", "banana cherry"])
    assert fitted is not None
    vocabulary, counts = fitted
    assert vocabulary.terms == ["apple", "banana", "cherry"]
    rare = math.log(3 / 2) + 1  # apple and cherry: in 1 of 2 reports; banana in both: idf 1
    np.testing.assert_allclose(vocabulary.idf, [rare, 1.0, rare])
    matrix = weigh(counts, vocabulary.idf).toarray()
    apple = (1 + math.log(2)) * rare
    first = np.array([apple, 1.0, 0.0]) / math.hypot(apple, 1.0)
    second = np.array([0.0, 1.0, rare]) / math.hypot(1.0, rare)
    np.testing.assert_allclose(matrix, [first, second], rtol=1e-7)
    assert matrix.dtype == np.float64 and (matrix.astype(np.float32) == matrix).all()
    assert float(matrix[0] @ matrix[1]) == pytest.approx(first[1] * second[1], abs=1e-7)


def test_weights_equal_scikit_learn_tfidf_vectorizer() -> None:
    """On the seed reports: TfidfVectorizer(sublinear_tf, English stop words), to float32."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    reference = TfidfVectorizer(sublinear_tf=True, stop_words="english")
    expected = reference.fit_transform(texts).toarray()
    fitted = fit_vocabulary(texts)
    assert fitted is not None
    vocabulary, counts = fitted
    assert vocabulary.terms == list(reference.get_feature_names_out())
    np.testing.assert_allclose(vocabulary.idf, reference.idf_)
    np.testing.assert_allclose(weigh(counts, vocabulary.idf).toarray(), expected, atol=1e-7)


def test_frozen_terms_ignore_unknown_words_and_stop_words() -> None:
    """Counts over frozen terms: 'durian' is unknown, 'the' and 'and' are stop words."""
    counts = count_terms(["The apple and a durian apple", "banana"], ["apple", "banana"])
    assert counts.toarray().tolist() == [[2, 0], [0, 1]]
    assert count_terms(["apple"], []).shape == (1, 0)


def test_reindexed_counts_equal_counting_the_other_terms() -> None:
    """A fit's counts mapped onto other terms = counting those terms directly."""
    texts = ["apple banana apple", "cherry banana", "durian"]
    fitted = fit_counts(texts)
    assert fitted is not None
    terms, counts = fitted
    other = ["banana", "elderberry", "apple"]
    moved = reindex_counts(counts, terms, other)
    assert moved.toarray().tolist() == [[1, 0, 2], [1, 0, 0], [0, 0, 0]]
    assert (moved != count_terms(texts, other)).nnz == 0


def test_vocabulary_and_vectors_survive_their_frames() -> None:
    """Frames as stored in DuckDB give back the same terms, idf and float32 weights."""
    vocabulary = Vocabulary(["apple", "banana"], np.array([1.5, 1.0]))
    back = Vocabulary.from_frame(vocabulary.to_frame().reverse())
    assert back.terms == vocabulary.terms and (back.idf == vocabulary.idf).all()
    stored = vectors({"r1": (0.6, 0.8), "r2": (0.0, 0.0), "r3": (0.0, 1.0)})
    again = ReportVectors.from_frame(stored.to_frame(), n_terms=2)
    assert again.ids == ["r1", "r2", "r3"]
    expected = stored.matrix.toarray().astype(np.float32).astype(np.float64)
    assert (again.matrix.toarray() == expected).all()
    assert stored.to_frame()["term_columns"].to_list() == [[0, 1], [], [1]]


def test_documents_join_sections_in_order_and_cover_every_report() -> None:
    """Sections joined by ordinal (not row order); a report without sections gets ''."""
    sections = pl.DataFrame(
        {"report_id": ["b", "a", "a"], "ordinal": [0, 1, 0], "plain_text": ["x", "two", "one"]}
    )
    documents = report_documents(["c", "a", "b"], sections)
    assert documents.rows() == [("a", "one\ntwo"), ("b", "x"), ("c", "")]
    vocabulary = Vocabulary(["one", "two"], np.array([1.0, 1.0]))
    assert vectorize(documents, vocabulary).matrix.getrow(2).nnz == 0


# --- top-k lists ------------------------------------------------------------------------------


def test_top_k_breaks_ties_by_report_id_and_drops_low_and_excluded_cells() -> None:
    """Rounded scores: ties go to the lower-ordered column; -inf and < min never kept."""
    scores = np.array([[-np.inf, 0.5, 0.5, 0.7], [0.1, -np.inf, 0.1, 0.1]])
    order = np.array([0, 1, 2, 3])
    rows, columns, values, ranks = select_top_k(scores, order, top_k=2, min_cosine=0.2)
    assert list(zip(rows, columns, values, ranks, strict=True)) == [(0, 3, 0.7, 1), (0, 1, 0.5, 2)]
    reversed_order = np.array([3, 2, 1, 0])  # column 2 now sorts before column 1
    _, columns, _, _ = select_top_k(scores, reversed_order, top_k=2, min_cosine=0.2)
    assert columns.tolist() == [3, 2]


def test_all_neighbours_of_hand_built_vectors() -> None:
    """A ties B and C at 0.6 (B first); B.C = 0.36 < 0.6; zero cosines never listed."""
    found = all_neighbours(vectors({"E": E, "D": D, "C": C, "B": B, "A": A}), 2, 0.2)
    expected = lists(
        ("A", "B", 0.6, 1), ("A", "C", 0.6, 2),
        ("B", "D", 0.8, 1), ("B", "A", 0.6, 2),
        ("C", "E", 0.8, 1), ("C", "A", 0.6, 2),
        ("D", "B", 0.8, 1), ("E", "C", 0.8, 1),
    )  # fmt: skip
    assert found.equals(expected)
    dense = all_neighbours(vectors({"A": A, "B": B, "C": C}), 1, 0.0, dense_terms=3)
    assert dense.equals(lists(("A", "B", 0.6, 1), ("B", "A", 0.6, 1), ("C", "A", 0.6, 1)))


def test_cosines_are_rounded_before_ranking() -> None:
    """0.6000004 and 0.6 round to the same value: the tie goes to the lower id."""
    near = (0.6000004, math.sqrt(1 - 0.6000004**2), 0.0)
    found = all_neighbours(vectors({"A": A, "Z": near, "C": C}), 1, 0.2)
    assert found.filter(pl.col("report_id") == "A").rows() == [("A", "C", 0.6, 1)]


def test_fold_in_updates_the_lists_a_new_report_enters() -> None:
    """D joins A, B, C: B's best becomes D (0.8 > 0.6); A and C keep theirs."""
    old = vectors({"A": A, "B": B, "C": C})
    stored = lists(("A", "B", 0.6, 1), ("B", "A", 0.6, 1), ("C", "A", 0.6, 1))
    assert all_neighbours(old, 1, 0.2).equals(stored)
    folded, changed = fold_in(stored, old, vectors({"D": D}), 1, 0.2)
    assert changed == ["B", "D"]
    expected = lists(("A", "B", 0.6, 1), ("B", "D", 0.8, 1), ("C", "A", 0.6, 1), ("D", "B", 0.8, 1))
    assert folded.equals(expected)


def test_fold_in_applies_the_tie_rule_to_old_lists() -> None:
    """A lists C at 0.6; new B ties at 0.6 and wins on id; new Z (same as B) does not."""
    old = vectors({"A": A, "C": C})
    stored = all_neighbours(old, 1, 0.2)
    folded, changed = fold_in(stored, old, vectors({"Z": B, "B": B}), 1, 0.2)
    assert folded.filter(pl.col("report_id") == "A").rows() == [("A", "B", 0.6, 1)]
    assert folded.filter(pl.col("report_id") == "B").rows() == [("B", "Z", 1.0, 1)]
    assert changed == ["A", "B", "Z"]


def test_merging_needs_only_the_touched_lists() -> None:
    """D reaches 0.2 only with B: B's stored list alone is read; B and D come back changed."""
    old = vectors({"A": A, "B": B, "C": C})
    scores = score_new_reports(old, vectors({"D": D}), 1, 0.2)
    assert scores.touched == ["B"]
    assert scores.edges.rows() == [("B", "D", 0.8, 0)]
    assert scores.new_lists.rows() == [("D", "B", 0.8, 1)]
    merged, changed = merge_lists(lists(("B", "A", 0.6, 1)), scores, 1)
    assert changed == ["B", "D"]
    assert merged.rows() == [("B", "D", 0.8, 1), ("D", "B", 0.8, 1)]


def test_only_edges_that_beat_a_full_list_tail_enter() -> None:
    """top_k 2: P is not full, Q's tail (0.5, 'M') loses to 0.6 and to 0.5 from 'K', not 'N'."""
    edges = lists(
        ("P", "X", 0.3, 0), ("Q", "X", 0.6, 0), ("Q", "K", 0.5, 0), ("Q", "N", 0.5, 0),
        ("Q", "Y", 0.4, 0), ("R", "X", 0.3, 0),
    )  # fmt: skip
    tails = pl.DataFrame(
        {"report_id": ["P", "Q"], "n": [1, 2], "last_cosine": [0.9, 0.5], "last_id": ["Z", "M"]}
    )
    kept = entering_edges(NewScores(pl.DataFrame(schema=NEIGHBOUR_SCHEMA), edges), tails, 2)
    assert kept.edges.rows() == [
        ("P", "X", 0.3, 0), ("Q", "X", 0.6, 0), ("Q", "K", 0.5, 0), ("R", "X", 0.3, 0),
    ]  # fmt: skip
    assert kept.touched == ["P", "Q", "R"]


def test_a_new_report_that_enters_no_list_changes_none() -> None:
    """E's best cosine with A, B is 0 (< 0.2): no edge, no list, nothing changed."""
    old = vectors({"A": A, "B": B})
    scores = score_new_reports(old, vectors({"E": E}), 1, 0.2)
    assert scores.touched == [] and scores.new_lists.height == 0
    assert merge_lists(all_neighbours(old, 1, 0.2), scores, 1)[1] == []


def test_fold_in_with_nothing_new_changes_nothing() -> None:
    """No new report: the stored lists come back unchanged."""
    old = vectors({"A": A, "B": B})
    stored = all_neighbours(old, 1, 0.2)
    nothing = ReportVectors([], sparse.csr_matrix((0, 3)))
    folded, changed = fold_in(stored, old, nothing, 1, 0.2)
    assert folded.equals(stored) and changed == []


def test_rank_keeps_top_k_per_report() -> None:
    """Edges of two reports re-ranked; the third edge of A falls out at top_k = 2."""
    edges = lists(("A", "C", 0.5, 0), ("A", "B", 0.5, 0), ("A", "D", 0.9, 0), ("B", "A", 0.5, 0))
    assert rank_neighbours(edges, 2).rows() == [
        ("A", "D", 0.9, 1), ("A", "B", 0.5, 2), ("B", "A", 0.5, 1),
    ]  # fmt: skip


def test_pairs_from_directed_lists() -> None:
    """A pair listed in either direction appears once, a < b, with its near-duplicate count."""
    directed = lists(("A", "B", 0.6, 1), ("B", "D", 0.8, 1), ("D", "B", 0.8, 1))
    counts = pl.DataFrame(
        {"report_id_a": ["B"], "report_id_b": ["D"], "n_near_duplicate_sections": [3]}
    )
    assert undirected_pairs(directed, counts).rows() == [("B", "D", 0.8, 3), ("A", "B", 0.6, 0)]
    assert undirected_pairs(directed)["n_near_duplicate_sections"].null_count() == 2


def test_comparison_names_the_reports_whose_lists_differ() -> None:
    """Same rows: equal; a different cosine or rank: that report differs."""
    stored = lists(("A", "B", 0.6, 1), ("B", "A", 0.6, 1))
    assert compare_neighbours(stored, stored.reverse()).equal
    other = lists(("A", "B", 0.600001, 1), ("B", "A", 0.6, 1))
    comparison = compare_neighbours(stored, other)
    assert not comparison.equal and comparison.differing == ["A"]
    assert comparison.only_expected.height == comparison.only_actual.height == 1


# --- incremental == full ----------------------------------------------------------------------


def test_folding_reports_in_equals_a_full_recomputation_with_the_frozen_vocabulary() -> None:
    """250 reports fitted, 50 folded in (1, then 4, then 45): lists equal all_neighbours."""
    from pipelines.bench.minhash_bench import synthetic_sections

    sections = synthetic_sections(3000, sections_per_report=10, seed=3)
    ids = sorted(sections["report_id"].unique().to_list())
    first, later = ids[:250], ids[250:]
    documents = report_documents(ids, sections)
    fitted = fit_vocabulary(documents.filter(pl.col("report_id").is_in(first))["text"].to_list())
    assert fitted is not None
    vocabulary = fitted[0]
    every = vectorize(documents, vocabulary)
    state, vectors_so_far = all_neighbours(every.subset(first), 10, 0.2), every.subset(first)
    old_lists_changed = 0
    for batch in (later[:1], later[1:5], later[5:]):
        state, changed = fold_in(state, vectors_so_far, every.subset(batch), 10, 0.2)
        old_lists_changed += len(set(changed) - set(batch))
        vectors_so_far = every.subset(vectors_so_far.ids + batch)
    full = all_neighbours(every, 10, 0.2, block_rows=64, dense_terms=256)
    assert compare_neighbours(full, state).equal
    assert state.equals(full)
    assert undirected_pairs(state).equals(undirected_pairs(full))
    assert state.height > 2000 and old_lists_changed > 10
