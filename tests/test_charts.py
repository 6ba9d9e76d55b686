"""Charts of the corpus tables: values, labels, scale, pooling, and the registry that builds them all."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import numpy as np
import plotly.graph_objects as go
import polars as pl
import pytest

from pipelines.dashboard.page import figure_json
from pipelines.text.charts import common, registry
from pipelines.text.charts.common import Chart, report_labels
from pipelines.text.charts.readability import (
    readability_by_report_chart,
    readability_by_topic_chart,
    readability_vs_length_chart,
)
from pipelines.text.charts.redundancy import (
    novelty_chart,
    repeated_phrases_chart,
    report_similarity_heatmap,
)
from pipelines.text.charts.registry import build_charts
from pipelines.text.charts.topics import (
    report_topic_heatmap,
    topic_frequency_chart,
    topic_trend_chart,
)
from tests.chart_frames import CHART_NAMES, synthetic_frames
from tests.chart_tables import chart_reports, table

# --------------------------------------------------------------------------- helpers


def axis_titles(fig: go.Figure) -> list[str]:
    """Titles of every x/y axis and colour bar of the figure."""
    layout = fig.layout.to_plotly_json()
    titles = [
        (value.get("title") or {}).get("text") or ""
        for key, value in layout.items()
        if re.fullmatch(r"[xy]axis\d*", key)
    ]
    titles += [
        ((getattr(t, "colorbar", None) or {}).to_plotly_json().get("title") or {}).get("text") or ""
        for t in fig.data
        if isinstance(t, go.Heatmap)
    ]
    return titles


def assert_well_formed(chart: Chart | None, name: str) -> Chart:
    """Title, axis titles with units, caption and summary are all present."""
    assert isinstance(chart, Chart)
    assert chart.name == name
    assert chart.title and chart.figure.layout.title.text == chart.title
    assert chart.caption and "\n" not in chart.caption and len(chart.caption) > 30
    written = json.loads(figure_json(chart.figure))  # the template is attached when written
    assert written["layout"]["template"]["layout"]["paper_bgcolor"] == "white"  # plotly_white
    titles = [t for t in axis_titles(chart.figure) if t]
    assert titles and all(t.strip() for t in titles)
    assert any("(" in t for t in titles), f"no unit in {titles}"
    assert isinstance(chart.summary, pl.DataFrame) and 0 < chart.summary.height <= 10
    return chart


def bar_lengths(fig: go.Figure, subplot_x: str = "x") -> dict[str, float]:
    """category label -> bar length of every horizontal bar drawn on the given x axis."""
    out: dict[str, float] = {}
    for trace in fig.data:
        if isinstance(trace, go.Bar) and (trace.xaxis or "x") == subplot_x:
            out.update(zip(trace.y, np.asarray(trace.x, dtype=float).tolist(), strict=True))
    return out


# --------------------------------------------------------------------------- topic charts


def test_topic_frequency_bars_match_input() -> None:
    tf = table(
        "topic_frequency",
        topic_id=["a", "b", "c"],
        label=["Budget", "Staffing <b>x</b>", "Risks"],
        n_reports=[7, 3, 5],
        n_sections=[20, 4, 9],
        share_of_words=[0.30, 0.05, 0.125],
    )
    chart = assert_well_formed(topic_frequency_chart(tf), "topic_frequency")
    assert bar_lengths(chart.figure, "x") == {
        "Budget": 7.0,
        "Staffing &lt;b&gt;x&lt;/b&gt;": 3.0,
        "Risks": 5.0,
    }
    assert bar_lengths(chart.figure, "x2") == pytest.approx(
        {"Budget": 30.0, "Staffing &lt;b&gt;x&lt;/b&gt;": 5.0, "Risks": 12.5}
    )
    assert "share of words (%)" in axis_titles(chart.figure)
    assert chart.figure.layout.yaxis.categoryarray == (
        "Budget",
        "Risks",
        "Staffing &lt;b&gt;x&lt;/b&gt;",
    )
    assert chart.summary["reports"].to_list() == [7, 5, 3]
    assert chart.summary["topic"].to_list()[2] == "Staffing <b>x</b>"  # raw in the summary


def test_topic_frequency_top_n_and_sources() -> None:
    tf = table(
        "topic_frequency",
        topic_id=[f"t{i}" for i in range(50)],
        label=[f"L{i}" for i in range(50)],
        n_reports=list(range(50)),
        share_of_words=[0.01] * 50,
    )
    topics = table(
        "topics",
        topic_id=[f"t{i}" for i in range(50)],
        label=[f"L{i}" for i in range(50)],
        source=["taxonomy", "discovered"] * 25,
    )
    chart = assert_well_formed(topic_frequency_chart(tf, topics, top_n=10), "topic_frequency")
    lengths = bar_lengths(chart.figure)
    assert lengths == {f"L{i}": float(i) for i in range(40, 50)}
    assert {t.name for t in chart.figure.data} == {"taxonomy", "discovered"}
    assert "10 topics" in chart.caption and "50" in chart.caption


def test_report_topic_heatmap_values_and_other_row() -> None:
    reports = chart_reports(["one.md", "two.md", "three.md", "four.md"], [100, 200, 300, 400])
    rt = pl.DataFrame(
        {
            "report_id": ["r1", "r1", "r2", "r3", "r3", "r4"],
            "topic_id": ["a", "b", "a", "b", "c", "c"],
            "n_sections": [1, 1, 1, 1, 1, 1],
            "n_words": [50, 50, 100, 150, 150, 400],
            "share_of_words": [0.5, 0.5, 0.5, 0.5, 0.5, 1.0],
        }
    )
    topics = table("topics", topic_id=["a", "b", "c"], label=["A", "B", "C"])
    chart = assert_well_formed(
        report_topic_heatmap(rt, reports, topics, top_reports=2, top_topics=2),
        "report_topic_heatmap",
    )
    hm = chart.figure.data[0]
    # topics by words: C (550), B (200) shown; A (150) pooled into one column
    assert list(hm.x) == ["C", "B", "other (1 topic)"]
    # rows: pooled earlier reports first, then the latest two in arrival order
    assert list(hm.y) == ["other (2 earlier reports)", "three.md", "four.md"]
    z = np.asarray(hm.z, dtype=float)
    assert z[1].tolist() == pytest.approx([50.0, 50.0, 0.0])
    assert z[2].tolist() == pytest.approx([100.0, 0.0, 0.0])
    # pooled r1 + r2 (300 words): C 0, B 50, other topics (A) 150 words -> 0, 16.67, 50 %
    assert z[0].tolist() == pytest.approx([0.0, 100 * 50 / 300, 100 * 150 / 300])
    assert "share of words (%)" in axis_titles(chart.figure)


def test_topic_trend_by_report_and_bucketed() -> None:
    tt = pl.DataFrame(
        {
            "topic_id": ["a", "b", "a"],
            "report_date": [datetime(2024, 1, 1, tzinfo=UTC)] * 2
            + [datetime(2024, 1, 5, tzinfo=UTC)],
            "arrival_rank": [1, 1, 2],
            "n_sections": [1, 1, 1],
            "share_of_words": [0.25, 0.75, 1.0],
        }
    )
    chart = assert_well_formed(topic_trend_chart(tt), "topic_trend")
    lines = {t.name: np.asarray(t.y, dtype=float).tolist() for t in chart.figure.data}
    assert lines == {"a": pytest.approx([25.0, 100.0]), "b": pytest.approx([75.0, 0.0])}
    assert "per day" in chart.figure.layout.xaxis.title.text

    big = synthetic_frames(400, sections_per_report=3, n_topics=12)
    chart = assert_well_formed(topic_trend_chart(big["topic_trend"], big["topics"]), "topic_trend")
    assert len(chart.figure.data) == common.TREND_TOPICS
    assert all(len(t.x) <= common.MAX_BUCKETS for t in chart.figure.data)
    assert "per month" in chart.figure.layout.xaxis.title.text


def test_topic_trend_without_dates_uses_arrival_rank() -> None:
    tt = pl.DataFrame(
        {
            "topic_id": ["a"] * 100,
            "report_date": pl.Series([None] * 100, dtype=pl.Datetime("us", "UTC")),
            "arrival_rank": range(1, 101),
            "n_sections": [1] * 100,
            "share_of_words": [0.5] * 100,
        }
    )
    chart = assert_well_formed(topic_trend_chart(tt, max_buckets=10), "topic_trend")
    assert "arrival rank" in chart.figure.layout.xaxis.title.text
    assert np.asarray(chart.figure.data[0].y, dtype=float).tolist() == pytest.approx([50.0] * 10)


def test_topic_trend_on_the_arrival_axis_says_why() -> None:
    """A topic_trend over arrival buckets of 3 reports: plotted per bucket, the caption says why."""
    tt = pl.DataFrame(
        {
            "topic_id": ["a"] * 3,
            "axis": ["arrival"] * 3,
            "report_date": pl.Series([None] * 3, dtype=pl.Datetime("us", "UTC")),
            "arrival_rank": [1, 4, 7],
            "n_reports": [3, 3, 1],
            "n_sections": [1, 1, 1],
            "share_of_words": [0.2, 0.4, 0.9],
        }
    )
    chart = assert_well_formed(topic_trend_chart(tt), "topic_trend")
    assert np.asarray(chart.figure.data[0].x).tolist() == [1, 4, 7]
    assert np.asarray(chart.figure.data[0].y, dtype=float).tolist() == pytest.approx([20, 40, 90])
    assert "buckets of 3" in chart.figure.layout.xaxis.title.text
    assert "Reports share fewer than 3 distinct dates, so the axis is arrival order" in (
        chart.caption
    )
    pooled = assert_well_formed(topic_trend_chart(tt, max_buckets=2), "topic_trend")
    # buckets of 6: ranks 1 and 4 pooled (mean of 20 % and 40 %), then 7
    assert np.asarray(pooled.figure.data[0].y, dtype=float).tolist() == pytest.approx([30, 90])
    dated = tt.with_columns(
        axis=pl.lit("date"),
        report_date=pl.Series([datetime(2024, 1, d, tzinfo=UTC) for d in (1, 2, 3)]),
    )
    assert (
        "arrival order" not in assert_well_formed(topic_trend_chart(dated), "topic_trend").caption
    )


# --------------------------------------------------------------------------- readability charts


def readability_frame() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Section readability of three reports (one value unreliable), their sections and reports."""
    sr = table(
        "section_readability",
        report_id=["r1"] * 4 + ["r2"] * 3 + ["r3"] * 2,
        section_id=[f"s{i}" for i in range(9)],
        flesch_reading_ease=[10.0, 20.0, 30.0, 999.0, 50.0, 60.0, 70.0, 80.0, 90.0],
        flesch_kincaid_grade=[12.0, 11.0, 10.0, 1.0, 8.0, 7.0, 6.0, 5.0, 4.0],
        n_words=[200, 300, 400, 20, 500, 600, 700, 800, 900],
        reliable=[True, True, True, False, True, True, True, True, True],
    )
    sections = table(
        "sections",
        report_id=sr["report_id"],
        section_id=sr["section_id"],
        heading=[f"Heading s{i}" for i in range(9)],
    )
    reports = chart_reports(["first.md", "second.md", "third.md"])
    return sr, sections, reports


