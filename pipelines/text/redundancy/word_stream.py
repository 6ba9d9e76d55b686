"""The words of a batch of texts as one stream of numpy arrays: codes, offsets, byte hashes."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import polars as pl

from pipelines.text.redundancy.codes import dense_codes
from pipelines.text.redundancy.gopher import GOPHER_DUP_NGRAM_CHAR_FRAC

U64 = np.uint64
MUL_1 = U64(0x9E3779B97F4A7C15)  # odd multipliers of the hash mixes
MUL_2 = U64(0xBF58476D1CE4E5B9)
WINDOW = 16  # bytes compared at each end of a joined n-gram; as many zeros end `joined`
PADDING = max(GOPHER_DUP_NGRAM_CHAR_FRAC)  # codes of -1 after the last word: code[i + k] exists
_BASE = 0x100000001B3  # odd base of the polynomial hash of UTF-8 bytes (mod 2^64)


@dataclass(frozen=True)
class WordStream:
    """The words of a batch of texts in order: codes, character and byte offsets, byte hashes."""

    code: np.ndarray  # int64 dense code of each word, padded with -1 after the last word
    cum_chars: np.ndarray  # int64, len + 1: characters of the words before each word
    cum_bytes: np.ndarray  # int64, len + 1: UTF-8 bytes of the words before each word
    joined: np.ndarray  # uint8: the UTF-8 bytes of all words, no separator, + WINDOW zeros
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
    joined = np.frombuffer(words.str.join("").item().encode() + bytes(WINDOW), dtype=np.uint8)
    return WordStream(
        code=np.concatenate([code, np.full(PADDING, -1, dtype=np.int64)]),
        cum_chars=np.concatenate([[0], np.cumsum(chars)]),
        cum_bytes=np.concatenate([[0], np.cumsum(n_bytes[code])]),
        joined=joined,
        byte_hash=hashes[code],
        byte_step=steps[code],
        word_key=mixed(np.arange(len(vocabulary), dtype=U64))[code],
    )


# Words of up to _SHORT_WORD bytes are hashed together; longer ones alone, _PIECE bytes at once.
_SHORT_WORD = 64
_PIECE = 1 << 16


@cache
def _powers(count: int) -> np.ndarray:
    """_BASE ** k mod 2^64 for k < count."""
    powers = np.ones(count, dtype=U64)
    powers[1:] = np.cumprod(np.full(count - 1, _BASE, dtype=U64))  # wraps mod 2^64
    return powers


def _byte_hashes(words: list[str], n_bytes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per word: sum b[k] * _BASE**k over its UTF-8 bytes b, and _BASE ** len(b) (mod 2^64).

    hash(u + v) = hash(u) + _BASE**len(u) * hash(v): a joined n-gram's hash is built from
    its words' hashes, and equal strings always get equal hashes.
    """
    short = n_bytes <= _SHORT_WORD
    powers = _powers(_SHORT_WORD + 1)
    hashes = np.zeros(len(words), dtype=U64)
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
        hashes[short] = np.add.reduceat(raw.astype(U64) * powers[offset], starts)
    for i in np.flatnonzero(~short).tolist():
        raw, total = words[i].encode(), 0
        for start in range(0, len(raw), _PIECE):
            piece = np.frombuffer(raw[start : start + _PIECE], dtype=np.uint8).astype(U64)
            piece_hash = int((piece * _powers(_PIECE)[: len(piece)]).sum())  # wraps mod 2^64
            total += pow(_BASE, start, 1 << 64) * piece_hash
        hashes[i], steps[i] = total % (1 << 64), pow(_BASE, len(raw), 1 << 64)
    return hashes, steps


def mixed(x: np.ndarray) -> np.ndarray:
    """A new uint64 array: `x` scrambled (a bijection) so that high bits depend on all bits."""
    x = x * MUL_1
    x ^= x >> U64(29)
    x *= MUL_2
    x ^= x >> U64(32)
    return x
