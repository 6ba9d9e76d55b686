"""MinHash LSH benchmark: our vectorized implementation vs datasketch, and recall vs brute force.

Run: `.venv/bin/python -m pipelines.bench.minhash_bench [n_sections]`. datasketch and rensa are
dev dependencies, imported only inside the comparisons (rensa's in `rensa_bench`).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl

from pipelines.text.redundancy.minhash import (
    LSH_WEIGHTS,
    MinhashConfig,
    choose_bands,
    lsh_band_keys,
    minhash_signatures,
)
from pipelines.text.redundancy.near_duplicates import (
    candidate_pairs,
    exact_all_pairs,
    near_duplicate_pairs,
)
from pipelines.text.redundancy.shingles import section_shingles

SEEDS_DIR = Path(__file__).resolve().parents[2] / "seeds"
# The MinHash LSH family benchmarked: the pipeline's at the default threshold (0.5).
DEFAULT_CONFIG = MinhashConfig()


def synthetic_sections(
    n_sections: int = 20_000,
    sections_per_report: int = 10,
    duplicate_share: float = 0.2,
    seed: int = 0,
    seeds_dir: Path = SEEDS_DIR,
) -> pl.DataFrame:
    """Synthetic sections frame from seed-text spans with word noise and planted near-duplicates.

    A base section chains 3..12-word spans of the seed texts, each word replaced with
    probability 0.35 by a Zipf-drawn word (seed words + 20k pseudo-words), 40..300 words long.
    A `duplicate_share` of sections copy a section of another, earlier report with a word
    substitution/deletion/insertion rate drawn in [0, 0.2] (rate 0 = exact copy), so their
    Jaccard spreads from 1 down to about 0.2.
    """
    rng = np.random.default_rng(seed)
    corpus = " ".join(p.read_text(encoding="utf-8") for p in sorted(seeds_dir.glob("*.txt")))
    seed_words = corpus.split()
    pseudo = [f"w{i:05d}x" for i in range(20_000)]
    vocabulary = np.array(sorted(set(seed_words)) + pseudo, dtype=object)
    rng.shuffle(vocabulary)
    zipf_cdf = np.cumsum(1.0 / np.arange(1, len(vocabulary) + 1))
    zipf_cdf /= zipf_cdf[-1]

    def draw(size: int) -> list[str]:
        """Zipf-distributed vocabulary words."""
        picks = np.minimum(np.searchsorted(zipf_cdf, rng.random(size)), len(vocabulary) - 1)
        return vocabulary[picks].tolist()

    def noisy(words: list[str], rate: float) -> list[str]:
        """Substitute, delete or insert words, each at `rate` / 3 per word."""
        out: list[str] = []
        draws = rng.random((len(words), 3))
        fresh = draw(2 * len(words) + 1)
        for i, word in enumerate(words):
            if draws[i, 0] < rate / 3:
                continue
            out.append(fresh[2 * i] if draws[i, 1] < rate / 3 else word)
            if draws[i, 2] < rate / 3:
                out.append(fresh[2 * i + 1])
        return out

    texts: list[str] = []
    for index in range(n_sections):
        report = index // sections_per_report
        if report > 0 and rng.random() < duplicate_share:
            source = int(rng.integers(0, report * sections_per_report))
            texts.append(" ".join(noisy(texts[source].split(), float(rng.uniform(0.0, 0.2)))))
            continue
        words: list[str] = []
        target = int(rng.integers(40, 301))
        while len(words) < target:
            start = int(rng.integers(0, len(seed_words) - 12))
            words.extend(seed_words[start : start + int(rng.integers(3, 13))])
        fresh = draw(len(words))
        mask = (rng.random(len(words)) < 0.35).tolist()
        texts.append(" ".join(f if m else w for w, f, m in zip(words, fresh, mask, strict=True)))
    index = np.arange(n_sections)
    return pl.DataFrame(
        {
            "report_id": [f"r{i // sections_per_report:06d}" for i in index],
            "section_id": [f"s{i:07d}" for i in index],
            "ordinal": (index % sections_per_report).astype(np.int64),
            "heading": [""] * n_sections,
            "markdown": texts,
            "plain_text": texts,
        }
    )


def ours_candidates(
    shingles: pl.DataFrame,
    section_report: pl.DataFrame,
    config: MinhashConfig,
    bands: int,
    rows: int,
) -> pl.DataFrame:
    """Our pipeline: signatures (config's scheme) -> band keys -> cross-report candidate pairs."""
    section_ids, signatures = minhash_signatures(
        shingles, config.num_perm, config.seed, config.scheme
    )
    keys = lsh_band_keys(section_ids, signatures, bands, rows)
    return candidate_pairs(keys, section_report)


def pair_set(pairs: pl.DataFrame) -> set[tuple[str, str]]:
    """(section_id_a, section_id_b) tuples of a pairs frame."""
    return set(zip(pairs["section_id_a"].to_list(), pairs["section_id_b"].to_list(), strict=True))


def compare_with_datasketch(
    shingles: pl.DataFrame,
    config: MinhashConfig = DEFAULT_CONFIG,
    hashfunc: Literal["fold", "sha1"] = "fold",
    weights: tuple[float, float] = LSH_WEIGHTS,
) -> dict[str, Any]:
    """Time ours (signatures + band keys + candidates) vs datasketch (bulk + LSH insert + query).

    Same `config` num_perm, seed and (bands, rows) = `choose_bands(config.threshold,
    config.num_perm, *weights)` on both sides (section -> report mapping built before timing);
    ours uses `config.scheme`, datasketch its "affine32". datasketch is fed each section's
    shingles as 8-byte little-endian uint64 bytes; with `config.scheme == "affine32"`,
    `hashfunc="fold"` hashes them with our 32-bit fold, so both produce IDENTICAL signatures
    and the candidate pairs must match exactly; `"sha1"` uses datasketch's default
    sha1_hash32 (slower for datasketch, different signatures). Building the bytes lists is
    not timed. Both sides drop same-report pairs and order pairs a < b.
    """
    from datasketch import MinHash, MinHashLSH

    threshold, num_perm, seed = config.threshold, config.num_perm, config.seed
    bands, rows = choose_bands(threshold, num_perm, *weights)
    section_report = shingles.select("section_id", "report_id").unique()
    start = time.perf_counter()
    ours = ours_candidates(shingles, section_report, config, bands, rows)
    ours_s = time.perf_counter() - start

    sets, section_ids, report_of = token_sets(shingles)
    kwargs: dict[str, Any] = {"num_perm": num_perm, "seed": seed, "scheme": "affine32"}
    if hashfunc == "fold":
        kwargs["hashfunc"] = _fold_bytes

    start = time.perf_counter()
    minhashes = MinHash.bulk(sets, **kwargs)
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, params=(bands, rows))
    with lsh.insertion_session() as session:
        for key, minhash in zip(section_ids, minhashes, strict=True):
            session.insert(key, minhash, check_duplication=False)
    found: set[tuple[str, str]] = set()
    for key, minhash in zip(section_ids, minhashes, strict=True):
        for other in lsh.query(minhash):
            if key < other and report_of[key] != report_of[other]:
                found.add((key, other))
    datasketch_s = time.perf_counter() - start

    ours_set = pair_set(ours)
    return {
        "n_sections": len(section_ids),
        "n_shingles": shingles.height,
        "bands": bands,
        "rows": rows,
        "scheme": config.scheme,
        "hashfunc": hashfunc,
        "weights": weights,
        "ours_s": ours_s,
        "datasketch_s": datasketch_s,
        "speedup": datasketch_s / ours_s,
        "pairs_ours": len(ours_set),
        "pairs_datasketch": len(found),
        "pairs_in_both": len(ours_set & found),
    }


