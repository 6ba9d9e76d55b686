"""Word k-shingles per section, hashed to stable UInt64 (blake2b per word + splitmix64).

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

    Words are `word_frame`'s lowercased tokens of `plain_text`. A shingle hash is the polynomial
    h = ((w0*M + w1)*M + ...)*M + w_{k-1} (mod 2^64) of the blake2b word hashes, then splitmix64.
    A section with 1..k-1 words gets one shingle of all its words; a section with none gets none.
    """
    if k < 1:
        raise ValueError("k must be >= 1")
    words = word_frame(sections, ["section_id", "report_id"], "plain_text")
    schema = {"section_id": pl.String, "report_id": pl.String, "shingle": pl.UInt64}
    if words.height == 0:
        return pl.DataFrame(schema=schema)
    per_section = words.group_by("section_id", "report_id", maintain_order=True).len("n_words")
    n_words = per_section["n_words"].to_numpy().astype(np.int64)
    starts = np.concatenate([[0], np.cumsum(n_words)[:-1]])
    hashes = np.concatenate([word_hashes(words["word"]), np.zeros(k, dtype=np.uint64)])
    # Full shingles start at positions 0 .. n_words-k of every section.
    n_full = np.maximum(n_words - k + 1, 0)
    owner = np.repeat(np.arange(len(n_words)), n_full)
    idx = np.repeat(starts, n_full) + (
        np.arange(n_full.sum()) - np.repeat(np.cumsum(n_full) - n_full, n_full)
    )
    full = hashes[idx]
    for i in range(1, k):
        full = full * _SHINGLE_MULTIPLIER + hashes[idx + i]
    # Short sections: one shingle over all of their (1..k-1) words.
    short = np.flatnonzero(n_words < k)
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
            "section_id": per_section["section_id"].gather(owner),
            "report_id": per_section["report_id"].gather(owner),
            "shingle": pl.Series(values, dtype=pl.UInt64),
        }
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
