"""Per-text counts behind textstat's formulas (words, sentences, syllables...), in bulk with Polars.

Instead of calling textstat per text, the counts behind the formulas are computed once per text
with Polars string expressions and syllables are looked up once per distinct word. Where each count
comes from (paths under ``textstat/backend/``):

- words: ``selections/_list_words.py`` + ``transformations/_remove_punctuation.py`` -- split on
  whitespace; drop every character that is not ``\\w`` except apostrophes followed by
  ``t s d ve ll re``. A whitespace-separated chunk is a word iff it holds a ``\\w`` character.
- sentences: ``counts/_count_sentences.py`` -- ``re.findall(r"\\b[^.!?]+[.!?]*")`` minus the
  matches of at most two words, at least 1 (0 for the empty string). Each match is a run between
  ``.!?`` characters that holds a word, so the count is the number of such runs with >= 3 words.
- syllables: ``counts/_count_syllables.py`` -- first CMU pronunciation's stressed phones, else
  Pyphen ``en_US`` hyphenation points + 1; polysyllables: ``counts/_count_polysyllable_words.py``.
- difficult words: ``validations/_is_difficult_word.py`` -- not in ``resources/en/easy_words.txt``
  and at least ``syllable_threshold`` syllables (2 for Spache and ``difficult_words``, which counts
  distinct words; 3 for Gunning fog; 0 for Dale-Chall).
- long words / mini words: ``counts/_count_long_words.py`` (> 6 letters), ``_count_miniwords.py``.

Python's ``re`` and Polars' Rust regex disagree on ``\\w`` and ``\\s`` for some code points (Tamil
vowel signs are ``\\w`` in Rust, not in Python), so the patterns use character classes enumerated
from Python's own ``re`` at first use.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata

import polars as pl
from textstat.backend.utils import get_lang_easy_words, get_pyphen

from pipelines.text.derived_cache import derived
from pipelines.text.readability.dictionary import cmu_syllables

LANG = "en_US"
LINSEAR_WORDS = 100

# --------------------------------------------------------------------------- regexes


# What Python's character classes hold depends on its version and Unicode database.
_UNICODE_SOURCE = f"{sys.version}|{unicodedata.unidata_version}"


@functools.cache
def _python_class(pattern: str) -> str:
    """Rust-regex class body with exactly the code points Python's ``re`` matches by `pattern`."""

    def compute() -> str:
        every_code_point = "".join(map(chr, range(sys.maxunicode + 1)))
        ranges = [(m.start(), m.end() - 1) for m in re.finditer(pattern + "+", every_code_point)]
        return "".join(
            f"\\x{{{lo:X}}}" if lo == hi else f"\\x{{{lo:X}}}-\\x{{{hi:X}}}" for lo, hi in ranges
        )

    return str(derived("python_class", f"{_UNICODE_SOURCE}|{pattern}", compute))


@functools.cache
def _whitespace() -> list[str]:
    """Every character that str.split() and ``re``'s ``\\s`` treat as whitespace."""

    def compute() -> list[str]:
        return [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]

    return list(derived("whitespace", _UNICODE_SOURCE, compute))


@functools.cache
def _patterns() -> dict[str, str]:
    """The Polars regexes equivalent to textstat's Python ones (built once)."""
    w, s = _python_class(r"\w"), _python_class(r"\s")
    return {
        # remove_punctuation(rm_apostrophe=False) inside one chunk: keep \w and contraction
        # apostrophes (textstat's lookahead `'(?=[tsd]|ve|ll|re)`), drop everything else.
        "punctuation": f"('(?:[tsd]|ve|ll|re))|[^{w}]",
        # One match per run between .!? holding >= 3 whitespace-separated chunks with a \w
        # character: count_sentences' findall matches minus those with <= 2 words.
        "sentence": (f"[{w}][^{s}.!?]*(?:[{s}][^{w}.!?]*[{w}][^{s}.!?]*){{2}}[^.!?]*"),
    }


def _count_sentences(text: pl.Expr) -> pl.Expr:
    """textstat's count_sentences: 0 for "", else max(1, runs with >= 3 words)."""
    runs = text.str.count_matches(_patterns()["sentence"]).cast(pl.Int64)
    return (
        pl.when(text.str.len_bytes() == 0)
        .then(pl.lit(0, pl.Int64))
        .otherwise(pl.max_horizontal(pl.lit(1, pl.Int64), runs))
    )


