"""Readability of reports not in English, on reports written for these tests."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import textstat

from pipelines.text.language import detect_language
from pipelines.text.readability.table import readability

FIXTURES = Path(__file__).parent / "fixtures" / "languages"


def _text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def _readability_of(name: str, language: str) -> dict:
    frame = pl.DataFrame({"id": [name], "plain_text": [_text(name)], "language": [language]})
    return readability(frame, ["id"]).row(0, named=True)


@pytest.fixture
def textstat_in(request: pytest.FixtureRequest) -> object:
    """The global textstat set to a language, and back to its default afterwards."""
    textstat.set_lang(request.param)
    yield textstat
    textstat.set_lang("en_US")


def test_french_report_is_unreliable_with_its_reason() -> None:
    """Long enough for the English rule (403 words, 36 sentences) but French."""
    row = _readability_of("fr_rapport_ia.md", "fr")
    assert row["n_words"] >= 100 and row["n_sentences"] >= 3
    assert row["reliable"] is False
    assert row["language"] == "fr"
    assert row["reliability_reason"] == "language fr: English formulas do not apply"
    assert row["own_language_formula"] is None and row["own_language_score"] is None


def test_the_same_text_read_as_english_is_reliable() -> None:
    """Only the language makes the difference: no language column means English."""
    frame = pl.DataFrame({"id": [1], "plain_text": [_text("fr_rapport_ia.md")]})
    row = readability(frame, ["id"]).row(0, named=True)
    assert (row["reliable"], row["language"], row["reliability_reason"]) == (True, "en", None)


def test_short_texts_say_they_are_too_short_whatever_their_language() -> None:
    frame = pl.DataFrame(
        {
            "id": [1, 2],
            "plain_text": ["The cat sat on the mat. It was happy.", "Le chat dort. Il rêve."],
            "language": ["en", "fr"],
        }
    )
    reasons = readability(frame, ["id"])["reliability_reason"].to_list()
    assert reasons == ["too short: under 100 words or 3 sentences"] * 2


def test_chinese_words_are_characters_and_sentences_end_with_full_stops() -> None:
    """Section 5 of the Chinese fixture's body, counted by hand: 57 Han characters plus
    "2023" and "AI"; two sentences end in 。, so textstat's rule counts 2."""
    body = (
        "各国政府正在制定人工智能监管规则。中国在2023年发布了《生成式人工智能服务管理暂行办法》，"
        "要求AI服务提供者对训练数据和生成内容负责。"
    )
    frame = pl.DataFrame({"id": [1], "plain_text": [body], "language": ["zh"]})
    row = readability(frame, ["id"]).row(0, named=True)
    assert row["n_words"] == 57 + 2
    assert row["n_sentences"] == 2
    assert row["reliable"] is False
    assert row["reliability_reason"] == "too short: under 100 words or 3 sentences"


def test_whole_chinese_report_is_unreliable_for_its_language() -> None:
    row = _readability_of("zh_report_ai.md", "zh")
    assert row["n_words"] >= 100 and row["n_sentences"] >= 3
    assert row["reliability_reason"] == "language zh: English formulas do not apply"


@pytest.mark.parametrize("textstat_in", ["es"], indirect=True)
def test_spanish_formulas_equal_textstats(textstat_in: object) -> None:
    text = _text("es_texto.txt")
    assert detect_language(text)[0] == "es"
    row = _readability_of("es_texto.txt", "es")
    assert row["own_language_formula"] == "fernandez_huerta"
    assert row["own_language_score"] == textstat_in.fernandez_huerta(text)  # type: ignore[attr-defined]
    assert row["own_language_formula_2"] == "szigriszt_pazos"
    assert row["own_language_score_2"] == textstat_in.szigriszt_pazos(text)  # type: ignore[attr-defined]
    assert 30 < row["own_language_score"] < 90  # plain informative prose, not an edge case
    assert row["reliability_reason"] == (
        "language es: English formulas do not apply; see own_language_score"
    )


@pytest.mark.parametrize("textstat_in", ["de"], indirect=True)
def test_german_formula_equals_textstats(textstat_in: object) -> None:
    text = _text("de_text.txt")
    row = _readability_of("de_text.txt", "de")
    assert row["own_language_formula"] == "wiener_sachtextformel_1"
    assert row["own_language_score"] == textstat_in.wiener_sachtextformel(text, 1)  # type: ignore[attr-defined]
    assert 4 < row["own_language_score"] < 16
    assert row["own_language_formula_2"] is None


@pytest.mark.parametrize("textstat_in", ["it"], indirect=True)
def test_italian_formula_equals_textstats(textstat_in: object) -> None:
    text = _text("it_testo.txt")
    row = _readability_of("it_testo.txt", "it")
    assert row["own_language_formula"] == "gulpease_index"
    assert row["own_language_score"] == textstat_in.gulpease_index(text)  # type: ignore[attr-defined]
    assert 0 < row["own_language_score"] < 100


@pytest.mark.parametrize("textstat_in", ["ar"], indirect=True)
def test_arabic_formula_equals_textstats(textstat_in: object) -> None:
    text = _text("ar_nass.txt")
    row = _readability_of("ar_nass.txt", "ar")
    assert row["own_language_formula"] == "osman"
    assert row["own_language_score"] == textstat_in.osman(text)  # type: ignore[attr-defined]


def test_gulpease_by_hand() -> None:
    """Gulpease = 89 + 300 × sentences / words − 10 × characters / words. "Il gatto dorme
    sul divano." has 5 words, 1 sentence and 22 characters besides spaces (21 letters and
    the full stop, which textstat's chars_per_word counts too): 89 + 60 − 44 = 105."""
    frame = pl.DataFrame(
        {"id": [1], "plain_text": ["Il gatto dorme sul divano."], "language": ["it"]}
    )
    assert readability(frame, ["id"])["own_language_score"].item() == pytest.approx(105.0)
