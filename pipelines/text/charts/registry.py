"""The one registry of charts: which builder draws each chart from which frames, in dashboard order."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping

import polars as pl

from pipelines.text.charts.common import (
    Chart,
    is_empty,
    report_labels,
    topic_label_frame,
    without_default_template,
)
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
from pipelines.text.charts.topics import (
    report_topic_heatmap,
    topic_frequency_chart,
    topic_trend_chart,
)

logger = logging.getLogger(__name__)


def _get(frames: Mapping[str, pl.DataFrame | None], name: str) -> pl.DataFrame | None:
    """frames[name] when it is a non-empty DataFrame, else None."""
    frame = frames.get(name)
    return None if is_empty(frame) else frame


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
    reports = report_labels(f("report_arrival"), f("reports"))
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
    # One context for all charts: restoring plotly's default template validates it again
    # (about 50 ms each time).
    with without_default_template():
        for name, needs, make in specs:
            if any(f(n) is None for n in needs):
                logger.info("chart %s skipped: no data in %s", name, ", ".join(needs))
                continue
            try:
                chart = make()
            except Exception:
                logger.warning(
                    "chart %s failed and is left out of the dashboard", name, exc_info=True
                )
                continue
            if chart is not None:
                charts.append(chart)
    return charts
