"""Topic frequency tables: per report, per topic, over time, and log-odds distinguishing terms."""

from __future__ import annotations

import math
from collections.abc import Iterable

import polars as pl

from pipelines.text.stopwords import content_words, default_stopwords
from pipelines.text.tokens import word_frame
from pipelines.text.topics.assign import primary_topics
from pipelines.text.topics.taxonomy import load_taxonomy

# Below this many distinct report days (UTC) dates tell nothing apart (a cloned folder gives
# every file one mtime): the trend runs over arrival order instead.
MIN_DISTINCT_DATES = 3
# On the arrival axis, consecutive arrival ranks are pooled into at most this many buckets.
MAX_ARRIVAL_BUCKETS = 60


def _topic_labels(labels: pl.DataFrame | None) -> pl.DataFrame:
    """topic_id → label, from the given frame or the default taxonomy."""
    source = labels if labels is not None else load_taxonomy()
    return source.select(pl.col("topic_id").cast(pl.String), pl.col("label").cast(pl.String))


def _primary_with_words(section_topics: pl.DataFrame, sections: pl.DataFrame) -> pl.DataFrame:
    """Primary topic of each section joined with its report, ordinal and word count."""
    return primary_topics(section_topics).join(
        sections.select("section_id", "ordinal", pl.col("n_words").cast(pl.Int64)),
        on="section_id",
        how="inner",
    )


def report_topics(section_topics: pl.DataFrame, sections: pl.DataFrame) -> pl.DataFrame:
    """Per report and primary topic: n_sections, n_words, share_of_words of the report."""
    report_words = sections.group_by("report_id").agg(
        pl.col("n_words").cast(pl.Int64).sum().alias("report_words")
    )
    return (
        _primary_with_words(section_topics, sections)
        .group_by("report_id", "topic_id")
        .agg(pl.len().cast(pl.Int64).alias("n_sections"), pl.col("n_words").sum())
        .join(report_words, on="report_id", how="left")
        .with_columns(
            (pl.col("n_words") / pl.col("report_words").clip(lower_bound=1)).alias("share_of_words")
        )
        .select("report_id", "topic_id", "n_sections", "n_words", "share_of_words")
        .sort(["report_id", "n_words", "topic_id"], descending=[False, True, False])
    )


def trend_axis(reports: pl.DataFrame) -> str:
    """'date' when the reports span at least MIN_DISTINCT_DATES distinct days, else 'arrival'."""
    days = reports.select(pl.col("report_date").dt.date().drop_nulls().n_unique()).item()
    return "date" if days >= MIN_DISTINCT_DATES else "arrival"


