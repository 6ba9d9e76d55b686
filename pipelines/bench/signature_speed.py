"""Signature speed alone, ours vs rensa, on the shingles of a generated corpus (no Dagster).

Run: `.venv/bin/python -m pipelines.bench.signature_speed [n_reports] [repeats]` (default
2400 reports, about 3 M shingles; best of 3). Prints shingles per second of: our "oph"
family and rensa's `digest_matrix_from_flat_token_hashes`, each from the shingle frame (the
pipeline's call; rensa's row offsets from `section_runs`) and from the same flat hashes +
row offsets, and our classical "affine32" family. Wall and CPU seconds are
both shown; rensa uses RAYON_NUM_THREADS threads (default: all cores), so set
RAYON_NUM_THREADS=1 to compare one core with one core.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from pipelines.bench.corpus import generate_corpus
from pipelines.report_files import report_id
from pipelines.text.redundancy.minhash import minhash_signatures, section_runs
from pipelines.text.redundancy.oph import oph_signatures
from pipelines.text.redundancy.shingles import section_shingles
from pipelines.text.repair import repair
from pipelines.text.sections import extract_sections, sections_frame


def corpus_shingles(n_reports: int, seed: int = 0) -> pl.DataFrame:
    """Word 5-shingles (section_id, report_id, shingle) of `n_reports` generated reports."""
    with tempfile.TemporaryDirectory() as folder:
        reports = Path(folder) / "reports"
        corpus = generate_corpus(reports, n_reports, seed=seed)
        frames = []
        for name in corpus.files:
            repaired = repair((reports / name).read_bytes())
            extracted = extract_sections(repaired.text, repaired.first_line)
            frames.append(sections_frame(report_id(name), extracted))
    return section_shingles(pl.concat(frames))


def best_of(repeats: int, run: Callable[[], Any]) -> tuple[float, float]:
    """(fastest wall seconds, fastest CPU seconds of this process) over `repeats` calls."""
    wall, cpu = float("inf"), float("inf")
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        run()
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return wall, cpu


def rensa_from_frame(shingles: pl.DataFrame) -> Any:
    """rensa's digest matrix of a shingle frame: our runs of sections as its row offsets."""
    from rensa import RMinHash

    _, hashes, offsets = section_runs(shingles)
    return RMinHash.digest_matrix_from_flat_token_hashes(hashes, offsets.astype(np.uint64), 128, 1)


def main(n_reports: int = 2400, repeats: int = 3) -> None:
    """Build the shingles, time every signature path, print one line each."""
    from rensa import RMinHash

    shingles = corpus_shingles(n_reports).select("section_id", "shingle")
    _, hashes, offsets = section_runs(shingles)
    flat_offsets = offsets.astype(np.uint64)
    n = shingles.height
    print(
        f"{n_reports} reports, {len(offsets) - 1} sections, {n} shingles; 128 slots, seed 1; "
        f"best of {repeats}; RAYON_NUM_THREADS={os.environ.get('RAYON_NUM_THREADS', 'unset')}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    paths: dict[str, Callable[[], Any]] = {
        "ours oph, from the frame (minhash_signatures)": lambda: minhash_signatures(shingles),
        "rensa, from the frame (section_runs + its flat-hash digest matrix)": lambda: (
            rensa_from_frame(shingles)
        ),
        "ours oph, flat hashes + offsets (oph_signatures)": lambda: oph_signatures(
            hashes, offsets, 128, 1
        ),
        "rensa, flat hashes + offsets (digest_matrix_from_flat_token_hashes)": lambda: (
            RMinHash.digest_matrix_from_flat_token_hashes(hashes, flat_offsets, 128, 1)
        ),
        "ours affine32 (classical, datasketch-compatible)": lambda: minhash_signatures(
            shingles, scheme="affine32"
        ),
    }
    for name, run in paths.items():
        wall, cpu = best_of(repeats, run)
        print(
            f"{name:70s} wall {wall * 1000:7.1f} ms {n / wall / 1e6:6.1f} M shingles/s | "
            f"cpu {cpu * 1000:7.1f} ms {n / cpu / 1e6:6.1f} M/s"
        )


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:3]))
