"""Discovered-topic labels hold no stopwords of their report's detected language."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipelines.reports_folder import ingest_reports
from pipelines.text.stopwords import ENGLISH_STOP_WORDS, key_languages, language_stopwords
from pipelines.text.tokens import word_frame
from pipelines.text.topics.discover import discover_topics

FIXTURES = Path(__file__).parent / "fixtures" / "languages"


@pytest.fixture(scope="module")
def sections() -> pl.DataFrame:
    """Sections of the Turkish and French fixtures with their reports' detected language."""
    reports, sections, _ = ingest_reports(
        FIXTURES, ["tr_rapor_yz.md", "fr_rapport_ia.md"], 10_000_000, workers=1
    )
    return sections.join(reports.select("report_id", "language"), on="report_id")


def _label_words(discovered: pl.DataFrame) -> set[str]:
    return {term for terms in discovered["top_terms"] for term in terms}


def test_the_fixtures_are_full_of_these_stopwords(sections: pl.DataFrame) -> None:
    """ "bir" opens a sentence of every Turkish section; "des" and "les" fill the French."""
    words = word_frame(sections, ["language"])
    counts = dict(words.group_by("word").len().iter_rows())
    assert counts["bir"] >= 6 and counts["des"] >= 15 and counts["les"] >= 15
    assert set(sections["language"]) == {"tr", "fr"}


def test_labels_hold_no_stopword_of_the_report_language(sections: pl.DataFrame) -> None:
    discovered, _ = discover_topics(sections)
    assert discovered.height >= 3
    labels = _label_words(discovered)
    assert not labels & {"bir", "des", "les"}
    listed = language_stopwords(("fr", "tr"))
    assert not labels & set(listed["word"]), labels & set(listed["word"])
    assert not labels & ENGLISH_STOP_WORDS


def test_without_the_language_the_same_sections_give_stopword_labels(
    sections: pl.DataFrame,
) -> None:
    """The control: read as English, the labels are the issue's `yapay · zeka · bir` and
    `les · des · …`, so the test above is not passing by chance."""
    discovered, _ = discover_topics(sections.with_columns(pl.lit("en").alias("language")))
    assert {"bir", "des", "les"} <= _label_words(discovered)


def test_detected_language_wins_over_the_stopword_guess() -> None:
    """A French section full of English terms: the guess says English, detection French."""
    text = "The AI Act and the GPU cloud of the data center: les serveurs des opérateurs."
    words = word_frame(pl.DataFrame({"report_id": ["r"], "plain_text": [text]}), ["report_id"])
    guessed = key_languages(words, "report_id")
    assert guessed["language"].to_list() == ["en"]
    detected = pl.DataFrame({"report_id": ["r"], "language": ["fr"]})
    assert key_languages(words, "report_id", detected)["language"].to_list() == ["fr"]
    undetermined = pl.DataFrame({"report_id": ["r"], "language": ["und"]})
    assert key_languages(words, "report_id", undetermined)["language"].to_list() == ["en"]