# --------------------------------------------------------------------------- distinct chunks

_NONCONTRACTION_APOSTROPHE_RE = re.compile(r"\'(?!(?:[tsd]|ve|ll|re))")
_PUNCTUATION_RE = re.compile(r"[^\w\s\']")
_CACHE_LIMIT = 1_000_000
# Syllables of one lowercase word (the body of count_syllables' loop) and features of one word.
_SYLLABLE_CACHE: dict[str, int] = {}
_WORD_CACHE: dict[str, tuple[int, int, bool]] = {}


def _word_syllables(word: str) -> int:
    """Syllables count_syllables adds for one lowercase word: CMU stresses, else Pyphen + 1."""
    count = _SYLLABLE_CACHE.get(word)
    if count is None:
        count = cmu_syllables().get(word)
        if count is None:
            count = len(get_pyphen(LANG).positions(word)) + 1
        _SYLLABLE_CACHE[word] = count
    return count


def _syllables(text: str) -> int:
    """textstat's count_syllables(text, "en_US"), for the short texts that words are."""
    if not text:
        return 0
    cleaned = _PUNCTUATION_RE.sub("", _NONCONTRACTION_APOSTROPHE_RE.sub("", text))
    return sum(_word_syllables(word) for word in cleaned.lower().split())


def _word_features(word: str) -> tuple[int, int, bool]:
    """(syllables, syllables as is_difficult_word sees them, in the easy-word list) of a word."""
    features = _WORD_CACHE.get(word)
    if features is None:
        lowered = word.lower()
        if word.isalnum() and lowered.isalnum() and lowered.lower() == lowered:
            # Nothing for remove_punctuation or a second lower() to change: one dictionary word.
            syllables = difficulty_syllables = _word_syllables(lowered)
        else:
            # is_difficult_word counts syllables of the *lowercased* word, which can differ from
            # the word's share of count_syllables(text): "İ".lower() ends in a combining dot.
            syllables, difficulty_syllables = _syllables(word), _syllables(lowered)
        features = (syllables, difficulty_syllables, lowered in get_lang_easy_words(LANG))
        if len(_WORD_CACHE) >= _CACHE_LIMIT:
            clear_word_cache()
        _WORD_CACHE[word] = features
    return features


def clear_word_cache() -> None:
    """Forget the per-distinct-word syllable caches (for fair benchmarks)."""
    _WORD_CACHE.clear()
    _SYLLABLE_CACHE.clear()


def _chunk_table(chunks: pl.Series) -> pl.DataFrame:
    """One row per distinct whitespace chunk: its word and every per-word count and flag."""
    table = pl.DataFrame({"chunk": chunks.unique()}).with_columns(
        pl.col("chunk").str.replace_all(_patterns()["punctuation"], "$1").alias("word")
    )
    syllables, difficulty_syllables, easy = (
        zip(*(_word_features(word) for word in table["word"]), strict=True)
        if table.height
        else ((), (), ())
    )
    word = pl.col("word")
    is_word = word.str.len_bytes() > 0
    # Letters: the word without apostrophes (list_words(text, rm_apostrophe=True)).
    letters = word.str.len_chars() - word.str.count_matches("'", literal=True)
    sy = pl.Series(syllables, dtype=pl.Int64)
    difficulty = pl.Series(difficulty_syllables, dtype=pl.Int64)
    not_easy = is_word & ~pl.Series(easy, dtype=pl.Boolean)
    return table.select(
        "chunk",
        # Distinct words as small integers: cheaper to carry and count than the strings.
        word.rank("dense").cast(pl.Int64).alias("word_id"),
        pl.col("chunk").str.len_chars().cast(pl.Int64).alias("chars"),
        letters.cast(pl.Int64).alias("letters"),
        is_word.cast(pl.Int64).alias("is_word"),
        pl.when(is_word).then(sy).otherwise(0).alias("syllables"),
        (is_word & (sy >= 3)).cast(pl.Int64).alias("polysyllable"),
        (is_word & (letters > 6)).cast(pl.Int64).alias("long"),
        (is_word & (letters <= 3)).cast(pl.Int64).alias("mini"),
        (not_easy & (difficulty >= 2)).cast(pl.Int64).alias("difficult"),
        (not_easy & (difficulty >= 3)).cast(pl.Int64).alias("fog_difficult"),
        (not_easy & (difficulty >= 0)).cast(pl.Int64).alias("dale_chall_difficult"),
        (is_word & (sy > 0) & (sy < 3)).cast(pl.Int64).alias("linsear_easy"),
    )


