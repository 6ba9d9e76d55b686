"""Repeated word n-grams of many texts at once (the n-gram rows of Gopher's Table A1), exact.

The words of a batch of texts lie in one stream (`WordStream`); `doc[i]` is the text of word
i, nondecreasing. Repeats are found by sorting 64-bit hashes with the row packed into the low
bits; each run of equal hashes is then checked exactly (word codes, else the joined UTF-8
bytes), so a hash collision costs time, never a value. The per-text reference is
`pipelines.text.redundancy.gopher` (`find_top_duplicate`, `find_all_duplicate`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import cache

import numpy as np
import polars as pl

from pipelines.text.redundancy.codes import dense_codes
from pipelines.text.redundancy.gopher import GOPHER_DUP_NGRAM_CHAR_FRAC, GOPHER_TOP_NGRAM_CHAR_FRAC

_U64 = np.uint64
_BASE = 0x100000001B3  # odd base of the polynomial hash of UTF-8 bytes (mod 2^64)
_MUL_1 = _U64(0x9E3779B97F4A7C15)  # odd multipliers of the hash mixes
_MUL_2 = _U64(0xBF58476D1CE4E5B9)
_WINDOW = 16  # bytes at each end of a joined n-gram that must repeat for the gram to repeat
_TOP_NS = tuple(GOPHER_TOP_NGRAM_CHAR_FRAC)
_DUP_NS = tuple(GOPHER_DUP_NGRAM_CHAR_FRAC)


@dataclass(frozen=True)
class WordStream:
    """The words of a batch of texts in order: codes, character and byte offsets, byte hashes."""

    code: np.ndarray  # int64 dense code of each word, padded with -1 after the last word
    cum_chars: np.ndarray  # int64, len + 1: characters of the words before each word
    cum_bytes: np.ndarray  # int64, len + 1: UTF-8 bytes of the words before each word
    joined: np.ndarray  # uint8: the UTF-8 bytes of all words, no separator, + _WINDOW zeros
    byte_hash: np.ndarray  # uint64 polynomial hash of each word's bytes: sum b[k] * _BASE**k
    byte_step: np.ndarray  # uint64 _BASE ** (bytes of each word)
    word_key: np.ndarray  # uint64 scrambled code of each word

    def __len__(self) -> int:
        """Number of words."""
        return len(self.cum_chars) - 1


def word_stream(words: pl.Series) -> WordStream:
    """The `WordStream` of a non-empty Series of words (no empty word)."""
    vocabulary = words.unique(maintain_order=True)
    code = dense_codes(words, vocabulary)
    n_bytes = vocabulary.str.len_bytes().to_numpy().astype(np.int64)
    hashes, steps = _byte_hashes(vocabulary.to_list(), n_bytes)
    chars = vocabulary.str.len_chars().to_numpy().astype(np.int64)[code]
    joined = np.frombuffer(words.str.join("").item().encode() + bytes(_WINDOW), dtype=np.uint8)
    return WordStream(
        code=np.concatenate([code, np.full(max(_DUP_NS), -1, dtype=np.int64)]),
        cum_chars=np.concatenate([[0], np.cumsum(chars)]),
        cum_bytes=np.concatenate([[0], np.cumsum(n_bytes[code])]),
        joined=joined,
        byte_hash=hashes[code],
        byte_step=steps[code],
        word_key=_mixed(np.arange(len(vocabulary), dtype=_U64))[code],
    )


# Words of up to _SHORT_WORD bytes are hashed together; longer ones alone, _PIECE bytes at once.
_SHORT_WORD = 64
_PIECE = 1 << 16


@cache
def _powers(count: int) -> np.ndarray:
    """_BASE ** k mod 2^64 for k < count."""
    powers = np.ones(count, dtype=_U64)
    powers[1:] = np.cumprod(np.full(count - 1, _BASE, dtype=_U64))  # wraps mod 2^64
    return powers


def _byte_hashes(words: list[str], n_bytes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per word: sum b[k] * _BASE**k over its UTF-8 bytes b, and _BASE ** len(b) (mod 2^64).

    hash(u + v) = hash(u) + _BASE**len(u) * hash(v): a joined n-gram's hash is built from
    its words' hashes, and equal strings always get equal hashes.
    """
    short = n_bytes <= _SHORT_WORD
    powers = _powers(_SHORT_WORD + 1)
    hashes = np.zeros(len(words), dtype=_U64)
    steps = powers[np.minimum(n_bytes, _SHORT_WORD)]
    if short.any():
        lengths = n_bytes[short]
        raw = np.frombuffer(
            "".join(
                word for word, small in zip(words, short.tolist(), strict=True) if small
            ).encode(),
            dtype=np.uint8,
        )
        starts = np.cumsum(lengths) - lengths
        offset = np.arange(len(raw)) - np.repeat(starts, lengths)
        hashes[short] = np.add.reduceat(raw.astype(_U64) * powers[offset], starts)
    for i in np.flatnonzero(~short).tolist():
        raw, total = words[i].encode(), 0
        for start in range(0, len(raw), _PIECE):
            piece = np.frombuffer(raw[start : start + _PIECE], dtype=np.uint8).astype(_U64)
            piece_hash = int((piece * _powers(_PIECE)[: len(piece)]).sum())  # wraps mod 2^64
            total += pow(_BASE, start, 1 << 64) * piece_hash
        hashes[i], steps[i] = total % (1 << 64), pow(_BASE, len(raw), 1 << 64)
    return hashes, steps


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
    salt = doc.astype(_U64) * _MUL_2
    top_chars, pair_repeats = _top_ngrams(
        stream, doc, n_docs, (starts, lengths, left, salt), coarser and coarser.pair_repeats
    )
    dup_chars, gram_repeats = _duplicate_ngrams(
        stream, doc, n_docs, (left, salt), coarser and coarser.gram_repeats
    )
    return NgramRepeats(top_chars, dup_chars, pair_repeats, gram_repeats)


