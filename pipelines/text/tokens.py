r"""The one word definition every metric shares, and word tokenization over Polars frames.

A word is a run of letters/digits, optionally joined by inner apostrophes or hyphens ("don't",
"state-of-the-art", "learners’"), except in the CJK scripts, which write no spaces between
words: there each character (Han, Hiragana, Katakana, Hangul, and the prolonged sound mark ー)
is one word, the usual convention for CJK word counts ("人工智能" is 4 words, "AI模型" 3).
Punctuation and Markdown marks are not words.

WORD_PATTERN is written for all three regex engines that read it: Polars (Rust `regex`),
Python's `regex` module and DuckDB (RE2), which has no class subtraction, so "a letter that
is not CJK" is the negated class `[^\P{L}<CJK>]`.
"""

from __future__ import annotations

import polars as pl
import regex

# The characters that are each one word (a combining mark after one belongs to it).
CJK_CHARACTERS = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}ーｰ"
_NON_CJK_WORD_CHARACTER = rf"(?:[^\P{{L}}{CJK_CHARACTERS}]|[\p{{M}}\p{{N}}_])"
WORD_PATTERN = (
    rf"[{CJK_CHARACTERS}]\p{{M}}*"
    rf"|{_NON_CJK_WORD_CHARACTER}+(?:['’\-]{_NON_CJK_WORD_CHARACTER}+)*"
)
# Without any CJK character WORD_PATTERN matches what this simpler (faster in Python) one does.
_WORD_WITHOUT_CJK = regex.compile(r"[\p{L}\p{M}\p{N}_]+(?:['’\-][\p{L}\p{M}\p{N}_]+)*")
_WORD = regex.compile(WORD_PATTERN)
_CJK = regex.compile(rf"[{CJK_CHARACTERS}]")


def count_words(text: pl.Expr) -> pl.Expr:
    """Number of words in each text, by WORD_PATTERN."""
    return text.str.count_matches(WORD_PATTERN).cast(pl.Int64)


def has_word(text: str) -> bool:
    """Whether a Python string holds a word (WORD_PATTERN)."""
    return _WORD_WITHOUT_CJK.search(text) is not None or _CJK.search(text) is not None


def text_words(text: str) -> list[str]:
    """The words of a Python string, by WORD_PATTERN (the simpler pattern when it has no CJK)."""
    pattern = _WORD if _CJK.search(text) else _WORD_WITHOUT_CJK
    return pattern.findall(text)


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
