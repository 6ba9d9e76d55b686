"""Charts of the corpus tables (Polars frames in, Plotly figures out) and an offline HTML dashboard.

Every chart function takes the landed tables as Polars frames (column names as in the ``corpus``
schema) and returns a `Chart` -- or ``None`` when its frames hold nothing to draw. `build_charts`
builds every chart whose frames are present and skips the rest without raising. `write_dashboard`
writes ``index.html`` (every chart, plotly.js inlined once) plus one page per chart that loads a
sibling ``plotly.min.js``; nothing is fetched from the network, so the pages work from ``file://``.

Scale: charts over reports show the latest `TOP_REPORTS` reports by arrival and pool the earlier
ones into one "other (N reports)" row; charts over topics show the `TOP_TOPICS` largest topics and
pool the rest; box plots send precomputed quartiles, not the values; the scatter plot shows a
seeded random sample of at most `MAX_POINTS` sections; time series are bucketed by day, week,
month, quarter or year so that at most `MAX_BUCKETS` points remain.

Escaping: report-controlled strings (file names, headings, topic labels, phrases) pass through
`_esc` (``html.escape`` without quote escaping) before they enter a figure. plotly.js renders a
subset of HTML tags in text (``<b>``, ``<a href>``, ``<br>`` ...) and decodes ``&lt; &gt; &amp;``
and numeric entities -- but not ``&quot;`` -- so escaped text shows literally and creates no
element. `Chart.summary` keeps the raw strings; the dashboard escapes them when it renders the
table. Figure JSON is embedded in ``<script type="application/json">`` after `_script_safe`
replaces ``< > &`` and U+2028/U+2029 by JSON escapes (plotly's own encoder already escapes
``< > /``), so no string can close the element. The pages carry a Content-Security-Policy that
allows only their own inline scripts (by hash), ``plotly.min.js`` from ``file:``, and no network.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import logging
import math
import os
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import polars as pl
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

logger = logging.getLogger(__name__)

TEMPLATE = "plotly_white"
TOP_REPORTS = 30
TOP_TOPICS = 30
TOP_PHRASES = 30
TREND_TOPICS = 8
MAX_POINTS = 5_000
MAX_BUCKETS = 60
MAX_BARS = 300
NOVELTY_BUCKETS = 200
SEED = 0
SUMMARY_ROWS = 10
LABEL_WIDTH = 40
PHRASE_WIDTH = 60
HOVER_WIDTH = 120
FRE_AXIS = "Flesch reading ease (0–100, higher = easier)"
FKG_AXIS = "Flesch–Kincaid grade (US school years)"
SHARE_AXIS = "share of words (%)"
PLOTLY_JS = "plotly.min.js"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_PLOT_CONFIG: dict[str, Any] = {
    "responsive": True,
    "displaylogo": False,
    "showSendToCloud": False,
    "showEditInChartStudio": False,
}


@dataclass(frozen=True, slots=True, eq=False)
class Chart:
    """One chart: file-safe name, title, one-line reading guide, figure, and the top rows behind it."""

    name: str
    title: str
    caption: str
    figure: go.Figure
    summary: pl.DataFrame


# --------------------------------------------------------------------------- small helpers


def _esc(value: object) -> str:
    """HTML-escape a report-controlled string for plotly text (``"`` kept: plotly cannot decode it)."""
    return html.escape("" if value is None else str(value), quote=False)


def _short(value: object, width: int) -> str:
    """The string cut to `width` characters with an ellipsis (whitespace runs collapsed)."""
    text = " ".join(("" if value is None else str(value)).split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _labels(values: Sequence[object], width: int = LABEL_WIDTH) -> list[str]:
    """Escaped, shortened, unique category labels (repeats get " (2)", " (3)" ...)."""
    used: set[str] = set()
    out = []
    for value in values:
        text = _short(value, width) or "(untitled)"
        candidate, k = text, 1
        while candidate in used:
            k += 1
            candidate = f"{text} ({k})"
        used.add(candidate)
        out.append(_esc(candidate))
    return out


def _usable(frame: pl.DataFrame | None, *columns: str) -> bool:
    """Whether `frame` is a non-empty DataFrame holding every column in `columns`."""
    return (
        isinstance(frame, pl.DataFrame)
        and frame.height > 0
        and all(c in frame.columns for c in columns)
    )


def _finite(column: str) -> pl.Expr:
    """Rows whose `column` is a finite number."""
    return pl.col(column).is_not_null() & pl.col(column).cast(pl.Float64).is_finite()


def _other(n: int, what: str) -> str:
    """Label of the pooled row: "other (1,234 reports)", "other (1 topic)"."""
    return f"other ({n:,} {what.removesuffix('s') if n == 1 else what})"


def _style(
    fig: go.Figure, title: str, height: int, x_title: str | None, y_title: str | None
) -> go.Figure:
    """Apply the shared template, title, size and axis titles to `fig`."""
    fig.update_layout(
        template=TEMPLATE,
        title={"text": title, "x": 0.01, "xanchor": "left"},
        height=height,
        margin={"l": 10, "r": 20, "t": 60, "b": 10},
        font={"size": 12},
        hoverlabel={"namelength": -1},
    )
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    if x_title is not None:
        fig.update_xaxes(title_text=x_title)
    if y_title is not None:
        fig.update_yaxes(title_text=y_title)
    return fig


def _sentence(text: str) -> str:
    """`text` with its first letter upper-cased and a final full stop."""
    return (text[:1].upper() + text[1:]).rstrip(".") + "."


def _tick_angle(labels: Sequence[str]) -> int:
    """Angle of category tick labels: steep for many or long labels so they never overlap."""
    longest = max((len(html.unescape(label)) for label in labels), default=0)
    return -90 if len(labels) * max(longest, 1) > 250 else -40


def _rows_height(rows: int, base: int = 160, per_row: int = 22) -> int:
    """Figure height for a chart with `rows` category rows."""
    return max(320, base + per_row * rows)


def report_index(reports: pl.DataFrame | None) -> pl.DataFrame:
    """report_id, file_name, arrival_rank (1 = first) and n_words (maybe null) of every report.

    `reports` may be ``reports`` or ``report_arrival``; without `arrival_rank` the rank follows
    report_date (nulls last), then file name.
    """
    schema = {
        "report_id": pl.String,
        "file_name": pl.String,
        "arrival_rank": pl.Int64,
        "n_words": pl.Int64,
    }
    if not _usable(reports, "report_id"):
        return pl.DataFrame(schema=schema)
    assert reports is not None
    cols = reports.columns
    frame = reports.with_columns(
        pl.col("report_id").cast(pl.String),
        (pl.col("file_name") if "file_name" in cols else pl.col("report_id"))
        .cast(pl.String)
        .alias("file_name"),
        (pl.col("n_words") if "n_words" in cols else pl.lit(None)).cast(pl.Int64).alias("n_words"),
    ).unique("report_id", keep="first", maintain_order=True)
    if "arrival_rank" not in cols:
        by = ["report_date", "file_name", "report_id"] if "report_date" in cols else ["report_id"]
        frame = frame.sort(by, nulls_last=True).with_columns(
            pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("arrival_rank")
        )
    return frame.select(pl.col(c).cast(t) for c, t in schema.items()).sort(
        "arrival_rank", "report_id", nulls_last=True
    )


def _known_reports(ids: pl.Series, reports: pl.DataFrame | None) -> pl.DataFrame:
    """`report_index` of the report ids in `ids`; ids it lacks are ranked after it, by id."""
    index = report_index(reports)
    wanted = pl.DataFrame({"report_id": ids.cast(pl.String).unique().sort()})
    known = wanted.join(index, on="report_id", how="inner")
    unknown = wanted.join(index, on="report_id", how="anti")
    start = int(index["arrival_rank"].max() or 0) if index.height else 0
    unknown = unknown.select(
        "report_id",
        pl.col("report_id").alias("file_name"),
        pl.int_range(start + 1, start + 1 + pl.len(), dtype=pl.Int64).alias("arrival_rank"),
        pl.lit(None, pl.Int64).alias("n_words"),
    )
    return pl.concat([known.select(unknown.columns), unknown]).sort("arrival_rank", "report_id")


def _latest(index: pl.DataFrame, n: int) -> tuple[pl.DataFrame, int]:
    """The latest `n` reports of `index` in arrival order with a `label` column, and how many remain."""
    shown = index.sort("arrival_rank").tail(n)
    shown = shown.with_columns(pl.Series("label", _labels(shown["file_name"].to_list())))
    return shown, index.height - shown.height


def topic_label_frame(*frames: pl.DataFrame | None) -> pl.DataFrame:
    """topic_id -> label (and source when known) from the first frame that has labels."""
    for frame in frames:
        if _usable(frame, "topic_id", "label"):
            assert frame is not None
            cols = [pl.col("topic_id"), pl.col("label").cast(pl.String)]
            if "source" in frame.columns:
                cols.append(pl.col("source").cast(pl.String))
            return frame.select(cols).unique("topic_id", keep="first", maintain_order=True)
    return pl.DataFrame(schema={"topic_id": pl.String, "label": pl.String})


def _with_topic_labels(frame: pl.DataFrame, topics: pl.DataFrame | None) -> pl.DataFrame:
    """`frame` with a raw `topic` name column (its label, else the topic id)."""
    if "label" in frame.columns:
        return frame.with_columns(
            pl.coalesce(pl.col("label").cast(pl.String), pl.col("topic_id").cast(pl.String)).alias(
                "topic"
            )
        )
    labels = topic_label_frame(topics)
    if labels.height:
        labels = labels.with_columns(pl.col("topic_id").cast(frame.schema["topic_id"]))
        frame = frame.join(labels.select("topic_id", "label"), on="topic_id", how="left")
    else:
        frame = frame.with_columns(pl.lit(None, pl.String).alias("label"))
    return frame.with_columns(
        pl.coalesce(pl.col("label"), pl.col("topic_id").cast(pl.String)).alias("topic")
    ).drop("label")


def _box_stats(frame: pl.DataFrame, group: str, value: str) -> pl.DataFrame:
    """Per group: n, quartiles (linear), mean and Tukey whiskers (1.5 IQR) of `value`."""
    v = pl.col(value).cast(pl.Float64)
    q1 = v.quantile(0.25, "linear")
    q3 = v.quantile(0.75, "linear")
    return frame.group_by(group, maintain_order=True).agg(
        n=pl.len(),
        q1=q1,
        median=v.median(),
        q3=q3,
        mean=v.mean(),
        lowerfence=v.filter(v >= q1 - 1.5 * (q3 - q1)).min(),
        upperfence=v.filter(v <= q3 + 1.5 * (q3 - q1)).max(),
    )


def _box_trace(stats: pl.DataFrame, color: str, name: str) -> go.Box:
    """A horizontal box trace drawn from precomputed statistics (one box per `label`)."""
    return go.Box(
        y=stats["label"].to_list(),
        q1=stats["q1"].to_numpy(),
        median=stats["median"].to_numpy(),
        q3=stats["q3"].to_numpy(),
        mean=stats["mean"].to_numpy(),
        lowerfence=stats["lowerfence"].to_numpy(),
        upperfence=stats["upperfence"].to_numpy(),
        orientation="h",
        boxmean=True,
        marker_color=color,
        name=name,
        showlegend=False,
    )


# --------------------------------------------------------------------------- topic charts


def topic_frequency_chart(
    topic_frequency: pl.DataFrame, topics: pl.DataFrame | None = None, top_n: int = TOP_TOPICS
) -> Chart | None:
    """Horizontal bars: reports per topic (left) and the topic's share of all words (right)."""
    if not _usable(topic_frequency, "topic_id", "n_reports", "share_of_words"):
        return None
    frame = _with_topic_labels(topic_frequency, topics)
    sources = topic_label_frame(topics)
    if "source" in sources.columns and "source" not in frame.columns:
        sources = sources.with_columns(pl.col("topic_id").cast(frame.schema["topic_id"]))
        frame = frame.join(sources.select("topic_id", "source"), on="topic_id", how="left")
    if "source" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, pl.String).alias("source"))
    frame = frame.sort(
        ["n_reports", "share_of_words", "topic"], descending=[True, True, False], nulls_last=True
    )
    total = frame.height
    shown = frame.head(top_n)
    shown = shown.with_columns(pl.Series("y", _labels(shown["topic"].to_list())))
    fig = make_subplots(
        rows=1,
        cols=2,
        shared_yaxes=True,
        horizontal_spacing=0.03,
        subplot_titles=("Reports that mention the topic", "Share of all words"),
    )
    colors = {"taxonomy": "#1f77b4", "discovered": "#ff7f0e"}
    groups = shown.partition_by("source", maintain_order=True, include_key=True)
    for group in groups:
        source = group["source"][0]
        name = source or "topic"
        color = colors.get(source or "", "#1f77b4")
        common = {
            "y": group["y"].to_list(),
            "orientation": "h",
            "marker_color": color,
            "name": name,
            "legendgroup": name,
        }
        fig.add_trace(
            go.Bar(
                x=group["n_reports"].to_numpy(),
                showlegend=len(groups) > 1,
                hovertemplate="%{y}: %{x:,} reports<extra></extra>",
                **common,
            ),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Bar(
                x=(group["share_of_words"].cast(pl.Float64) * 100).to_numpy(),
                showlegend=False,
                hovertemplate="%{y}: %{x:.1f}% of words<extra></extra>",
                **common,
            ),
            row=1,
            col=2,
        )
    order = shown["y"].to_list()
    fig.update_yaxes(categoryorder="array", categoryarray=order, autorange="reversed")
    fig.update_yaxes(title_text="topic", row=1, col=1)
    fig.update_xaxes(title_text="reports (count)", row=1, col=1)
    fig.update_xaxes(title_text=SHARE_AXIS, row=1, col=2)
    title = "Topics: how many reports mention them and how much text they take"
    _style(fig, title, _rows_height(len(order)), None, None)
    fig.update_layout(
        barmode="overlay",
        margin={"t": 100},
        legend={
            "orientation": "h",
            "yref": "container",
            "y": 0.995,
            "yanchor": "top",
            "x": 1,
            "xanchor": "right",
            "title": {"text": "topic source"},
        },
    )
    more = f" Showing the {top_n} topics in most reports of {total:,}." if total > top_n else ""
    caption = (
        "Longer bars = more reports mention the topic (left) or more of all words sit in its "
        f"sections (right); topics are sorted by reports.{more}"
    )
    summary = shown.select(
        pl.col("topic"),
        pl.col("source"),
        pl.col("n_reports").alias("reports"),
        (pl.col("share_of_words") * 100).round(2).alias("share of words (%)"),
    ).head(SUMMARY_ROWS)
    return Chart("topic_frequency", title, caption, fig, summary)


