"""Section → taxonomy topic assignment: term hits scored by heading and body density."""

from __future__ import annotations

import polars as pl

from pipelines.text.topics.taxonomy import term_table
from pipelines.text.topics.terms import match_tokens, term_hits

_ASSIGNMENT_SCHEMA = {
    "section_id": pl.String,
    "report_id": pl.String,
    "topic_id": pl.String,
    "score": pl.Float64,
    "is_primary": pl.Boolean,
    "evidence": pl.List(pl.String),
}


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
    "fine tuning" agree) and matched against the taxonomy terms word by word (`term_hits`:
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
    terms = term_table(taxonomy)
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
    words = match_tokens(texts.select("text_row", "text"), ["text_row"], "text")
    owners = texts.select(pl.col("text_row").cast(pl.Int64), "section_id", "report_id", "field")
    body_words = (
        words.group_by("text_row")
        .agg(pl.len().cast(pl.Int64).alias("body_words"))
        .with_columns(pl.col("text_row").cast(pl.Int64))
        .join(owners.filter(pl.col("field") == "body"), on="text_row")
        .select("section_id", "body_words")
    )
    hits = term_hits(words, terms).join(owners, on="text_row")
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
