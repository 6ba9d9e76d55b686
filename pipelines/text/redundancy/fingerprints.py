"""Section fingerprints: the stored index later reports are compared against, under one config."""

from __future__ import annotations

import polars as pl

from pipelines.text.redundancy.minhash import MinhashConfig, lsh_band_keys, minhash_signatures
from pipelines.text.redundancy.shingles import section_shingles


def fingerprint_sections(
    sections: pl.DataFrame, config: MinhashConfig
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(shingles, band keys) of `sections`: word shingles -> MinHash -> LSH band keys.

    Shingles: section_id, report_id, shingle (`section_shingles`, k = config.shingle_words).
    Band keys: section_id, band, band_key, report_id (config.banding bands x rows).
    """
    bands, rows = config.banding
    shingles = section_shingles(sections, k=config.shingle_words)
    section_ids, signatures = minhash_signatures(
        shingles, config.num_perm, config.seed, config.scheme
    )
    band_keys = lsh_band_keys(section_ids, signatures, bands, rows).join(
        sections.select("section_id", "report_id"), on="section_id"
    )
    return shingles, band_keys
