"""MinHash signatures and banded LSH keys, vectorized; `MinhashConfig` carries the family.

Schemes (the hash family of the signatures): "oph" (default), one-permutation MinHash with
shift densification (`oph.py`: ONE multiply-shift hash per shingle, its top bits choosing the
slot); "affine32" (datasketch >= 2.0) and "legacy" (datasketch < 2.0), classical MinHash with
one universal hash per slot, bit-compatible with datasketch. In every scheme two sections'
slots agree with probability their Jaccard; `MinhashConfig` carries the family's parameters
(shingle length, permutations, seed, scheme, threshold -> bands x rows) to every step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl

from pipelines.text.redundancy.hashing import mix64
from pipelines.text.redundancy.oph import oph_signatures

_U64 = np.uint64
_BAND_SEED = _U64(0x243F6A8885A308D3)

MinHashScheme = Literal["oph", "affine32", "legacy"]
_MERSENNE_PRIME = _U64((1 << 61) - 1)
_MAX_HASH_32 = _U64((1 << 32) - 1)
_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35))
_SIGNATURE_CHUNK_CELLS = 1 << 20  # shingles × permutations computed at once (4 MiB of uint32)


def fold_shingle_32(shingles: np.ndarray) -> np.ndarray:
    """Fold uint64 shingle hashes to the 32-bit MinHash input: (x ^ x >> 32) & 0xFFFFFFFF."""
    x = np.asarray(shingles, dtype=np.uint64)
    return ((x ^ (x >> _U64(32))) & _MAX_HASH_32).astype(np.uint32)


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3 32-bit finalizer (datasketch's one-shot pre-mix of the affine32 scheme)."""
    s1, m1, s2, m2 = _FMIX32
    h = h ^ (h >> s1)
    h = h * m1
    h = h ^ (h >> s2)
    h = h * m2
    return h ^ (h >> s1)


def minhash_permutations(
    num_perm: int, seed: int = 1, scheme: MinHashScheme = "affine32"
) -> tuple[np.ndarray, np.ndarray]:
    """Permutation parameters (a, b), drawn exactly as datasketch's MinHash(seed=...) draws them."""
    gen = np.random.RandomState(seed)
    if scheme == "legacy":
        ab = np.array(
            [
                (
                    gen.randint(1, _MERSENNE_PRIME, dtype=np.uint64),
                    gen.randint(0, _MERSENNE_PRIME, dtype=np.uint64),
                )
                for _ in range(num_perm)
            ],
            dtype=np.uint64,
        ).T
        return ab[0], ab[1]
    if scheme != "affine32":
        raise ValueError(f"unknown MinHash scheme {scheme!r}")
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def _permuted(x32: np.ndarray, a: np.ndarray, b: np.ndarray, scheme: MinHashScheme) -> np.ndarray:
    """Hash values of every shingle under every permutation, shape (num_perm, len(x32))."""
    if scheme == "legacy":
        phv = np.multiply.outer(a, x32.astype(np.uint64))  # wraps mod 2^64, as datasketch does
        phv += b[:, None]
        phv %= _MERSENNE_PRIME
        phv &= _MAX_HASH_32
        return phv.astype(np.uint32)
    phv = np.multiply.outer(a, _fmix32(x32))  # uint32: wraps mod 2^32
    phv += b[:, None]
    return phv


def minhash_signatures(
    shingles: pl.DataFrame,
    num_perm: int = 128,
    seed: int = 1,
    scheme: MinHashScheme = "oph",
) -> tuple[list[str], np.ndarray]:
    """MinHash signatures per section: (sorted section_ids, uint32 array (n_sections, num_perm)).

    Input: `section_id`, `shingle` (UInt64); a section's rows need not be contiguous, but the
    usual contiguous input (as `section_shingles` writes it) is not sorted again.
    `scheme="oph"` (default): `oph_signatures`, one multiply-shift hash per shingle.
    `scheme="affine32"` (datasketch >= 2.0's default): each shingle is folded to 32 bits
    (`fold_shingle_32`), h = fmix32(x), value = a*h + b mod 2^32 with odd a, per permutation.
    `scheme="legacy"` (datasketch < 2.0): value = ((a*x + b) mod 2^64 mod (2^61 - 1)) &
    (2^32 - 1). With `seed` those two equal datasketch's `MinHash(num_perm, seed, scheme,
    hashfunc=fold of the 8-byte shingle)`. Sections without shingles are absent.
    """
    section_ids, hashes, offsets = section_runs(shingles)
    if scheme == "oph":
        signatures = oph_signatures(hashes, offsets, num_perm, seed)
    else:
        signatures = _classical_signatures(hashes, offsets, num_perm, seed, scheme)
    if not section_ids.is_sorted():  # reorder 128-slot rows, not millions of shingles
        order = section_ids.arg_sort().to_numpy()
        section_ids, signatures = section_ids.gather(order), signatures[order]
    return section_ids.to_list(), signatures


def section_runs(shingles: pl.DataFrame) -> tuple[pl.Series, np.ndarray, np.ndarray]:
    """(section ids, their uint64 shingles section after section, n + 1 row offsets).

    Sections come in the order of their runs of rows; only when some section's rows are apart
    are the rows sorted by section (then the ids come sorted).
    """
    frame = shingles.select("section_id", "shingle")
    runs = frame.get_column("section_id").rle()
    if runs.struct.field("value").n_unique() < len(runs):
        frame = frame.sort("section_id")
        runs = frame.get_column("section_id").rle()
    lengths = runs.struct.field("len").to_numpy().astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    return runs.struct.field("value"), frame.get_column("shingle").to_numpy(), offsets


