"""The shared pieces of every chart: the `Chart` record, scale limits, labels, styling, report ranks.

Inputs: every chart takes warehouse tables in their fixed shape, as pipelines/defs/charts.py reads
them (columns in sql/README.md); a chart's `reports` is the frame `report_labels` builds and its
`topics` the ``topics`` table or `topic_label_frame`. An absent or empty table gives no chart; a
table without one of its columns is a programming error and raises.

Scale: charts over reports show the latest `TOP_REPORTS` reports by arrival and pool the earlier
ones into one "other (N reports)" row; charts over topics show the `TOP_TOPICS` largest topics and
pool the rest; box plots send precomputed quartiles, not the values; the scatter plot shows a
seeded random sample of at most `MAX_POINTS` sections; time series are bucketed by day, week,
month, quarter or year so that at most `MAX_BUCKETS` points remain.

Escaping: report-controlled strings (file names, headings, topic labels, phrases) pass through
`escape_text` (``html.escape`` without quote escaping) before they enter a figure. plotly.js
renders a subset of HTML tags in text (``<b>``, ``<a href>``, ``<br>`` ...) and decodes
``&lt; &gt; &amp;`` and numeric entities -- but not ``&quot;`` -- so escaped text shows literally
and creates no element. `Chart.summary` keeps the raw strings; the dashboard escapes them when it
renders the table.
"""

from __future__ import annotations

import contextlib
import functools
import html
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
import polars as pl

# The figures' look: plotly's `plotly_white`. It is attached once per figure when the dashboard
# writes the figure JSON (`figure_json`), not while building: plotly validates and deep-copies a
# template on every figure it is set on, which was most of a chart refresh (0.6 of 1.1 s).
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


@dataclass(frozen=True, slots=True, eq=False)
class Chart:
    """One chart: file-safe name, title, one-line reading guide, figure, and the top rows behind it."""

    name: str
    title: str
    caption: str
    figure: go.Figure
    summary: pl.DataFrame


def escape_text(value: object) -> str:
    """HTML-escape a report-controlled string for plotly text (``"`` kept: plotly cannot decode it)."""
    return html.escape("" if value is None else str(value), quote=False)