def test_readability_by_report_box_stats() -> None:
    sr, _, reports = readability_frame()
    chart = assert_well_formed(readability_by_report_chart(sr, reports), "readability_by_report")
    box = chart.figure.data[0]
    assert list(box.y) == ["first.md", "second.md", "third.md"]
    assert np.asarray(box.median).tolist() == [20.0, 60.0, 85.0]  # 999 (unreliable) left out
    assert np.asarray(box.q1).tolist()[0] == 15.0
    assert "Flesch reading ease (0–100, higher = easier)" in axis_titles(chart.figure)
    assert "1 unreliable section" in chart.caption


def test_readability_by_report_pools_earlier_reports() -> None:
    sr, _, reports = readability_frame()
    chart = assert_well_formed(
        readability_by_report_chart(sr, reports, top_n=1), "readability_by_report"
    )
    shown, other = chart.figure.data
    assert list(shown.y) == ["third.md"]
    assert list(other.y) == ["other (2 earlier reports)"]
    # pooled: the 6 reliable sections of first.md and second.md
    assert np.asarray(other.median).tolist() == [40.0]
    assert chart.figure.layout.yaxis.categoryarray == ("other (2 earlier reports)", "third.md")


def test_readability_by_topic_uses_primary_topic_and_pools() -> None:
    sr, _, _ = readability_frame()
    st = pl.DataFrame(
        {
            "section_id": [f"s{i}" for i in range(9)] + ["s0"],
            "report_id": ["x"] * 10,
            "topic_id": ["a", "a", "a", "a", "b", "b", "c", "c", "c", "z"],
            "score": [1.0] * 10,
            "is_primary": [True] * 9 + [False],
        }
    )
    topics = table("topics", topic_id=["a", "b", "c", "z"], label=["A", "B", "C", "Z"])
    chart = assert_well_formed(
        readability_by_topic_chart(sr, st, topics, top_n=2), "readability_by_topic"
    )
    shown, other = chart.figure.data
    assert list(shown.y) == ["A", "C"]  # 3 reliable sections each; B has 2
    assert list(other.y) == ["other (1 topic)"]
    assert np.asarray(other.median).tolist() == [55.0]


