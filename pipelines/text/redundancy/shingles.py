"""Word k-shingles per text (sections, sentences), hashed to stable UInt64 (blake2b per word + splitmix64).

Stable across processes and library versions, so stored shingles of earlier runs stay
comparable with new ones.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.text.redundancy.hashing import mix64, word_hashes
from pipelines.text.tokens import word_frame

_U64 = np.uint64
_SHINGLE_MULTIPLIER = _U64(0x9E3779B97F4A7C15)  # odd 64-bit constant (golden ratio)


def section_shingles(sections: pl.DataFrame, k: int = 5) -> pl.DataFrame:
    """Distinct stable UInt64 word k-shingles per section: `section_id`, `report_id`, `shingle`.

    A section with 1..k-1 words gets one shingle of all its words; a section with none gets none.
    """
    return text_shingles(sections, ["section_id", "report_id"], "plain_text", k)


def text_shingles(
    texts: pl.DataFrame, key: list[str], text_column: str, k: int = 5, *, short_texts: bool = True
) -> pl.DataFrame:
    """Distinct stable UInt64 word k-shingles per text: the `key` columns and `shingle`.

    Words are `word_frame`'s lowercased tokens of `text_column`. A shingle hash is the polynomial
    h = ((w0*M + w1)*M + ...)*M + w_{k-1} (mod 2^64) of the blake2b word hashes, then splitmix64.
    A text with 1..k-1 words gets one shingle of all its words when `short_texts`, else none; a
    text without words gets none. The one shingle definition: the stored section shingles and
    the sentence shingles compared with them are made here.
    """
    if k < 1:
        raise ValueError("k must be >= 1")
    words = word_frame(texts, key, text_column)
    schema = {**{name: texts.schema[name] for name in key}, "shingle": pl.UInt64}
    if words.height == 0:
        return pl.DataFrame(schema=schema)
    per_text = words.group_by(*key, maintain_order=True).len("n_words")
    n_words = per_text["n_words"].to_numpy().astype(np.int64)
    starts = np.concatenate([[0], np.cumsum(n_words)[:-1]])
    hashes = np.concatenate([word_hashes(words["word"]), np.zeros(k, dtype=np.uint64)])
    # Full shingles start at positions 0 .. n_words-k of every text.
    n_full = np.maximum(n_words - k + 1, 0)
    owner = np.repeat(np.arange(len(n_words)), n_full)
    idx = np.repeat(starts, n_full) + (
        np.arange(n_full.sum()) - np.repeat(np.cumsum(n_full) - n_full, n_full)
    )
    full = hashes[idx]
    for i in range(1, k):
        full = full * _SHINGLE_MULTIPLIER + hashes[idx + i]
    # Short texts: one shingle over all of their (1..k-1) words.
    short = np.flatnonzero(n_words < k) if short_texts else np.zeros(0, dtype=np.int64)
    short_len = n_words[short]
    part = hashes[starts[short]]
    for i in range(1, k - 1):
        more = short_len > i
        part[more] = part[more] * _SHINGLE_MULTIPLIER + hashes[starts[short[more]] + i]
    owner = np.concatenate([owner, short])
    values = mix64(np.concatenate([full, part]))
    order = np.argsort(owner, kind="stable")  # two sorted runs: a linear merge
    owner, values = owner[order], values[order]
    keep = _first_occurrences(owner, values)
    owner, values = owner[keep], values[keep]
    return pl.DataFrame(
        {
            **{name: per_text[name].gather(owner) for name in key},
            "shingle": pl.Series(values, dtype=pl.UInt64),
        },
        schema=schema,
    )


def _first_occurrences(owner: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Mask keeping the first row of each distinct (owner, value) pair, order unchanged."""
    # Rows whose mixed 64-bit key repeats are the only possible duplicates (a plain sort of
    # uint64 is fast); those few rows are then deduplicated exactly on (owner, value).
    key = values ^ mix64(owner.astype(np.uint64))
    ordered = np.sort(key)
    repeated = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
    keep = np.ones(len(values), dtype=bool)
    if len(repeated) == 0:
        return keep
    slot = np.minimum(np.searchsorted(repeated, key), len(repeated) - 1)
    suspects = np.flatnonzero(repeated[slot] == key)
    by_pair = suspects[np.lexsort((suspects, values[suspects], owner[suspects]))]
    same = (owner[by_pair][1:] == owner[by_pair][:-1]) & (
        values[by_pair][1:] == values[by_pair][:-1]
    )
    keep[by_pair[1:][same]] = False
    return keep
