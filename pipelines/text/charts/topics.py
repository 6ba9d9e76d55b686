"""Topic charts: how many reports mention each topic, each report's topic mix, topic shares over time."""

from __future__ import annotations

import math

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from pipelines.text.charts.common import (
    MAX_BUCKETS,
    SHARE_AXIS,
    SUMMARY_ROWS,
    TOP_REPORTS,
    TOP_TOPICS,
    TREND_TOPICS,
    Chart,
    as_sentence,
    category_labels,
    is_empty,
    known_reports,
    latest_reports,
    pooled_label,
    rows_height,
    style_figure,
    tick_angle,
    topic_label_frame,
    with_topic_labels,
)
from pipelines.text.topics.tables import MIN_DISTINCT_DATES


def topic_frequency_chart(
    topic_frequency: pl.DataFrame, topics: pl.DataFrame | None = None, top_n: int = TOP_TOPICS
) -> Chart | None:
    """Horizontal bars: reports per topic (left) and the topic's share of all words (right)."""
    if is_empty(topic_frequency):
        return None
    frame = topic_frequency.with_columns(
        pl.coalesce(pl.col("label").cast(pl.String), pl.col("topic_id").cast(pl.String)).alias(
            "topic"
        )
    )
    sources = topic_label_frame(topics)
    sources = sources.with_columns(pl.col("topic_id").cast(frame.schema["topic_id"]))
    frame = frame.join(sources.select("topic_id", "source"), on="topic_id", how="left")
    frame = frame.sort(
        ["n_reports", "share_of_words", "topic"], descending=[True, True, False], nulls_last=True
    )
    total = frame.height
    shown = frame.head(top_n)
    shown = shown.with_columns(pl.Series("y", category_labels(shown["topic"].to_list())))
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
    style_figure(fig, title, rows_height(len(order)), None, None)
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
    if is_empty(report_topics):
        return None
    rt = with_topic_labels(report_topics, topics).with_columns(
        pl.col("report_id").cast(pl.String),
        pl.col("share_of_words").cast(pl.Float64).fill_null(0.0),
        pl.col("n_words").cast(pl.Float64),
    )
    ids = rt["report_id"]
    if not is_empty(reports):
        assert reports is not None
        ids = pl.concat([ids, reports["report_id"].cast(pl.String)])
    index = known_reports(ids, reports)
    shown, n_other = latest_reports(index, top_reports)
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
    col_labels = category_labels(top["topic"].to_list(), 30)
    rt = rt.with_columns(
        pl.when(pl.col("topic_id").is_in(top["topic_id"].implode()))
        .then(pl.col("topic_id").cast(pl.String))
        .otherwise(pl.lit("\x00other"))
        .alias("col")
    )
    col_keys = [str(c) for c in columns] + (["\x00other"] if rest_topics else [])
    if rest_topics:
        col_labels.append(pooled_label(rest_topics, "topics"))
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
        row_labels.insert(0, pooled_label(n_other, "earlier reports"))
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
    fig.update_xaxes(tickangle=tick_angle(col_labels), type="category")
    title = "Which topics each report spends its words on"
    style_figure(fig, title, rows_height(len(row_labels), base=260), "topic", "report (file name)")
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
        " " + as_sentence("; ".join(notes)) if notes else ""
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
    """Lines: mean share of words of the largest topics over report date (else arrival rank).

    The table's `axis` says whether its buckets are dates or runs of arrival ranks (reports
    sharing fewer than MIN_DISTINCT_DATES dates); the caption says which axis it is and why.
    """
    if is_empty(topic_trend):
        return None
    frame = with_topic_labels(topic_trend, topics).with_columns(
        pl.col("share_of_words").cast(pl.Float64).fill_null(0.0)
    )
    dates_collapse = "axis" in frame.columns and (frame["axis"] == "arrival").any()
    has_dates = not dates_collapse and frame["report_date"].null_count() < frame.height
    if dates_collapse:
        axis_note = (
            f" Reports share fewer than {MIN_DISTINCT_DATES} distinct dates, so the axis is "
            "arrival order (report date, then file name)."
        )
    else:
        axis_note = "" if has_dates else " Reports carry no dates, so the axis is arrival order."
    if has_dates:
        frame = frame.filter(pl.col("report_date").is_not_null())
        every, unit = _date_buckets(frame["report_date"], max_buckets)
        frame = frame.with_columns(pl.col("report_date").dt.truncate(every).alias("bucket"))
        x_title = f"report date (per {unit})"
        bucket_note = f"per {unit}"
    else:
        # The table's buckets (runs of ranks, 1 wide when it has one row per report), pooled
        # whole until at most max_buckets are left.
        ranks = frame["arrival_rank"].cast(pl.Int64).drop_nulls().unique().sort()
        table_width = max(1, int(ranks.diff().min() or 1))
        n_buckets = ranks.len()
        width = table_width * max(1, math.ceil(n_buckets / max_buckets))
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
    top = top.with_columns(pl.Series("name", category_labels(top["topic"].to_list(), 30)))
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
    style_figure(fig, title, 460, x_title, SHARE_AXIS)
    if has_dates:
        fig.update_xaxes(type="date")
    fig.update_yaxes(rangemode="tozero")
    fig.update_layout(legend={"title": {"text": "topic"}})
    more = f" of {ranking.height:,}" if ranking.height > top.height else ""
    caption = (
        f"Each line is one of the {top.height}{more} largest topics: the mean share of a report's "
        f"words in that topic, {bucket_note}; a rising line = the topic takes more room in newer reports."
        f"{axis_note}"
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
