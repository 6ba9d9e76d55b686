"""MinHash LSH benchmark against rensa (Rust R-MinHash + RMinHashLSH) on the same shingles.

rensa is a dev dependency, imported only here. Run: `.venv/bin/python -m
pipelines.bench.rensa_bench [n_sections]` (synthetic sections, as `minhash_bench`).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

import numpy as np
import polars as pl

from pipelines.bench.minhash_bench import (
    DEFAULT_CONFIG,
    ours_candidates,
    pair_set,
    synthetic_sections,
    token_sets,
)
from pipelines.text.redundancy.minhash import (
    LSH_WEIGHTS,
    MinhashConfig,
    choose_bands,
    minhash_signatures,
    section_runs,
)
from pipelines.text.redundancy.oph import oph_signatures
from pipelines.text.redundancy.shingles import section_shingles


def rensa_candidates(
    tokens: list[list[bytes]],
    section_ids: list[str],
    report_of: dict[str, str],
    config: MinhashConfig,
    bands: int,
) -> set[tuple[str, str]]:
    """rensa's cross-report LSH candidate pairs (a < b): R-MinHash objects, insert, query all."""
    from rensa import RMinHash, RMinHashLSH

    minhashes = RMinHash.from_token_sets(tokens, num_perm=config.num_perm, seed=config.seed)
    lsh = RMinHashLSH(threshold=config.threshold, num_perm=config.num_perm, num_bands=bands)
    lsh.insert_many(minhashes)
    found: set[tuple[str, str]] = set()
    for key, candidates in enumerate(lsh.query_all(minhashes)):
        a = section_ids[key]
        for other in candidates:
            b = section_ids[other]
            if a < b and report_of[a] != report_of[b]:
                found.add((a, b))
    return found


def _rensa_signatures(frame: pl.DataFrame, config: MinhashConfig) -> Any:
    """rensa's R-MinHash digest matrix of a shingle frame (runs of sections -> row offsets)."""
    from rensa import RMinHash

    _, hashes, offsets = section_runs(frame)
    return RMinHash.digest_matrix_from_flat_token_hashes(
        hashes, offsets.astype(np.uint64), config.num_perm, config.seed
    )


def _best_of(repeats: int, run: Callable[[], Any]) -> tuple[float, Any]:
    """(fastest wall seconds of `repeats` calls, the last result)."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def compare_with_rensa(
    shingles: pl.DataFrame,
    config: MinhashConfig = DEFAULT_CONFIG,
    weights: tuple[float, float] = LSH_WEIGHTS,
    repeats: int = 3,
) -> dict[str, Any]:
    """Time ours (signatures + band keys + candidates) vs rensa (R-MinHash + RMinHashLSH).

    Both sides: the same shingles, `config` num_perm and seed, and `choose_bands(threshold,
    num_perm, *weights)` bands (rensa's rows per band = num_perm // bands); best of `repeats`.
    rensa gets each section's shingles as 8-byte tokens (its object API hashes them itself);
    building them and the section -> report map is not timed. Both drop same-report pairs.
    Signatures alone are timed too, both from the shingle frame (ours `minhash_signatures`;
    rensa `section_runs` + `digest_matrix_from_flat_token_hashes` on our uint64 shingles) and
    as kernels on the same flat hashes + row offsets ("oph" `oph_signatures` vs rensa's).
    rensa runs on its default threads (RAYON_NUM_THREADS, else all cores).
    """
    from rensa import RMinHash

    bands, rows = choose_bands(config.threshold, config.num_perm, *weights)
    section_report = shingles.select("section_id", "report_id").unique()
    tokens, section_ids, report_of = token_sets(shingles)
    ours_s, ours = _best_of(
        repeats, lambda: ours_candidates(shingles, section_report, config, bands, rows)
    )
    rensa_s, theirs = _best_of(
        repeats, lambda: rensa_candidates(tokens, section_ids, report_of, config, bands)
    )
    frame = shingles.select("section_id", "shingle")
    signatures_s, _ = _best_of(
        repeats,
        lambda: minhash_signatures(frame, config.num_perm, config.seed, config.scheme),
    )
    rensa_signatures_s, _ = _best_of(repeats, lambda: _rensa_signatures(frame, config))
    _, hashes, offsets = section_runs(frame)
    kernel_s, _ = _best_of(
        repeats, lambda: oph_signatures(hashes, offsets, config.num_perm, config.seed)
    )
    flat_offsets = offsets.astype(np.uint64)
    rensa_kernel_s, _ = _best_of(
        repeats,
        lambda: RMinHash.digest_matrix_from_flat_token_hashes(
            hashes, flat_offsets, config.num_perm, config.seed
        ),
    )
    ours_set = pair_set(ours)
    return {
        "n_sections": len(section_ids),
        "n_shingles": shingles.height,
        "bands": bands,
        "rows": rows,
        "rensa_rows": config.num_perm // bands,
        "scheme": config.scheme,
        "weights": weights,
        "rensa_version": version("rensa"),
        "rensa_threads": os.environ.get("RAYON_NUM_THREADS", f"default ({os.cpu_count()} cores)"),
        "ours_s": ours_s,
        "rensa_s": rensa_s,
        "speedup": rensa_s / ours_s,
        "signatures_ours_s": signatures_s,
        "signatures_rensa_s": rensa_signatures_s,
        "signature_speedup": rensa_signatures_s / signatures_s,
        "kernel_ours_s": kernel_s,
        "kernel_rensa_s": rensa_kernel_s,
        "kernel_speedup": rensa_kernel_s / kernel_s,
        "kernel_shingles_per_s_ours": shingles.height / kernel_s,
        "kernel_shingles_per_s_rensa": shingles.height / rensa_kernel_s,
        "pairs_ours": len(ours_set),
        "pairs_rensa": len(theirs),
        "pairs_in_both": len(ours_set & theirs),
    }


def main(n_sections: int = 20_000) -> None:
    """Build the synthetic corpus and print the comparison with rensa."""
    shingles = section_shingles(synthetic_sections(n_sections), k=DEFAULT_CONFIG.shingle_words)
    print(compare_with_rensa(shingles))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