def report_topic_heatmap(
    report_topics: pl.DataFrame,
    reports: pl.DataFrame | None = None,
    topics: pl.DataFrame | None = None,
    top_reports: int = TOP_REPORTS,
    top_topics: int = TOP_TOPICS,
) -> Chart | None:
    """Heatmap of each report's share of words per topic (latest reports; the rest pooled)."""
    if not _usable(report_topics, "report_id", "topic_id", "share_of_words"):
        return None
    rt = _with_topic_labels(report_topics, topics).with_columns(
        pl.col("report_id").cast(pl.String),
        pl.col("share_of_words").cast(pl.Float64).fill_null(0.0),
        (pl.col("n_words") if "n_words" in report_topics.columns else pl.lit(None))
        .cast(pl.Float64)
        .alias("n_words"),
    )
    ids = rt["report_id"]
    if _usable(reports, "report_id"):
        assert reports is not None
        ids = pl.concat([ids, reports["report_id"].cast(pl.String)])
    index = _known_reports(ids, reports)
    shown, n_other = _latest(index, top_reports)
    # topics: the largest by words (else by summed share), the rest pooled into one column
    weight = "n_words" if rt["n_words"].null_count() < rt.height else "share_of_words"
    topic_rank = (
        rt.group_by("topic_id")
        .agg(pl.col("topic").first(), pl.col(weight).sum().alias("w"))
        .sort(["w", "topic"], descending=[True, False])
    )
    top = topic_rank.head(top_topics)
    rest_topics = topic_rank.height - top.height
    columns = top["topic_id"].to_list()
    col_labels = _labels(top["topic"].to_list(), 30)
    rt = rt.with_columns(
        pl.when(pl.col("topic_id").is_in(top["topic_id"].implode()))
        .then(pl.col("topic_id").cast(pl.String))
        .otherwise(pl.lit("\x00other"))
        .alias("col")
    )
    col_keys = [str(c) for c in columns] + (["\x00other"] if rest_topics else [])
    if rest_topics:
        col_labels.append(_other(rest_topics, "topics"))
    # shown reports: their own shares, other topics summed
    per_report = rt.join(shown.select("report_id", "label"), on="report_id", how="inner")
    cells = per_report.group_by("label", "col").agg(pl.col("share_of_words").sum().alias("v"))
    row_labels = shown["label"].to_list()
    rows: dict[str, dict[str, float]] = {label: {} for label in row_labels}
    for label, col, value in cells.iter_rows():
        rows[label][col] = value
    z = [[100 * rows[label].get(key, 0.0) for key in col_keys] for label in row_labels]
    pooled_note = ""
    if n_other:
        rest = index.join(shown.select("report_id"), on="report_id", how="anti")
        others = rt.join(rest.select("report_id"), on="report_id", how="semi")
        total_words = rest["n_words"].sum() if rest["n_words"].null_count() == 0 else None
        if total_words and others["n_words"].null_count() == 0:
            agg = others.group_by("col").agg(pl.col("n_words").sum() / total_words)
            pooled_note = "word-weighted share over the pooled reports"
        else:
            agg = others.group_by("col").agg(pl.col("share_of_words").sum() / rest.height)
            pooled_note = "mean share over the pooled reports"
        pooled = dict(agg.iter_rows())
        z.insert(0, [100 * float(pooled.get(key, 0.0)) for key in col_keys])
        row_labels.insert(0, _other(n_other, "earlier reports"))
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=col_labels,
            y=row_labels,
            colorscale="Blues",
            zmin=0,
            colorbar={"title": {"text": SHARE_AXIS, "side": "right"}},
            hovertemplate="report: %{y}<br>topic: %{x}<br>%{z:.1f}% of the report's words<extra></extra>",
            xgap=1,
            ygap=1,
        )
    )
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(tickangle=_tick_angle(col_labels), type="category")
    title = "Which topics each report spends its words on"
    _style(fig, title, _rows_height(len(row_labels), base=260), "topic", "report (file name)")
    notes = []
    if n_other:
        notes.append(
            f"rows: the latest {shown.height} reports by arrival; the top row pools the earlier {n_other:,} ({pooled_note})"
        )
    if rest_topics:
        notes.append(
            f"columns: the {top.height} largest topics; the last sums the other {rest_topics:,}"
        )
    caption = "Darker cell = larger share of that report's words in the topic's sections." + (
        " " + _sentence("; ".join(notes)) if notes else ""
    )
    summary = (
        per_report.sort("share_of_words", descending=True)
        .join(shown.select("report_id", "file_name"), on="report_id")
        .select(
            pl.col("file_name").alias("report"),
            "topic",
            (pl.col("share_of_words") * 100).round(2).alias("share of words (%)"),
        )
        .head(SUMMARY_ROWS)
    )
    return Chart("report_topic_heatmap", title, caption, fig, summary)