def test_readability_vs_length_scatter_and_sampling() -> None:
    sr, sections, reports = readability_frame()
    chart = assert_well_formed(
        readability_vs_length_chart(sr, sections, reports), "readability_vs_length"
    )
    reliable, unreliable = chart.figure.data
    assert len(reliable.x) == 8 and len(unreliable.x) == 1
    assert np.asarray(unreliable.x).tolist() == [20] and np.asarray(unreliable.y).tolist() == [1.0]
    assert list(unreliable.customdata[0]) == ["first.md", "Heading s3"]
    assert chart.figure.layout.xaxis.title.text == "section length (words, log scale)"
    assert "Flesch–Kincaid grade (US school years)" in axis_titles(chart.figure)
    assert "sample" not in chart.caption

    big = synthetic_frames(800, sections_per_report=10)
    labels = report_labels(big["report_arrival"], big["reports"])
    a = readability_vs_length_chart(
        big["section_readability"], big["sections"], labels, max_points=500
    )
    shuffled = big["section_readability"].sample(fraction=1.0, shuffle=True, seed=5)
    b = readability_vs_length_chart(shuffled, big["sections"], labels, max_points=500)
    assert a is not None and b is not None
    assert sum(len(t.x) for t in a.figure.data) == 500
    assert "sample of 500 of 8,000 sections" in a.caption
    # deterministic whatever the row order
    for ta, tb in zip(a.figure.data, b.figure.data, strict=True):
        assert np.array_equal(np.asarray(ta.x), np.asarray(tb.x))


