"""TF-IDF similarity between reports: each report's top-k neighbours by cosine."""

from __future__ import annotations

import numpy as np
import polars as pl


def report_similarity(
    sections: pl.DataFrame,
    top_k: int = 10,
    min_cosine: float = 0.2,
    near_duplicates: pl.DataFrame | None = None,
    text_column: str = "plain_text",
    block_rows: int = 512,
    dense_terms: int = 2048,
) -> pl.DataFrame:
    """TF-IDF cosine between reports: each report's top_k neighbours >= min_cosine, a < b rows.

    One document per report (its sections' text joined in ordinal order), so idf measures how
    rare a term is among REPORTS and long sections weigh more than short ones, as a reader
    sees them; a mean of section vectors would give a 2-line section the weight of a
    2-page one. scikit-learn `TfidfVectorizer(sublinear_tf=True, stop_words="english")`,
    L2-normalized rows, so cosine = dot product. X @ X.T is computed exactly, `block_rows`
    reports at a time (the `dense_terms` most widespread terms as a dense BLAS product, the
    others sparse), keeping only each row's top_k: memory O((block_rows + dense_terms) × n).
    A pair is kept if either report has the other among its top_k. With `near_duplicates`
    (`section_id_a`, `section_id_b`, e.g. verified pairs), `n_near_duplicate_sections` counts
    them per report pair (null when not given). Output: report_id_a, report_id_b, cosine,
    n_near_duplicate_sections, sorted by cosine descending.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    schema = {
        "report_id_a": pl.String,
        "report_id_b": pl.String,
        "cosine": pl.Float64,
        "n_near_duplicate_sections": pl.Int64,
    }
    order = [c for c in ("report_id", "ordinal", "section_id") if c in sections.columns]
    docs = (
        sections.sort(order)
        .group_by("report_id", maintain_order=True)
        .agg(pl.col(text_column).fill_null("").str.join("\n"))
    )
    report_ids = docs["report_id"].to_list()
    if len(report_ids) < 2 or top_k < 1:
        return pl.DataFrame(schema=schema)
    vectorizer = TfidfVectorizer(sublinear_tf=True, stop_words="english", dtype=np.float32)
    try:
        matrix = vectorizer.fit_transform(docs[text_column].to_list())
    except ValueError:  # empty vocabulary: no report has a content word
        return pl.DataFrame(schema=schema)
    n = matrix.shape[0]
    k = min(top_k, n - 1)
    left: list[np.ndarray] = []
    right: list[np.ndarray] = []
    values: list[np.ndarray] = []
    # Exact X @ X.T, split by term: the `dense_terms` terms in most reports as a dense BLAS
    # product (their postings are long: sparse products would be quadratic in them), the rest
    # as a sparse product (short postings, cheap).
    doc_freq = np.bincount(matrix.indices, minlength=matrix.shape[1])
    common = np.zeros(matrix.shape[1], dtype=bool)
    common[np.argsort(-doc_freq, kind="stable")[:dense_terms]] = True
    dense = matrix[:, np.flatnonzero(common)].toarray()
    rare = matrix[:, np.flatnonzero(~common)].tocsr()
    rare_t = rare.T.tocsr()
    for lo in range(0, n, block_rows):
        hi = min(lo + block_rows, n)
        scores = dense[lo:hi] @ dense.T + (rare[lo:hi] @ rare_t).toarray()
        scores[np.arange(hi - lo), np.arange(lo, hi)] = -1.0  # never pair a report with itself
        best = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        best_scores = np.take_along_axis(scores, best, axis=1)
        keep = best_scores >= min_cosine
        left.append(np.repeat(np.arange(lo, hi), k)[keep.reshape(-1)])
        right.append(best[keep])
        values.append(best_scores[keep])
    ids = pl.Series(report_ids, dtype=pl.String)
    i, j = np.concatenate(left), np.concatenate(right)
    pairs = (
        pl.DataFrame(
            {
                "x": ids.gather(i),
                "y": ids.gather(j),
                "cosine": np.concatenate(values).astype(np.float64),
            }
        )
        .select(
            pl.min_horizontal("x", "y").alias("report_id_a"),
            pl.max_horizontal("x", "y").alias("report_id_b"),
            "cosine",
        )
        .group_by("report_id_a", "report_id_b")
        .agg(pl.col("cosine").max())
    )
    if near_duplicates is None:
        counts = pairs.with_columns(n_near_duplicate_sections=pl.lit(None, pl.Int64))
    else:
        owner = sections.select("section_id", "report_id").unique()
        dup = (
            near_duplicates.select("section_id_a", "section_id_b")
            .join(owner.rename({"section_id": "section_id_a", "report_id": "x"}), on="section_id_a")
            .join(owner.rename({"section_id": "section_id_b", "report_id": "y"}), on="section_id_b")
            .select(
                pl.min_horizontal("x", "y").alias("report_id_a"),
                pl.max_horizontal("x", "y").alias("report_id_b"),
            )
            .group_by("report_id_a", "report_id_b")
            .agg(pl.len().cast(pl.Int64).alias("n_near_duplicate_sections"))
        )
        counts = pairs.join(dup, on=["report_id_a", "report_id_b"], how="left").with_columns(
            pl.col("n_near_duplicate_sections").fill_null(0)
        )
    return counts.select(schema.keys()).sort(
        ["cosine", "report_id_a", "report_id_b"], descending=[True, False, False]
    )