def _classical_signatures(
    hashes: np.ndarray, offsets: np.ndarray, num_perm: int, seed: int, scheme: MinHashScheme
) -> np.ndarray:
    """Classical MinHash (one permutation per slot) of rows hashes[offsets[i] : offsets[i + 1]].

    Permuted over all rows at once, then reduced per row with `np.minimum.reduceat`, in chunks
    of about `_SIGNATURE_CHUNK_CELLS` cells (permutation-major: reduceat runs along rows).
    """
    n_rows = len(offsets) - 1
    signatures = np.full((n_rows, num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
    if n_rows == 0:
        return signatures
    lengths = np.diff(offsets)
    row_of = np.repeat(np.arange(n_rows), lengths)
    x32 = fold_shingle_32(hashes)
    a, b = minhash_permutations(num_perm, seed, scheme)
    chunk = max(1, _SIGNATURE_CHUNK_CELLS // num_perm)
    for lo in range(0, len(x32), chunk):
        hi = min(lo + chunk, len(x32))
        first, last = row_of[lo], row_of[hi - 1] + 1
        segments = np.maximum(offsets[first:last], lo) - lo
        reduced = np.minimum.reduceat(_permuted(x32[lo:hi], a, b, scheme), segments, axis=1)
        np.minimum(signatures[first:last], reduced.T, out=signatures[first:last])
    return signatures


def lsh_band_keys(
    section_ids: Sequence[str], signatures: np.ndarray, bands: int, rows: int
) -> pl.DataFrame:
    """One stable UInt64 key per (section, band): splitmix64 chain over the band's `rows` values."""
    if bands * rows > signatures.shape[1]:
        raise ValueError("bands * rows exceeds the signature length")
    n = signatures.shape[0]
    banded = signatures[:, : bands * rows].reshape(n, bands, rows)
    keys = np.full((n, bands), _BAND_SEED, dtype=np.uint64)
    for row in range(rows):  # all bands at once: key = mix64(key ^ value), value by value
        keys = mix64(keys ^ banded[:, :, row].astype(np.uint64))
    return pl.DataFrame(
        {
            "section_id": pl.Series(section_ids, dtype=pl.String).gather(
                np.repeat(np.arange(n), bands)
            ),
            "band": pl.Series(np.tile(np.arange(bands, dtype=np.int32), n), dtype=pl.Int32),
            "band_key": pl.Series(keys.reshape(-1), dtype=pl.UInt64),
        }
    )


# (false positive, false negative) weights for the pipeline's banding: datasketch's default is
# (0.5, 0.5), which at threshold 0.5 / 128 permutations gives 25 bands × 5 rows and finds a
# pair of Jaccard exactly 0.5 with probability 0.55 only; (0.1, 0.9) gives 32 × 4 (0.87).
LSH_WEIGHTS: tuple[float, float] = (0.1, 0.9)

_GAUSS_NODES, _GAUSS_WEIGHTS = np.polynomial.legendre.leggauss(64)


def _integrate(f: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Gauss-Legendre quadrature (64 nodes) over [lo, hi] of values sampled at the mapped nodes."""
    return (hi - lo) / 2 * (f @ _GAUSS_WEIGHTS)


def choose_bands(
    threshold: float,
    num_perm: int,
    false_positive_weight: float = 0.5,
    false_negative_weight: float = 0.5,
) -> tuple[int, int]:
    """(bands, rows) minimizing weighted false positive + negative area (datasketch _optimal_param).

    For every b in 1..num_perm and r in 1..num_perm // b: FP = ∫_0^t P(s) ds and
    FN = ∫_t^1 (1 - P(s)) ds with P(s) = 1 - (1 - s^r)^b, the probability that two sets of
    Jaccard s share a band; first minimum in (b, r) order, as datasketch iterates.
    """
    if not 0.0 <= threshold <= 1.0:
        raise ValueError("threshold must be in [0, 1]")
    pairs = np.array(
        [(b, r) for b in range(1, num_perm + 1) for r in range(1, num_perm // b + 1)],
        dtype=np.float64,
    )
    b_col, r_col = pairs[:, :1], pairs[:, 1:]
    s_fp = threshold / 2 * (_GAUSS_NODES + 1)  # nodes mapped to [0, t]
    s_fn = threshold + (1 - threshold) / 2 * (_GAUSS_NODES + 1)  # nodes mapped to [t, 1]
    fp = _integrate(1 - (1 - s_fp**r_col) ** b_col, 0.0, threshold)
    fn = _integrate((1 - s_fn**r_col) ** b_col, threshold, 1.0)
    error = fp * false_positive_weight + fn * false_negative_weight
    best = int(np.argmin(error))  # argmin returns the first minimum, like datasketch's strict <
    return int(pairs[best, 0]), int(pairs[best, 1])


@dataclass(frozen=True)
class MinhashConfig:
    """The parameters of one MinHash LSH family, carried to every step (as datatrove's is).

    Sections are near-duplicates from Jaccard `threshold` of their word `shingle_words`-shingles;
    signatures have `num_perm` slots of the `scheme` family drawn from `seed`. Stored shingles,
    signatures and band keys are only comparable between runs of the same configuration.
    """

    shingle_words: int = 5
    num_perm: int = 128
    seed: int = 1
    threshold: float = 0.5
    scheme: MinHashScheme = "oph"

    @property
    def banding(self) -> tuple[int, int]:
        """(bands, rows) of the LSH index: `choose_bands` with the pipeline's `LSH_WEIGHTS`."""
        return choose_bands(self.threshold, self.num_perm, *LSH_WEIGHTS)