def _date_buckets(dates: pl.Series, max_buckets: int) -> tuple[str, str]:
    """The finest of day/week/month/quarter/year that leaves at most `max_buckets` buckets."""
    choices = (("1d", "day"), ("1w", "week"), ("1mo", "month"), ("3mo", "quarter"))
    for every, name in choices:
        if dates.dt.truncate(every).n_unique() <= max_buckets:
            return every, name
    return "1y", "year"


def topic_trend_chart(
    topic_trend: pl.DataFrame,
    topics: pl.DataFrame | None = None,
    top_n: int = TREND_TOPICS,
    max_buckets: int = MAX_BUCKETS,
) -> Chart | None:
    """Lines: mean share of words of the largest topics over report date (else arrival rank)."""
    if not _usable(topic_trend, "topic_id", "arrival_rank", "share_of_words"):
        return None
    frame = _with_topic_labels(topic_trend, topics).with_columns(
        pl.col("share_of_words").cast(pl.Float64).fill_null(0.0)
    )
    dtype = frame.schema.get("report_date")
    is_date = dtype == pl.Date or isinstance(dtype, pl.Datetime)
    has_dates = is_date and frame["report_date"].null_count() < frame.height
    if has_dates:
        frame = frame.filter(pl.col("report_date").is_not_null())
        every, unit = _date_buckets(frame["report_date"], max_buckets)
        frame = frame.with_columns(pl.col("report_date").dt.truncate(every).alias("bucket"))
        x_title = f"report date (per {unit})"
        bucket_note = f"per {unit}"
    else:
        top_rank = max(1, int(frame["arrival_rank"].cast(pl.Int64).fill_null(1).max() or 1))
        width = max(1, math.ceil(top_rank / max_buckets))
        frame = frame.with_columns(
            (((pl.col("arrival_rank") - 1) // width) * width + 1).alias("bucket")
        )
        x_title = (
            "arrival rank (1 = first report)"
            if width == 1
            else f"arrival rank (1 = first report; buckets of {width:,})"
        )
        bucket_note = "per report" if width == 1 else f"per {width:,} reports"
    n_per_bucket = (
        frame.select("bucket", "arrival_rank").unique().group_by("bucket").agg(n=pl.len())
    )
    ranking = (
        frame.group_by("topic_id")
        .agg(pl.col("topic").first(), pl.col("share_of_words").sum().alias("w"))
        .sort(["w", "topic"], descending=[True, False])
    )
    top = ranking.head(top_n)
    top = top.with_columns(pl.Series("name", _labels(top["topic"].to_list(), 30)))
    sums = (
        frame.join(top.select("topic_id"), on="topic_id", how="semi")
        .group_by("topic_id", "bucket")
        .agg(pl.col("share_of_words").sum().alias("s"))
    )
    grid = (
        top.select("topic_id", "name")
        .join(n_per_bucket, how="cross")
        .join(sums, on=["topic_id", "bucket"], how="left")
        .with_columns((100 * pl.col("s").fill_null(0.0) / pl.col("n")).alias("pct"))
        .sort("bucket")
    )
    fig = go.Figure()
    x_fmt = "%{x|%Y-%m-%d}" if has_dates else "rank %{x:,}"
    for topic_id, name in top.select("topic_id", "name").iter_rows():
        line = grid.filter(pl.col("topic_id") == topic_id)
        xs = (
            line["bucket"].dt.strftime("%Y-%m-%d").to_list()
            if has_dates
            else line["bucket"].to_numpy()
        )
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=line["pct"].to_numpy(),
                mode="lines+markers" if grid["bucket"].n_unique() <= 40 else "lines",
                name=name,
                hovertemplate=f"{x_fmt}: %{{y:.1f}}%",
            )
        )
    title = "Topic share over time"
    _style(fig, title, 460, x_title, SHARE_AXIS)
    if has_dates:
        fig.update_xaxes(type="date")
    fig.update_yaxes(rangemode="tozero")
    fig.update_layout(legend={"title": {"text": "topic"}})
    more = f" of {ranking.height:,}" if ranking.height > top.height else ""
    caption = (
        f"Each line is one of the {top.height}{more} largest topics: the mean share of a report's "
        f"words in that topic, {bucket_note}; a rising line = the topic takes more room in newer reports."
    )
    summary = (
        top.join(
            grid.group_by("topic_id").agg(
                pl.col("pct").first().alias("first"), pl.col("pct").last().alias("last")
            ),
            on="topic_id",
        )
        .select(
            "topic",
            pl.col("first").round(2).alias("first period share (%)"),
            pl.col("last").round(2).alias("last period share (%)"),
        )
        .head(SUMMARY_ROWS)
    )
    return Chart("topic_trend", title, caption, fig, summary)


