"""Discovery of new topics: clustering untagged sections, labelled by c-TF-IDF terms."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np
import polars as pl

from pipelines.text.stopwords import default_stopwords, without_stopwords
from pipelines.text.topics.taxonomy import DISCOVERED_PREFIX
from pipelines.text.topics.terms import match_tokens

_DISCOVERED_SCHEMA = {
    "topic_id": pl.String,
    "label": pl.String,
    "top_terms": pl.List(pl.String),
    "n_sections": pl.Int64,
    "n_reports": pl.Int64,
    "member_section_ids": pl.List(pl.String),
}
_DISCOVERED_ASSIGNMENT_SCHEMA = {
    "section_id": pl.String,
    "report_id": pl.String,
    "topic_id": pl.String,
    "score": pl.Float64,
}


# A discovered topic recurs, and so joins the topic tables and charts, when its sections come
# from at least this many reports; a cluster inside one report is that report's own theme.
MIN_TOPIC_REPORTS = 2


def recurring_topics(
    discovered: pl.DataFrame, assignments: pl.DataFrame, min_reports: int = MIN_TOPIC_REPORTS
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The discovered topics whose sections come from >= `min_reports` reports, and their
    assignments: what the topic catalog, tables and charts use (`discover_topics` output in)."""
    kept = discovered.filter(pl.col("n_reports") >= min_reports)
    return kept, assignments.join(kept.select("topic_id"), on="topic_id", how="semi")


def _cluster_id(member_ids: Iterable[str]) -> str:
    """Stable id of a discovered topic: a short hash of its sorted member section ids."""
    digest = hashlib.sha1("\n".join(sorted(member_ids)).encode("utf-8")).hexdigest()
    return f"{DISCOVERED_PREFIX}{digest[:10]}"


