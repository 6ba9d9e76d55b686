"""textstat's formulas as column expressions over the per-text counts, and the output columns.

Each formula is a column expression over the counts of `counts`, in textstat's operation order.
Where each comes from (paths under ``textstat/backend/``):

- formulas: ``metrics/_flesch_reading_ease.py`` (206.835 - 1.015 ASL - 84.6 ASW),
  ``_flesch_kincaid_grade.py`` (0.39 ASL + 11.8 ASW - 15.59), ``_gunning_fog.py``,
  ``_smog_index.py``, ``_coleman_liau_index.py``, ``_automated_readability_index.py``,
  ``_dale_chall_readability_score.py``, ``_linsear_write_formula.py`` (first 100 words; sentences
  of the chunks up to the 100th word), ``_text_standard.py`` (most common of floor/ceil/round of
  the grades, first one on ties, clamped to 1..18 by ``textstat.text_standard``),
  ``_spache_readability.py``, ``_mcalpine_eflaw.py``, ``_reading_time.py`` (14.69 ms per
  non-space character).
"""

from __future__ import annotations

import numpy as np
import polars as pl

MS_PER_CHAR = 14.69
RELIABLE_MIN_WORDS = 100
RELIABLE_MIN_SENTENCES = 3
_NO_GRADE = -(2**62)

METRIC_COLUMNS: tuple[str, ...] = (
    "flesch_reading_ease",
    "flesch_kincaid_grade",
    "gunning_fog",
    "smog_index",
    "coleman_liau_index",
    "automated_readability_index",
    "dale_chall_readability_score",
    "linsear_write_formula",
    "text_standard",
    "spache_readability",
    "mcalpine_eflaw",
    "reading_time",
)
COUNT_COLUMNS: tuple[str, ...] = (
    "n_sentences",
    "n_words",
    "n_syllables",
    "n_polysyllables",
    "n_difficult_words",
    "n_long_words",
)


