"""Near-duplicate section pairs: LSH candidates across reports, verified by exact Jaccard."""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.text.redundancy.codes import dense_codes
from pipelines.text.redundancy.minhash import (
    LSH_WEIGHTS,
    MinHashScheme,
    choose_bands,
    lsh_band_keys,
    minhash_signatures,
)


def _pair_schema() -> dict[str, pl.DataType]:
    """Schema of the verified-pair frames."""
    return {
        "section_id_a": pl.String(),
        "section_id_b": pl.String(),
        "jaccard": pl.Float64(),
        "containment_a_in_b": pl.Float64(),
        "containment_b_in_a": pl.Float64(),
    }


def candidate_pairs(band_keys: pl.DataFrame, section_report: pl.DataFrame) -> pl.DataFrame:
    """Section pairs sharing any (band, band_key), from DIFFERENT reports: a < b, deduplicated."""
    keyed = band_keys.select("section_id", "band", "band_key")
    keyed = keyed[_rows_in_shared_buckets(keyed)]  # most buckets hold one section
    keyed = keyed.join(section_report.select("section_id", "report_id").unique(), on="section_id")
    right = keyed.rename({"section_id": "section_id_b", "report_id": "report_id_b"})
    return (
        keyed.rename({"section_id": "section_id_a"})
        .join(right, on=["band", "band_key"])
        .filter(
            (pl.col("section_id_a") < pl.col("section_id_b"))
            & (pl.col("report_id") != pl.col("report_id_b"))
        )
        .select("section_id_a", "section_id_b")
        .unique()
        .sort("section_id_a", "section_id_b")
    )


_BUCKET_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)


def _rows_in_shared_buckets(band_keys: pl.DataFrame) -> np.ndarray:
    """Sorted row numbers whose (band, band_key) bucket may hold another row (a superset).

    Each row's bucket hash (band_key + band * odd constant) keeps its high bits above the row
    number, packed in one uint64, so one plain sort (no argsort) brings equal high bits
    together; rows alone in theirs are dropped. Equal high bits of two buckets only let a
    row through to the exact join on (band, band_key).
    """
    n = band_keys.height
    if n < 2:
        return np.arange(0)
    bits = (n - 1).bit_length()
    bucket = band_keys["band_key"].to_numpy() + (
        band_keys["band"].to_numpy().astype(np.uint64) * _BUCKET_MULTIPLIER
    )
    packed = np.sort((bucket >> np.uint64(bits) << np.uint64(bits)) | np.arange(n, dtype=np.uint64))
    high = packed >> np.uint64(bits)
    same = high[1:] == high[:-1]
    shared = np.zeros(n, dtype=bool)
    shared[1:] |= same
    shared[:-1] |= same
    return np.sort((packed[shared] & np.uint64((1 << bits) - 1)).astype(np.int64))


def _with_jaccard(pairs: pl.DataFrame, sizes: pl.DataFrame, threshold: float) -> pl.DataFrame:
    """Add Jaccard and containments from n_common and set sizes; keep jaccard >= threshold."""
    union = pl.col("n_a") + pl.col("n_b") - pl.col("n_common")
    return (
        pairs.join(sizes.rename({"section_id": "section_id_a", "n": "n_a"}), on="section_id_a")
        .join(sizes.rename({"section_id": "section_id_b", "n": "n_b"}), on="section_id_b")
        .with_columns(
            jaccard=pl.col("n_common") / union,
            containment_a_in_b=pl.col("n_common") / pl.col("n_a"),
            containment_b_in_a=pl.col("n_common") / pl.col("n_b"),
        )
        .filter(pl.col("jaccard") >= threshold)
        .select(_pair_schema().keys())
        .sort("section_id_a", "section_id_b")
    )


def verify_pairs(
    candidates: pl.DataFrame, shingles: pl.DataFrame, threshold: float
) -> pl.DataFrame:
    """Exact Jaccard and containments of candidate pairs from their shingle sets; >= threshold.

    Each involved section's distinct shingles are a row of a sparse 0/1 matrix, so a pair's
    intersection is the dot product of two rows: exact, and memory stays proportional to
    the shingles rather than to pairs × shingles.
    """
    pairs = candidates.select("section_id_a", "section_id_b").unique()
    involved = pl.concat([pairs["section_id_a"], pairs["section_id_b"]]).unique().sort()
    sets = (
        shingles.select("section_id", "shingle")
        .join(involved.to_frame("section_id").with_row_index("code"), on="section_id")
        .select("code", "shingle")
        .unique()
    )
    return verify_coded_pairs(
        pairs, involved, sets["code"].to_numpy(), sets["shingle"].to_numpy(), threshold
    )


