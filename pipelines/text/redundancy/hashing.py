"""Stable 64-bit hashing primitives (blake2b words, splitmix64): equal in every process."""

from __future__ import annotations

import hashlib

import numpy as np
import polars as pl

_U64 = np.uint64
_SPLITMIX_1 = _U64(0xBF58476D1CE4E5B9)
_SPLITMIX_2 = _U64(0x94D049BB133111EB)


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finalizer on a uint64 array (a bijection; wraps mod 2^64)."""
    x = x ^ (x >> _U64(30))
    x = x * _SPLITMIX_1
    x = x ^ (x >> _U64(27))
    x = x * _SPLITMIX_2
    return x ^ (x >> _U64(31))


def stable_word_hash(word: str) -> int:
    """64-bit blake2b of the UTF-8 word, little-endian: the same in every process and version."""
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


def word_hashes(words: pl.Series) -> np.ndarray:
    """Stable uint64 hash per word occurrence, hashing each distinct word once."""
    vocab = words.unique()
    hashes = pl.Series([stable_word_hash(w) for w in vocab.to_list()], dtype=pl.UInt64)
    return words.replace_strict(vocab, hashes, return_dtype=pl.UInt64).to_numpy()