# --------------------------------------------------------------------------- readability charts


def _reliable_fre(section_readability: pl.DataFrame) -> tuple[pl.DataFrame, int, int]:
    """Rows with a finite Flesch reading ease split into reliable ones, plus both counts."""
    frame = section_readability.filter(_finite("flesch_reading_ease"))
    if "reliable" in frame.columns:
        reliable = frame.filter(pl.col("reliable").fill_null(False))
    else:
        reliable = frame
    return reliable, reliable.height, frame.height - reliable.height


def readability_by_report_chart(
    section_readability: pl.DataFrame,
    reports: pl.DataFrame | None = None,
    top_n: int = TOP_REPORTS,
) -> Chart | None:
    """Boxes of section Flesch reading ease per report (reliable sections; earlier reports pooled)."""
    if not _usable(section_readability, "report_id", "flesch_reading_ease"):
        return None
    reliable, n_reliable, n_unreliable = _reliable_fre(section_readability)
    if n_reliable == 0:
        return None
    reliable = reliable.with_columns(pl.col("report_id").cast(pl.String))
    index = _known_reports(reliable["report_id"], reports)
    shown, n_other = _latest(index, top_n)
    labelled = reliable.join(shown.select("report_id", "label"), on="report_id", how="left")
    other_label = _other(n_other, "earlier reports")
    labelled = labelled.with_columns(pl.col("label").fill_null(other_label))
    stats = _box_stats(labelled, "label", "flesch_reading_ease")
    order = ([other_label] if n_other else []) + shown["label"].to_list()
    fig = go.Figure()
    own = stats.filter(pl.col("label") != other_label)
    fig.add_trace(_box_trace(own, "#1f77b4", "report"))
    if n_other:
        fig.add_trace(_box_trace(stats.filter(pl.col("label") == other_label), "#7f7f7f", "other"))
    fig.update_yaxes(categoryorder="array", categoryarray=order, autorange="reversed")
    title = "Readability of each report's sections"
    _style(fig, title, _rows_height(len(order)), FRE_AXIS, "report (file name)")
    pooled = (
        f" The latest {shown.height} reports by arrival are shown; the top box pools the "
        f"earlier {n_other:,}."
        if n_other
        else ""
    )
    dropped = (
        f" {n_unreliable:,} unreliable sections (< 100 words or < 3 sentences) are left out."
        if n_unreliable
        else ""
    )
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
    if not _usable(section_readability, "section_id", "flesch_reading_ease") or not _usable(
        section_topics, "section_id", "topic_id"
    ):
        return None
    reliable, n_reliable, n_unreliable = _reliable_fre(section_readability)
    if n_reliable == 0:
        return None
    st = section_topics
    if "is_primary" in st.columns:
        st = st.filter(pl.col("is_primary").fill_null(False))
    elif "score" in st.columns:
        st = st.sort("score", descending=True, nulls_last=True)
    st = st.unique("section_id", keep="first", maintain_order=True)
    st = _with_topic_labels(st.select("section_id", "topic_id"), topics)
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
    top = top.with_columns(pl.Series("label", _labels(top["topic"].to_list())))
    n_rest = ranking.height - top.height
    other_label = _other(n_rest, "topics")
    frame = frame.join(top.select("topic_id", "label"), on="topic_id", how="left").with_columns(
        pl.col("label").fill_null(other_label)
    )
    stats = _box_stats(frame, "label", "flesch_reading_ease")
    order = top["label"].to_list() + ([other_label] if n_rest else [])
    fig = go.Figure()
    fig.add_trace(_box_trace(stats.filter(pl.col("label") != other_label), "#2ca02c", "topic"))
    if n_rest:
        fig.add_trace(_box_trace(stats.filter(pl.col("label") == other_label), "#7f7f7f", "other"))
    fig.update_yaxes(categoryorder="array", categoryarray=order, autorange="reversed")
    title = "Readability by primary topic"
    _style(fig, title, _rows_height(len(order)), FRE_AXIS, "primary topic of the section")
    more = (
        f" The {top.height} topics with most sections are shown; the last box pools the other {n_rest:,}."
        if n_rest
        else ""
    )
    dropped = (
        f" {n_unreliable:,} unreliable sections (< 100 words or < 3 sentences) are left out."
        if n_unreliable
        else ""
    )
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
    needed = ("section_id", "report_id", "n_words", "flesch_kincaid_grade")
    if not _usable(section_readability, *needed):
        return None
    frame = section_readability.filter(
        _finite("flesch_kincaid_grade") & (pl.col("n_words") > 0)
    ).select(
        pl.col("section_id"),
        pl.col("report_id").cast(pl.String),
        pl.col("n_words"),
        pl.col("flesch_kincaid_grade").cast(pl.Float64),
        *(
            [pl.col("flesch_reading_ease")]
            if "flesch_reading_ease" in section_readability.columns
            else []
        ),
        (pl.col("reliable") if "reliable" in section_readability.columns else pl.lit(True))
        .fill_null(False)
        .alias("reliable"),
    )
    if frame.height == 0:
        return None
    total = frame.height
    frame = sample_rows(frame, "section_id", max_points, seed)
    if _usable(sections, "section_id", "heading"):
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
                [_esc(_short(f, HOVER_WIDTH)), _esc(_short(h, HOVER_WIDTH))]
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
    _style(fig, title, 480, "section length (words, log scale)", FKG_AXIS)
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


