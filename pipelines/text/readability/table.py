"""Readability of texts in bulk (`readability`), and textstat's own numbers as the reference.

The reference implementation is textstat 0.7.13 (pinned in pyproject.toml) with its defaults:
language ``en_US``, no rounding, apostrophes of English contractions kept inside words. Every
number `readability` returns equals what textstat's own function returns for the same text
(`textstat_reference` calls those functions one by one; the tests compare the two on real reports).

Instead of calling textstat per text, the counts behind the formulas are computed once per text
with Polars string expressions (`counts`), syllables are looked up once per distinct word, and each
formula is a column expression over the counts (`formulas`).

Texts carry a `language` (ISO 639-1; English when the column is absent). The English formulas
are computed for every text, but only English texts long enough are `reliable`; the others say
why in `reliability_reason`, and get their own language's formulas where textstat has them
(`own_language`). In Chinese, Japanese and Korean text each CJK character is a word of its
own (tokens.CJK_CHARACTERS) and 。！？ end sentences, as the shared word definition has it.
"""

from __future__ import annotations

import itertools

import numpy as np
import polars as pl

from pipelines.text.language import CJK_LANGUAGES, ENGLISH
from pipelines.text.readability.counts import linsear_sentences, text_counts, word_counts
from pipelines.text.readability.dictionary import REFERENCE_TEXTSTAT
from pipelines.text.readability.formulas import (
    COUNT_COLUMNS,
    METRIC_COLUMNS,
    RELIABLE_MIN_SENTENCES,
    RELIABLE_MIN_WORDS,
    apply_formulas,
)
from pipelines.text.readability.own_language import (
    OWN_COLUMNS,
    own_language_scores,
    reliability_reason,
)
from pipelines.text.tokens import CJK_CHARACTERS

# Characters of text processed at once: every chunk of every text is a row of ~20 columns,
# so batches bound memory (texts are independent; results are the same).
_BATCH_CHARS = 4_000_000


# Output columns after the key, the metrics and the counts.
RELIABILITY_COLUMNS = ("reliable", "language", "reliability_reason", *OWN_COLUMNS)


def readability(texts: pl.DataFrame, key: list[str]) -> pl.DataFrame:
    """Key columns, textstat's metrics (Float64), counts (Int64), `reliable`, the text's
    `language`, `reliability_reason` and its own language's formulas (OWN_COLUMNS) per text."""
    lengths = texts.select(pl.col("plain_text").cast(pl.String).str.len_bytes().fill_null(0))
    batch = (lengths.to_series().cum_sum() // _BATCH_CHARS).to_numpy()
    if texts.height == 0 or batch[-1] == 0:
        return _readability(texts, key)
    bounds = np.flatnonzero(np.diff(batch, prepend=-1, append=batch[-1] + 1))
    return pl.concat(
        [_readability(texts.slice(lo, hi - lo), key) for lo, hi in itertools.pairwise(bounds)]
    )


def _readability(texts: pl.DataFrame, key: list[str]) -> pl.DataFrame:
    """`readability` on one batch of texts."""
    language = (
        pl.col("language").cast(pl.String).fill_null(ENGLISH)
        if "language" in texts.columns
        else pl.lit(ENGLISH, pl.String)
    )
    base = texts.select(
        *key, pl.col("plain_text").cast(pl.String).fill_null(""), language.alias("language")
    ).with_row_index("__rs_row")
    per_text = text_counts(base.with_columns(_cjk_words_apart(pl.col("plain_text"))))
    counts = per_text.join(word_counts(per_text), on="__rs_row", how="left", maintain_order="left")
    counts = counts.with_columns(
        pl.col(name).fill_null(0)
        for name in counts.columns
        if name.startswith("n_") and name not in per_text.columns
    )
    counts = counts.join(
        linsear_sentences(counts), on="__rs_row", how="left", maintain_order="left"
    ).with_columns(
        # Not cut short: " ".join(all chunks), which has textstat's sentence count unless the
        # text is only whitespace (the join is then "" and count_sentences("") is 0).
        pl.col("linsear_sentences").fill_null(
            pl.when(pl.col("n_chunks") == 0).then(0).otherwise(pl.col("n_sentences"))
        )
    )
    metrics = apply_formulas(counts)
    long_enough = (pl.col("n_words") >= RELIABLE_MIN_WORDS) & (
        pl.col("n_sentences") >= RELIABLE_MIN_SENTENCES
    )
    reasons = pl.concat(
        [base.select("language"), metrics.select(long_enough.alias("long_enough"))],
        how="horizontal",
    ).select(
        "language",
        (pl.col("long_enough") & (pl.col("language") == ENGLISH)).alias("reliable"),
        reliability_reason(pl.col("language"), pl.col("long_enough")).alias("reliability_reason"),
    )
    own = own_language_scores(base["plain_text"], base["language"])
    # Every step kept the rows in `__rs_row` order, so the columns line up with the input.
    return pl.concat(
        [
            base.select(*key),
            metrics.select(
                *(pl.col(name).cast(pl.Float64) for name in METRIC_COLUMNS),
                *(pl.col(name).cast(pl.Int64) for name in COUNT_COLUMNS),
            ),
            reasons.select("reliable", "language", "reliability_reason"),
            own,
        ],
        how="horizontal",
    )


def _cjk_words_apart(text: pl.Expr) -> pl.Expr:
    """In Chinese, Japanese or Korean text: CJK characters as whitespace-separated words, and
    full-width sentence ends as textstat's; other texts unchanged."""
    apart = text.str.replace_all(f"([{CJK_CHARACTERS}])", " ${1} ").str.replace_many(
        ["。", "！", "？"], [".", "!", "?"]
    )
    return (
        pl.when(pl.col("language").is_in(list(CJK_LANGUAGES)))
        .then(apart)
        .otherwise(text)
        .alias("plain_text")
    )


def textstat_reference(text: str) -> dict[str, float]:
    """The same columns from textstat's own functions, one call each (the slow baseline)."""
    ts = REFERENCE_TEXTSTAT
    result: dict[str, float] = {
        "flesch_reading_ease": ts.flesch_reading_ease(text),
        "flesch_kincaid_grade": ts.flesch_kincaid_grade(text),
        "gunning_fog": ts.gunning_fog(text),
        "smog_index": ts.smog_index(text),
        "coleman_liau_index": ts.coleman_liau_index(text),
        "automated_readability_index": ts.automated_readability_index(text),
        "dale_chall_readability_score": ts.dale_chall_readability_score(text),
        "linsear_write_formula": ts.linsear_write_formula(text),
        "text_standard": float(ts.text_standard(text, float_output=True)),
        "spache_readability": ts.spache_readability(text),
        "mcalpine_eflaw": ts.mcalpine_eflaw(text),
        "reading_time": ts.reading_time(text),
        "n_sentences": ts.sentence_count(text),
        "n_words": ts.lexicon_count(text),
        "n_syllables": ts.syllable_count(text),
        "n_polysyllables": ts.polysyllabcount(text),
        "n_difficult_words": ts.difficult_words(text),
        "n_long_words": ts.long_word_count(text),
    }
    result["reliable"] = (
        result["n_words"] >= RELIABLE_MIN_WORDS and result["n_sentences"] >= RELIABLE_MIN_SENTENCES
    )
    return result