# --------------------------------------------------------------------------- redundancy charts


def test_report_similarity_heatmap_symmetric_with_other() -> None:
    sim = pl.DataFrame(
        {
            "report_id_a": ["r1", "r1", "r2", "r3"],
            "report_id_b": ["r2", "r3", "r3", "r4"],
            "cosine": [0.9, 0.2, 0.4, 0.7],
            "n_near_duplicate_sections": [3, 0, 1, 2],
        }
    )
    reports = chart_reports(["a.md", "b.md", "c.md", "d.md"])
    chart = assert_well_formed(report_similarity_heatmap(sim, reports), "report_similarity")
    hm = chart.figure.data[0]
    assert list(hm.x) == ["a.md", "b.md", "c.md", "d.md"]
    z = np.array(hm.z, dtype=float)
    assert np.allclose(z, z.T, equal_nan=True)
    assert z[0, 1] == 0.9 and z[2, 3] == 0.7 and np.isnan(z[0, 0]) and np.isnan(z[0, 3])
    assert "cosine similarity (0–1)" in axis_titles(chart.figure)

    chart = report_similarity_heatmap(sim, reports, top_n=2)  # a, b from the 0.9 pair
    assert chart is not None
    hm = chart.figure.data[0]
    assert list(hm.x) == ["a.md", "b.md", "other (2 reports)"]
    z = np.array(hm.z, dtype=float)
    assert z[0, 2] == 0.2 and z[1, 2] == 0.4 and z[2, 2] == 0.7  # highest cosine to the others
    assert chart.summary["cosine"].to_list()[0] == 0.9