# --------------------------------------------------------------------------- redundancy charts


def report_similarity_heatmap(
    report_similarity: pl.DataFrame,
    reports: pl.DataFrame | None = None,
    top_n: int = TOP_REPORTS,
) -> Chart | None:
    """Heatmap of cosine similarity between the reports in the most similar pairs."""
    if not _usable(report_similarity, "report_id_a", "report_id_b", "cosine"):
        return None
    pairs = report_similarity.filter(
        _finite("cosine") & (pl.col("report_id_a") != pl.col("report_id_b"))
    ).select(
        pl.col("report_id_a").cast(pl.String).alias("a"),
        pl.col("report_id_b").cast(pl.String).alias("b"),
        pl.col("cosine").cast(pl.Float64),
        (
            pl.col("n_near_duplicate_sections")
            if "n_near_duplicate_sections" in report_similarity.columns
            else pl.lit(None)
        )
        .cast(pl.Int64)
        .alias("dups"),
    )
    if pairs.height == 0:
        return None
    # one row per unordered pair (the highest cosine if a pair appears twice)
    pairs = (
        pairs.with_columns(
            pl.min_horizontal("a", "b").alias("a"), pl.max_horizontal("a", "b").alias("b")
        )
        .sort(["cosine", "a", "b"], descending=[True, False, False])
        .unique(["a", "b"], keep="first", maintain_order=True)
    )
    involved = pl.concat([pairs["a"], pairs["b"]]).unique()
    chosen = (
        pairs.select(pl.concat_list("a", "b").alias("id"))
        .explode("id")
        .unique(maintain_order=True)
        .head(top_n)["id"]
    )
    index = _known_reports(involved, reports)
    shown = index.join(pl.DataFrame({"report_id": chosen}), on="report_id", how="semi").sort(
        "arrival_rank"
    )
    shown = shown.with_columns(pl.Series("label", _labels(shown["file_name"].to_list())))
    n_other = involved.len() - shown.height
    keys = shown["report_id"].to_list()
    labels = shown["label"].to_list()
    other = len(keys)
    size = len(keys) + (1 if n_other else 0)
    positions = pl.DataFrame({"id": keys, "pos": list(range(len(keys)))})
    cells = (
        pairs.join(positions.rename({"id": "a", "pos": "i"}), on="a", how="left")
        .join(positions.rename({"id": "b", "pos": "j"}), on="b", how="left")
        .with_columns(pl.col("i").fill_null(other), pl.col("j").fill_null(other))
        .filter((pl.col("i") != pl.col("j")) | (pl.col("i") == other))
    )
    cells = (
        pl.concat(
            [
                cells.select("i", "j", "cosine", "dups"),
                cells.select(i="j", j="i", cosine="cosine", dups="dups"),
            ]
        )
        .sort("cosine", descending=True)
        .unique(["i", "j"], keep="first")
    )
    z: list[list[float | None]] = [[None] * size for _ in range(size)]
    dups: list[list[int | None]] = [[None] * size for _ in range(size)]
    for i, j, cosine, dup in cells.iter_rows():
        z[i][j] = cosine
        dups[i][j] = dup
    if n_other:
        labels.append(_other(n_other, "reports"))
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=labels,
            y=labels,
            customdata=dups,
            colorscale="Reds",
            zmin=0,
            zmax=1,
            colorbar={"title": {"text": "cosine similarity (0–1)", "side": "right"}},
            hovertemplate=(
                "%{y}<br>%{x}<br>cosine %{z:.2f}<br>near-duplicate sections: %{customdata}"
                "<extra></extra>"
            ),
            xgap=1,
            ygap=1,
        )
    )
    fig.update_xaxes(tickangle=_tick_angle(labels), type="category")
    fig.update_yaxes(autorange="reversed", type="category")
    title = "How similar reports are to each other"
    height = max(420, 260 + 20 * size)
    _style(fig, title, height, "report (file name)", "report (file name)")
    pooled = (
        f" The {shown.height} reports of the most similar pairs are shown in arrival order; the "
        f"'other' row and column give each one's highest cosine to any of the other {n_other:,}."
        if n_other
        else ""
    )
    caption = (
        "Darker cell = the two reports share more vocabulary (cosine 0–1); blank = pair not "
        f"recorded or the report itself.{pooled}"
    )
    names = index.select("report_id", "file_name")
    summary = (
        pairs.head(SUMMARY_ROWS)
        .join(names.rename({"report_id": "a", "file_name": "report a"}), on="a", how="left")
        .join(names.rename({"report_id": "b", "file_name": "report b"}), on="b", how="left")
        .select(
            "report a",
            "report b",
            pl.col("cosine").round(3),
            pl.col("dups").alias("near-duplicate sections"),
        )
    )
    return Chart("report_similarity", title, caption, fig, summary)


