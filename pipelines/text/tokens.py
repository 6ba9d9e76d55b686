"""Word tokenization shared by the metric families: tokenize once, reuse the exploded frame."""

from __future__ import annotations

import polars as pl

# A word is a run of letters/digits, optionally joined by inner apostrophes or hyphens
# ("don't", "state-of-the-art", "learners’"). Punctuation and Markdown marks are not words.
WORD_PATTERN = r"[\p{L}\p{M}\p{N}_]+(?:['’\-][\p{L}\p{M}\p{N}_]+)*"


def count_words(text: pl.Expr) -> pl.Expr:
    """Number of words in each text, by WORD_PATTERN."""
    return text.str.count_matches(WORD_PATTERN).cast(pl.Int64)


def word_frame(
    texts: pl.DataFrame, key: list[str], text_column: str = "plain_text"
) -> pl.DataFrame:
    """One row per word occurrence: the key columns, `position` (0-based) and lowercased `word`."""
    return (
        texts.select(
            *key,
            pl.col(text_column).str.to_lowercase().str.extract_all(WORD_PATTERN).alias("word"),
        )
        .with_columns(pl.int_ranges(pl.col("word").list.len()).alias("position"))
        .explode("word", "position")
        .drop_nulls("word")
    )
