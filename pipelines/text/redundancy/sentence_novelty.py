"""Per sentence: how much of it EARLIER reports already said, and which report said it.

A sentence's word 5-shingles (the stored section shingles' definition, `text_shingles`) are
looked up in the stored section shingles of the reports that arrived earlier (the lookup is SQL
in the Dagster shell, `pipelines/defs/whats_new.py`); this module cuts the sentences, makes
their shingles and turns the lookup's counts into rows.
"""

from __future__ import annotations

import polars as pl

from pipelines.text.redundancy.shingles import text_shingles
from pipelines.text.sentences import split_sentences

SENTENCE_KEY = ["report_id", "section_id", "sentence_no"]
# What the shell's lookup returns, one row per sentence with a seen shingle.
LOOKUP_SCHEMA = {
    "report_id": pl.String,
    "section_id": pl.String,
    "sentence_no": pl.Int64,
    "n_seen": pl.Int64,
    "first_report_id": pl.String,
}
SENTENCE_NOVELTY_SCHEMA = {
    "report_id": pl.String,
    "section_id": pl.String,
    "sentence_no": pl.Int64,
    "paragraph_no": pl.Int64,
    "text": pl.String,
    "n_shingles": pl.Int64,
    "n_shingles_seen": pl.Int64,
    "seen_share": pl.Float64,
    "first_report_id": pl.String,
}


def sentences_and_shingles(sections: pl.DataFrame, k: int = 5) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The sections' sentences and each sentence's distinct full word k-shingles.

    A sentence of fewer than k words has no shingle (not one shingle of all its words, as a
    short section has): a few words in common say nothing about repetition.
    """
    sentences = split_sentences(sections)
    shingles = text_shingles(sentences, SENTENCE_KEY, "text", k, short_texts=False)
    return sentences, shingles


def sentence_novelty(
    sentences: pl.DataFrame, shingles: pl.DataFrame, lookup: pl.DataFrame
) -> pl.DataFrame:
    """The rows of `corpus.sentence_novelty`: each sentence with its seen share.

    `lookup` (LOOKUP_SCHEMA): per sentence, how many of its shingles an earlier report holds
    and the earlier report holding most of them. seen_share = n_shingles_seen / n_shingles,
    NULL for a sentence without shingles (under 5 words); first_report_id NULL when nothing
    was seen.
    """
    counts = shingles.group_by(SENTENCE_KEY).agg(pl.len().cast(pl.Int64).alias("n_shingles"))
    return (
        sentences.join(counts, on=SENTENCE_KEY, how="left")
        .join(lookup.cast(LOOKUP_SCHEMA), on=SENTENCE_KEY, how="left")  # type: ignore[arg-type]
        .with_columns(
            pl.col("n_shingles").fill_null(0),
            pl.col("n_seen").fill_null(0).alias("n_shingles_seen"),
        )
        .with_columns(
            seen_share=pl.when(pl.col("n_shingles") > 0).then(
                pl.col("n_shingles_seen") / pl.col("n_shingles")
            ),
            first_report_id=pl.when(pl.col("n_shingles_seen") > 0).then("first_report_id"),
        )
        .select(list(SENTENCE_NOVELTY_SCHEMA))
        .cast(SENTENCE_NOVELTY_SCHEMA)  # type: ignore[arg-type]
        .sort(SENTENCE_KEY)
    )