def _ratio(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """numerator / denominator, 0.0 where textstat catches ZeroDivisionError."""
    return pl.when(denominator == 0).then(0.0).otherwise(numerator / denominator)


def _grades(score: pl.Expr) -> list[pl.Expr]:
    """[floor, ceil, round-half-even] of a score, as text_standard appends them."""
    return [
        score.floor().cast(pl.Int64),
        score.ceil().cast(pl.Int64),
        score.round(0, mode="half_to_even").cast(pl.Int64),
    ]


def _flesch_grades(score: pl.Expr) -> list[pl.Expr]:
    """text_standard's grade(s) for a Flesch reading ease score (two for 60..70, else one)."""
    first = pl.lit(13, pl.Int64)
    for low, grade in ((30, 12), (40, 11), (50, 10), (60, 8), (70, 7), (80, 6), (90, 5)):
        first = pl.when((score < low + 10) & (score >= low)).then(grade).otherwise(first)
    second = pl.when((score < 70) & (score >= 60)).then(pl.lit(9, pl.Int64))
    return [first.cast(pl.Int64), second]


def _text_standard(frame: pl.DataFrame) -> pl.Series:
    """textstat.text_standard(float_output=True): most common grade, first on ties, in 1..18."""
    c = pl.col
    grade_columns = [
        *_grades(c("flesch_kincaid_grade")),
        *_flesch_grades(c("flesch_reading_ease")),
        *_grades(c("smog_index")),
        *_grades(c("coleman_liau_index")),
        *_grades(c("automated_readability_index")),
        *_grades(c("dale_chall_readability_score")),
        *_grades(c("linsear_write_formula")),
        *_grades(c("gunning_fog")),
    ]
    # The absent second Flesch grade becomes a value no real grade takes; it can never win,
    # since every other score votes at least twice for its rounded value.
    grades = frame.select(
        grade.fill_null(_NO_GRADE).alias(f"g{i}") for i, grade in enumerate(grade_columns)
    ).to_numpy()
    votes = (grades[:, :, np.newaxis] == grades[:, np.newaxis, :]).sum(axis=2)
    # argmax returns the first maximum: Counter.most_common(1) keeps the first grade inserted
    # among equally common ones.
    winners = grades[np.arange(len(grades)), votes.argmax(axis=1)] if len(grades) else grades[:, 0]
    return pl.Series("text_standard", winners, dtype=pl.Int64).clip(1, 18).cast(pl.Float64)


def apply_formulas(counts: pl.DataFrame) -> pl.DataFrame:
    """Apply textstat's formulas as column expressions, in textstat's operation order."""
    c = pl.col
    words_per_sentence = _ratio(c("n_words"), c("n_sentences"))
    syllables_per_word = _ratio(c("n_syllables"), c("n_words"))
    chars_per_word = _ratio(c("n_chars"), c("n_chunks"))
    letters_per_100 = _ratio(c("n_letters"), c("n_words")) * 100
    sentences_per_100 = _ratio(c("n_sentences"), c("n_words")) * 100

    def per_100_words(difficult: str) -> pl.Expr:
        return 100 * c(difficult) / c("n_words")

    no_words = c("n_words") == 0
    no_sentences = c("n_sentences") == 0
    flat = (words_per_sentence == 0) | (syllables_per_word == 0)
    dale_chall_percent = per_100_words("n_dale_chall_difficult")
    linsear_points = c("n_linsear_easy") * 1 + c("n_linsear_difficult") * 3
    linsear_number = linsear_points / c("linsear_sentences")
    # Two per-text values are computed in Python, one operation each, because Polars rounds
    # differently in the last bit (and text_standard floors and ceils these scores): Polars'
    # `pow(0.5)` is a correctly rounded sqrt while textstat's `** 0.5` is C `pow`, and Polars
    # divides a column by a scalar as a multiplication by the reciprocal.
    smog_root = [
        (30 * (poly / sentences)) ** 0.5 if sentences else 0.0
        for poly, sentences in zip(counts["n_polysyllables"], counts["n_sentences"], strict=True)
    ]
    reading_time = [MS_PER_CHAR * chars / 1000 for chars in counts["n_chars"]]
    counts = counts.with_columns(
        pl.Series("smog_root", smog_root, dtype=pl.Float64),
        pl.Series("reading_time", reading_time, dtype=pl.Float64),
    )
    frame = counts.with_columns(
        pl.when(flat)
        .then(0.0)
        .otherwise(206.835 - 1.015 * words_per_sentence - 84.6 * syllables_per_word)
        .alias("flesch_reading_ease"),
        pl.when(flat)
        .then(0.0)
        .otherwise((0.39 * words_per_sentence) + (11.8 * syllables_per_word) - 15.59)
        .alias("flesch_kincaid_grade"),
        pl.when(no_words)
        .then(0.0)
        .otherwise(0.4 * (words_per_sentence + per_100_words("n_fog_difficult")))
        .alias("gunning_fog"),
        pl.when(no_sentences)
        .then(0.0)
        .otherwise((1.043 * c("smog_root")) + 3.1291)
        .alias("smog_index"),
        pl.when((letters_per_100 == 0) | (sentences_per_100 == 0))
        .then(0.0)
        .otherwise((0.058 * letters_per_100) - (0.296 * sentences_per_100) - 15.8)
        .alias("coleman_liau_index"),
        pl.when((chars_per_word == 0) | (words_per_sentence == 0))
        .then(0.0)
        .otherwise((4.71 * chars_per_word) + (0.5 * words_per_sentence) - 21.43)
        .alias("automated_readability_index"),
        pl.when(no_words)
        .then(0.0)
        .otherwise(
            (0.1579 * dale_chall_percent)
            + (0.0496 * words_per_sentence)
            + pl.when(dale_chall_percent > 5).then(3.6365).otherwise(0.0)
        )
        .alias("dale_chall_readability_score"),
        pl.when(c("linsear_sentences") == 0)
        .then(0.0)
        .otherwise(
            pl.when(linsear_number <= 20).then(linsear_number - 2).otherwise(linsear_number) / 2
        )
        .alias("linsear_write_formula"),
        pl.when(no_words)
        .then(0.0)
        .otherwise(
            (0.141 * words_per_sentence) + (0.086 * per_100_words("n_spache_difficult")) + 0.839
        )
        .alias("spache_readability"),
        pl.when(no_sentences)
        .then(0.0)
        .otherwise((c("n_words") + c("n_miniwords")) / c("n_sentences"))
        .alias("mcalpine_eflaw"),
    )
    return frame.with_columns(_text_standard(frame))