def _fold_bytes(data: bytes) -> int:
    """datasketch hashfunc: our 32-bit fold of an 8-byte little-endian shingle."""
    value = int.from_bytes(data, "little")
    return (value ^ (value >> 32)) & 0xFFFFFFFF  # == fold_shingle_32, in pure Python for speed


def lsh_recall(
    shingles: pl.DataFrame,
    config: MinhashConfig = DEFAULT_CONFIG,
    sample_reports: int | None = 300,
    seed: int = 0,
    weights: tuple[float, float] = LSH_WEIGHTS,
    rensa: bool = False,
) -> dict[str, Any]:
    """Recall of our LSH-verified pairs against brute-force `exact_all_pairs` on sampled reports.

    With `rensa`, also the recall of rensa's LSH candidate pairs (`rensa_bench`) on the sample.
    """
    reports = shingles.select("report_id").unique().sort("report_id")
    if sample_reports is not None and sample_reports < reports.height:
        reports = reports.sample(sample_reports, seed=seed)
    sample = shingles.join(reports, on="report_id", how="semi")
    section_report = sample.select("section_id", "report_id").unique()
    start = time.perf_counter()
    found = near_duplicate_pairs(
        sample, config.threshold, config.num_perm, config.seed, weights, config.scheme
    )
    lsh_s = time.perf_counter() - start
    start = time.perf_counter()
    exact = exact_all_pairs(sample, section_report, config.threshold)
    exact_s = time.perf_counter() - start
    hits = exact.join(found, on=["section_id_a", "section_id_b"], how="semi").height
    result = {
        "n_reports": reports.height,
        "n_sections": section_report.height,
        "scheme": config.scheme,
        "pairs_exact": exact.height,
        "pairs_found": found.height,
        "weights": weights,
        "recall": hits / exact.height if exact.height else 1.0,
        "lsh_s": lsh_s,
        "exact_s": exact_s,
    }
    if rensa:
        from pipelines.bench.rensa_bench import rensa_candidates

        bands, _ = choose_bands(config.threshold, config.num_perm, *weights)
        theirs = rensa_candidates(*token_sets(sample), config, bands)
        result["pairs_rensa_candidates"] = len(theirs)
        result["recall_rensa"] = (
            len(pair_set(exact) & theirs) / exact.height if exact.height else 1.0
        )
    return result