def novelty_chart(
    report_novelty: pl.DataFrame,
    reports: pl.DataFrame | None = None,
    max_bars: int = MAX_BARS,
    buckets: int = NOVELTY_BUCKETS,
) -> Chart | None:
    """Novelty (share of a report not seen in earlier reports) in arrival order."""
    if not _usable(report_novelty, "report_id", "novelty"):
        return None
    frame = report_novelty.filter(_finite("novelty")).with_columns(
        pl.col("report_id").cast(pl.String), (100 * pl.col("novelty").cast(pl.Float64)).alias("pct")
    )
    if frame.height == 0:
        return None
    index = _known_reports(frame["report_id"], reports)
    if "arrival_rank" in frame.columns:
        frame = frame.with_columns(pl.col("arrival_rank").cast(pl.Int64))
        frame = frame.join(index.select("report_id", "file_name"), on="report_id", how="left")
        frame = frame.with_columns(
            pl.col("arrival_rank").fill_null(
                pl.col("report_id").replace_strict(
                    index["report_id"], index["arrival_rank"], default=None
                )
            )
        )
    else:
        frame = frame.join(index.select("report_id", "file_name", "arrival_rank"), on="report_id")
    frame = frame.with_columns(pl.col("file_name").fill_null(pl.col("report_id"))).sort(
        "arrival_rank", "report_id"
    )
    fig = go.Figure()
    x_title = "arrival rank (1 = first report)"
    y_title = "novelty (% of the report not seen in earlier reports)"
    if frame.height <= max_bars:
        custom = np.array(
            [[_esc(_short(f, HOVER_WIDTH))] for f in frame["file_name"]], dtype=object
        )
        fig.add_trace(
            go.Bar(
                x=frame["arrival_rank"].to_numpy(),
                y=frame["pct"].to_numpy(),
                customdata=custom,
                marker_color="#9467bd",
                hovertemplate="#%{x}: %{customdata[0]}<br>%{y:.1f}% new<extra></extra>",
                name="novelty",
            )
        )
        how = "Each bar is one report in arrival order"
    else:
        width = max(1, math.ceil(frame.height / buckets))
        binned = (
            frame.with_row_index("i")
            .with_columns((pl.col("i") // width).alias("bin"))
            .group_by("bin", maintain_order=True)
            .agg(
                pl.col("arrival_rank").first().alias("from"),
                pl.col("arrival_rank").last().alias("to"),
                pl.col("pct").mean().alias("mean"),
                pl.col("pct").quantile(0.1, "linear").alias("p10"),
                pl.col("pct").quantile(0.9, "linear").alias("p90"),
            )
        )
        mid = ((binned["from"] + binned["to"]) / 2).to_numpy()
        fig.add_trace(
            go.Scatter(
                x=mid,
                y=binned["p90"].to_numpy(),
                mode="lines",
                line={"width": 0},
                hoverinfo="skip",
                showlegend=False,
            )
        )
        fig.add_trace(
            go.Scatter(
                x=mid,
                y=binned["p10"].to_numpy(),
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor="rgba(148,103,189,0.25)",
                name="10th–90th percentile",
                hoverinfo="skip",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=mid,
                y=binned["mean"].to_numpy(),
                mode="lines",
                line={"color": "#9467bd", "width": 2},
                name="mean",
                customdata=np.stack([binned["from"].to_numpy(), binned["to"].to_numpy()], axis=1),
                hovertemplate="reports #%{customdata[0]:,}–#%{customdata[1]:,}: %{y:.1f}% new on average<extra></extra>",
            )
        )
        how = f"The line is the mean over each run of {width:,} consecutive reports (band = 10th–90th percentile)"
        x_title = f"arrival rank (1 = first report; mean per {width:,} reports)"
    title = "Novelty of each report on arrival"
    _style(fig, title, 420, x_title, y_title)
    fig.update_yaxes(range=[0, 105])
    fig.update_layout(showlegend=frame.height > max_bars)
    caption = (
        f"{how}; higher = more of its text had not appeared in any earlier report, low = mostly "
        "repeated material."
    )
    summary = (
        frame.sort(["pct", "arrival_rank"])
        .select(
            pl.col("arrival_rank").alias("arrival"),
            pl.col("file_name").alias("report"),
            pl.col("pct").round(1).alias("novelty (%)"),
        )
        .head(SUMMARY_ROWS)
    )
    return Chart("novelty", title, caption, fig, summary)


def repeated_phrases_chart(
    repeated_phrases: pl.DataFrame,
    reports: pl.DataFrame | None = None,
    top_n: int = TOP_PHRASES,
) -> Chart | None:
    """Horizontal bars: the phrases repeated in the most reports."""
    if not _usable(repeated_phrases, "phrase", "n_reports"):
        return None
    frame = repeated_phrases.with_columns(
        pl.col("phrase").cast(pl.String),
        (pl.col("n_occurrences") if "n_occurrences" in repeated_phrases.columns else pl.lit(None))
        .cast(pl.Int64)
        .alias("n_occurrences"),
        (pl.col("n") if "n" in repeated_phrases.columns else pl.lit(None))
        .cast(pl.Int64)
        .alias("n"),
    ).sort(
        ["n_reports", "n_occurrences", "phrase"], descending=[True, True, False], nulls_last=True
    )
    total = frame.height
    shown = frame.head(top_n)
    if "example_report_id" in shown.columns:
        names = report_index(reports).select(
            pl.col("report_id").alias("example_report_id"), pl.col("file_name").alias("example")
        )
        shown = shown.with_columns(pl.col("example_report_id").cast(pl.String))
        shown = shown.join(names, on="example_report_id", how="left").with_columns(
            pl.col("example").fill_null(pl.col("example_report_id"))
        )
    else:
        shown = shown.with_columns(pl.lit(None, pl.String).alias("example"))
    labels = _labels(shown["phrase"].to_list(), PHRASE_WIDTH)
    custom = np.array(
        [
            [
                "" if occ is None else f"{occ:,}",
                "" if n is None else str(n),
                _esc(_short(ex, HOVER_WIDTH)),
                _esc(_short(ph, 2 * HOVER_WIDTH)),
            ]
            for occ, n, ex, ph in zip(
                shown["n_occurrences"], shown["n"], shown["example"], shown["phrase"], strict=True
            )
        ],
        dtype=object,
    )
    fig = go.Figure(
        go.Bar(
            x=shown["n_reports"].to_numpy(),
            y=labels,
            orientation="h",
            marker_color="#8c564b",
            customdata=custom,
            hovertemplate=(
                "%{customdata[3]}<br>%{x:,} reports, %{customdata[0]} occurrences, "
                "%{customdata[1]} words<br>e.g. in %{customdata[2]}<extra></extra>"
            ),
        )
    )
    fig.update_yaxes(categoryorder="array", categoryarray=labels, autorange="reversed")
    title = "Phrases repeated across reports"
    _style(fig, title, _rows_height(len(labels)), "reports containing the phrase (count)", "phrase")
    more = (
        f" The top {shown.height} of {total:,} repeated phrases are shown."
        if total > shown.height
        else ""
    )
    caption = (
        "Longer bar = the phrase recurs verbatim in more reports (boilerplate candidates); hover "
        f"for occurrences and an example report.{more}"
    )
    summary = shown.select(
        "phrase",
        pl.col("n").alias("words"),
        pl.col("n_reports").alias("reports"),
        pl.col("n_occurrences").alias("occurrences"),
        pl.col("example").alias("example report"),
    ).head(SUMMARY_ROWS)
    return Chart("repeated_phrases", title, caption, fig, summary)


# --------------------------------------------------------------------------- all charts


def _get(frames: Mapping[str, pl.DataFrame | None], name: str) -> pl.DataFrame | None:
    """frames[name] when it is a non-empty DataFrame, else None."""
    frame = frames.get(name)
    return frame if isinstance(frame, pl.DataFrame) and frame.height > 0 else None


def _reports_for_labels(
    arrival: pl.DataFrame | None, reports: pl.DataFrame | None
) -> pl.DataFrame | None:
    """report_arrival (ranks) with n_words from reports when both exist, else whichever exists."""
    if not _usable(arrival, "report_id", "arrival_rank"):
        return reports
    assert arrival is not None
    if "n_words" in arrival.columns or not _usable(reports, "report_id", "n_words"):
        return arrival
    assert reports is not None
    words = reports.select(pl.col("report_id").cast(arrival.schema["report_id"]), "n_words").unique(
        "report_id", keep="first"
    )
    return arrival.join(words, on="report_id", how="left")


def _need(frames: Mapping[str, pl.DataFrame | None], name: str) -> pl.DataFrame:
    """frames[name], which the caller checked is a non-empty DataFrame."""
    frame = _get(frames, name)
    if frame is None:
        raise KeyError(name)
    return frame


def build_charts(frames: Mapping[str, pl.DataFrame | None]) -> list[Chart]:
    """Every chart whose frames have data, in dashboard order; a failing chart is logged, skipped."""
    f = functools.partial(_get, frames)
    need = functools.partial(_need, frames)
    reports = _reports_for_labels(f("report_arrival"), f("reports"))
    topics = topic_label_frame(f("topics"), f("topic_frequency"))
    specs: list[tuple[str, tuple[str, ...], Callable[[], Chart | None]]] = [
        (
            "topic_frequency",
            ("topic_frequency",),
            lambda: topic_frequency_chart(need("topic_frequency"), topics),
        ),
        (
            "report_topic_heatmap",
            ("report_topics",),
            lambda: report_topic_heatmap(need("report_topics"), reports, topics),
        ),
        ("topic_trend", ("topic_trend",), lambda: topic_trend_chart(need("topic_trend"), topics)),
        (
            "readability_by_report",
            ("section_readability",),
            lambda: readability_by_report_chart(need("section_readability"), reports),
        ),
        (
            "readability_by_topic",
            ("section_readability", "section_topics"),
            lambda: readability_by_topic_chart(
                need("section_readability"), need("section_topics"), topics
            ),
        ),
        (
            "readability_vs_length",
            ("section_readability",),
            lambda: readability_vs_length_chart(
                need("section_readability"), f("sections"), reports
            ),
        ),
        (
            "report_similarity",
            ("report_similarity",),
            lambda: report_similarity_heatmap(need("report_similarity"), reports),
        ),
        ("novelty", ("report_novelty",), lambda: novelty_chart(need("report_novelty"), reports)),
        (
            "repeated_phrases",
            ("repeated_phrases",),
            lambda: repeated_phrases_chart(need("repeated_phrases"), reports),
        ),
    ]
    charts: list[Chart] = []
    for name, needs, make in specs:
        if any(f(n) is None for n in needs):
            logger.info("chart %s skipped: no data in %s", name, ", ".join(needs))
            continue
        try:
            chart = make()
        except Exception:
            logger.warning("chart %s failed and is left out of the dashboard", name, exc_info=True)
            continue
        if chart is not None:
            charts.append(chart)
    return charts


# --------------------------------------------------------------------------- dashboard


def _script_safe(json_text: str) -> str:
    """JSON text that cannot end a <script> element: < > & U+2028 U+2029 become JSON escapes."""
    for raw, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        json_text = json_text.replace(raw, escaped)
    return json_text


@functools.cache
def _plotly_js() -> str:
    """The bundled plotly.js source, safe to inline in a <script> element."""
    source = re.sub(r"</(script)", r"<\\/\1", get_plotlyjs(), flags=re.IGNORECASE)
    return source.replace("<!--", "<\\!--")


def _csp_hash(script: str) -> str:
    """CSP source expression allowing exactly this inline script."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


_RENDER_JS = """
(function () {
  var config = __CONFIG__;
  var blocks = document.querySelectorAll("script[type='application/json'][data-plot]");
  Array.prototype.forEach.call(blocks, function (block) {
    var div = document.getElementById(block.getAttribute("data-plot"));
    try {
      var fig = JSON.parse(block.textContent);
      Plotly.newPlot(div, fig.data, fig.layout, config);
    } catch (err) {
      div.textContent = "This chart could not be drawn.";
      console.error(err);
    }
  });
})();
""".replace("__CONFIG__", pio.json.to_json_plotly(_PLOT_CONFIG))

_CSS = """
:root { color-scheme: light; }
body { margin: 0; background: #f4f5f7; color: #1f2328;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header, main { max-width: 1180px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 24px; }
h1 { font-size: 26px; margin: 0 0 4px; }
.meta { color: #57606a; margin: 0 0 12px; }
nav ol { columns: 2; margin: 0; padding-left: 22px; }
nav li { margin: 2px 0; }
a { color: #0969da; }
.own { color: #57606a; font-size: 13px; }
section.chart { background: #fff; border: 1px solid #d0d7de; border-radius: 8px;
  margin: 20px 0; padding: 16px 20px; }
section.chart h2 { font-size: 19px; margin: 0 0 4px; }
.caption { color: #424a53; margin: 0 0 8px; }
.plot { width: 100%; }
table.summary { border-collapse: collapse; font-size: 13px; margin-top: 10px; min-width: 50%; }
table.summary caption { text-align: left; color: #57606a; padding-bottom: 4px; }
table.summary th, table.summary td { border-bottom: 1px solid #eaeef2; padding: 3px 8px;
  text-align: left; vertical-align: top; overflow-wrap: anywhere; }
table.summary .num { text-align: right; font-variant-numeric: tabular-nums; }
footer { max-width: 1180px; margin: 0 auto 30px; padding: 0 20px; color: #57606a; font-size: 13px; }
"""


def _decimals(values: Sequence[object]) -> int:
    """Decimals (0..3) needed to show every float of a column after rounding to 3 places."""
    needed = 0
    for value in values:
        if isinstance(value, float) and math.isfinite(value):
            text = f"{value:.3f}".rstrip("0")
            needed = max(needed, len(text.split(".")[1]))
    return needed


def _cell(value: object, decimals: int) -> tuple[str, bool]:
    """A summary value as escaped HTML text, and whether it is numeric."""
    if value is None:
        return "", False
    if isinstance(value, bool):
        return ("yes" if value else "no"), False
    if isinstance(value, int):
        return f"{value:,}", True
    if isinstance(value, float):
        return ("" if not math.isfinite(value) else f"{value:,.{decimals}f}"), True
    if isinstance(value, datetime | date):
        return html.escape(value.isoformat()), False
    return html.escape(_short(value, 200)), False


def _summary_table(summary: pl.DataFrame) -> str:
    """The chart's summary rows as an escaped HTML table ('' when empty)."""
    if summary.height == 0 or summary.width == 0:
        return ""
    rows = summary.head(SUMMARY_ROWS)
    numeric = [dtype.is_numeric() for dtype in rows.dtypes]
    decimals = [_decimals(rows[c].to_list()) for c in rows.columns]
    head = "".join(
        f'<th class="num">{html.escape(str(c))}</th>' if num else f"<th>{html.escape(str(c))}</th>"
        for c, num in zip(rows.columns, numeric, strict=True)
    )
    body = []
    for row in rows.iter_rows():
        cells = []
        for value, places in zip(row, decimals, strict=True):
            text, is_number = _cell(value, places)
            cells.append(f'<td class="num">{text}</td>' if is_number else f"<td>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        '<table class="summary"><caption>Top rows behind the chart</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def figure_json(figure: go.Figure) -> str:
    """Figure JSON without its title (the page shows it), safe inside a <script> element."""
    fig = figure.to_plotly_json()
    layout = dict(fig.get("layout", {}))
    layout.pop("title", None)
    margin = dict(layout.get("margin") or {})
    margin["t"] = max(20, int(margin.get("t", 60)) - 40)
    layout["margin"] = margin
    text = pio.json.to_json_plotly({"data": fig.get("data", []), "layout": layout})
    return _script_safe(text)


def _chart_section(chart: Chart, standalone: bool) -> tuple[str, int]:
    """HTML <section> of one chart (title, caption, plot div, figure JSON, summary) and its height."""
    height = int(chart.figure.layout.height or 450)
    link = (
        ""
        if standalone
        else f' <a class="own" href="{html.escape(chart.name)}.html">open alone</a>'
    )
    name = html.escape(chart.name)
    return (
        f'<section class="chart" id="{name}">'
        f"<h2>{html.escape(chart.title)}{link}</h2>"
        f'<p class="caption">{html.escape(chart.caption)}</p>'
        f'<div class="plot" id="plot-{name}" style="height:{height}px"></div>'
        f'<script type="application/json" data-plot="plot-{name}">{figure_json(chart.figure)}</script>'
        f"{_summary_table(chart.summary)}</section>"
    ), height


def _page(title: str, header: str, body: str, inline_scripts: list[str], src_script: bool) -> str:
    """A complete HTML page with a CSP allowing only the given inline scripts (and plotly.min.js)."""
    script_src = " ".join(_csp_hash(s) for s in inline_scripts) + (" file:" if src_script else "")
    csp = (
        "default-src 'none'; "
        f"script-src {script_src}; "
        "style-src 'unsafe-inline'; img-src data: blob:; font-src data:; "
        "connect-src 'none'; base-uri 'none'; form-action 'none'"
    )
    loader = f'<script src="{PLOTLY_JS}" charset="utf-8"></script>' if src_script else ""
    scripts = "".join(f"<script>{s}</script>" for s in inline_scripts)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{html.escape(csp)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>"
        f"<body><header>{header}</header><main>{body}</main>"
        "<footer>Charts drawn with plotly.js, embedded in this folder; nothing is loaded from the network.</footer>"
        f"{loader}{scripts}</body></html>\n"
    )


def _atomic_write(path: Path, text: str) -> None:
    """Write `text` to `path` through a temp file in the same folder and os.replace."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_dashboard(
    charts: Sequence[Chart], out_dir: Path, generated_at: str | None = None
) -> dict[str, Path]:
    """Write index.html (all charts, plotly.js inline once), <name>.html per chart, plotly.min.js.

    Returns the written paths: "index", "plotly_js" and one entry per chart name.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = [chart.name for chart in charts]
    bad = [n for n in names if not _NAME.match(n) or n in {"index", "plotly.min"}]
    if bad or len(set(names)) != len(names):
        raise ValueError(f"chart names must be unique, lowercase and file-safe: {names}")
    stamp = generated_at or datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    written: dict[str, Path] = {}

    plotly_path = out_dir / PLOTLY_JS
    source = _plotly_js()
    try:
        current = plotly_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        current = None
    if current != source:
        _atomic_write(plotly_path, source)
    written["plotly_js"] = plotly_path

    sections = []
    for chart in charts:
        section, _ = _chart_section(chart, standalone=False)
        sections.append(section)
        alone, _ = _chart_section(chart, standalone=True)
        header = (
            '<p class="meta"><a href="index.html">← all charts</a> · generated '
            f"{html.escape(stamp)}</p>"
        )
        page = _page(chart.title, header, alone, [_RENDER_JS], src_script=True)
        path = out_dir / f"{chart.name}.html"
        _atomic_write(path, page)
        written[chart.name] = path

    toc = "".join(
        f'<li><a href="#{html.escape(c.name)}">{html.escape(c.title)}</a></li>' for c in charts
    )
    count = f"{len(charts)} chart{'s' if len(charts) != 1 else ''}"
    header = (
        "<h1>reportscope: the report corpus at a glance</h1>"
        f'<p class="meta">Generated {html.escape(stamp)} · {count}</p>'
        + (f"<nav><ol>{toc}</ol></nav>" if charts else "<p>No chart has data yet.</p>")
    )
    index = _page(
        "reportscope dashboard", header, "".join(sections), [_plotly_js(), _RENDER_JS], False
    )
    index_path = out_dir / "index.html"
    _atomic_write(index_path, index)
    written["index"] = index_path
    return written