# --------------------------------------------------------------------------- counts


def text_counts(texts: pl.DataFrame) -> pl.DataFrame:
    """Per-text sentence count and `parts`: the text split at every whitespace character."""
    text = pl.col("plain_text")
    # Mapping each whitespace character to a space and splitting on spaces is much faster than
    # extract_all; the non-empty parts are str.split()'s chunks.
    spaces = _whitespace()
    return texts.select(
        "__rs_row",
        text.str.replace_many(spaces, [" "] * len(spaces)).str.split(" ").alias("parts"),
        _count_sentences(text).alias("n_sentences"),
    )


def word_counts(per_text: pl.DataFrame) -> pl.DataFrame:
    """Per-text sums over the exploded chunks, each chunk looked up in the distinct-chunk table."""
    chunks = (
        per_text.select(
            "__rs_row",
            pl.col("parts").alias("chunk"),
            pl.int_ranges(pl.col("parts").list.len()).alias("part_index"),
        )
        .explode("chunk", "part_index")
        .filter(pl.col("chunk").str.len_bytes() > 0)
    )
    chunks = chunks.join(
        _chunk_table(chunks["chunk"]), on="chunk", how="left", maintain_order="left"
    )
    c = pl.col
    # Element-wise columns first, so the aggregation is plain sums (much faster than filters).
    word_number = c("is_word").cum_sum().over("__rs_row")
    in_linsear = (word_number <= LINSEAR_WORDS).cast(pl.Int64)
    hundredth_word = (word_number == LINSEAR_WORDS) & (c("is_word") == 1)
    chunks = chunks.with_columns(
        (c("polysyllable") * in_linsear).alias("linsear_difficult"),
        (c("linsear_easy") * in_linsear).alias("linsear_easy"),
        pl.when(hundredth_word).then(c("part_index") + 1).alias("linsear_parts"),
    )
    return chunks.group_by("__rs_row").agg(
        pl.len().cast(pl.Int64).alias("n_chunks"),
        c("chars").sum().alias("n_chars"),
        # count_letters: every \w character of the text sits in some word, apostrophes don't count.
        c("letters").sum().alias("n_letters"),
        c("is_word").sum().alias("n_words"),
        c("syllables").sum().alias("n_syllables"),
        c("polysyllable").sum().alias("n_polysyllables"),
        c("word_id")
        .filter(c("difficult") == 1)
        .n_unique()
        .cast(pl.Int64)
        .alias("n_difficult_words"),
        c("long").sum().alias("n_long_words"),
        c("mini").sum().alias("n_miniwords"),
        c("difficult").sum().alias("n_spache_difficult"),
        c("fog_difficult").sum().alias("n_fog_difficult"),
        c("dale_chall_difficult").sum().alias("n_dale_chall_difficult"),
        c("linsear_difficult").sum().alias("n_linsear_difficult"),
        c("linsear_easy").sum().alias("n_linsear_easy"),
        # Linsear counts sentences in the parts up to and including the 100th word's chunk;
        # the text is cut short when a chunk follows that one.
        c("linsear_parts").max().cast(pl.Int64),
        (c("part_index").max() + 1).cast(pl.Int64).alias("n_parts_to_last_chunk"),
    )


def linsear_sentences(counts: pl.DataFrame) -> pl.DataFrame:
    """`__rs_row` and count_sentences(" ".join(chunks[:i])) where Linsear cuts the text short."""
    cut = counts.filter(pl.col("linsear_parts") < pl.col("n_parts_to_last_chunk"))
    # Empty parts only lengthen the prefix's whitespace, which leaves its sentence count alone.
    prefix = pl.col("parts").list.head(pl.col("linsear_parts")).list.join(" ")
    return cut.select("__rs_row", _count_sentences(prefix).alias("linsear_sentences"))
