"""Text repair: encodings, line endings, mojibake, wrappers and leaked agent chatter."""

from __future__ import annotations

import codecs

import pytest

from pipelines.text.repair import UnreadableReport, repair
from pipelines.text.sections import extract_sections
from tests.conftest import SEEDS, corpus_dir


def test_seed_003_mojibake_lands_as_curly_apostrophe() -> None:
    raw = (SEEDS / "003_69796a1aaad12780.txt").read_bytes()
    assert "learnersâ€™".encode() in raw
    repaired = repair(raw)
    assert "learners’" in repaired.text
    assert "â€" not in repaired.text
    assert any("mojibake" in step for step in repaired.repairs)


def test_utf8_bom_is_removed_and_recorded() -> None:
    repaired = repair(codecs.BOM_UTF8 + "# Title\n\nBody “quoted”.".encode())
    assert repaired.text.startswith("# Title")
    assert repaired.encoding == "utf-8-sig"
    assert repaired.repairs == ["UTF-8 byte order mark removed"]


def test_utf16_with_bom_is_decoded() -> None:
    repaired = repair("## Über\n\nGrüße aus Köln.".encode("utf-16"))
    assert repaired.text == "## Über\n\nGrüße aus Köln."
    assert repaired.encoding == "utf-16"


def test_cp1252_file_lands_with_correct_curly_quotes() -> None:
    repaired = repair(
        "## Caf\u00e9\n\nShe said \u201chello\u201d \u2014 it\u2019s fine.".encode("cp1252")
    )
    assert repaired.text == "## Café\n\nShe said “hello” — it’s fine."
    assert repaired.encoding == "cp1252"
    assert "cp1252" in repaired.repairs[0]


def test_invalid_utf8_bytes_in_a_good_file_are_marked_not_fatal() -> None:
    raw = "## Straße\n\nGood text ’ here.".encode() + b" broken \xff byte."
    repaired = repair(raw)
    assert repaired.encoding == "utf-8"
    assert "Straße" in repaired.text and "\ufffd" in repaired.text
    assert repaired.repairs == ["1 invalid UTF-8 byte sequence(s) replaced by U+FFFD"]


def test_crlf_line_endings_are_normalized() -> None:
    repaired = repair(b"# T\r\n\r\n## A\r\nbody\r\n")
    assert "\r" not in repaired.text
    assert "line endings normalized to \\n" in repaired.repairs


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty file (no text)"),
        (b"  \n\t\n ", "whitespace only (no text)"),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            "binary content, not text (control bytes such as NUL found)",
        ),
        (
            b"Thought: I now can give a great answer\n\n",
            "no report text left after removing agent chatter and wrappers",
        ),
    ],
)
def test_unreadable_input_has_a_clear_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(UnreadableReport) as error:
        repair(raw)
    assert str(error.value) == reason


def test_front_matter_date_is_read_and_removed() -> None:
    repaired = repair(b"---\ntitle: x\ndate: 2024-05-17\n---\n# Report\n\nBody.")
    assert str(repaired.front_matter_date) == "2024-05-17"
    assert repaired.text.startswith("# Report")
    assert repaired.first_line == 5


def test_corpus_028_chatter_is_kept_out_and_recorded() -> None:
    repaired = repair((corpus_dir() / "report_028.md").read_bytes())
    assert repaired.repairs == [
        "agent chatter removed (line 1): Thought: I now can give a great answer",
        "agent chatter removed (line 3): **Final Answer**",
    ]
    report = extract_sections(repaired.text, repaired.first_line)
    everything = " ".join(s.markdown for s in report.sections)
    assert "great answer" not in everything and "Final Answer" not in everything
    assert report.sections[0].start_line == 5  # line numbers still point into the file


def test_corpus_038_chatter_is_kept_out() -> None:
    repaired = repair((corpus_dir() / "report_038.md").read_bytes())
    assert repaired.repairs == ["agent chatter removed (line 1): I now can give a great answer"]
    assert repaired.text.startswith("**The Importance of LinkedIn in 2025")


def test_corpus_067_markdown_fence_is_unwrapped() -> None:
    repaired = repair((corpus_dir() / "report_067.md").read_bytes())
    assert repaired.repairs == ["unwrapped the ```markdown fence around the whole report"]
    report = extract_sections(repaired.text, repaired.first_line)
    assert report.title == "Secure Coding Practices: A Comprehensive Guide"
    assert [s.number for s in report.sections if not s.is_preamble] == list(range(1, 9))
    assert "```" not in repaired.text.split("\n")[-1]
