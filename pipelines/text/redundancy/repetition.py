"""Gopher repetition measures of every text of a frame at once: vectorized, same values.

`repetition` gives, per row, the values `gopher.repetition_measures` gives per text: the
n-gram counts run as Polars group-bys over all texts, datatrove's sequential walk only where
a hash check finds a repeated n-gram.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import numpy as np
import polars as pl

from pipelines.text.redundancy.codes import dense_codes
from pipelines.text.redundancy.gopher import (
    GOPHER_DUP_NGRAM_CHAR_FRAC,
    GOPHER_TOP_NGRAM_CHAR_FRAC,
    REPETITION_COLUMNS,
    compression_ratio,
    line_paragraph_measures,
)
from pipelines.text.redundancy.hashing import mix64
from pipelines.text.tokens import WORD_PATTERN


def repetition(
    texts: pl.DataFrame, key: list[str], text_column: str = "plain_text"
) -> pl.DataFrame:
    """Gopher Table A1 repetition fractions + zlib compression ratio, one row per input row.

    Each value is the continuous measure from Rae et al. 2021 (Gopher), Table A1, computed as
    datatrove's `GopherRepetitionFilter` does; Gopher dropped a document when a value exceeded
    its threshold: dup_line_frac 0.30, dup_para_frac 0.30, dup_line_char_frac 0.20,
    dup_para_char_frac 0.20, top_{2,3,4}gram_char_frac 0.20/0.18/0.16,
    dup_{5..10}gram_char_frac 0.15/0.14/0.13/0.12/0.11/0.10 (constants `GOPHER_*`). Character
    denominators are the length of the whole (unstripped) text. Differences from datatrove:
    words come from the shared `WORD_PATTERN` (case kept, punctuation is not a token; datatrove
    uses NLTK's tokenizer, which emits punctuation tokens), and top n-gram fractions are clipped
    to 1. `compression_ratio` = zlib level-9 compressed bytes / raw UTF-8 bytes: LOWER means
    more repetitive; it exceeds 1 for tiny texts (zlib's fixed overhead). Empty or null
    text gives zeros everywhere. Same values as `repetition_measures` per text, but the
    n-gram counts run as Polars group-bys over all texts at once and datatrove's sequential
    duplicate walk only runs for texts where a vectorized hash check finds a repeated n-gram.
    """
    frame = texts.select(*key, pl.col(text_column).fill_null(""))
    # Texts are independent: batches of about _BATCH_CHARS characters bound memory.
    batch = (frame[text_column].str.len_bytes().cum_sum() // _BATCH_CHARS).to_numpy()
    bounds = np.flatnonzero(np.diff(batch, prepend=-1, append=(batch[-1] + 1) if len(batch) else 0))
    measures = pl.concat(
        [_repetition_batch(frame[text_column].slice(lo, hi - lo)) for lo, hi in pairwise(bounds)]
        or [_repetition_batch(frame[text_column])]
    )
    return pl.concat([frame.select(key), measures], how="horizontal")


# Characters of text `repetition` processes at once (about 16 bytes of arrays per word).
_BATCH_CHARS = 8_000_000


def _repetition_batch(texts: pl.Series) -> pl.DataFrame:
    """The REPETITION_COLUMNS of each text of a batch, in order."""
    text_list = texts.to_list()
    n_chars = texts.str.len_chars().to_numpy().astype(np.float64)
    columns = {name: np.zeros(len(text_list)) for name in REPETITION_COLUMNS}
    # zlib releases the GIL: compress on two threads while this one splits lines.
    with ThreadPoolExecutor(max_workers=2) as pool:
        ratios = pool.map(_compression_ratios, _batches(text_list, 256))
        for i, text in enumerate(text_list):
            if text:
                for name, value in line_paragraph_measures(text).items():
                    columns[name][i] = value
        columns["compression_ratio"][:] = [r for batch in ratios for r in batch]
    word_lists = texts.str.extract_all(WORD_PATTERN)
    flat = word_lists.to_frame("word").with_row_index("text").explode("word").drop_nulls("word")
    if flat.height:
        _ngram_measures(flat, word_lists, n_chars, columns)
    return pl.DataFrame({name: columns[name] for name in REPETITION_COLUMNS})


def _batches(items: list[str], size: int) -> Iterator[list[str]]:
    """Consecutive slices of at most `size` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _compression_ratios(texts: list[str]) -> list[float]:
    """`compression_ratio` of each text (0 for an empty one)."""
    return [compression_ratio(text) if text else 0.0 for text in texts]


_CONCAT_BASE = 0x100000001B3  # odd base of the polynomial string hash used as a pre-check
_MASK_64 = (1 << 64) - 1
_SCORE_SHIFT = 1 << 40  # packs (count, first position) into one sortable int64


def _concat_hash_parts(vocabulary: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per word: polynomial hash of its characters and base**len, both mod 2^64.

    hash(u + v) = hash(u) * base**len(v) + hash(v), so the hash of a "".join-ed n-gram is
    built from its words; equal strings always get equal hashes.
    """
    hashes = np.empty(len(vocabulary), dtype=np.uint64)
    powers = np.empty(len(vocabulary), dtype=np.uint64)
    for i, word in enumerate(vocabulary):
        h = 0
        for char in word:
            h = (h * _CONCAT_BASE + ord(char)) & _MASK_64
        hashes[i] = h
        powers[i] = pow(_CONCAT_BASE, len(word), 1 << 64)
    return hashes, powers


def _ngram_measures(
    flat: pl.DataFrame,
    word_lists: pl.Series,
    n_chars: np.ndarray,
    columns: dict[str, np.ndarray],
) -> None:
    """Fill the top / duplicated n-gram fractions of all texts from their exploded words."""
    text = flat["text"].to_numpy().astype(np.int64)
    vocabulary = flat["word"].unique(maintain_order=True)
    word = dense_codes(flat["word"], vocabulary)
    word_chars = vocabulary.str.len_chars().to_numpy().astype(np.int64)[word]
    cum_chars = np.concatenate([[0], np.cumsum(word_chars)])
    total = len(word)
    # Top n-gram (n = 2, 3, 4): the most frequent word tuple of the text, ties to the first
    # seen (as Counter.most_common(1)); chars of the " "-joined n-gram × count. A text where no
    # tuple repeats has the first n-gram (count 1); otherwise the repeated tuples are counted
    # exactly. An n-gram can only repeat where both of its (n-1)-grams repeat, so each level
    # only groups the rows the level below left as candidates.
    salt = mix64(text.astype(np.uint64))  # keeps equal n-grams of different texts apart
    text_bits = int(text.max()).bit_length()
    word_bits = len(vocabulary).bit_length()
    repeats = np.zeros(total + 1, dtype=bool)
    for n in range(2, max(GOPHER_TOP_NGRAM_CHAR_FRAC) + 1):
        if total < n:
            break
        start = np.flatnonzero(text[n - 1 :] == text[: total - n + 1])
        if len(start) == 0:
            break
        column = columns[f"top_{n}gram_char_frac"]
        first_rows = start[np.flatnonzero(np.diff(text[start], prepend=-1))]
        chars = cum_chars[first_rows + n] - cum_chars[first_rows] + n - 1
        column[text[first_rows]] = np.minimum(1.0, chars / n_chars[text[first_rows]])
        candidates = start if n == 2 else start[repeats[start] & repeats[start + 1]]
        repeats = np.zeros(total + 1, dtype=bool)
        if len(candidates) == 0:
            # Nothing repeats at this length, so nothing longer does: every text keeps its
            # first n-gram (count 1) at this and every longer n, set by the next iterations.
            continue
        if text_bits + n * word_bits <= 63:  # the whole tuple packed in one integer key
            packed = text[candidates].astype(np.uint64)
            for k in range(n):
                packed = (packed << np.uint64(word_bits)) | word[candidates + k].astype(np.uint64)
            keys = {"key": packed}
        else:
            keys = {"text_": text[candidates], **{f"w{k}": word[candidates + k] for k in range(n)}}
        grams = pl.DataFrame({"text": text[candidates], "first": candidates, **keys}).select(
            "text",
            pl.len().over(list(keys)).cast(pl.Int64).alias("count"),
            pl.col("first").min().over(list(keys)),
        )
        count = grams["count"].to_numpy()
        repeats[candidates] = count > 1
        # score = count * 2^40 + (2^40 - 1 - first): its max is the top count, first seen.
        top = (
            grams.filter(pl.col("count") > 1)
            .group_by("text")
            .agg((pl.col("count") * _SCORE_SHIFT + (_SCORE_SHIFT - 1 - pl.col("first"))).max())
        )
        rows = top["text"].to_numpy()
        score = top["count"].to_numpy()
        count, first = score // _SCORE_SHIFT, _SCORE_SHIFT - 1 - score % _SCORE_SHIFT
        chars = (cum_chars[first + n] - cum_chars[first] + n - 1) * count
        column[rows] = np.minimum(1.0, chars / n_chars[rows])
    # Duplicated n-grams (n = 5..10): datatrove's walk is sequential, so it only runs for
    # texts where the hash of a "".join-ed n-gram (salted by text) repeats; others have 0.
    hashes, powers = _concat_hash_parts(vocabulary.to_list())
    gram_hash = hashes[word]
    for n in range(2, max(GOPHER_DUP_NGRAM_CHAR_FRAC) + 1):
        if total < n:
            break
        gram_hash = gram_hash[: total - n + 1] * powers[word[n - 1 :]] + hashes[word[n - 1 :]]
        if n not in GOPHER_DUP_NGRAM_CHAR_FRAC:
            continue
        start = np.flatnonzero(text[n - 1 :] == text[: total - n + 1])
        suspects = start[_repeated(gram_hash[start] ^ salt[start])]
        if len(suspects) == 0:
            continue
        repeated = _duplicate_walk(suspects, text, flat["word"], cum_chars, n, len(n_chars))
        rows = np.flatnonzero(repeated)
        columns[f"dup_{n}gram_char_frac"][rows] = repeated[rows] / n_chars[rows]


# Suspects of one text above which its duplicate walk runs alone (see _duplicate_walk).
_LONG_WALK = 4096


def _duplicate_walk(
    suspects: np.ndarray,
    text: np.ndarray,
    words: pl.Series,
    cum_chars: np.ndarray,
    n: int,
    n_texts: int,
) -> np.ndarray:
    """Characters `find_all_duplicate` counts for every text, walking all texts at once.

    datatrove's walk visits n-gram positions left to right: a gram already seen counts its
    characters and skips the next n-1 positions; any other gram is added to `seen`. A gram
    that occurs once in its text can never count, so visiting it only advances the walk:
    the walk is the same over the `suspects` alone (flat row indexes, in text order, a
    superset of the grams that occur twice). Step t handles the t-th suspect of every text
    with numpy; grams are compared as the exact "".join-ed strings (ids per text).
    """
    owner = text[suspects]
    parts = {f"w{k}": words.gather(suspects + k) for k in range(n)}
    gram_id = (
        pl.DataFrame({"text": owner, **parts})
        .select(pl.struct("text", pl.concat_str(list(parts)).alias("gram")).rank("dense"))
        .to_series()
        .to_numpy()
        .astype(np.int64)
    )
    gram_chars = cum_chars[suspects + n] - cum_chars[suspects]
    run_start = np.flatnonzero(np.diff(owner, prepend=-1))
    rank = np.arange(len(suspects)) - np.repeat(
        run_start, np.diff(np.append(run_start, len(owner)))
    )
    repeated = np.zeros(n_texts, dtype=np.int64)
    # Texts are independent. A text with very many suspects (one 5 MiB line of one word) would
    # cost one numpy step per suspect; its walk is done alone, in plain Python, instead.
    long_text = np.bincount(owner, minlength=n_texts) > _LONG_WALK
    for who in np.flatnonzero(long_text):
        rows = np.flatnonzero(owner == who)
        repeated[who] = _walk_one_text(
            suspects[rows].tolist(), gram_id[rows].tolist(), gram_chars[rows].tolist(), n
        )
    short = ~long_text[owner]
    suspects, owner, gram_id, gram_chars, rank = (
        suspects[short],
        owner[short],
        gram_id[short],
        gram_chars[short],
        rank[short],
    )
    if len(suspects) == 0:
        return repeated
    by_rank = np.argsort(rank, kind="stable")
    bounds = np.searchsorted(rank[by_rank], np.arange(int(rank.max()) + 2))
    seen = np.zeros(int(gram_id.max()) + 1, dtype=bool)
    resume = np.zeros(n_texts, dtype=np.int64)  # first flat row each text's walk may visit
    for step in range(len(bounds) - 1):
        rows = by_rank[bounds[step] : bounds[step + 1]]
        at, who, gram = suspects[rows], owner[rows], gram_id[rows]
        visited = at >= resume[who]
        again = visited & seen[gram]
        first = visited & ~again
        repeated[who[again]] += gram_chars[rows[again]]
        seen[gram[first]] = True
        resume[who[again]] = at[again] + n
        resume[who[first]] = at[first] + 1
    return repeated


def _walk_one_text(at: list[int], gram: list[int], chars: list[int], n: int) -> int:
    """The same walk over one text's suspects, one at a time (characters of repeated grams)."""
    seen: set[int] = set()
    resume = total = 0
    for position, gram_of, characters in zip(at, gram, chars, strict=True):
        if position < resume:
            continue
        if gram_of in seen:
            total += characters
            resume = position + n
        else:
            seen.add(gram_of)
            resume = position + 1
    return total


def _repeated(keys: np.ndarray) -> np.ndarray:
    """Indices (ascending) of the keys that occur more than once."""
    order = pl.Series(keys, dtype=pl.UInt64).arg_sort().to_numpy()
    ordered = keys[order]
    same = ordered[1:] == ordered[:-1]
    in_run = np.zeros(len(keys), dtype=bool)
    in_run[1:] |= same
    in_run[:-1] |= same
    mask = np.zeros(len(keys), dtype=bool)
    mask[order[in_run]] = True
    return np.flatnonzero(mask)
