"""Redundancy charts: report-to-report similarity, novelty on arrival, phrases repeated across reports."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
import polars as pl

from pipelines.text.charts.common import (
    HOVER_WIDTH,
    MAX_BARS,
    NOVELTY_BUCKETS,
    PHRASE_WIDTH,
    SUMMARY_ROWS,
    TOP_PHRASES,
    TOP_REPORTS,
    Chart,
    category_labels,
    escape_text,
    finite,
    is_empty,
    known_reports,
    pooled_label,
    report_index,
    rows_height,
    shorten,
    style_figure,
    tick_angle,
)


def report_similarity_heatmap(
    report_similarity: pl.DataFrame,
    reports: pl.DataFrame | None = None,
    top_n: int = TOP_REPORTS,
) -> Chart | None:
    """Heatmap of cosine similarity between the reports in the most similar pairs."""
    if is_empty(report_similarity):
        return None
    pairs = report_similarity.filter(
        finite("cosine") & (pl.col("report_id_a") != pl.col("report_id_b"))
    ).select(
        pl.col("report_id_a").cast(pl.String).alias("a"),
        pl.col("report_id_b").cast(pl.String).alias("b"),
        pl.col("cosine").cast(pl.Float64),
        pl.col("n_near_duplicate_sections").cast(pl.Int64).alias("dups"),
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
    index = known_reports(involved, reports)
    shown = index.join(pl.DataFrame({"report_id": chosen}), on="report_id", how="semi").sort(
        "arrival_rank"
    )
    shown = shown.with_columns(pl.Series("label", category_labels(shown["file_name"].to_list())))
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
        labels.append(pooled_label(n_other, "reports"))
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
    fig.update_xaxes(tickangle=tick_angle(labels), type="category")
    fig.update_yaxes(autorange="reversed", type="category")
    title = "How similar reports are to each other"
    height = max(420, 260 + 20 * size)
    style_figure(fig, title, height, "report (file name)", "report (file name)")
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
    if is_empty(report_novelty):
        return None
    frame = report_novelty.filter(finite("novelty")).with_columns(
        pl.col("report_id").cast(pl.String), (100 * pl.col("novelty").cast(pl.Float64)).alias("pct")
    )
    if frame.height == 0:
        return None
    index = known_reports(frame["report_id"], reports)
    frame = frame.with_columns(pl.col("arrival_rank").cast(pl.Int64))
    frame = frame.join(index.select("report_id", "file_name"), on="report_id", how="left")
    frame = frame.with_columns(
        pl.col("arrival_rank").fill_null(
            pl.col("report_id").replace_strict(
                index["report_id"], index["arrival_rank"], default=None
            )
        )
    )
    frame = frame.with_columns(pl.col("file_name").fill_null(pl.col("report_id"))).sort(
        "arrival_rank", "report_id"
    )
    fig = go.Figure()
    x_title = "arrival rank (1 = first report)"
    y_title = "novelty (% of the report not seen in earlier reports)"
    if frame.height <= max_bars:
        custom = np.array(
            [[escape_text(shorten(f, HOVER_WIDTH))] for f in frame["file_name"]], dtype=object
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
    style_figure(fig, title, 420, x_title, y_title)
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
    """Horizontal bars: reports containing each boilerplate phrase, best `score` first."""
    if is_empty(repeated_phrases):
        return None
    score = (
        pl.col("score").cast(pl.Float64)
        if "score" in repeated_phrases.columns
        else pl.lit(None, pl.Float64)
    )
    frame = repeated_phrases.with_columns(
        pl.col("phrase").cast(pl.String),
        pl.col("n_occurrences").cast(pl.Int64),
        pl.col("n").cast(pl.Int64),
        score.alias("score"),
    ).sort(
        ["score", "n_reports", "n_occurrences", "phrase"],
        descending=[True, True, True, False],
        nulls_last=True,
    )
    total = frame.height
    shown = frame.head(top_n)
    names = report_index(reports).select(
        pl.col("report_id").alias("example_report_id"), pl.col("file_name").alias("example")
    )
    shown = shown.with_columns(pl.col("example_report_id").cast(pl.String))
    shown = shown.join(names, on="example_report_id", how="left").with_columns(
        pl.col("example").fill_null(pl.col("example_report_id"))
    )
    labels = category_labels(shown["phrase"].to_list(), PHRASE_WIDTH)
    custom = np.array(
        [
            [
                "" if occ is None else f"{occ:,}",
                "" if n is None else str(n),
                escape_text(shorten(ex, HOVER_WIDTH)),
                escape_text(shorten(ph, 2 * HOVER_WIDTH)),
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
    style_figure(
        fig, title, rows_height(len(labels)), "reports containing the phrase (count)", "phrase"
    )
    more = (
        f" The top {shown.height} of {total:,} repeated phrases are shown."
        if total > shown.height
        else ""
    )
    caption = (
        "Longer bar = the phrase recurs verbatim in more reports. Phrases are ordered by how "
        "far they recur beyond what their words' frequencies predict (score = reports × "
        "ln(reports / expected reports)), so common English does not lead; hover for "
        f"occurrences and an example report.{more}"
    )
    summary = shown.select(
        "phrase",
        pl.col("n").alias("words"),
        pl.col("n_reports").alias("reports"),
        pl.col("n_occurrences").alias("occurrences"),
        pl.col("score").round(1),
        pl.col("example").alias("example report"),
    ).head(SUMMARY_ROWS)
    return Chart("repeated_phrases", title, caption, fig, summary)
