"""Readability charts: reading ease per report and per topic, and section length against grade."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import polars as pl

from pipelines.text.charts.common import (
    FKG_AXIS,
    FRE_AXIS,
    HOVER_WIDTH,
    MAX_POINTS,
    SEED,
    SUMMARY_ROWS,
    TOP_REPORTS,
    TOP_TOPICS,
    Chart,
    box_stats,
    box_trace,
    category_labels,
    escape_text,
    finite,
    is_empty,
    known_reports,
    latest_reports,
    pooled_label,
    report_index,
    rows_height,
    shorten,
    style_figure,
    with_topic_labels,
)


def _reliable_fre(section_readability: pl.DataFrame) -> tuple[pl.DataFrame, int, int]:
    """Rows with a finite Flesch reading ease split into reliable ones, plus both counts."""
    frame = section_readability.filter(finite("flesch_reading_ease"))
    reliable = frame.filter(pl.col("reliable").fill_null(False))
    return reliable, reliable.height, frame.height - reliable.height


def _unreliable_note(n_unreliable: int) -> str:
    """Caption sentence on the unreliable sections a box chart leaves out ('' when none)."""
    return (
        f" {n_unreliable:,} unreliable sections (< 100 words or < 3 sentences, or not in English) are left out."
        if n_unreliable
        else ""
    )


def readability_by_report_chart(
    section_readability: pl.DataFrame,
    reports: pl.DataFrame | None = None,
    top_n: int = TOP_REPORTS,
) -> Chart | None:
    """Boxes of section Flesch reading ease per report (reliable sections; earlier reports pooled)."""
    if is_empty(section_readability):
        return None
    reliable, n_reliable, n_unreliable = _reliable_fre(section_readability)
    if n_reliable == 0:
        return None
    reliable = reliable.with_columns(pl.col("report_id").cast(pl.String))
    index = known_reports(reliable["report_id"], reports)
    shown, n_other = latest_reports(index, top_n)
    labelled = reliable.join(shown.select("report_id", "label"), on="report_id", how="left")
    other_label = pooled_label(n_other, "earlier reports")
    labelled = labelled.with_columns(pl.col("label").fill_null(other_label))
    stats = box_stats(labelled, "label", "flesch_reading_ease")
    order = ([other_label] if n_other else []) + shown["label"].to_list()
    fig = go.Figure()
    own = stats.filter(pl.col("label") != other_label)
    fig.add_trace(box_trace(own, "#1f77b4", "report"))
    if n_other:
        fig.add_trace(box_trace(stats.filter(pl.col("label") == other_label), "#7f7f7f", "other"))
    fig.update_yaxes(categoryorder="array", categoryarray=order, autorange="reversed")
    title = "Readability of each report's sections"
    style_figure(fig, title, rows_height(len(order)), FRE_AXIS, "report (file name)")
    pooled = (
        f" The latest {shown.height} reports by arrival are shown; the top box pools the "
        f"earlier {n_other:,}."
        if n_other
        else ""
    )
    dropped = _unreliable_note(n_unreliable)
    caption = (
        "Each box spans the middle half of a report's sections (line = median, dashed = mean, "
        f"whiskers = 1.5 IQR); further right = easier to read.{pooled}{dropped}"
    )
    summary = (
        shown.join(stats, on="label")
        .sort("median")
        .select(
            pl.col("file_name").alias("report"),
            pl.col("n").alias("reliable sections"),
            pl.col("median").round(1).alias("median reading ease"),
            pl.col("mean").round(1).alias("mean reading ease"),
        )
        .head(SUMMARY_ROWS)
    )
    return Chart("readability_by_report", title, caption, fig, summary)


def readability_by_topic_chart(
    section_readability: pl.DataFrame,
    section_topics: pl.DataFrame,
    topics: pl.DataFrame | None = None,
    top_n: int = TOP_TOPICS,
) -> Chart | None:
    """Boxes of section Flesch reading ease per primary topic (reliable sections only)."""
    if is_empty(section_readability) or is_empty(section_topics):
        return None
    reliable, n_reliable, n_unreliable = _reliable_fre(section_readability)
    if n_reliable == 0:
        return None
    st = section_topics.filter(pl.col("is_primary").fill_null(False))
    st = st.unique("section_id", keep="first", maintain_order=True)
    st = with_topic_labels(st.select("section_id", "topic_id"), topics)
    st = st.with_columns(pl.col("section_id").cast(reliable.schema["section_id"]))
    unassigned = "(no primary topic)"
    frame = reliable.join(st, on="section_id", how="left").with_columns(
        pl.col("topic").fill_null(unassigned),
        pl.col("topic_id").cast(pl.String).fill_null("\x00none"),
    )
    ranking = (
        frame.group_by("topic_id")
        .agg(pl.col("topic").first(), n=pl.len())
        .sort(["n", "topic"], descending=[True, False])
    )
    top = ranking.head(top_n)
    top = top.with_columns(pl.Series("label", category_labels(top["topic"].to_list())))
    n_rest = ranking.height - top.height
    other_label = pooled_label(n_rest, "topics")
    frame = frame.join(top.select("topic_id", "label"), on="topic_id", how="left").with_columns(
        pl.col("label").fill_null(other_label)
    )
    stats = box_stats(frame, "label", "flesch_reading_ease")
    order = top["label"].to_list() + ([other_label] if n_rest else [])
    fig = go.Figure()
    fig.add_trace(box_trace(stats.filter(pl.col("label") != other_label), "#2ca02c", "topic"))
    if n_rest:
        fig.add_trace(box_trace(stats.filter(pl.col("label") == other_label), "#7f7f7f", "other"))
    fig.update_yaxes(categoryorder="array", categoryarray=order, autorange="reversed")
    title = "Readability by primary topic"
    style_figure(fig, title, rows_height(len(order)), FRE_AXIS, "primary topic of the section")
    more = (
        f" The {top.height} topics with most sections are shown; the last box pools the other {n_rest:,}."
        if n_rest
        else ""
    )
    dropped = _unreliable_note(n_unreliable)
    caption = (
        "Each box spans the middle half of the sections whose primary topic it is (line = median, "
        f"dashed = mean); further right = easier to read.{more}{dropped}"
    )
    summary = (
        top.join(stats, on="label")
        .sort("median")
        .select(
            "topic",
            pl.col("n").alias("reliable sections"),
            pl.col("median").round(1).alias("median reading ease"),
        )
        .head(SUMMARY_ROWS)
    )
    return Chart("readability_by_topic", title, caption, fig, summary)


def sample_rows(frame: pl.DataFrame, key: str, max_rows: int, seed: int = SEED) -> pl.DataFrame:
    """At most `max_rows` rows: a seeded sample that depends on the set of `key`s, not row order."""
    frame = frame.sort(key)
    if frame.height <= max_rows:
        return frame
    picks = np.sort(np.random.default_rng(seed).choice(frame.height, max_rows, replace=False))
    return frame[picks]


def readability_vs_length_chart(
    section_readability: pl.DataFrame,
    sections: pl.DataFrame | None = None,
    reports: pl.DataFrame | None = None,
    max_points: int = MAX_POINTS,
    seed: int = SEED,
) -> Chart | None:
    """Scatter of section length (words) vs Flesch–Kincaid grade, coloured by reliability."""
    if is_empty(section_readability):
        return None
    frame = section_readability.filter(
        finite("flesch_kincaid_grade") & (pl.col("n_words") > 0)
    ).select(
        pl.col("section_id"),
        pl.col("report_id").cast(pl.String),
        pl.col("n_words"),
        pl.col("flesch_kincaid_grade").cast(pl.Float64),
        pl.col("flesch_reading_ease"),
        pl.col("reliable").fill_null(False),
    )
    if frame.height == 0:
        return None
    total = frame.height
    frame = sample_rows(frame, "section_id", max_points, seed)
    if not is_empty(sections):
        assert sections is not None
        heads = sections.select(
            pl.col("section_id").cast(frame.schema["section_id"]), pl.col("heading").cast(pl.String)
        ).unique("section_id", keep="first")
        frame = frame.join(heads, on="section_id", how="left")
    else:
        frame = frame.with_columns(pl.lit(None, pl.String).alias("heading"))
    names = report_index(reports).select("report_id", "file_name")
    frame = frame.join(names, on="report_id", how="left").with_columns(
        pl.col("file_name").fill_null(pl.col("report_id")),
        pl.col("heading").fill_null("(no heading)"),
    )
    fig = go.Figure()
    for flag, name, color in (
        (True, "reliable (≥ 100 words, ≥ 3 sentences)", "#1f77b4"),
        (False, "unreliable (shorter)", "#d62728"),
    ):
        part = frame.filter(pl.col("reliable") == flag)
        if part.height == 0:
            continue
        custom = np.array(
            [
                [escape_text(shorten(f, HOVER_WIDTH)), escape_text(shorten(h, HOVER_WIDTH))]
                for f, h in zip(part["file_name"].to_list(), part["heading"].to_list(), strict=True)
            ],
            dtype=object,
        )
        fig.add_trace(
            go.Scatter(
                x=part["n_words"].to_numpy(),
                y=part["flesch_kincaid_grade"].to_numpy(),
                mode="markers",
                name=name,
                marker={"color": color, "size": 6, "opacity": 0.6 if flag else 0.45},
                customdata=custom,
                hovertemplate=(
                    "%{customdata[0]}<br>%{customdata[1]}<br>"
                    "%{x:,} words, grade %{y:.1f}<extra></extra>"
                ),
            )
        )
    fig.update_xaxes(type="log")
    title = "Section length vs reading grade"
    style_figure(fig, title, 480, "section length (words, log scale)", FKG_AXIS)
    fig.update_layout(
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"}
    )
    sampled = (
        f" A seeded random sample of {frame.height:,} of {total:,} sections is drawn."
        if total > frame.height
        else ""
    )
    caption = (
        "Each dot is a section: further right = longer, higher = harder (US school grade); red "
        f"dots are too short for the score to be reliable. Hover for report and heading.{sampled}"
    )
    summary = (
        frame.sort(["reliable", "flesch_kincaid_grade"], descending=[True, True])
        .select(
            pl.col("file_name").alias("report"),
            "heading",
            pl.col("n_words").alias("words"),
            pl.col("flesch_kincaid_grade").round(1).alias("grade"),
            "reliable",
        )
        .head(SUMMARY_ROWS)
    )
    return Chart("readability_vs_length", title, caption, fig, summary)
