"""Repeated word n-grams of many texts at once (the n-gram rows of Gopher's Table A1), exact.

The words of a batch of texts lie in one stream (`WordStream`); `doc[i]` is the text of word
i, nondecreasing. Repeats are found by sorting 64-bit hashes with the row packed into the low
bits; each run of equal hashes is then checked exactly (word codes, else the joined UTF-8
bytes), so a hash collision costs time, never a value. The per-text reference is
`pipelines.text.redundancy.gopher` (`find_top_duplicate`, `find_all_duplicate`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.text.redundancy.duplicate_walk import counted_rows
from pipelines.text.redundancy.gopher import GOPHER_DUP_NGRAM_CHAR_FRAC, GOPHER_TOP_NGRAM_CHAR_FRAC
from pipelines.text.redundancy.hash_groups import exact_groups, sorted_runs
from pipelines.text.redundancy.word_stream import MUL_1, MUL_2, U64, WINDOW, WordStream

_TOP_NS = tuple(GOPHER_TOP_NGRAM_CHAR_FRAC)
_DUP_NS = tuple(GOPHER_DUP_NGRAM_CHAR_FRAC)


@dataclass(frozen=True)
class NgramRepeats:
    """Per text: top n-gram and duplicated n-gram characters; per row: what repeats."""

    top_chars: dict[int, np.ndarray]  # n -> int64 per text: " "-joined chars × count of the top
    dup_chars: dict[int, np.ndarray]  # n -> int64 per text: chars datatrove's walk counts
    pair_repeats: np.ndarray  # bool per row: its word pair occurs again in its text
    gram_repeats: dict[int, np.ndarray]  # n -> bool per row: its joined n-gram occurs again


def ngram_repeats(
    stream: WordStream, doc: np.ndarray, n_docs: int, coarser: NgramRepeats | None = None
) -> NgramRepeats:
    """Top 2/3/4-gram and duplicated 5..10-gram characters of each text, as the reference.

    `coarser`: the repeats of the same stream grouped into texts that are unions of
    consecutive texts of `doc` (sections of a report): anything that repeats in a text
    repeats in the text holding it, so only rows that repeat there are looked at.
    """
    starts = np.flatnonzero(np.diff(doc, prepend=-1))
    lengths = np.diff(np.append(starts, len(doc)))
    left = np.repeat(starts + lengths, lengths) - np.arange(len(doc))  # words to its text's end
    salt = doc.astype(U64) * MUL_2
    top_chars, pair_repeats = _top_ngrams(
        stream,
        doc,
        n_docs,
        (starts, lengths, left, salt),
        None if coarser is None else coarser.pair_repeats,
    )
    dup_chars, gram_repeats = _duplicate_ngrams(
        stream, doc, n_docs, (left, salt), None if coarser is None else coarser.gram_repeats
    )
    return NgramRepeats(top_chars, dup_chars, pair_repeats, gram_repeats)


def _top_ngrams(
    stream: WordStream,
    doc: np.ndarray,
    n_docs: int,
    layout: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    coarser_pairs: np.ndarray | None,
) -> tuple[dict[int, np.ndarray], np.ndarray]:
    """Per text, chars of its most frequent n-gram × count (n = 2, 3, 4), as Counter does.

    The most frequent word tuple, ties to the first seen (`Counter.most_common(1)`), is worth
    (chars of its words + n - 1 spaces) × count. A text where no tuple repeats has its first
    n-gram, once; otherwise only repeated tuples compete, counted exactly. A tuple repeats
    only where both of its (n-1)-grams repeat, so each length only groups those rows.
    """
    starts, lengths, left, salt = layout
    total, code, cum = len(doc), stream.code, stream.cum_chars
    shifted = [code[k : k + total] for k in range(max(_TOP_NS))]
    score_shift = 1 << max(1, total.bit_length())  # count * score_shift + tie-break rank
    out: dict[int, np.ndarray] = {}
    pair_repeats = repeats = np.zeros(total + 1, dtype=bool)
    for n in _TOP_NS:
        chars = out[n] = np.zeros(n_docs, dtype=np.int64)
        first_rows = starts[lengths >= n]
        chars[doc[first_rows]] = cum[first_rows + n] - cum[first_rows] + n - 1
        if n == min(_TOP_NS):
            mask = left >= n if coarser_pairs is None else coarser_pairs & (left >= n)
        else:
            mask = repeats[:total] & repeats[1:] & (left >= n)
        candidates = np.flatnonzero(mask)
        key = _tuple_keys(stream.word_key, salt, candidates, n)
        members, group = exact_groups(
            key,
            candidates,
            [doc, *shifted[:n]],
            lambda r, n=n: (int(doc[r]), *code[r : r + n].tolist()),
        )
        repeats = np.zeros(total + 1, dtype=bool)
        repeats[members] = True
        if n == min(_TOP_NS):
            pair_repeats = repeats[:total]
        if len(members) == 0:
            continue
        group_starts = np.flatnonzero(np.diff(group, prepend=-1))
        count = np.diff(np.append(group_starts, len(group)))
        first = members[group_starts]
        best = np.full(n_docs, -1, dtype=np.int64)
        np.maximum.at(best, doc[first], count * score_shift + (score_shift - 1 - first))
        texts = np.flatnonzero(best >= 0)
        count, first = best[texts] // score_shift, score_shift - 1 - best[texts] % score_shift
        chars[texts] = (cum[first + n] - cum[first] + n - 1) * count
    return out, pair_repeats


def _tuple_keys(word_key: np.ndarray, salt: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
    """A new array: a hash of (text, the n word codes) at each row (rows with n words left)."""
    total = len(salt)
    if len(rows) * 4 < total:  # few rows: hash their n words
        key = salt[rows]
        for k in range(n):
            key *= MUL_1
            key += word_key[rows + k]
    else:  # most rows: hash every row's n words with slices, then pick
        key = salt.copy()
        for k in range(n):
            key[: total - k] *= MUL_1
            key[: total - k] += word_key[k:]
        key = key[rows]
    key *= MUL_2
    return key


def _window_repeats(stream: WordStream, salt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row: do the WINDOW bytes from its word's start / up to its word's end repeat?

    Each is compared with the same bytes at the word starts / ends of its text. A joined
    n-gram of at least WINDOW bytes can only repeat where both of its ends do, so ends are
    only compared among the last words of grams whose start repeats.
    """
    total = len(salt)
    windows = np.ndarray(  # the WINDOW bytes from every byte offset (a strided view)
        (len(stream.joined) - WINDOW + 1,),
        dtype=np.dtype((np.void, WINDOW)),
        buffer=stream.joined,
        strides=(1,),
    )

    def repeated(rows: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """Which rows' WINDOW bytes from `offsets` (salted by text) occur again among rows."""
        halves = windows[offsets].view("<u8").reshape(-1, 2)
        key = halves[:, 0] * MUL_1
        key += halves[:, 1]
        key ^= salt[rows]
        key *= MUL_2
        mask = np.zeros(total, dtype=bool)
        if len(rows):
            packed, low, in_run = sorted_runs(key, rows)
            mask[(packed[in_run] & low).astype(np.int64)] = True
        return mask

    every = np.arange(total)
    starts = repeated(every, stream.cum_bytes[:-1])
    last_words = np.zeros(total, dtype=bool)
    for n in _DUP_NS:
        last_words[n - 1 :] |= starts[: max(0, total - n + 1)]
    rows = np.flatnonzero(last_words)
    return starts, repeated(rows, np.maximum(stream.cum_bytes[rows + 1] - WINDOW, 0))


def _duplicate_ngrams(
    stream: WordStream,
    doc: np.ndarray,
    n_docs: int,
    layout: tuple[np.ndarray, np.ndarray],
    coarser_grams: dict[int, np.ndarray] | None,
) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """Per text, chars of duplicated n-grams (n = 5..10) as datatrove's walk counts them.

    n-grams compare as "".join-ed words (`duplicate_walk` has the walk). Candidates: grams
    whose two end windows repeat (`_window_repeats`) or shorter than a window, or, with a
    coarser grouping, grams that repeat there; they are grouped exactly, then walked.
    """
    left, salt = layout
    total, code, cum_bytes = len(doc), stream.code, stream.cum_bytes
    shifted = [code[k : k + total] for k in range(max(_DUP_NS))]
    if coarser_grams is None:
        start_repeats, end_repeats = _window_repeats(stream, salt)
        n = min(_DUP_NS)  # a gram shorter than WINDOW bytes has its shortest prefix shorter
        grams = max(0, total - n + 1)
        short = np.flatnonzero(cum_bytes[n : n + grams] - cum_bytes[:grams] < WINDOW)
    joined = _JoinedHashes(stream)
    dup_chars: dict[int, np.ndarray] = {}
    gram_repeats: dict[int, np.ndarray] = {}
    for n in _DUP_NS:
        if coarser_grams is None:
            grams = max(0, total - n + 1)
            mask = np.zeros(total, dtype=bool)
            mask[:grams] = start_repeats[:grams] & end_repeats[n - 1 : n - 1 + grams]
            rows = short[short < grams]
            mask[rows[cum_bytes[rows + n] - cum_bytes[rows] < WINDOW]] = True
            mask &= left >= n
        else:
            mask = coarser_grams[n] & (left >= n)
        candidates = np.flatnonzero(mask)
        key = joined.hashes(candidates, n)
        key ^= salt[candidates]
        key *= MUL_2
        members, group = exact_groups(
            key,
            candidates,
            [doc, *shifted[:n]],
            lambda r, n=n: (int(doc[r]), stream.joined[cum_bytes[r] : cum_bytes[r + n]].tobytes()),
        )
        gram_repeats[n] = np.zeros(total, dtype=bool)
        gram_repeats[n][members] = True
        counted = counted_rows(members, group, doc, n)
        dup_chars[n] = np.zeros(n_docs, dtype=np.int64)
        chars = stream.cum_chars[counted + n] - stream.cum_chars[counted]
        np.add.at(dup_chars[n], doc[counted], chars)
    return dup_chars, gram_repeats


class _JoinedHashes:
    """Hashes of "".join-ed n-grams: hash(u + v) = hash(u) + _BASE**len(u) * hash(v)."""

    def __init__(self, stream: WordStream) -> None:
        """Hashes of `stream`'s n-grams; every row's, rolled once, when most rows are asked."""
        self.stream = stream
        self.rolled_n = 0
        self.rolled: tuple[np.ndarray, np.ndarray] = (np.empty(0, U64), np.empty(0, U64))

    def hashes(self, rows: np.ndarray, n: int) -> np.ndarray:
        """A new array: the hash of the n-gram at each row (rows with n words left)."""
        stream, total = self.stream, len(self.stream)
        if len(rows) * 4 < total:  # few rows: add their n words up
            key, step = np.zeros(len(rows), dtype=U64), np.ones(len(rows), dtype=U64)
            for k in range(n):
                key += step * stream.byte_hash[rows + k]
                step *= stream.byte_step[rows + k]
            return key
        if self.rolled_n == 0 or self.rolled_n > n:
            self.rolled_n, self.rolled = 1, (stream.byte_hash.copy(), stream.byte_step.copy())
        key, step = self.rolled
        for k in range(self.rolled_n, n):  # extend every row's gram by one word, to n words
            key[: total - k] += step[: total - k] * stream.byte_hash[k:]
            step[: total - k] *= stream.byte_step[k:]
        self.rolled_n = n
        return key[rows]
