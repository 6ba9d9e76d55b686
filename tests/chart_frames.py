"""Synthetic corpus tables for the chart and dashboard tests: every table, fast at 10k reports, and a hostile variant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

from pipelines.text.readability.formulas import METRIC_COLUMNS
from tests.chart_tables import full_shape

XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = '"><img src=x onerror=alert(2)>'
CHART_NAMES = [
    "topic_frequency",
    "report_topic_heatmap",
    "topic_trend",
    "readability_by_report",
    "readability_by_topic",
    "readability_vs_length",
    "report_similarity",
    "novelty",
    "repeated_phrases",
]


def synthetic_frames(
    n_reports: int,
    sections_per_report: int = 10,
    n_topics: int = 12,
    seed: int = 0,
    file_names: dict[int, str] | None = None,
    headings: dict[int, str] | None = None,
) -> dict[str, pl.DataFrame]:
    """Every corpus table with made-up values for `n_reports` reports (vectorised; fast at 10k)."""
    rng = np.random.default_rng(seed)
    file_names = file_names or {}
    headings = headings or {}
    rids = [f"r{i:05d}" for i in range(n_reports)]
    start = datetime(2023, 1, 2, tzinfo=UTC)
    dates = [start + timedelta(days=int(d)) for d in np.sort(rng.integers(0, 900, n_reports))]
    names = [file_names.get(i, f"report_{i:05d}_quarterly_review.md") for i in range(n_reports)]
    n_sec = n_reports * sections_per_report
    sec_report = np.repeat(np.arange(n_reports), sections_per_report)
    sec_words = rng.integers(20, 900, n_sec)
    sec_sent = np.maximum(1, sec_words // rng.integers(12, 30, n_sec))
    sids = [f"s{i:07d}" for i in range(n_sec)]
    sec_heads = [headings.get(i, f"Section {i % sections_per_report + 1}") for i in range(n_sec)]
    report_words = np.bincount(sec_report, weights=sec_words, minlength=n_reports).astype(np.int64)
    reports = pl.DataFrame(
        {
            "report_id": rids,
            "file_name": names,
            "title": [f"Report {i}" for i in range(n_reports)],
            "n_words": report_words,
            "n_sections": np.full(n_reports, sections_per_report),
            "report_date": dates,
        }
    )
    report_arrival = reports.select(
        "report_id",
        "file_name",
        "title",
        "report_date",
        pl.int_range(1, pl.len() + 1).alias("arrival_rank"),
    )
    sections = pl.DataFrame(
        {
            "report_id": [rids[r] for r in sec_report],
            "section_id": sids,
            "ordinal": np.tile(np.arange(sections_per_report), n_reports),
            "level": np.full(n_sec, 2),
            "number": [None] * n_sec,
            "heading": sec_heads,
            "n_words": sec_words,
            "is_preamble": np.tile(np.arange(sections_per_report) == 0, n_reports),
        }
    )
    topic_ids = [f"t{k:02d}" for k in range(n_topics)]
    topics = pl.DataFrame(
        {
            "topic_id": topic_ids,
            "label": [f"topic {k}" for k in range(n_topics)],
            "description": [""] * n_topics,
            "source": ["taxonomy" if k % 3 else "discovered" for k in range(n_topics)],
        }
    )
    popularity = rng.dirichlet(np.ones(n_topics) * 0.7)
    sec_topic = rng.choice(n_topics, n_sec, p=popularity)
    section_topics = pl.DataFrame(
        {
            "section_id": sids,
            "report_id": [rids[r] for r in sec_report],
            "topic_id": [topic_ids[t] for t in sec_topic],
            "score": rng.random(n_sec),
            "is_primary": np.ones(n_sec, dtype=bool),
        }
    )
    rt = (
        section_topics.with_columns(pl.Series("n_words", sec_words))
        .group_by("report_id", "topic_id")
        .agg(pl.len().alias("n_sections"), pl.col("n_words").sum())
        .join(reports.select("report_id", pl.col("n_words").alias("total")), on="report_id")
        .with_columns((pl.col("n_words") / pl.col("total")).alias("share_of_words"))
        .drop("total")
        .sort("report_id", "topic_id")
    )
    topic_frequency = (
        rt.group_by("topic_id")
        .agg(
            pl.len().alias("n_reports"),
            pl.col("n_sections").sum(),
            (pl.col("n_words").sum() / int(report_words.sum())).alias("share_of_words"),
        )
        .join(topics.select("topic_id", "label"), on="topic_id")
        .with_columns(
            pl.lit(start).alias("first_seen"),
            pl.lit(dates[-1]).alias("last_seen"),
            pl.lit(0.5).alias("mean_position"),
        )
        .sort("topic_id")
    )
    topic_trend = rt.join(
        report_arrival.select("report_id", "report_date", "arrival_rank"), on="report_id"
    ).select("topic_id", "report_date", "arrival_rank", "n_sections", "share_of_words")
    fre = rng.normal(45, 15, n_sec)
    section_readability = pl.DataFrame(
        {
            "report_id": [rids[r] for r in sec_report],
            "section_id": sids,
            **{m: rng.normal(10, 3, n_sec) for m in METRIC_COLUMNS},
            "n_sentences": sec_sent,
            "n_words": sec_words,
            "n_syllables": sec_words * 2,
            "n_polysyllables": sec_words // 10,
            "n_difficult_words": sec_words // 8,
            "n_long_words": sec_words // 5,
        }
    ).with_columns(
        pl.Series("flesch_reading_ease", fre),
        ((pl.col("n_words") >= 100) & (pl.col("n_sentences") >= 3)).alias("reliable"),
    )
    report_readability = section_readability.group_by("report_id").agg(
        pl.col(c).mean() for c in (*METRIC_COLUMNS, "n_words")
    )
    pairs_a = rng.integers(0, n_reports, min(5 * n_reports, 50_000))
    pairs_b = rng.integers(0, n_reports, pairs_a.size)
    keep = pairs_a != pairs_b
    report_similarity = pl.DataFrame(
        {
            "report_id_a": [rids[i] for i in pairs_a[keep]],
            "report_id_b": [rids[i] for i in pairs_b[keep]],
            "cosine": rng.beta(2, 5, int(keep.sum())),
            "n_near_duplicate_sections": rng.integers(0, 4, int(keep.sum())),
        }
    )
    novelty = np.clip(rng.normal(0.6, 0.2, n_reports), 0, 1)
    novelty[0] = 1.0
    report_novelty = pl.DataFrame(
        {
            "report_id": rids,
            "arrival_rank": np.arange(1, n_reports + 1),
            "shingle_share_seen": 1 - novelty,
            "section_share_seen": 1 - novelty,
            "novelty": novelty,
        }
    )
    n_phrases = min(500, 5 * n_reports)
    repeated_phrases = pl.DataFrame(
        {
            "phrase": [
                f"this phrase number {i} repeats across the reports" for i in range(n_phrases)
            ],
            "n": np.full(n_phrases, 8),
            "n_reports": rng.integers(2, max(3, n_reports), n_phrases),
            "n_occurrences": rng.integers(2, 50, n_phrases),
            "example_report_id": [rids[i % n_reports] for i in range(n_phrases)],
        }
    )
    frames = {
        "reports": reports,
        "report_arrival": report_arrival,
        "sections": sections,
        "topics": topics,
        "topic_frequency": topic_frequency,
        "report_topics": rt,
        "topic_trend": topic_trend,
        "section_readability": section_readability,
        "report_readability": report_readability,
        "section_topics": section_topics,
        "report_similarity": report_similarity,
        "report_novelty": report_novelty,
        "repeated_phrases": repeated_phrases,
    }
    return {name: full_shape(name, frame) for name, frame in frames.items()}


def hostile_frames(n_reports: int = 6) -> dict[str, pl.DataFrame]:
    """Small synthetic corpus whose file names, headings, topics and phrases carry HTML/JS."""
    frames = synthetic_frames(
        n_reports,
        sections_per_report=6,
        n_topics=5,
        seed=3,
        file_names={0: XSS_SCRIPT, 1: XSS_IMG, 2: "a & b <b>bold</b>.md"},
        headings={1: XSS_IMG, 2: XSS_SCRIPT},
    )
    # make the hostile headings the hardest reliable sections so they reach the summary table
    frames["section_readability"] = frames["section_readability"].with_columns(
        pl.when(pl.col("section_id").is_in(["s0000001", "s0000002"]))
        .then(pl.lit(30.0))
        .otherwise(pl.col("flesch_kincaid_grade"))
        .alias("flesch_kincaid_grade"),
        pl.when(pl.col("section_id").is_in(["s0000001", "s0000002"]))
        .then(pl.lit(True))
        .otherwise(pl.col("reliable"))
        .alias("reliable"),
    )
    frames["topics"] = frames["topics"].with_columns(
        pl.when(pl.col("topic_id") == "t01")
        .then(pl.lit(XSS_SCRIPT))
        .otherwise(pl.col("label"))
        .alias("label")
    )
    frames["topic_frequency"] = frames["topic_frequency"].with_columns(
        pl.when(pl.col("topic_id") == "t01")
        .then(pl.lit(XSS_SCRIPT))
        .otherwise(pl.col("label"))
        .alias("label")
    )
    frames["repeated_phrases"] = frames["repeated_phrases"].with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit(XSS_IMG + " </script><script>alert(3)</script>"))
        .otherwise(pl.col("phrase"))
        .alias("phrase"),
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit(n_reports))
        .otherwise(pl.col("n_reports"))
        .alias("n_reports"),
    )
    return frames