def shorten(value: object, width: int) -> str:
    """The string cut to `width` characters with an ellipsis (whitespace runs collapsed)."""
    text = " ".join(("" if value is None else str(value)).split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def category_labels(values: Sequence[object], width: int = LABEL_WIDTH) -> list[str]:
    """Escaped, shortened, unique category labels (repeats get " (2)", " (3)" ...)."""
    used: set[str] = set()
    out = []
    for value in values:
        text = shorten(value, width) or "(untitled)"
        candidate, k = text, 1
        while candidate in used:
            k += 1
            candidate = f"{text} ({k})"
        used.add(candidate)
        out.append(escape_text(candidate))
    return out


def is_empty(frame: pl.DataFrame | None) -> bool:
    """Whether a table is absent (None) or has no rows."""
    return frame is None or frame.height == 0


def finite(column: str) -> pl.Expr:
    """Rows whose `column` is a finite number."""
    return pl.col(column).is_not_null() & pl.col(column).cast(pl.Float64).is_finite()


def pooled_label(n: int, what: str) -> str:
    """Label of the pooled row: "other (1,234 reports)", "other (1 topic)"."""
    return f"other ({n:,} {what.removesuffix('s') if n == 1 else what})"


def style_figure(
    fig: go.Figure, title: str, height: int, x_title: str | None, y_title: str | None
) -> go.Figure:
    """Apply the shared title, size and axis titles to `fig` (the template comes at writing)."""
    fig.update_layout(
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


@contextlib.contextmanager
def without_default_template() -> Iterator[None]:
    """Build figures without plotly's default template (restored on exit); see TEMPLATE."""
    previous = pio.templates.default
    pio.templates.default = None
    try:
        yield
    finally:
        pio.templates.default = previous


@functools.cache
def template_json() -> dict[str, Any]:
    """TEMPLATE as plain JSON, computed once per process."""
    return pio.templates[TEMPLATE].to_plotly_json()


def as_sentence(text: str) -> str:
    """`text` with its first letter upper-cased and a final full stop."""
    return (text[:1].upper() + text[1:]).rstrip(".") + "."


def tick_angle(labels: Sequence[str]) -> int:
    """Angle of category tick labels: steep for many or long labels so they never overlap."""
    longest = max((len(html.unescape(label)) for label in labels), default=0)
    return -90 if len(labels) * max(longest, 1) > 250 else -40


def rows_height(rows: int, base: int = 160, per_row: int = 22) -> int:
    """Figure height for a chart with `rows` category rows."""
    return max(320, base + per_row * rows)


def report_labels(
    arrival: pl.DataFrame | None, reports: pl.DataFrame | None
) -> pl.DataFrame | None:
    """The charts' `reports` frame: ``report_arrival`` (ranks) with n_words from ``reports``.

    None without ``report_arrival`` rows (charts then name reports by id); n_words is null
    without ``reports`` rows.
    """
    if is_empty(arrival):
        return None
    assert arrival is not None
    if is_empty(reports):
        return arrival.with_columns(pl.lit(None, pl.Int64).alias("n_words"))
    assert reports is not None
    words = reports.select(pl.col("report_id").cast(arrival.schema["report_id"]), "n_words").unique(
        "report_id", keep="first"
    )
    return arrival.join(words, on="report_id", how="left")


def report_index(reports: pl.DataFrame | None) -> pl.DataFrame:
    """report_id, file_name, arrival_rank (1 = first) and n_words (maybe null) of every report.

    `reports` is the frame `report_labels` builds (``report_arrival`` with n_words).
    """
    schema = {
        "report_id": pl.String,
        "file_name": pl.String,
        "arrival_rank": pl.Int64,
        "n_words": pl.Int64,
    }
    if is_empty(reports):
        return pl.DataFrame(schema=schema)
    assert reports is not None
    frame = reports.with_columns(
        pl.col("report_id").cast(pl.String),
        pl.col("file_name").cast(pl.String),
        pl.col("n_words").cast(pl.Int64),
    ).unique("report_id", keep="first", maintain_order=True)
    return frame.select(pl.col(c).cast(t) for c, t in schema.items()).sort(
        "arrival_rank", "report_id", nulls_last=True
    )


def known_reports(ids: pl.Series, reports: pl.DataFrame | None) -> pl.DataFrame:
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


def latest_reports(index: pl.DataFrame, n: int) -> tuple[pl.DataFrame, int]:
    """The latest `n` reports of `index` in arrival order with a `label` column, and how many remain."""
    shown = index.sort("arrival_rank").tail(n)
    shown = shown.with_columns(pl.Series("label", category_labels(shown["file_name"].to_list())))
    return shown, index.height - shown.height


def topic_label_frame(
    topics: pl.DataFrame | None, topic_frequency: pl.DataFrame | None = None
) -> pl.DataFrame:
    """topic_id -> label and source, from ``topics``; else from ``topic_frequency`` (source null)."""
    if not is_empty(topics):
        assert topics is not None
        frame = topics.select(
            pl.col("topic_id"), pl.col("label").cast(pl.String), pl.col("source").cast(pl.String)
        )
    elif not is_empty(topic_frequency):
        assert topic_frequency is not None
        frame = topic_frequency.select(
            pl.col("topic_id"),
            pl.col("label").cast(pl.String),
            pl.lit(None, pl.String).alias("source"),
        )
    else:
        return pl.DataFrame(schema={"topic_id": pl.String, "label": pl.String, "source": pl.String})
    return frame.unique("topic_id", keep="first", maintain_order=True)


def with_topic_labels(frame: pl.DataFrame, topics: pl.DataFrame | None) -> pl.DataFrame:
    """`frame` (a table without labels) with a raw `topic` name column (its label, else the id)."""
    labels = topic_label_frame(topics)
    if labels.height:
        labels = labels.with_columns(pl.col("topic_id").cast(frame.schema["topic_id"]))
        frame = frame.join(labels.select("topic_id", "label"), on="topic_id", how="left")
    else:
        frame = frame.with_columns(pl.lit(None, pl.String).alias("label"))
    return frame.with_columns(
        pl.coalesce(pl.col("label"), pl.col("topic_id").cast(pl.String)).alias("topic")
    ).drop("label")


def box_stats(frame: pl.DataFrame, group: str, value: str) -> pl.DataFrame:
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


def box_trace(stats: pl.DataFrame, color: str, name: str) -> go.Box:
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