def topic_frequency(
    section_topics: pl.DataFrame,
    sections: pl.DataFrame,
    reports: pl.DataFrame,
    labels: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Per primary topic: reports, sections, share of all words, first/last seen, mean position.

    Counts use each section's primary topic only, so shares add up to at most 1.
    `first_seen`/`last_seen` are report dates, `first_rank`/`last_rank` arrival ranks (what
    tells reports apart when they share a date).
    `mean_position` is the mean relative position of the topic's sections within their
    report, (ordinal − first ordinal) / (last ordinal − first ordinal): 0 = first, 1 = last.
    `labels` (topic_id, label) defaults to the packaged taxonomy; unknown ids (discovered
    topics not passed in) are labelled with their id.
    """
    total_words = max(int(sections["n_words"].cast(pl.Int64).sum() or 0), 1)
    bounds = sections.group_by("report_id").agg(
        pl.col("ordinal").min().alias("first_ordinal"),
        pl.col("ordinal").max().alias("last_ordinal"),
    )
    rows = (
        _primary_with_words(section_topics, sections)
        .join(bounds, on="report_id", how="left")
        .join(
            reports.select("report_id", "report_date", pl.col("arrival_rank").cast(pl.Int64)),
            on="report_id",
            how="left",
        )
        .with_columns(
            (
                (pl.col("ordinal") - pl.col("first_ordinal"))
                / (pl.col("last_ordinal") - pl.col("first_ordinal")).clip(lower_bound=1)
            ).alias("position")
        )
    )
    return (
        rows.group_by("topic_id")
        .agg(
            pl.col("report_id").n_unique().cast(pl.Int64).alias("n_reports"),
            pl.len().cast(pl.Int64).alias("n_sections"),
            (pl.col("n_words").sum() / total_words).alias("share_of_words"),
            pl.col("report_date").min().alias("first_seen"),
            pl.col("report_date").max().alias("last_seen"),
            pl.col("arrival_rank").min().alias("first_rank"),
            pl.col("arrival_rank").max().alias("last_rank"),
            pl.col("position").mean().alias("mean_position"),
        )
        .join(_topic_labels(labels), on="topic_id", how="left")
        .with_columns(pl.col("label").fill_null(pl.col("topic_id")))
        .select(
            "topic_id",
            "label",
            "n_reports",
            "n_sections",
            "share_of_words",
            "first_seen",
            "last_seen",
            "first_rank",
            "last_rank",
            "mean_position",
        )
        .sort(["n_sections", "topic_id"], descending=[True, False])
    )


def topic_trend(
    section_topics: pl.DataFrame,
    sections: pl.DataFrame,
    reports: pl.DataFrame,
    every: str = "1d",
    max_arrival_buckets: int = MAX_ARRIVAL_BUCKETS,
) -> pl.DataFrame:
    """Per primary topic and bucket of reports: n_sections and share of the bucket's words.

    `axis` is `trend_axis(reports)`. On the date axis buckets are `report_date` truncated to
    `every` (a Polars duration, default one day). On the arrival axis (reports span fewer
    than MIN_DISTINCT_DATES days) they are runs of consecutive arrival ranks, as few reports
    each as keeps them within `max_arrival_buckets`, and `report_date` is NULL.
    `arrival_rank` is the earliest arrival rank in the bucket, `n_reports` its reports.
    Every topic seen anywhere gets a row for every bucket (zeros where absent).
    """
    axis = trend_axis(reports)
    rank = pl.col("arrival_rank").cast(pl.Int64)
    if axis == "date":
        bucket = pl.col("report_date").dt.truncate(every)
    else:
        width = max(1, math.ceil(reports.height / max_arrival_buckets))
        bucket = (rank - 1) // width * width + 1
    dated = sections.select("section_id", "report_id", pl.col("n_words").cast(pl.Int64)).join(
        reports.select("report_id", bucket.alias("bucket"), rank),
        on="report_id",
        how="inner",
    )
    buckets = dated.group_by("bucket").agg(
        pl.col("n_words").sum().alias("bucket_words"),
        pl.col("arrival_rank").min(),
        pl.col("report_id").n_unique().cast(pl.Int64).alias("n_reports"),
    )
    counts = (
        primary_topics(section_topics)
        .join(dated.select("section_id", "bucket", "n_words"), on="section_id", how="inner")
        .group_by("topic_id", "bucket")
        .agg(pl.len().cast(pl.Int64).alias("n_sections"), pl.col("n_words").sum().alias("words"))
    )
    grid = counts.select("topic_id").unique().join(buckets, how="cross")
    return (
        grid.join(counts, on=["topic_id", "bucket"], how="left")
        .with_columns(
            pl.col("n_sections").fill_null(0),
            (pl.col("words").fill_null(0) / pl.col("bucket_words").clip(lower_bound=1)).alias(
                "share_of_words"
            ),
        )
        .select(
            "topic_id",
            pl.lit(axis).alias("axis"),
            (
                pl.col("bucket")
                if axis == "date"
                else pl.lit(None, dtype=reports.schema["report_date"])
            ).alias("report_date"),
            "arrival_rank",
            "n_reports",
            "n_sections",
            "share_of_words",
        )
        .sort(["topic_id", "arrival_rank"])
    )


def topic_word_frame(
    sections: pl.DataFrame, section_topics: pl.DataFrame, text_column: str = "plain_text"
) -> pl.DataFrame:
    """Word rows (section_id, topic_id, word, position) of sections, by their primary topic."""
    words = word_frame(sections, ["section_id"], text_column)
    return words.join(
        primary_topics(section_topics).select("section_id", "topic_id"), on="section_id"
    ).select("section_id", "topic_id", "word", "position")


def topic_word_counts(
    sections: pl.DataFrame,
    section_topics: pl.DataFrame,
    text_column: str = "plain_text",
    chunk_sections: int = 20_000,
) -> pl.DataFrame:
    """topic_id, word, count: `topic_word_frame` summed per (topic, word), a chunk at a time.

    The same input to `topic_terms` as the word rows, without all of the corpus's word
    strings in memory at once.
    """
    primary = primary_topics(section_topics).select("section_id", "topic_id")
    parts = [
        word_frame(sections.slice(start, chunk_sections), ["section_id"], text_column)
        .join(primary, on="section_id")
        .group_by("topic_id", "word")
        .agg(pl.len().cast(pl.Int64).alias("count"))
        for start in range(0, sections.height, chunk_sections)
    ]
    if not parts:
        return pl.DataFrame(schema={"topic_id": pl.String, "word": pl.String, "count": pl.Int64})
    return pl.concat(parts).group_by("topic_id", "word").agg(pl.col("count").sum())


def topic_terms(
    words: pl.DataFrame,
    prior: float = 1000.0,
    top_n: int = 15,
    *,
    min_length: int = 3,
    stopwords: Iterable[str] | None = None,
) -> pl.DataFrame:
    """Terms that distinguish each topic from all the others, by log-odds with a Dirichlet prior.

    Monroe, Colaresi & Quinn (2008), "Fightin' Words: Lexical Feature Selection and
    Evaluation for Identifying the Content of Political Conflict", Political Analysis 16(4),
    eqs. 16–22, with topic i against the pooled other topics j. `words` has one row per
    occurrence (topic_id, word), or per (topic_id, word) with a `count`. Stopwords, numbers and tokens shorter than `min_length` are
    dropped first. With y_w the corpus count of word w, n the corpus size and α0 = `prior`,
    the informative prior is α_w = α0 · y_w / n (eq. 16's prior proportional to corpus
    frequency), and

        δ_w = log((y_wi + α_w) / (n_i + α0 − y_wi − α_w))
            − log((y_wj + α_w) / (n_j + α0 − y_wj − α_w))        (eq. 16, log_odds)
        σ²(δ_w) ≈ 1 / (y_wi + α_w) + 1 / (y_wj + α_w)           (eq. 20)
        z_w = δ_w / √σ²(δ_w)                                     (eq. 22, z_score)

    Returns topic_id, term, count (y_wi), log_odds, z_score: the top_n terms per topic by z.
    """
    stop = frozenset(stopwords) if stopwords is not None else default_stopwords()
    weight = pl.col("count") if "count" in words.columns else pl.lit(1)
    cleaned = words.select(
        pl.col("topic_id").cast(pl.String),
        pl.col("word").cast(pl.String).str.to_lowercase(),
        weight.cast(pl.Int64).alias("count"),
    ).filter(content_words(pl.col("word"), min_length, stop))
    if cleaned.height == 0:
        return pl.DataFrame(
            schema={
                "topic_id": pl.String,
                "term": pl.String,
                "count": pl.Int64,
                "log_odds": pl.Float64,
                "z_score": pl.Float64,
            }
        )
    n_total = int(cleaned["count"].sum())
    a0 = float(prior)
    counts = cleaned.group_by("topic_id", "word").agg(pl.col("count").sum().alias("y_i"))
    y_i = pl.col("y_i").cast(pl.Float64)
    y_w = pl.col("y_i").sum().over("word").cast(pl.Float64)
    n_i = pl.col("y_i").sum().over("topic_id").cast(pl.Float64)
    scored = (
        counts.with_columns(
            (y_w - y_i).alias("y_j"),
            n_i.alias("n_i"),
            (n_total - n_i).alias("n_j"),
            (a0 * y_w / n_total).alias("alpha"),
        )
        .with_columns(
            (
                ((y_i + pl.col("alpha")) / (pl.col("n_i") + a0 - y_i - pl.col("alpha"))).log()
                - (
                    (pl.col("y_j") + pl.col("alpha"))
                    / (pl.col("n_j") + a0 - pl.col("y_j") - pl.col("alpha"))
                ).log()
            ).alias("log_odds"),
            (1.0 / (y_i + pl.col("alpha")) + 1.0 / (pl.col("y_j") + pl.col("alpha"))).alias(
                "variance"
            ),
        )
        .with_columns((pl.col("log_odds") / pl.col("variance").sqrt()).alias("z_score"))
    )
    return (
        scored.sort(["topic_id", "z_score", "word"], descending=[False, True, False])
        .group_by("topic_id", maintain_order=True)
        .head(top_n)
        .select(
            "topic_id",
            pl.col("word").alias("term"),
            pl.col("y_i").alias("count"),
            "log_odds",
            "z_score",
        )
    )