def _mixed(x: np.ndarray) -> np.ndarray:
    """A new uint64 array: `x` scrambled (a bijection) so that high bits depend on all bits."""
    x = x * _MUL_1
    x ^= x >> _U64(29)
    x *= _MUL_2
    x ^= x >> _U64(32)
    return x


def _sorted_runs(keys: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Packed (key high bits, row) sorted, the row mask of the packing, and who is in a run.

    The row is packed into the low bits of its key (which `keys` loses), so one plain sort
    groups equal keys with rows ascending; keys compare on their high bits (at least 33).
    A key's high bits depend on all of its bits only if the caller has mixed it.
    """
    low = (_U64(1) << _U64(max(1, int(rows[-1]).bit_length()))) - _U64(1)
    keys &= ~low
    keys |= rows.view(_U64)
    keys.sort()
    repeated = (keys[1:] ^ keys[:-1]) <= low
    in_run = np.zeros(len(keys), dtype=bool)
    in_run[1:] = repeated
    in_run[:-1] |= repeated
    return keys, low, in_run


def _hash_runs(keys: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows (ascending, int64) whose key occurs more than once, by (key, row), and run numbers.

    `keys` is overwritten.
    """
    if len(rows) < 2:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    packed, low, in_run = _sorted_runs(keys, rows)
    packed = packed[in_run]
    run = np.cumsum(np.concatenate([[True], (packed[1:] ^ packed[:-1]) > low])) - 1
    return (packed & low).view(np.int64), run


def _exact_groups(
    keys: np.ndarray,
    rows: np.ndarray,
    columns: list[np.ndarray],
    exact_key: Callable[[int], Hashable],
) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose item occurs more than once, by (group, row), and dense group ids.

    `keys[i]` hashes the item of `rows[i]`. Items whose `columns` all agree are equal; a run
    of equal keys where they disagree somewhere is regrouped by `exact_key(row)`.
    """
    members, run = _hash_runs(keys, rows)  # keys is overwritten
    if len(members) == 0:
        return members, run
    first = members[np.flatnonzero(np.diff(run, prepend=-1))][run]
    agree = np.ones(len(members), dtype=bool)
    for column in columns:
        agree &= column[members] == column[first]
    if agree.all():
        return members, run
    checked = np.isin(run, run[~agree])
    kept, kept_run = members[~checked], run[~checked]
    kept_group = np.cumsum(np.diff(kept_run, prepend=-1) != 0) - 1
    regrouped: dict[tuple[int, Hashable], list[int]] = {}
    for row, of_run in zip(members[checked].tolist(), run[checked].tolist(), strict=True):
        regrouped.setdefault((of_run, exact_key(row)), []).append(row)
    extra = [group for group in regrouped.values() if len(group) > 1]
    next_group = int(kept_group[-1]) + 1 if len(kept_group) else 0
    extra_rows = np.array([row for group in extra for row in group], dtype=np.int64)
    extra_group = np.repeat(np.arange(next_group, next_group + len(extra)), list(map(len, extra)))
    return np.concatenate([kept, extra_rows]), np.concatenate([kept_group, extra_group])


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
    total, code, cum, word_key = len(doc), stream.code, stream.cum_chars, stream.word_key
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
        key = salt[candidates]
        for k in range(n):
            key *= _MUL_1
            key += word_key[candidates + k]
        key *= _MUL_2
        members, group = _exact_groups(
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


def _window_repeats(stream: WordStream, salt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row: do the _WINDOW bytes from its word's start (and those up to its word's end)
    occur again at a word start (end) of its text? A joined n-gram of at least _WINDOW bytes
    can only repeat where both of its ends do."""
    total = len(salt)
    windows = np.ndarray(  # the _WINDOW bytes from every byte offset (a strided view)
        (len(stream.joined) - _WINDOW + 1,),
        dtype=np.dtype((np.void, _WINDOW)),
        buffer=stream.joined,
        strides=(1,),
    )

    def repeated(offsets: np.ndarray) -> np.ndarray:
        """Rows whose _WINDOW bytes from `offsets` (salted by text) occur more than once."""
        halves = windows[offsets].view("<u8").reshape(-1, 2)
        key = halves[:, 0] * _MUL_1
        key += halves[:, 1]
        key ^= salt
        key *= _MUL_2
        packed, low, in_run = _sorted_runs(key, np.arange(total))
        mask = np.zeros(total, dtype=bool)
        mask[(packed[in_run] & low).view(np.int64)] = True
        return mask

    ends = np.maximum(stream.cum_bytes[1:] - _WINDOW, 0)
    return repeated(stream.cum_bytes[:-1]), repeated(ends)


def _duplicate_ngrams(
    stream: WordStream,
    doc: np.ndarray,
    n_docs: int,
    layout: tuple[np.ndarray, np.ndarray],
    coarser_grams: dict[int, np.ndarray] | None,
) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """Per text, chars of duplicated n-grams (n = 5..10) as datatrove's walk counts them.

    n-grams compare as "".join-ed words. The walk visits positions left to right: a gram
    already seen adds its chars and skips the next n-1 positions; any other is marked seen.
    A gram that occurs once only advances the walk, so walking the repeated grams alone
    gives the same count; only that walk runs in Python.
    """
    left, salt = layout
    total, code, cum_bytes = len(doc), stream.code, stream.cum_bytes
    shifted = [code[k : k + total] for k in range(max(_DUP_NS))]
    if coarser_grams is None:
        start_repeats, end_repeats = _window_repeats(stream, salt)
        n = min(_DUP_NS)  # a gram shorter than _WINDOW bytes has its shortest prefix shorter
        grams = max(0, total - n + 1)
        short = np.flatnonzero(cum_bytes[n : n + grams] - cum_bytes[:grams] < _WINDOW)
    dup_chars: dict[int, np.ndarray] = {}
    gram_repeats: dict[int, np.ndarray] = {}
    for n in _DUP_NS:
        if coarser_grams is None:
            grams = max(0, total - n + 1)
            mask = np.zeros(total, dtype=bool)
            mask[:grams] = start_repeats[:grams] & end_repeats[n - 1 : n - 1 + grams]
            rows = short[short < grams]
            mask[rows[cum_bytes[rows + n] - cum_bytes[rows] < _WINDOW]] = True
            mask &= left >= n
        else:
            mask = coarser_grams[n] & (left >= n)
        candidates = np.flatnonzero(mask)
        key, step = np.zeros(len(candidates), dtype=_U64), np.ones(len(candidates), dtype=_U64)
        for k in range(n):
            key += step * stream.byte_hash[candidates + k]
            step *= stream.byte_step[candidates + k]
        key ^= salt[candidates]
        key *= _MUL_2
        members, group = _exact_groups(
            key,
            candidates,
            [doc, *shifted[:n]],
            lambda r, n=n: (int(doc[r]), stream.joined[cum_bytes[r] : cum_bytes[r + n]].tobytes()),
        )
        gram_repeats[n] = np.zeros(total, dtype=bool)
        gram_repeats[n][members] = True
        order = np.argsort(members, kind="stable")
        groups = int(group.max()) + 1 if len(group) else 0
        counted = np.array(
            _walk(members[order].tolist(), group[order].tolist(), n, groups), dtype=np.int64
        )
        dup_chars[n] = np.zeros(n_docs, dtype=np.int64)
        chars = stream.cum_chars[counted + n] - stream.cum_chars[counted]
        np.add.at(dup_chars[n], doc[counted], chars)
    return dup_chars, gram_repeats


def _walk(rows: list[int], groups: list[int], n: int, n_groups: int) -> list[int]:
    """Rows datatrove's walk counts, given the rows (ascending) of repeated grams and groups."""
    seen = bytearray(n_groups)
    resume = 0
    counted: list[int] = []
    for row, group in zip(rows, groups, strict=True):
        if row >= resume:
            if seen[group]:
                counted.append(row)
                resume = row + n
            else:
                seen[group] = 1
    return counted
