"""Tests of pipelines.text.redundancy.gopher and .repetition: Gopher's Table A1 measures."""

from __future__ import annotations

import random
import re
import zlib
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.text.redundancy.gopher import (
    REPETITION_COLUMNS,
    compression_ratio,
    find_all_duplicate,
    repetition_measures,
    split_lines,
    split_paragraphs,
)
from pipelines.text.redundancy.repetition import repetition
from pipelines.text.tokens import WORD_PATTERN

SEED_004 = Path(__file__).resolve().parents[1] / "seeds" / "004_c37010fbd4496169.txt"


def measures(text: str) -> dict[str, float]:
    """repetition() of a single text, as a dict."""
    frame = pl.DataFrame({"id": [0], "plain_text": [text]})
    return repetition(frame, ["id"]).drop("id").row(0, named=True)


# --- 1. Gopher repetition ---------------------------------------------------------------------


def test_duplicate_lines_hand_computed() -> None:
    """Three lines, the second repeats the first."""
    m = measures("hello world\nhello world\nbye")
    # len = 11 + 1 + 11 + 1 + 3 = 27; lines: 1 duplicate of 3, with 11 chars → 1/3 and 11/27.
    assert m["dup_line_frac"] == pytest.approx(1 / 3)
    assert m["dup_line_char_frac"] == pytest.approx(11 / 27)
    # One paragraph only (no blank line) → no duplicate paragraph.
    assert m["dup_para_frac"] == 0.0
    assert m["dup_para_char_frac"] == 0.0


def test_duplicate_paragraphs_hand_computed() -> None:
    """Three paragraphs, the third repeats the first."""
    m = measures("alpha beta\n\ngamma\n\nalpha beta")
    # len = 10 + 2 + 5 + 2 + 10 = 29; paragraphs (split on \n{2,}): 1 duplicate of 3,
    # 10 chars → 1/3 and 10/29; lines (split on \n+) are the same three pieces.
    assert m["dup_para_frac"] == pytest.approx(1 / 3)
    assert m["dup_para_char_frac"] == pytest.approx(10 / 29)
    assert m["dup_line_frac"] == pytest.approx(1 / 3)
    assert m["dup_line_char_frac"] == pytest.approx(10 / 29)


def test_top_ngrams_hand_computed() -> None:
    """Top 2/3/4-gram character fractions of 'the cat the cat the dog'."""
    m = measures("the cat the cat the dog")
    # len 23. 2-grams: "the cat" ×2, "cat the" ×2, "the dog" ×1 → top "the cat": 7 × 2 = 14.
    assert m["top_2gram_char_frac"] == pytest.approx(14 / 23)
    # 3-grams: "the cat the" ×2 (11 chars) → 22 / 23.
    assert m["top_3gram_char_frac"] == pytest.approx(22 / 23)
    # 4-grams all once → the first, "the cat the cat" (15 chars) × 1 → 15 / 23.
    assert m["top_4gram_char_frac"] == pytest.approx(15 / 23)
    # 6 words: no 5-gram repeats.
    assert m["dup_5gram_char_frac"] == 0.0


def test_top_ngram_tie_goes_to_first_seen() -> None:
    """Counter.most_common(1) keeps the first of tied n-grams, not the longest."""
    m = measures("a bbb cc a bbb cc")
    # len 17. "a bbb" ×2 (5 chars) and "bbb cc" ×2 (6 chars) tie; "a bbb" came first → 10/17.
    assert m["top_2gram_char_frac"] == pytest.approx(10 / 17)


def test_duplicate_ngram_walk_hand_computed() -> None:
    """datatrove's walk counts a repeated n-gram's chars and skips n words ahead."""
    m = measures("a b c d e a b c d e")
    # len 19; 5-grams ("".join): abcde, bcdea, cdeab, deabc, eabcd, abcde ← seen: +5 chars.
    assert m["dup_5gram_char_frac"] == pytest.approx(5 / 19)
    assert m["dup_6gram_char_frac"] == 0.0  # the five 6-grams are all distinct
    m = measures("a a a a a a a")
    # len 13, 7 words. idx 0 "aaaaa" new; idx 1 seen → +5, jump to idx 6 > 7-5 → stop: 5/13
    # (counting every later occurrence instead would give 10/13).
    assert m["dup_5gram_char_frac"] == pytest.approx(5 / 13)
    # 2-grams "a a" ×6 of 3 chars = 18 > 13: clipped to 1.
    assert m["top_2gram_char_frac"] == 1.0


def test_duplicate_ngram_uses_joined_strings() -> None:
    """n-grams compare as "".join(words), as datatrove does: "ab c" equals "a bc"."""
    words = ["ab", "c", "d", "e", "f", "a", "bc", "d", "e", "f"]
    text = " ".join(words)  # 12 letters + 9 spaces = 21; 5-grams 0 and 5 are both "abcdef"
    assert find_all_duplicate(words, 5) == 6
    assert measures(text)["dup_5gram_char_frac"] == pytest.approx(6 / 21)  # +6 chars