def test_novelty_bars_and_buckets() -> None:
    nov = table("report_novelty", report_id=["r2", "r1"], arrival_rank=[2, 1], novelty=[0.25, 1.0])
    reports = chart_reports(["a.md", "b.md"])
    chart = assert_well_formed(novelty_chart(nov, reports), "novelty")
    bar = chart.figure.data[0]
    assert np.asarray(bar.x).tolist() == [1, 2]
    assert np.asarray(bar.y).tolist() == [100.0, 25.0]
    assert [c[0] for c in bar.customdata] == ["a.md", "b.md"]

    big = synthetic_frames(2_000, sections_per_report=1)
    labels = report_labels(big["report_arrival"], big["reports"])
    chart = assert_well_formed(novelty_chart(big["report_novelty"], labels), "novelty")
    assert all(len(t.x) <= common.NOVELTY_BUCKETS for t in chart.figure.data)
    assert "10 consecutive reports" in chart.caption


def test_repeated_phrases_top_n() -> None:
    rp = table(
        "repeated_phrases",
        phrase=[f"phrase {i}" for i in range(40)],
        n=[5] * 40,
        n_reports=list(range(40)),
        n_occurrences=[100] * 40,
        example_report_id=["r1"] * 40,
    )
    reports = chart_reports(["x.md"])
    chart = assert_well_formed(repeated_phrases_chart(rp, reports, top_n=5), "repeated_phrases")
    assert bar_lengths(chart.figure) == {f"phrase {i}": float(i) for i in range(35, 40)}
    assert chart.summary["example report"].to_list()[0] == "x.md"
    assert "top 5 of 40" in chart.caption


def test_repeated_phrases_are_shown_by_score_not_by_reports() -> None:
    """The best-scored phrases are shown (bars still count reports), whatever their reports."""
    rp = table(
        "repeated_phrases",
        phrase=[f"phrase {i}" for i in range(10)],
        n=[5] * 10,
        n_reports=[10 - i for i in range(10)],
        n_occurrences=[20] * 10,
        score=[float(i) for i in range(10)],
        example_report_id=["r1"] * 10,
    )
    chart = assert_well_formed(
        repeated_phrases_chart(rp, chart_reports(["x.md"]), top_n=3), "repeated_phrases"
    )
    assert bar_lengths(chart.figure) == {"phrase 9": 1.0, "phrase 8": 2.0, "phrase 7": 3.0}
    assert chart.summary["phrase"].to_list() == ["phrase 9", "phrase 8", "phrase 7"]


# --------------------------------------------------------------------------- build_charts


def test_build_charts_all_and_missing_frames() -> None:
    frames = synthetic_frames(20, sections_per_report=4)
    built = build_charts(frames)
    assert [c.name for c in built] == CHART_NAMES
    assert build_charts({}) == []
    empty = {k: v.clear() for k, v in frames.items()}
    assert build_charts(empty) == []
    partial = {
        "topic_frequency": frames["topic_frequency"],
        "report_novelty": frames["report_novelty"],
    }
    assert [c.name for c in build_charts(partial)] == ["topic_frequency", "novelty"]
    broken = dict(
        frames, report_similarity=frames["report_similarity"].clear(), section_topics=None
    )
    names = [c.name for c in build_charts(broken)]
    assert "report_similarity" not in names and "readability_by_topic" not in names
    assert "novelty" in names


def test_a_table_missing_a_column_is_an_error_not_an_empty_chart() -> None:
    tf = table("topic_frequency", topic_id=["a"], label=["A"], n_reports=[1], share_of_words=[1.0])
    assert topic_frequency_chart(tf.clear()) is None  # an empty table: no chart
    with pytest.raises(pl.exceptions.ColumnNotFoundError):
        topic_frequency_chart(tf.drop("n_reports"))


def test_build_charts_survives_a_failing_chart(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(registry, "novelty_chart", boom)
    frames = synthetic_frames(10, sections_per_report=2)
    names = [c.name for c in build_charts(frames)]
    assert "novelty" not in names and len(names) == len(CHART_NAMES) - 1
