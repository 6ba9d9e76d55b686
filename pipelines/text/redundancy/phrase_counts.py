"""Phrase counts of new reports, folded into the stored candidates of `frequent_phrases`.

A refresh that only adds reports counts the stored candidate phrases (and the word and totals
rows of the background model) in the new reports and adds them; `candidate_mismatches` tells
whether stored counts still equal a recount from scratch (the incremental_equals_full check).
"""

from __future__ import annotations

import polars as pl

from pipelines.text.redundancy.phrases import CANDIDATE_SCHEMA, TOTALS_PHRASE
from pipelines.text.tokens import word_frame


def count_phrases(sections: pl.DataFrame, candidates: pl.DataFrame) -> pl.DataFrame:
    """How often each candidate phrase occurs in `sections`: phrase, n_reports, n_occurrences.

    The same words as `frequent_phrases` (lowercased WORD_PATTERN tokens, n-grams within a
    section, overlaps counted), 1-grams and the totals row (n = 0: words, reports with a word)
    included; phrases absent from `sections` are left out.
    """
    out = {"phrase": pl.String, "n_reports": pl.Int64, "n_occurrences": pl.Int64}
    if candidates.height == 0 or sections.height == 0:
        return pl.DataFrame(schema=out)
    words = word_frame(sections, ["section_id", "report_id"], "plain_text").sort(
        "section_id", "position", maintain_order=True
    )
    found = []
    for n in sorted(set(candidates["n"].to_list())):
        if n == 0:  # the empty phrase: once per word position
            found.append(words.select("report_id", pl.lit(TOTALS_PHRASE).alias("phrase")))
            continue
        wanted = candidates.filter(pl.col("n") == n)["phrase"]
        grams = words.select(
            "report_id",
            pl.when(pl.col("section_id").shift(-(n - 1)) == pl.col("section_id"))
            .then(pl.concat_str([pl.col("word").shift(-i) for i in range(n)], separator=" "))
            .alias("phrase"),
        ).filter(pl.col("phrase").is_in(wanted.implode()))
        found.append(grams)
    return (
        pl.concat(found)
        .group_by("phrase")
        .agg(
            pl.col("report_id").n_unique().cast(pl.Int64).alias("n_reports"),
            pl.len().cast(pl.Int64).alias("n_occurrences"),
        )
        .sort("phrase")
    )


def add_counts(candidates: pl.DataFrame, counts: pl.DataFrame) -> pl.DataFrame:
    """Candidates with the counts of new reports added (reports counted once: they are new)."""
    return (
        candidates.join(counts, on="phrase", how="left", suffix="_new")
        .with_columns(
            (pl.col("n_reports") + pl.col("n_reports_new").fill_null(0)).alias("n_reports"),
            (pl.col("n_occurrences") + pl.col("n_occurrences_new").fill_null(0)).alias(
                "n_occurrences"
            ),
        )
        .select(CANDIDATE_SCHEMA.keys())
    )


def candidate_mismatches(
    stored: pl.DataFrame, recomputed: pl.DataFrame, min_reports: int
) -> pl.DataFrame:
    """Stored candidates whose counts a from-scratch recomputation contradicts.

    A stored phrase must appear in the recomputation with the same counts, unless its stored
    report count is below the recomputation's `min_reports` (then it must be absent).
    """
    joined = stored.select("phrase", "n_reports", "n_occurrences").join(
        recomputed.select("phrase", "n_reports", "n_occurrences"),
        on="phrase",
        how="left",
        suffix="_full",
    )
    return joined.filter(
        pl.when(pl.col("n_reports_full").is_null())
        .then(pl.col("n_reports") >= min_reports)
        .otherwise(
            (pl.col("n_reports") != pl.col("n_reports_full"))
            | (pl.col("n_occurrences") != pl.col("n_occurrences_full"))
        )
    )