def test_compression_ratio() -> None:
    """Compressed / raw bytes: lower for repetitive text, above 1 for tiny text, 0 if empty."""
    raw = b"abc abc abc abc abc abc abc abc"
    assert compression_ratio(raw.decode()) == len(zlib.compress(raw, 9)) / len(raw)
    assert compression_ratio("hi") > 1.0
    assert compression_ratio("") == 0.0
    assert (
        measures("word " * 200)["compression_ratio"]
        < measures(SEED_004.read_text())["compression_ratio"]
    )


def test_empty_and_null_text_are_zeros() -> None:
    """Empty or null text → every measure 0, never NaN."""
    frame = pl.DataFrame({"id": [1, 2], "plain_text": ["", None]})
    out = repetition(frame, ["id"])
    assert out.columns == ["id", *REPETITION_COLUMNS]
    assert out.drop("id").to_numpy().tolist() == [[0.0] * len(REPETITION_COLUMNS)] * 2


def reference_measures(frame: pl.DataFrame) -> pl.DataFrame:
    """The per-text reference (datatrove's way) for every `plain_text` of a frame."""
    texts = frame["plain_text"].to_list()
    words = frame.select(pl.col("plain_text").str.extract_all(WORD_PATTERN))["plain_text"]
    return pl.DataFrame(
        [repetition_measures(t, w or []) for t, w in zip(texts, words.to_list(), strict=True)]
    )


def test_vectorized_repetition_equals_reference() -> None:
    """repetition() == the per-text reference on random texts full of ties and overlaps."""
    rng = random.Random(7)
    vocab = ["a", "b", "ab", "c", "bc", "the", "cat", "é", "x-y", "don't", "Ab"]
    seps = [" ", " ", " ", "\n", "\n\n", ", "]
    texts = ["", "\n\n", "a a a a a", "ab c a bc ab c a bc ab c a bc"]
    for _ in range(400):
        texts.append(
            "".join(rng.choice(vocab) + rng.choice(seps) for _ in range(rng.randint(0, 40)))
        )
    frame = pl.DataFrame({"id": range(len(texts)), "plain_text": texts})
    fast = repetition(frame, ["id"])
    reference = reference_measures(frame)
    for column in REPETITION_COLUMNS:
        np.testing.assert_allclose(fast[column].to_numpy(), reference[column].to_numpy())
        assert fast[column].min() >= 0.0
    assert (reference["dup_5gram_char_frac"] > 0).sum() > 0  # the walk was exercised


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="ab \n", max_size=40))
def test_line_and_paragraph_splits_equal_datatroves_regex_splits(text: str) -> None:
    """The str.split fast paths give exactly datatrove's re.split lines and paragraphs."""
    assert split_lines(text) == re.split(r"\n+", text)
    assert split_paragraphs(text.strip()) == re.split(r"\n{2,}", text.strip())


def test_top_ngram_fractions_without_any_repeat_in_the_batch_equal_datatrove() -> None:
    """No n-gram repeats anywhere: each text's top n-gram is its first, counted once."""
    texts = ["alpha beta gamma delta epsilon zeta", "one two three four five"]
    got = repetition(pl.DataFrame({"id": [0, 1], "plain_text": texts}), ["id"])
    for i, text in enumerate(texts):
        words = text.split()
        reference = repetition_measures(text, words)
        for n in (2, 3, 4):
            expected = len(" ".join(words[:n])) / len(text)
            assert reference[f"top_{n}gram_char_frac"] == pytest.approx(expected)
            assert got[f"top_{n}gram_char_frac"][i] == pytest.approx(expected), (i, n)


def test_texts_with_very_many_repeated_grams_walk_alone_and_equal_the_reference() -> None:
    """Texts past the vectorized walk's limit (a 5 MiB line of one word) give the same values."""
    rng = random.Random(11)
    long_texts = [
        "word " * 20_000,
        " ".join(rng.choice(["a", "b", "ab"]) for _ in range(15_000)),
        "\n".join("the cat sat on the mat" for _ in range(3_000)),
    ]
    short_texts = ["a a a a a b a a a a", "ab c a bc ab c a bc ab c a bc", ""]
    texts = [long_texts[0], short_texts[0], long_texts[1], short_texts[1], long_texts[2], ""]
    frame = pl.DataFrame({"id": range(len(texts)), "plain_text": texts})
    fast = repetition(frame, ["id"])
    reference = reference_measures(frame)
    for column in REPETITION_COLUMNS:
        np.testing.assert_allclose(fast[column].to_numpy(), reference[column].to_numpy())
    assert reference["dup_10gram_char_frac"][0] > 0.5  # the long walks were exercised
