"""One-permutation MinHash with shift densification: one hash per shingle, not one per slot.

Hash family: a uint64 shingle x is hashed ONCE, v = high 32 bits of (x * A mod 2^64) with A an
odd multiplier drawn from the seed (multiply-shift); the top bits of v pick one of `num_perm`
bins and a bin's slot keeps the smallest rank (v's low bits) that falls in it (one-permutation
hashing, Li, Owen & Zhang 2012). An empty bin j is densified (in the manner of Shrivastava 2017,
with shifts as the probes) from the bins j + r (mod num_perm), r running through a seed-drawn
permutation of 1 .. num_perm - 1 cut into levels of `_PROBES_PER_LEVEL` shifts: the first level
where some probed bin holds its own minimum gives the smallest such rank, tagged with the level.
Two sets' slots are then equal exactly when the smallest element of their union in the first
source (own bin, then each level) where the union has one lies in both: probability = their
Jaccard, as for classical MinHash. For sets much smaller than num_perm the slots copy few
values, so they are more correlated than classical MinHash's (the LSH S-curve is a little steeper).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from pipelines.text.redundancy.hashing import mix64

EMPTY = np.uint32(0xFFFFFFFF)  # an empty slot (no filled slot reaches it)
# Probe shifts per densification level: level 1 alone fills about 1 - 0.4^5 = 99% of the empty
# slots of a section with as many shingles as bins.
_PROBES_PER_LEVEL = 5
_SEED_SALT = np.uint64(0x6A09E667F3BCC909)  # separates the multiplier's and the probes' streams
# Shingles hashed at once, and signature rows densified at once (both stay in a core's cache).
_SHINGLE_CHUNK = 1 << 16
_ROW_CHUNK = 2048


@lru_cache(maxsize=16)
def oph_parameters(num_perm: int, seed: int) -> tuple[np.uint64, tuple[int, ...]]:
    """(odd multiplier A, probe shifts r_1 .. r_{num_perm-1}) of the family drawn from `seed`."""
    if num_perm < 1:
        raise ValueError("num_perm must be >= 1")
    base = mix64(np.array([seed], dtype=np.uint64))[0]
    multiplier = base | np.uint64(1)
    keys = mix64(np.arange(1, num_perm, dtype=np.uint64) ^ mix64(np.array([base ^ _SEED_SALT]))[0])
    return multiplier, tuple(int(r) + 1 for r in np.argsort(keys, kind="stable"))


def oph_signatures(hashes: np.ndarray, offsets: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """uint32 signatures (n_rows, num_perm) of rows hashes[offsets[i] : offsets[i + 1]].

    `hashes` are uint64 shingle hashes, `offsets` the n_rows + 1 row boundaries (as rensa's
    `digest_matrix_from_flat_token_hashes` takes them); duplicates within a row do not matter.
    A slot is (level << (32 - L)) | rank, L = bit length of num_perm, rank = the low 32 - L
    bits of v: level 0 holds the bin's own minimum rank, level i >= 1 the minimum own rank of
    the bins j + r over the i-th `_PROBES_PER_LEVEL` shifts; the lowest level with a value
    wins. A row without hashes stays EMPTY. Work is done in cache-sized chunks.
    """
    multiplier, shifts = oph_parameters(num_perm, seed)
    offsets = np.asarray(offsets, dtype=np.int64)
    n_rows = len(offsets) - 1
    if n_rows <= 0:
        return np.empty((0, num_perm), dtype=np.uint32)
    x = np.asarray(hashes, dtype=np.uint64)
    key_type = np.uint32 if n_rows * num_perm < 2**32 else np.uint64
    row_base = np.arange(0, n_rows * num_perm, num_perm, dtype=key_type)
    rank_mask = np.uint32((1 << (32 - num_perm.bit_length())) - 1)
    slots = np.full((n_rows, num_perm), EMPTY, dtype=np.uint32)
    start, stop = int(offsets[0]), int(offsets[-1])
    product = np.empty(min(_SHINGLE_CHUNK, stop - start), dtype=np.uint64)
    for lo in range(start, stop, _SHINGLE_CHUNK):
        hi = min(lo + _SHINGLE_CHUNK, stop)
        first = int(np.searchsorted(offsets, lo, side="right")) - 1
        last = int(np.searchsorted(offsets, hi, side="left"))
        bounds = offsets[first : last + 1].copy()
        bounds[0], bounds[-1] = lo, hi
        v = np.multiply(x[lo:hi], multiplier, out=product[: hi - lo]).view(np.uint32)[1::2]
        key = np.repeat(row_base[first:last], np.diff(bounds))  # v: the products' high halves
        np.add(key, _bins(v, num_perm), out=key, casting="unsafe")
        np.minimum.at(slots.reshape(-1), key, v & rank_mask)
    _densify(slots, shifts, np.diff(offsets) > 0)
    return slots


def _bins(v: np.ndarray, num_perm: int) -> np.ndarray:
    """Bin of each 32-bit hash: its top bits (floor(v * num_perm / 2^32))."""
    if num_perm & (num_perm - 1) == 0:
        return v >> np.uint32(32 - (num_perm.bit_length() - 1))
    return ((v.astype(np.uint64) * np.uint64(num_perm)) >> np.uint64(32)).astype(np.uint32)


def _densify(slots: np.ndarray, shifts: tuple[int, ...], nonempty: np.ndarray) -> None:
    """Fill the empty slots in place: level 1 on whole row chunks, later levels cell by cell."""
    n_rows, t = slots.shape
    levels = [shifts[i : i + _PROBES_PER_LEVEL] for i in range(0, len(shifts), _PROBES_PER_LEVEL)]
    if not levels:
        return
    level_shift = 32 - t.bit_length()
    own_below = np.uint32(1 << level_shift)  # level 0 (a bin's own minimum) values are below
    chunk = min(_ROW_CHUNK, n_rows)
    doubled = np.empty((chunk, 2 * t), dtype=np.uint32)  # doubled[:, j + r] = row[(j + r) % t]
    best = np.empty((chunk, t), dtype=np.uint32)
    empty = []
    for lo in range(0, n_rows, _ROW_CHUNK):
        block = slots[lo : lo + _ROW_CHUNK]
        n = len(block)
        doubled[:n, :t] = doubled[:n, t:] = block
        np.copyto(best[:n], doubled[:n, levels[0][0] : levels[0][0] + t])
        for r in levels[0][1:]:
            np.minimum(best[:n], doubled[:n, r : r + t], out=best[:n])
        best[:n] |= own_below  # EMPTY stays EMPTY; a level 1 value exceeds every level 0 one
        np.minimum(block, best[:n], out=block)
        empty.append(np.flatnonzero(block == EMPTY) + lo * t)
    cells = np.concatenate(empty)
    cells = cells[nonempty[cells // t]]
    flat = slots.reshape(-1)
    for level, group in enumerate(levels[1:], start=2):
        if len(cells) == 0:
            break
        column = cells % t
        probed = ((np.arange(t)[:, None] + np.array(group)) % t).take(column, axis=0)
        probed += (cells - column)[:, None]
        value = flat.take(probed).min(axis=1)
        own = value < own_below  # some probed bin has its own minimum (not a borrowed value)
        hit = np.flatnonzero(own)
        flat[cells.take(hit)] = value.take(hit) | np.uint32(level << level_shift)
        cells = cells.take(np.flatnonzero(~own))