def token_sets(shingles: pl.DataFrame) -> tuple[list[list[bytes]], list[str], dict[str, str]]:
    """(each section's shingles as 8-byte little-endian tokens, section ids, section -> report)."""
    grouped = (
        shingles.group_by("section_id", "report_id")
        .agg(pl.col("shingle").unique())
        .sort("section_id")
    )
    section_ids = grouped["section_id"].to_list()
    report_of = dict(zip(section_ids, grouped["report_id"].to_list(), strict=True))
    tokens = [
        [int(v).to_bytes(8, "little") for v in values] for values in grouped["shingle"].to_list()
    ]
    return tokens, section_ids, report_of


def main(n_sections: int = 20_000) -> None:
    """Build the synthetic corpus and print the comparison and recall numbers."""
    start = time.perf_counter()
    sections = synthetic_sections(n_sections)
    shingles = section_shingles(sections, k=DEFAULT_CONFIG.shingle_words)
    print(
        f"corpus: {sections.height} sections, {shingles.height} shingles, "
        f"{time.perf_counter() - start:.1f}s to build and shingle"
    )
    hashfuncs: tuple[Literal["fold", "sha1"], ...] = ("fold", "sha1")
    for weights in ((0.5, 0.5), LSH_WEIGHTS):
        for hashfunc in hashfuncs:
            print(compare_with_datasketch(shingles, hashfunc=hashfunc, weights=weights))
        print(lsh_recall(shingles, weights=weights, sample_reports=None))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