def _empty_discovery() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Empty (discovered, assignments) frames with their schemas."""
    return (
        pl.DataFrame(schema=_DISCOVERED_SCHEMA),
        pl.DataFrame(schema=_DISCOVERED_ASSIGNMENT_SCHEMA),
    )


# Above this many untagged sections, `discover_topics` clusters a sample exactly and assigns
# the others to its clusters (the exact clustering needs n² distances: 5000² is 200 MB).
EXACT_CLUSTERING_MAX = 5000
# Rows per block when comparing sections with cluster centroids.
_ASSIGN_BLOCK_ROWS = 4096


def _average_linkage(tfidf: object, distance_threshold: float) -> np.ndarray:
    """Agglomerative clustering labels: average linkage on cosine distance, cut at the threshold."""
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.metrics.pairwise import cosine_distances

    n = tfidf.shape[0]  # type: ignore[attr-defined]
    if n == 1:
        return np.zeros(1, dtype=np.int64)
    return (
        AgglomerativeClustering(
            n_clusters=None,
            metric="precomputed",
            linkage="average",
            distance_threshold=distance_threshold,
        )
        .fit(cosine_distances(tfidf))
        .labels_.astype(np.int64)
    )


def _cluster_labels(
    tfidf: object,
    section_ids: list[str],
    distance_threshold: float,
    max_exact: int = EXACT_CLUSTERING_MAX,
) -> np.ndarray:
    """Cluster labels of L2-normalized TF-IDF rows: exact average linkage up to `max_exact` rows.

    Above it (memory would grow as n²): the `max_exact` rows with the smallest hash of their
    section id (a sample independent of row order) are clustered exactly; every other row
    joins the sample cluster it is closest to on average — mean cosine distance to the
    members = 1 - row · mean(member rows), the average-linkage criterion — when that
    distance is below the threshold; the rows left over are clustered the same way, until
    at most `max_exact` remain.
    """
    from scipy import sparse

    matrix = sparse.csr_matrix(tfidf)
    n = matrix.shape[0]
    rank = np.array(
        [hashlib.blake2b(sid.encode("utf-8"), digest_size=8).digest() for sid in section_ids],
        dtype="S8",
    )
    labels = np.full(n, -1, dtype=np.int64)
    remaining = np.arange(n)
    next_label = 0
    while remaining.size:
        if remaining.size <= max_exact:
            labels[remaining] = _average_linkage(matrix[remaining], distance_threshold) + next_label
            break
        order = remaining[np.argsort(rank[remaining], kind="stable")]
        sample, rest = order[:max_exact], order[max_exact:]
        sample_labels = _average_linkage(matrix[sample], distance_threshold)
        labels[sample] = sample_labels + next_label
        n_clusters = int(sample_labels.max()) + 1
        sizes = np.bincount(sample_labels, minlength=n_clusters).astype(np.float64)
        membership = sparse.csr_matrix(
            (1.0 / sizes[sample_labels], (sample_labels, np.arange(sample.size))),
            shape=(n_clusters, sample.size),
        )
        centroids_t = sparse.csr_matrix(membership @ matrix[sample]).T.tocsr()
        best = np.empty(rest.size, dtype=np.int64)
        similarity = np.empty(rest.size)
        for lo in range(0, rest.size, _ASSIGN_BLOCK_ROWS):
            block = (matrix[rest[lo : lo + _ASSIGN_BLOCK_ROWS]] @ centroids_t).toarray()
            best[lo : lo + block.shape[0]] = block.argmax(axis=1)
            similarity[lo : lo + block.shape[0]] = block.max(axis=1)
        joined = 1.0 - similarity < distance_threshold
        labels[rest[joined]] = best[joined] + next_label
        next_label += n_clusters
        remaining = np.sort(rest[~joined])
    return labels


def discover_topics(
    unmatched: pl.DataFrame,
    min_cluster_size: int = 2,
    *,
    distance_threshold: float = 0.9,
    n_label_terms: int = 3,
    min_term_length: int = 3,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Cluster untagged sections into new topics labelled by their top c-TF-IDF terms.

    Text = heading + plain_text, tokenized with WORD_PATTERN, stopwords/numbers/short tokens
    dropped: English ones everywhere, and in a report written in another language the
    stopwords of that language too (`without_stopwords`; the report's `language` column when
    `unmatched` has one, its detected language), so labels hold none of them. Sections are TF-IDF vectorized (scikit-learn, sublinear tf) and grouped by
    agglomerative clustering (average linkage on cosine distance, cut at
    `distance_threshold`): deterministic for the same input, whatever the row order, since
    rows are sorted by section_id first. Above `EXACT_CLUSTERING_MAX` sections a sample is
    clustered exactly and the rest join its clusters by the same criterion (`_cluster_labels`). Clusters smaller than `min_cluster_size` are left
    out. Each cluster is labelled with its top `n_label_terms` class-based TF-IDF terms
    (c-TF-IDF, as in BERTopic: term frequency in the cluster × log(1 + mean class size /
    term frequency over all classes)), joined by " · ". Its id is "new_" + a hash of its
    sorted member section_ids, so it is stable across refreshes while the members stay the
    same. Assignment `score` is the cosine similarity of a section to its cluster centroid.
    `n_reports` counts the reports its sections come from: every cluster is returned, and
    `recurring_topics` keeps those found in more than one report.
    """
    from scipy import sparse
    from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

    if unmatched.height == 0:
        return _empty_discovery()
    heading = (
        pl.col("heading").cast(pl.String).fill_null("")
        if "heading" in unmatched.columns
        else pl.lit("")
    )
    docs = (
        unmatched.select(
            pl.col("section_id").cast(pl.String),
            pl.col("report_id").cast(pl.String),
            pl.concat_str(
                [heading, pl.col("plain_text").cast(pl.String).fill_null("")], separator="\n"
            ).alias("text"),
        )
        .unique("section_id", keep="first", maintain_order=True)
        .sort("section_id")
    )
    languages = (
        unmatched.select(
            pl.col("report_id").cast(pl.String), pl.col("language").cast(pl.String)
        ).unique("report_id", keep="first")
        if "language" in unmatched.columns
        else None
    )
    tokens = (
        without_stopwords(
            match_tokens(
                docs.select("section_id", "report_id", "text"), ["section_id", "report_id"], "text"
            ),
            "report_id",
            min_term_length,
            default_stopwords(),
            languages,
        )
        .group_by("section_id", maintain_order=True)
        .agg(pl.col("word"))
    )
    docs = docs.join(tokens, on="section_id", how="left").with_columns(
        pl.col("word").fill_null(pl.lit([], dtype=pl.List(pl.String)))
    )
    documents: list[list[str]] = docs["word"].to_list()
    if not any(documents):
        return _empty_discovery()
    counter = CountVectorizer(analyzer=lambda words: words)
    counts = counter.fit_transform(documents)
    vocabulary = np.asarray(counter.get_feature_names_out(), dtype=object)
    tfidf = TfidfTransformer(sublinear_tf=True).fit_transform(counts)

    labels = _cluster_labels(tfidf, docs["section_id"].to_list(), distance_threshold)
    clusters = [np.flatnonzero(labels == label) for label in np.unique(labels)]
    kept = [members for members in clusters if members.size >= max(min_cluster_size, 1)]
    if not kept:
        return _empty_discovery()

    # c-TF-IDF over the kept clusters plus one class holding every other section.
    class_of = np.full(docs.height, len(kept), dtype=np.int64)
    for index, members in enumerate(kept):
        class_of[members] = index
    n_classes = len(kept) + int((class_of == len(kept)).any())
    indicator = sparse.csr_matrix(
        (np.ones(docs.height), (class_of, np.arange(docs.height))),
        shape=(n_classes, docs.height),
    )
    class_counts = sparse.csr_matrix(indicator @ counts, dtype=np.float64)
    class_sizes = np.asarray(class_counts.sum(axis=1)).ravel()
    term_totals = np.asarray(class_counts.sum(axis=0)).ravel()
    idf = np.log1p((class_sizes.sum() / n_classes) / np.maximum(term_totals, 1.0))
    ctfidf = sparse.csr_matrix(
        sparse.diags(1.0 / np.maximum(class_sizes, 1.0)) @ class_counts @ sparse.diags(idf)
    )

    section_ids = docs["section_id"].to_list()
    report_ids = docs["report_id"].to_list()
    topic_rows: list[dict] = []
    assignment_rows: list[dict] = []
    for index, members in enumerate(kept):
        row = ctfidf.getrow(index)
        order = np.lexsort((vocabulary[row.indices], -row.data))
        top_terms = [str(vocabulary[row.indices[i]]) for i in order[:n_label_terms]]
        member_ids = sorted(section_ids[i] for i in members)
        topic_id = _cluster_id(member_ids)
        vectors = tfidf[members]
        centroid = np.asarray(vectors.mean(axis=0)).ravel()
        norm = float(np.linalg.norm(centroid))
        similarities = vectors @ centroid / norm if norm > 0 else np.zeros(members.size)
        for i, similarity in zip(members, np.asarray(similarities).ravel(), strict=True):
            assignment_rows.append(
                {
                    "section_id": section_ids[i],
                    "report_id": report_ids[i],
                    "topic_id": topic_id,
                    "score": round(float(similarity), 12),
                }
            )
        topic_rows.append(
            {
                "topic_id": topic_id,
                "label": " · ".join(top_terms) if top_terms else topic_id,
                "top_terms": top_terms,
                "n_sections": len(member_ids),
                "n_reports": len({report_ids[i] for i in members}),
                "member_section_ids": member_ids,
            }
        )
    discovered = pl.DataFrame(topic_rows, schema=_DISCOVERED_SCHEMA).sort(
        ["n_sections", "topic_id"], descending=[True, False]
    )
    assignments = pl.DataFrame(assignment_rows, schema=_DISCOVERED_ASSIGNMENT_SCHEMA).sort(
        "section_id"
    )
    return discovered, assignments
