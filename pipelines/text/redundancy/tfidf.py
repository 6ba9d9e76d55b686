"""TF-IDF similarity between reports: each report's top-k neighbours by cosine.

The whole computation from section texts, as a full refresh of `report_similarity` runs it
(similarity_vectors.py: one vector per report; similarity_index.py: the directed top-k lists
and the pairs derived from them).
"""

from __future__ import annotations

import polars as pl

from pipelines.text.redundancy.similarity_index import (
    PAIR_SCHEMA,
    all_neighbours,
    undirected_pairs,
)
from pipelines.text.redundancy.similarity_vectors import (
    ReportVectors,
    fit_vocabulary,
    report_documents,
    weigh,
)


def near_duplicate_counts(near_duplicates: pl.DataFrame, sections: pl.DataFrame) -> pl.DataFrame:
    """Near-duplicate section pairs per report pair (report_id_a < report_id_b)."""
    owner = sections.select("section_id", "report_id").unique()
    return (
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
    2-page one. Vectors as scikit-learn `TfidfVectorizer(sublinear_tf=True,
    stop_words="english")` makes them (L2 rows, float32 weights), so cosine = dot product,
    computed exactly in float64 and rounded to 6 decimals; a report's top_k is taken with ties
    broken by neighbour id (similarity_index.py). A pair is kept if either report has the
    other among its top_k. With `near_duplicates` (`section_id_a`, `section_id_b`, e.g.
    verified pairs), `n_near_duplicate_sections` counts them per report pair (null when not
    given). Output: report_id_a, report_id_b, cosine, n_near_duplicate_sections, sorted by
    cosine descending.
    """
    documents = report_documents(sections["report_id"].unique().to_list(), sections, text_column)
    if documents.height < 2 or top_k < 1:
        return pl.DataFrame(schema=PAIR_SCHEMA)
    fitted = fit_vocabulary(documents["text"].to_list())
    if fitted is None:  # no report has a content word
        return pl.DataFrame(schema=PAIR_SCHEMA)
    vocabulary, counts = fitted
    vectors = ReportVectors(documents["report_id"].to_list(), weigh(counts, vocabulary.idf))
    neighbours = all_neighbours(vectors, top_k, min_cosine, block_rows, dense_terms)
    counted = None if near_duplicates is None else near_duplicate_counts(near_duplicates, sections)
    return undirected_pairs(neighbours, counted)
