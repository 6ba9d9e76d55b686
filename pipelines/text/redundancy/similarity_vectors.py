"""TF-IDF report vectors over a frozen vocabulary: fitted on the corpus, applied to new reports.

A report's vector is computed by ONE function (`weigh`) whether its report was in the corpus
the vocabulary was fitted on or arrived later:

- one document per report: its sections' text joined with newlines in ordinal order;
- token counts over the frozen terms: scikit-learn `CountVectorizer` (default token pattern,
  lowercased, English stop words), with `vocabulary=` the frozen terms for a new report;
- sublinear tf (1 + ln count) times the frozen idf, which is scikit-learn's smooth idf
  ln((1 + n) / (1 + df)) + 1 of the fitting corpus (n reports, df reports with the term);
- L2-normalised rows, then rounded to float32: the precision `report_vectors` stores, so a
  vector read back from the warehouse is bit-identical to a freshly computed one. Cosines
  are computed in float64 from those float32 weights (products of two float32 are exact in
  float64), which makes them reproducible to ~1e-16 whatever the summation order.

Terms outside the frozen vocabulary (words first seen in a later report) are ignored until
the next full refresh refits it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa
from scipy import sparse

STOP_WORDS = "english"
# What shapes a vector: part of report_similarity's `parameters` (a change recomputes all).
VECTORIZER_SETTINGS = "tfidf sublinear_tf smooth_idf l2 stop_words=english float32-weights"
VECTOR_SCHEMA = {
    "report_id": pl.String,
    "term_columns": pl.List(pl.Int32),
    "weights": pl.List(pl.Float32),
}
TERM_SCHEMA = {"term": pl.String, "term_column": pl.Int32, "idf": pl.Float64}


@dataclass(frozen=True)
class Vocabulary:
    """The frozen vectorizer state: terms in column order and their idf (float64)."""

    terms: list[str]
    idf: np.ndarray

    def to_frame(self) -> pl.DataFrame:
        """Rows of `report_similarity_terms`: term, term_column, idf."""
        return pl.DataFrame(
            {"term": self.terms, "term_column": np.arange(len(self.terms)), "idf": self.idf},
            schema=TERM_SCHEMA,
        )

    @classmethod
    def from_frame(cls, frame: pl.DataFrame) -> Vocabulary:
        """The vocabulary stored by `to_frame` (rows in any order)."""
        frame = frame.sort("term_column")
        return cls(frame["term"].to_list(), frame["idf"].to_numpy().astype(np.float64))


@dataclass(frozen=True)
class ReportVectors:
    """L2-normalised TF-IDF rows (float64 holding float32 values), one per report id."""

    ids: list[str]
    matrix: sparse.csr_matrix

    def to_frame(self) -> pl.DataFrame:
        """Rows of `report_vectors`: report_id, term_columns LIST<INT>, weights LIST<FLOAT>."""
        offsets = pa.array(self.matrix.indptr.astype(np.int64))
        columns = pa.LargeListArray.from_arrays(offsets, pa.array(self.matrix.indices, pa.int32()))
        weights = pa.LargeListArray.from_arrays(
            offsets, pa.array(self.matrix.data.astype(np.float32))
        )
        table = pa.table({"report_id": pa.array(self.ids, pa.string())})
        table = table.append_column("term_columns", columns).append_column("weights", weights)
        return pl.DataFrame(pl.from_arrow(table)).cast(VECTOR_SCHEMA)  # type: ignore[arg-type]

    @classmethod
    def from_flat(
        cls,
        ids: list[str],
        lengths: np.ndarray,
        columns: np.ndarray,
        weights: np.ndarray,
        n_terms: int,
    ) -> ReportVectors:
        """Vectors from each report's number of terms and every (column, weight), in order."""
        indptr = np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)])
        matrix = sparse.csr_matrix(
            (weights.astype(np.float64), columns.astype(np.int32), indptr),
            shape=(len(ids), n_terms),
        )
        return cls(ids, matrix)

    @classmethod
    def from_frame(cls, frame: pl.DataFrame, n_terms: int) -> ReportVectors:
        """The vectors stored by `to_frame`, in the frame's row order."""
        return cls.from_flat(
            frame["report_id"].to_list(),
            frame["term_columns"].list.len().fill_null(0).to_numpy(),
            frame["term_columns"].to_arrow().flatten().to_numpy(zero_copy_only=False),
            frame["weights"].to_arrow().flatten().to_numpy(zero_copy_only=False),
            n_terms,
        )

    def subset(self, ids: Sequence[str]) -> ReportVectors:
        """The rows of `ids`, in that order."""
        position = {report_id: i for i, report_id in enumerate(self.ids)}
        return ReportVectors(list(ids), self.matrix[[position[i] for i in ids]].tocsr())


