"""Topic taxonomy, section → topic assignment, topic discovery and topic frequency tables.

Pure functions over Polars frames (no Dagster, no DuckDB). The canonical topics live in
`pipelines/topics.toml`, which users edit; sections that match none of them can be grouped
into discovered topics with `discover_topics`.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.text.tokens import word_frame

DEFAULT_TAXONOMY_PATH = Path(__file__).resolve().parents[1] / "topics.toml"
DISCOVERED_PREFIX = "new_"

_TOPIC_ID = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")

# Function words of the report languages seen so far that sklearn's English list lacks.
_EXTRA_STOPWORD_TEXT = """
also across among based can could including may might must new one per several since
such three two various well within without would yet however furthermore moreover
additionally ensure ensuring like used using use key significant significantly
ao aos as com como da das de do dos em entre essa esse essas esses está estão isso mais
mas na nas no nos os ou para pela pelas pelo pelos por que se sem ser seu sua suas seus
são também tem uma um umas uns à às é
"""
_EXTRA_STOPWORDS = frozenset(_EXTRA_STOPWORD_TEXT.split())

_TAXONOMY_SCHEMA = {
    "topic_id": pl.String,
    "label": pl.String,
    "description": pl.String,
    "terms": pl.List(pl.String),
    "taxonomy_version": pl.Int64,
}
_ASSIGNMENT_SCHEMA = {
    "section_id": pl.String,
    "report_id": pl.String,
    "topic_id": pl.String,
    "score": pl.Float64,
    "is_primary": pl.Boolean,
    "evidence": pl.List(pl.String),
}
_DISCOVERED_SCHEMA = {
    "topic_id": pl.String,
    "label": pl.String,
    "top_terms": pl.List(pl.String),
    "n_sections": pl.Int64,
    "member_section_ids": pl.List(pl.String),
}
_DISCOVERED_ASSIGNMENT_SCHEMA = {
    "section_id": pl.String,
    "report_id": pl.String,
    "topic_id": pl.String,
    "score": pl.Float64,
}


class TaxonomyError(ValueError):
    """The taxonomy file is missing, malformed or inconsistent."""


# --------------------------------------------------------------------------------------------
# Taxonomy
# --------------------------------------------------------------------------------------------


def _read_toml(path: Path) -> dict:
    """Parse the taxonomy TOML file, turning I/O and syntax problems into TaxonomyError."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as exc:
        raise TaxonomyError(f"taxonomy file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise TaxonomyError(f"{path}: invalid TOML: {exc}") from exc


def taxonomy_version(path: Path | None = None) -> int:
    """The integer `version` declared at the top of the taxonomy file."""
    path = Path(path) if path is not None else DEFAULT_TAXONOMY_PATH
    version = _read_toml(path).get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise TaxonomyError(f"{path}: `version = N` (a positive integer) is required at the top")
    return version


def load_taxonomy(path: Path | None = None) -> pl.DataFrame:
    """Load and validate the taxonomy: one row per topic, with its terms and the file version."""
    path = Path(path) if path is not None else DEFAULT_TAXONOMY_PATH
    document = _read_toml(path)
    version = taxonomy_version(path)
    topics = document.get("topic")
    if not isinstance(topics, list) or not topics:
        raise TaxonomyError(f"{path}: no [[topic]] tables found")
    rows: list[dict] = []
    seen: dict[str, int] = {}
    for index, topic in enumerate(topics, start=1):
        where = f"{path}: topic #{index}"
        topic_id = topic.get("id")
        if not isinstance(topic_id, str) or not _TOPIC_ID.fullmatch(topic_id):
            raise TaxonomyError(f"{where}: `id` must be snake_case (a-z, 0-9, _), got {topic_id!r}")
        where = f"{path}: topic {topic_id!r} (#{index})"
        if topic_id.startswith(DISCOVERED_PREFIX):
            raise TaxonomyError(f"{where}: ids starting with {DISCOVERED_PREFIX!r} are reserved")
        if topic_id in seen:
            raise TaxonomyError(f"{where}: duplicate id, first defined as topic #{seen[topic_id]}")
        seen[topic_id] = index
        label = topic.get("label")
        if not isinstance(label, str) or not label.strip():
            raise TaxonomyError(f"{where}: `label` must be a non-empty string")
        description = topic.get("description", "")
        if not isinstance(description, str):
            raise TaxonomyError(f"{where}: `description` must be a string")
        terms = topic.get("terms")
        if not isinstance(terms, list) or not terms:
            raise TaxonomyError(f"{where}: `terms` must be a non-empty list of strings")
        clean: list[str] = []
        for term in terms:
            if not isinstance(term, str) or not term.strip():
                raise TaxonomyError(f"{where}: empty or non-string term {term!r}")
            term = " ".join(term.strip().lower().split())
            if "*" in term[:-1]:
                raise TaxonomyError(f"{where}: term {term!r}: '*' is allowed only at the end")
            if term not in clean:
                clean.append(term)
        rows.append(
            {
                "topic_id": topic_id,
                "label": label.strip(),
                "description": " ".join(description.split()),
                "terms": clean,
                "taxonomy_version": version,
            }
        )
    taxonomy = pl.DataFrame(rows, schema=_TAXONOMY_SCHEMA)
    _term_table(taxonomy, source=str(path))  # every term must yield at least one word
    return taxonomy


# --------------------------------------------------------------------------------------------
# Tokens and terms
# --------------------------------------------------------------------------------------------


def _match_tokens(texts: pl.DataFrame, key: list[str], text_column: str) -> pl.DataFrame:
    """Word rows normalized for term matching: possessive dropped, hyphenated words split."""
    return (
        word_frame(texts, key, text_column)
        .with_columns(
            pl.col("word").str.replace(r"['’]s$", "").str.split("-"),
        )
        .explode("word")
        .filter(pl.col("word").str.len_chars() > 0)
        .with_columns(pl.int_range(pl.len()).over(key).alias("position"))
    )


def _term_table(taxonomy: pl.DataFrame, source: str = "taxonomy") -> pl.DataFrame:
    """Normalized match patterns: topic_id, term, pattern, n_words, is_prefix, topic_rank."""
    raw = (
        taxonomy.select("topic_id", "terms")
        .with_row_index("topic_rank")
        .explode("terms")
        .rename({"terms": "term"})
        .drop_nulls("term")
        .with_columns(
            pl.col("term").str.to_lowercase().str.strip_chars(),
        )
        .with_columns(
            pl.col("term").str.ends_with("*").alias("is_prefix"),
            pl.col("term").str.strip_chars_end("*").alias("text"),
        )
        .with_row_index("term_index")
    )
    words = _match_tokens(raw, ["term_index"], "text")
    patterns = words.group_by("term_index").agg(
        pl.col("word").sort_by("position").str.join(" ").alias("pattern"),
        pl.len().alias("n_words"),
    )
    table = raw.join(patterns, on="term_index", how="left")
    empty = table.filter(pl.col("pattern").is_null())
    if empty.height:
        bad = ", ".join(f"{r['topic_id']}: {r['term']!r}" for r in empty.iter_rows(named=True))
        raise TaxonomyError(f"{source}: terms without any word: {bad}")
    return table.select(
        "topic_id",
        "term",
        "pattern",
        pl.col("n_words").cast(pl.Int64),
        "is_prefix",
        pl.col("topic_rank").cast(pl.Int64),
    ).unique(["topic_id", "pattern", "is_prefix"], keep="first", maintain_order=True)


def _slot_accepts(terms: pl.DataFrame, vocabulary: pl.DataFrame) -> pl.DataFrame:
    """Which vocabulary words each term slot accepts: term_row, slot, vid.

    Slot j of a term is its j-th pattern word: equal words match, except the last slot of a
    `prefix*` term, which accepts every word starting with it.
    """
    slots = (
        terms.with_row_index("term_row")
        .select(
            "term_row",
            pl.col("pattern").str.split(" ").alias("word"),
            "is_prefix",
            "n_words",
        )
        .with_columns(pl.int_ranges(pl.col("word").list.len()).alias("slot"))
        .explode("word", "slot")
        .with_columns(
            (pl.col("is_prefix") & (pl.col("slot") == pl.col("n_words") - 1)).alias("by_prefix")
        )
    )
    exact = slots.filter(~pl.col("by_prefix")).join(vocabulary, on="word")
    prefix = (
        slots.filter(pl.col("by_prefix"))
        .rename({"word": "prefix"})
        .join(vocabulary, how="cross")
        .filter(pl.col("word").str.starts_with(pl.col("prefix")))
    )
    columns = [pl.col("term_row").cast(pl.Int64), pl.col("slot").cast(pl.Int64), "vid"]
    return pl.concat([exact.select(columns), prefix.select(columns)]).unique()


def _term_hits(words: pl.DataFrame, terms: pl.DataFrame) -> pl.DataFrame:
    """Term occurrences in word rows (`text_row`, `position`, `word`).

    Returns text_row, position, n, topic_id, term, topic_rank. A term of n words occurs at
    position p of a text when the words at p..p+n-1 of that text fill its slots (see
    `_slot_accepts`): the same as comparing the " "-joined n-gram with the pattern (a prefix
    term: starts-with), without building any n-gram string. An occurrence lying inside a
    longer occurrence of the same topic ("adversarial" inside "adversarial attacks") is
    dropped, so every mention counts once per topic.
    """
    schema = {
        "text_row": pl.Int64,
        "position": pl.Int64,
        "n": pl.Int64,
        "topic_id": pl.String,
        "term": pl.String,
        "topic_rank": pl.Int64,
    }
    vocabulary = words.select("word").unique().with_row_index("vid")
    accepts = _slot_accepts(terms, vocabulary)
    if accepts.height == 0:
        return pl.DataFrame(schema=schema)
    candidates = words.join(
        vocabulary.join(accepts.select("vid").unique(), on="vid", how="semi"), on="word"
    ).select(pl.col("text_row").cast(pl.Int64), pl.col("position").cast(pl.Int64), "vid")
    term_info = terms.with_row_index("term_row").select(
        pl.col("term_row").cast(pl.Int64), pl.col("n_words").alias("n"), "topic_id", "term",
        "topic_rank",
    )  # fmt: skip
    found = (
        candidates.join(accepts.filter(pl.col("slot") == 0).drop("slot"), on="vid")
        .join(term_info.select("term_row", "n"), on="term_row")
        .select("text_row", "position", "term_row", "n")
    )
    for slot in range(1, int(terms["n_words"].max() or 1)):
        longer = found.filter(pl.col("n") > slot)
        if longer.height == 0:
            break
        continued = (
            longer.with_columns((pl.col("position") + slot).alias("at"))
            .join(
                candidates.rename({"position": "at"}), on=["text_row", "at"]
            )
            .join(
                accepts.filter(pl.col("slot") == slot).drop("slot"),
                on=["term_row", "vid"],
                how="semi",
            )
            .select(found.columns)
        )  # fmt: skip
        found = pl.concat([found.filter(pl.col("n") <= slot), continued])
    hits = (
        found.join(term_info.drop("n"), on="term_row")
        .select(list(schema))
        .sort(["text_row", "position", "n", "topic_id", "term"])
        .unique(["text_row", "position", "n", "topic_id"], keep="first", maintain_order=True)
    )
    group = ["text_row", "topic_id"]
    covering = hits.select(*group, "position", "n").rename({"position": "outer", "n": "outer_n"})
    nested = (
        hits.join(covering, on=group)
        .filter(
            (pl.col("outer_n") > pl.col("n"))
            & (pl.col("outer") <= pl.col("position"))
            & (pl.col("outer") + pl.col("outer_n") >= pl.col("position") + pl.col("n"))
        )
        .select(*group, "position", "n")
        .unique()
    )
    return hits.join(nested, on=[*group, "position", "n"], how="anti")


# --------------------------------------------------------------------------------------------
# Assignment
# --------------------------------------------------------------------------------------------


def assign_topics(
    sections: pl.DataFrame,
    taxonomy: pl.DataFrame,
    *,
    heading_weight: float = 5.0,
    parent_weight: float = 2.0,
    min_body_words: int = 100,
    min_score: float = 3.0,
    relative_to_best: float = 0.4,
) -> pl.DataFrame:
    """Tag sections with taxonomy topics: heading matches × 5 + body matches per 100 words.

    Every section's heading, parent heading and `plain_text` body are tokenized with the shared
    WORD_PATTERN (lowercased, possessives dropped, hyphenated words split so "fine-tuning" and
    "fine tuning" agree) and matched against the taxonomy terms word by word (`_term_hits`:
    equal words, and starts-with for the last word of `prefix*` terms — the same as comparing
    the " "-joined n-gram with the term); a mention inside a longer mention of the same topic
    counts once. Sections are processed in chunks, which bounds memory. For a
    section s and topic t:

        score = heading_weight × (mentions in the heading)
              + parent_weight  × (mentions in the parent heading)
              + 100 × (mentions in the body) / max(body words, min_body_words)

    The body term is a density (mentions per 100 words), so long sections are not favoured;
    the floor keeps a three-line section from spiking on one word. The heading is the
    author's own label for the section, so one heading mention (5) outweighs an incidental
    body density; on the seed reports ×5 beat ×3 at labelling "Introduction"-style headings
    whose body summarizes everything. The parent heading (2) lets generic subsections
    ("Methods", "Applications") inherit their parent's topic. A section keeps every topic
    scoring ≥ min_score (default 3: any heading mention, or 3 body mentions per 100 words)
    and ≥ relative_to_best × its best score; the best one (ties: more heading mentions,
    more body mentions, taxonomy order) is primary, so exactly one primary per tagged
    section. Sections with no topic get no row (see `unmatched_sections`). `evidence` lists
    the matched taxonomy terms as written in the taxonomy, most frequent first.
    """
    if sections.height == 0:
        return pl.DataFrame(schema=_ASSIGNMENT_SCHEMA)
    terms = _term_table(taxonomy)
    parent = pl.col("parent_heading") if "parent_heading" in sections.columns else pl.lit(None)
    columns = [pl.col("section_id").cast(pl.String), pl.col("report_id").cast(pl.String)]
    frames = [
        _assign_chunk(
            sections.slice(start, _ASSIGN_CHUNK_SECTIONS).select(
                *columns,
                pl.col("heading").cast(pl.String).fill_null("").alias("heading"),
                parent.cast(pl.String).fill_null("").alias("parent"),
                pl.col("plain_text").cast(pl.String).fill_null("").alias("body"),
            ),
            terms,
            heading_weight=heading_weight,
            parent_weight=parent_weight,
            min_body_words=min_body_words,
            min_score=min_score,
            relative_to_best=relative_to_best,
        )
        for start in range(0, sections.height, _ASSIGN_CHUNK_SECTIONS)
    ]
    return pl.concat(frames).sort(
        ["report_id", "section_id", "score", "topic_id"], descending=[False, False, True, False]
    )


# Sections tokenized at once by `assign_topics` (bounds memory; sections are independent).
_ASSIGN_CHUNK_SECTIONS = 20_000


def _assign_chunk(
    sections: pl.DataFrame,
    terms: pl.DataFrame,
    *,
    heading_weight: float,
    parent_weight: float,
    min_body_words: int,
    min_score: float,
    relative_to_best: float,
) -> pl.DataFrame:
    """`assign_topics` on one chunk of sections (section_id, report_id, heading, parent, body)."""
    texts = pl.concat(
        [
            sections.select("section_id", "report_id", pl.lit(field).alias("field"), field)
            .rename({field: "text"})
            for field in ("heading", "parent", "body")
        ]
    ).with_row_index("text_row")  # fmt: skip
    words = _match_tokens(texts.select("text_row", "text"), ["text_row"], "text")
    owners = texts.select(pl.col("text_row").cast(pl.Int64), "section_id", "report_id", "field")
    body_words = (
        words.group_by("text_row")
        .agg(pl.len().cast(pl.Int64).alias("body_words"))
        .with_columns(pl.col("text_row").cast(pl.Int64))
        .join(owners.filter(pl.col("field") == "body"), on="text_row")
        .select("section_id", "body_words")
    )
    hits = _term_hits(words, terms).join(owners, on="text_row")
    per_term = hits.group_by("section_id", "report_id", "topic_id", "topic_rank", "term").agg(
        (pl.col("field") == "heading").sum().alias("heading_hits"),
        (pl.col("field") == "parent").sum().alias("parent_hits"),
        (pl.col("field") == "body").sum().alias("body_hits"),
        pl.len().alias("hits"),
    )
    scored = (
        per_term.sort(["hits", "term"], descending=[True, False])
        .group_by("section_id", "report_id", "topic_id", "topic_rank", maintain_order=True)
        .agg(
            pl.col("heading_hits").sum(),
            pl.col("parent_hits").sum(),
            pl.col("body_hits").sum(),
            pl.col("term").alias("evidence"),
        )
        .join(body_words, on="section_id", how="left")
        .with_columns(
            (
                heading_weight * pl.col("heading_hits")
                + parent_weight * pl.col("parent_hits")
                + 100.0
                * pl.col("body_hits")
                / pl.max_horizontal(pl.col("body_words").fill_null(0), pl.lit(min_body_words))
            )
            .cast(pl.Float64)
            .alias("score")
        )
        .filter(pl.col("score") >= min_score)
        .filter(pl.col("score") >= relative_to_best * pl.col("score").max().over("section_id"))
        .sort(
            ["section_id", "score", "heading_hits", "body_hits", "topic_rank"],
            descending=[False, True, True, True, False],
        )
        .with_columns((pl.int_range(pl.len()).over("section_id") == 0).alias("is_primary"))
    )
    return scored.select(list(_ASSIGNMENT_SCHEMA))


def primary_topics(section_topics: pl.DataFrame) -> pl.DataFrame:
    """The primary topic of each tagged section: section_id, report_id, topic_id."""
    return section_topics.filter(pl.col("is_primary")).select("section_id", "report_id", "topic_id")


def unmatched_sections(sections: pl.DataFrame, section_topics: pl.DataFrame) -> pl.DataFrame:
    """Sections that received no taxonomy topic (input rows, unchanged)."""
    return sections.join(section_topics.select("section_id").unique(), on="section_id", how="anti")


# --------------------------------------------------------------------------------------------
# Discovery
# --------------------------------------------------------------------------------------------


def _stopwords() -> frozenset[str]:
    """English stopwords (scikit-learn's list) plus a few report-language function words."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | _EXTRA_STOPWORDS


def _content_words(words: pl.Expr, min_length: int, stopwords: Iterable[str]) -> pl.Expr:
    """Mask of content words: long enough, not a stopword, not a number."""
    return (
        (words.str.len_chars() >= min_length)
        & ~words.is_in(list(stopwords))
        & ~words.str.contains(r"^[\d_\-'’]+$")
    )


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
    dropped. Sections are TF-IDF vectorized (scikit-learn, sublinear tf) and grouped by
    agglomerative clustering (average linkage on cosine distance, cut at
    `distance_threshold`): deterministic for the same input, whatever the row order, since
    rows are sorted by section_id first. Above `EXACT_CLUSTERING_MAX` sections a sample is
    clustered exactly and the rest join its clusters by the same criterion (`_cluster_labels`). Clusters smaller than `min_cluster_size` are left
    out. Each cluster is labelled with its top `n_label_terms` class-based TF-IDF terms
    (c-TF-IDF, as in BERTopic: term frequency in the cluster × log(1 + mean class size /
    term frequency over all classes)), joined by " · ". Its id is "new_" + a hash of its
    sorted member section_ids, so it is stable across refreshes while the members stay the
    same. Assignment `score` is the cosine similarity of a section to its cluster centroid.
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
    stopwords = _stopwords()
    tokens = (
        _match_tokens(docs.select("section_id", "text"), ["section_id"], "text")
        .filter(_content_words(pl.col("word"), min_term_length, stopwords))
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


# --------------------------------------------------------------------------------------------
# Frequency tables
# --------------------------------------------------------------------------------------------


def _topic_labels(labels: pl.DataFrame | None) -> pl.DataFrame:
    """topic_id → label, from the given frame or the default taxonomy."""
    source = labels if labels is not None else load_taxonomy()
    return source.select(pl.col("topic_id").cast(pl.String), pl.col("label").cast(pl.String))


def _primary_with_words(section_topics: pl.DataFrame, sections: pl.DataFrame) -> pl.DataFrame:
    """Primary topic of each section joined with its report, ordinal and word count."""
    return primary_topics(section_topics).join(
        sections.select("section_id", "ordinal", pl.col("n_words").cast(pl.Int64)),
        on="section_id",
        how="inner",
    )


def report_topics(section_topics: pl.DataFrame, sections: pl.DataFrame) -> pl.DataFrame:
    """Per report and primary topic: n_sections, n_words, share_of_words of the report."""
    report_words = sections.group_by("report_id").agg(
        pl.col("n_words").cast(pl.Int64).sum().alias("report_words")
    )
    return (
        _primary_with_words(section_topics, sections)
        .group_by("report_id", "topic_id")
        .agg(pl.len().cast(pl.Int64).alias("n_sections"), pl.col("n_words").sum())
        .join(report_words, on="report_id", how="left")
        .with_columns(
            (pl.col("n_words") / pl.col("report_words").clip(lower_bound=1)).alias("share_of_words")
        )
        .select("report_id", "topic_id", "n_sections", "n_words", "share_of_words")
        .sort(["report_id", "n_words", "topic_id"], descending=[False, True, False])
    )


def topic_frequency(
    section_topics: pl.DataFrame,
    sections: pl.DataFrame,
    reports: pl.DataFrame,
    labels: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Per primary topic: reports, sections, share of all words, first/last seen, mean position.

    Counts use each section's primary topic only, so shares add up to at most 1.
    `mean_position` is the mean relative position of the topic's sections within their
    report, (ordinal − first ordinal) / (last ordinal − first ordinal): 0 = first, 1 = last.
    `labels` (topic_id, label) defaults to the packaged taxonomy; unknown ids (discovered
    topics not passed in) are labelled with their id.
    """
    total_words = max(int(sections["n_words"].cast(pl.Int64).sum() or 0), 1)
    bounds = sections.group_by("report_id").agg(
        pl.col("ordinal").min().alias("first_ordinal"),
        pl.col("ordinal").max().alias("last_ordinal"),
    )
    rows = (
        _primary_with_words(section_topics, sections)
        .join(bounds, on="report_id", how="left")
        .join(reports.select("report_id", "report_date"), on="report_id", how="left")
        .with_columns(
            (
                (pl.col("ordinal") - pl.col("first_ordinal"))
                / (pl.col("last_ordinal") - pl.col("first_ordinal")).clip(lower_bound=1)
            ).alias("position")
        )
    )
    return (
        rows.group_by("topic_id")
        .agg(
            pl.col("report_id").n_unique().cast(pl.Int64).alias("n_reports"),
            pl.len().cast(pl.Int64).alias("n_sections"),
            (pl.col("n_words").sum() / total_words).alias("share_of_words"),
            pl.col("report_date").min().alias("first_seen"),
            pl.col("report_date").max().alias("last_seen"),
            pl.col("position").mean().alias("mean_position"),
        )
        .join(_topic_labels(labels), on="topic_id", how="left")
        .with_columns(pl.col("label").fill_null(pl.col("topic_id")))
        .select(
            "topic_id",
            "label",
            "n_reports",
            "n_sections",
            "share_of_words",
            "first_seen",
            "last_seen",
            "mean_position",
        )
        .sort(["n_sections", "topic_id"], descending=[True, False])
    )


def topic_trend(
    section_topics: pl.DataFrame,
    sections: pl.DataFrame,
    reports: pl.DataFrame,
    every: str = "1d",
) -> pl.DataFrame:
    """Per primary topic and report-date bucket: n_sections and share of the bucket's words.

    Buckets are `report_date` truncated to `every` (a Polars duration, default one day);
    `arrival_rank` is the earliest arrival rank in the bucket, for ordering by arrival.
    Every topic seen anywhere gets a row for every bucket (zeros where absent).
    """
    dated = sections.select("section_id", "report_id", pl.col("n_words").cast(pl.Int64)).join(
        reports.select(
            "report_id",
            pl.col("report_date").dt.truncate(every).alias("bucket"),
            pl.col("arrival_rank").cast(pl.Int64),
        ),
        on="report_id",
        how="inner",
    )
    buckets = dated.group_by("bucket").agg(
        pl.col("n_words").sum().alias("bucket_words"),
        pl.col("arrival_rank").min(),
    )
    counts = (
        primary_topics(section_topics)
        .join(dated.select("section_id", "bucket", "n_words"), on="section_id", how="inner")
        .group_by("topic_id", "bucket")
        .agg(pl.len().cast(pl.Int64).alias("n_sections"), pl.col("n_words").sum().alias("words"))
    )
    grid = counts.select("topic_id").unique().join(buckets, how="cross")
    return (
        grid.join(counts, on=["topic_id", "bucket"], how="left")
        .with_columns(
            pl.col("n_sections").fill_null(0),
            (pl.col("words").fill_null(0) / pl.col("bucket_words").clip(lower_bound=1)).alias(
                "share_of_words"
            ),
        )
        .select(
            "topic_id",
            pl.col("bucket").alias("report_date"),
            "arrival_rank",
            "n_sections",
            "share_of_words",
        )
        .sort(["topic_id", "report_date", "arrival_rank"])
    )


def topic_word_frame(
    sections: pl.DataFrame, section_topics: pl.DataFrame, text_column: str = "plain_text"
) -> pl.DataFrame:
    """Word rows (section_id, topic_id, word, position) of sections, by their primary topic."""
    words = word_frame(sections, ["section_id"], text_column)
    return words.join(
        primary_topics(section_topics).select("section_id", "topic_id"), on="section_id"
    ).select("section_id", "topic_id", "word", "position")


def topic_word_counts(
    sections: pl.DataFrame,
    section_topics: pl.DataFrame,
    text_column: str = "plain_text",
    chunk_sections: int = 20_000,
) -> pl.DataFrame:
    """topic_id, word, count: `topic_word_frame` summed per (topic, word), a chunk at a time.

    The same input to `topic_terms` as the word rows, without all of the corpus's word
    strings in memory at once.
    """
    primary = primary_topics(section_topics).select("section_id", "topic_id")
    parts = [
        word_frame(sections.slice(start, chunk_sections), ["section_id"], text_column)
        .join(primary, on="section_id")
        .group_by("topic_id", "word")
        .agg(pl.len().cast(pl.Int64).alias("count"))
        for start in range(0, sections.height, chunk_sections)
    ]
    if not parts:
        return pl.DataFrame(schema={"topic_id": pl.String, "word": pl.String, "count": pl.Int64})
    return pl.concat(parts).group_by("topic_id", "word").agg(pl.col("count").sum())


def topic_terms(
    words: pl.DataFrame,
    prior: float = 1000.0,
    top_n: int = 15,
    *,
    min_length: int = 3,
    stopwords: Iterable[str] | None = None,
) -> pl.DataFrame:
    """Terms that distinguish each topic from all the others, by log-odds with a Dirichlet prior.

    Monroe, Colaresi & Quinn (2008), "Fightin' Words: Lexical Feature Selection and
    Evaluation for Identifying the Content of Political Conflict", Political Analysis 16(4),
    eqs. 16–22, with topic i against the pooled other topics j. `words` has one row per
    occurrence (topic_id, word), or per (topic_id, word) with a `count`. Stopwords, numbers and tokens shorter than `min_length` are
    dropped first. With y_w the corpus count of word w, n the corpus size and α0 = `prior`,
    the informative prior is α_w = α0 · y_w / n (eq. 16's prior proportional to corpus
    frequency), and

        δ_w = log((y_wi + α_w) / (n_i + α0 − y_wi − α_w))
            − log((y_wj + α_w) / (n_j + α0 − y_wj − α_w))        (eq. 16, log_odds)
        σ²(δ_w) ≈ 1 / (y_wi + α_w) + 1 / (y_wj + α_w)           (eq. 20)
        z_w = δ_w / √σ²(δ_w)                                     (eq. 22, z_score)

    Returns topic_id, term, count (y_wi), log_odds, z_score: the top_n terms per topic by z.
    """
    stop = frozenset(stopwords) if stopwords is not None else _stopwords()
    weight = pl.col("count") if "count" in words.columns else pl.lit(1)
    cleaned = words.select(
        pl.col("topic_id").cast(pl.String),
        pl.col("word").cast(pl.String).str.to_lowercase(),
        weight.cast(pl.Int64).alias("count"),
    ).filter(_content_words(pl.col("word"), min_length, stop))
    if cleaned.height == 0:
        return pl.DataFrame(
            schema={
                "topic_id": pl.String,
                "term": pl.String,
                "count": pl.Int64,
                "log_odds": pl.Float64,
                "z_score": pl.Float64,
            }
        )
    n_total = int(cleaned["count"].sum())
    a0 = float(prior)
    counts = cleaned.group_by("topic_id", "word").agg(pl.col("count").sum().alias("y_i"))
    y_i = pl.col("y_i").cast(pl.Float64)
    y_w = pl.col("y_i").sum().over("word").cast(pl.Float64)
    n_i = pl.col("y_i").sum().over("topic_id").cast(pl.Float64)
    scored = (
        counts.with_columns(
            (y_w - y_i).alias("y_j"),
            n_i.alias("n_i"),
            (n_total - n_i).alias("n_j"),
            (a0 * y_w / n_total).alias("alpha"),
        )
        .with_columns(
            (
                ((y_i + pl.col("alpha")) / (pl.col("n_i") + a0 - y_i - pl.col("alpha"))).log()
                - (
                    (pl.col("y_j") + pl.col("alpha"))
                    / (pl.col("n_j") + a0 - pl.col("y_j") - pl.col("alpha"))
                ).log()
            ).alias("log_odds"),
            (1.0 / (y_i + pl.col("alpha")) + 1.0 / (pl.col("y_j") + pl.col("alpha"))).alias(
                "variance"
            ),
        )
        .with_columns((pl.col("log_odds") / pl.col("variance").sqrt()).alias("z_score"))
    )
    return (
        scored.sort(["topic_id", "z_score", "word"], descending=[False, True, False])
        .group_by("topic_id", maintain_order=True)
        .head(top_n)
        .select(
            "topic_id",
            pl.col("word").alias("term"),
            pl.col("y_i").alias("count"),
            "log_odds",
            "z_score",
        )
    )


__all__ = [
    "DEFAULT_TAXONOMY_PATH",
    "TaxonomyError",
    "assign_topics",
    "discover_topics",
    "load_taxonomy",
    "primary_topics",
    "report_topics",
    "taxonomy_version",
    "topic_frequency",
    "topic_terms",
    "topic_trend",
    "topic_word_frame",
    "unmatched_sections",
]