def verify_coded_pairs(
    pairs: pl.DataFrame,
    involved: pl.Series,
    code: np.ndarray,
    shingle: np.ndarray,
    threshold: float,
) -> pl.DataFrame:
    """`verify_pairs` on shingle sets given as arrays: row i says section involved[code[i]]
    holds shingle[i] (distinct rows); `pairs` are distinct (section_id_a, section_id_b).

    Integer codes instead of section-id strings keep millions of set members small.
    """
    from scipy import sparse

    counts = np.bincount(code, minlength=len(involved))
    sizes = pl.DataFrame({"section_id": involved, "n": counts}).filter(pl.col("n") > 0)
    if pairs.height == 0 or len(code) == 0:
        return _with_jaccard(pairs.with_columns(n_common=pl.lit(0, pl.UInt32)), sizes, threshold)
    columns = np.unique(shingle, return_inverse=True)[1].ravel()
    matrix = sparse.csr_matrix(
        (np.ones(len(code), dtype=np.float32), (code, columns)),
        shape=(len(involved), int(columns.max()) + 1),
    )
    del columns
    a = dense_codes(pairs["section_id_a"], involved)
    b = dense_codes(pairs["section_id_b"], involved)
    common = np.empty(pairs.height, dtype=np.int64)
    for lo in range(0, pairs.height, _VERIFY_BLOCK_PAIRS):
        hi = min(lo + _VERIFY_BLOCK_PAIRS, pairs.height)
        products = matrix[a[lo:hi]].multiply(matrix[b[lo:hi]])
        common[lo:hi] = np.rint(np.asarray(products.sum(axis=1)).ravel()).astype(np.int64)
    pairs = pairs.with_columns(n_common=pl.Series(common, dtype=pl.UInt32))
    return _with_jaccard(pairs, sizes, threshold)


# Candidate pairs whose shingle sets are intersected at once by `verify_pairs`.
_VERIFY_BLOCK_PAIRS = 10_000


def exact_all_pairs(
    shingles: pl.DataFrame, section_report: pl.DataFrame, threshold: float
) -> pl.DataFrame:
    """Brute-force exact Jaccard of all cross-report section pairs sharing a shingle (samples)."""
    sets = (
        shingles.select("section_id", "shingle")
        .unique()
        .join(section_report.select("section_id", "report_id").unique(), on="section_id")
    )
    sizes = sets.group_by("section_id").len("n")
    common = (
        sets.rename({"section_id": "section_id_a"})
        .join(sets.rename({"section_id": "section_id_b"}), on="shingle", suffix="_b")
        .filter(
            (pl.col("section_id_a") < pl.col("section_id_b"))
            & (pl.col("report_id") != pl.col("report_id_b"))
        )
        .group_by("section_id_a", "section_id_b")
        .len("n_common")
    )
    return _with_jaccard(common, sizes, threshold)


def near_duplicate_pairs(
    shingles: pl.DataFrame,
    threshold: float = 0.5,
    num_perm: int = 128,
    seed: int = 1,
    weights: tuple[float, float] = LSH_WEIGHTS,
    scheme: MinHashScheme = "oph",
) -> pl.DataFrame:
    """Signatures -> band keys -> cross-report candidates -> verified pairs (jaccard >= threshold).

    `weights` = (false positive, false negative) weights of `choose_bands`; the default
    `LSH_WEIGHTS` favours recall, since false positives only cost an exact verification.
    `scheme`: the MinHash family (`minhash_signatures`).
    """
    bands, rows = choose_bands(threshold, num_perm, *weights)
    section_ids, signatures = minhash_signatures(shingles, num_perm, seed, scheme)
    keys = lsh_band_keys(section_ids, signatures, bands, rows)
    candidates = candidate_pairs(keys, shingles.select("section_id", "report_id").unique())
    return verify_pairs(candidates, shingles, threshold)