def report_documents(
    report_ids: Sequence[str], sections: pl.DataFrame, text_column: str = "plain_text"
) -> pl.DataFrame:
    """One document per report id (sorted): its sections' text in ordinal order ('' if none)."""
    order = [c for c in ("report_id", "ordinal", "section_id") if c in sections.columns]
    texts = (
        sections.sort(order)
        .group_by("report_id", maintain_order=True)
        .agg(pl.col(text_column).fill_null("").str.join("\n").alias("text"))
    )
    ids = pl.DataFrame({"report_id": sorted(set(report_ids))}, schema={"report_id": pl.String})
    return ids.join(texts, on="report_id", how="left").with_columns(pl.col("text").fill_null(""))


def _counter(terms: Sequence[str] | None = None) -> object:
    """The CountVectorizer of every vector: fitted (terms None) or over frozen terms."""
    from sklearn.feature_extraction.text import CountVectorizer

    vocabulary = None if terms is None else {term: i for i, term in enumerate(terms)}
    return CountVectorizer(stop_words=STOP_WORDS, vocabulary=vocabulary, dtype=np.int64)


def fit_counts(texts: Sequence[str]) -> tuple[list[str], sparse.csr_matrix] | None:
    """Every term of `texts` (sorted) and their counts; None when no text has a content word."""
    counter = _counter()
    try:
        counts = counter.fit_transform(list(texts))  # type: ignore[attr-defined]
    except ValueError:  # empty vocabulary
        return None
    terms = list(counter.get_feature_names_out())  # type: ignore[attr-defined]
    return terms, sparse.csr_matrix(counts)


def smooth_idf(counts: sparse.csr_matrix) -> np.ndarray:
    """scikit-learn's smooth idf of each column: ln((1 + n) / (1 + df)) + 1."""
    n = counts.shape[0]
    df = np.bincount(sparse.csr_matrix(counts).indices, minlength=counts.shape[1])
    return np.log((1.0 + n) / (1.0 + df)) + 1.0


def fit_vocabulary(texts: Sequence[str]) -> tuple[Vocabulary, sparse.csr_matrix] | None:
    """The vocabulary fitted on `texts` and their counts (None when there is no content word)."""
    fitted = fit_counts(texts)
    if fitted is None:
        return None
    terms, counts = fitted
    return Vocabulary(terms, smooth_idf(counts)), counts


def count_terms(texts: Sequence[str], terms: Sequence[str]) -> sparse.csr_matrix:
    """Counts of the frozen `terms` (columns in that order) in each text."""
    if not terms:
        return sparse.csr_matrix((len(texts), 0), dtype=np.int64)
    return sparse.csr_matrix(_counter(terms).transform(list(texts)))  # type: ignore[attr-defined]


def reindex_counts(
    counts: sparse.csr_matrix, from_terms: Sequence[str], to_terms: Sequence[str]
) -> sparse.csr_matrix:
    """Counts over `from_terms` as counts over `to_terms` (absent terms dropped or zero).

    Equals `count_terms(texts, to_terms)` when `from_terms` is every term of the texts (a fit
    on them), so a full refresh tokenizes each report once for both vocabularies.
    """
    position = {term: i for i, term in enumerate(to_terms)}
    mapping = np.array([position.get(term, -1) for term in from_terms], dtype=np.int64)
    coo = sparse.csr_matrix(counts).tocoo()
    target = mapping[coo.col] if len(mapping) else coo.col
    keep = target >= 0
    return sparse.csr_matrix(
        (coo.data[keep], (coo.row[keep], target[keep])),
        shape=(counts.shape[0], len(to_terms)),
    )


def weigh(counts: sparse.csr_matrix, idf: np.ndarray) -> sparse.csr_matrix:
    """Counts -> vectors: (1 + ln tf) * idf, L2-normalised rows, float32 precision in float64."""
    matrix = sparse.csr_matrix(counts, dtype=np.float64, copy=True)
    matrix.sum_duplicates()
    matrix.eliminate_zeros()
    matrix.sort_indices()
    matrix.data = (1.0 + np.log(matrix.data)) * idf[matrix.indices]
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    norms = np.sqrt(np.bincount(rows, weights=matrix.data**2, minlength=matrix.shape[0]))
    matrix.data /= norms[rows]
    matrix.data = matrix.data.astype(np.float32).astype(np.float64)
    return matrix


def vectorize(documents: pl.DataFrame, vocabulary: Vocabulary) -> ReportVectors:
    """The vectors of `documents` (report_id, text) over a frozen vocabulary."""
    counts = count_terms(documents["text"].to_list(), vocabulary.terms)
    return ReportVectors(documents["report_id"].to_list(), weigh(counts, vocabulary.idf))
