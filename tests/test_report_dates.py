"""A date stated in a report's first lines: gold read by hand from each snippet."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from pipelines.reports_folder import ingest_reports
from pipelines.text.repair import repair
from pipelines.text.report_dates import FIRST_LINES, stated_date
from tests.conftest import corpus_dir

# (first lines of a report, the date they state, the cue: "label" or "as of")
STATED = [
    ("# Market Outlook\n\n**Date:** June 2025\n\n## 1. Summary", date(2025, 6, 1), "label"),
    ("**Generation Date:** March 19, 2025", date(2025, 3, 19), "label"),
    ("Report date: 2025-06-14", date(2025, 6, 14), "label"),
    ("*Published:* 14 June 2025", date(2025, 6, 14), "label"),
    ("Date: 14th of June, 2025", date(2025, 6, 14), "label"),
    ("- **Last updated:** 2024-11-02T10:00Z", date(2024, 11, 2), "label"),
    ("Prepared by: Ana Ruiz | Date: Sept. 3, 2024", date(2024, 9, 3), "label"),
    ("Published June 14, 2025.", date(2025, 6, 14), "label"),
    ("Dated 2 February 2023", date(2023, 2, 2), "label"),
    ("**Report Date:** 2026\n**Classification:** Confidential", date(2026, 1, 1), "label"),
    ("Date: 2025-07", date(2025, 7, 1), "label"),
    ("Date: 14/06/2025", date(2025, 6, 14), "label"),
    ("Date: 06/14/2025", date(2025, 6, 14), "label"),
    ("# Rapport annuel\n\nPublié le 1er juin 2025", date(2025, 6, 1), "label"),
    ("**Date du rapport :** 3 décembre 2024", date(2024, 12, 3), "label"),
    ("Mis à jour le 5 aout 2025", date(2025, 8, 5), "label"),
    ("Fecha: 14 de junio de 2025", date(2025, 6, 14), "label"),
    ("**Fecha del informe:** marzo de 2024", date(2024, 3, 1), "label"),
    ("Datum: 14.06.2025", date(2025, 6, 14), "label"),
    ("*Stand*: Juni 2025", date(2025, 6, 1), "label"),
    ("Veröffentlicht am 14. März 2025", date(2025, 3, 14), "label"),
    ("Data: 5 maggio 2024", date(2024, 5, 5), "label"),
    ("**Data do relatório:** 12 de março de 2024", date(2024, 3, 12), "label"),
    ("Tarih: 14 Haziran 2025", date(2025, 6, 14), "label"),
    ("RAPOR TARİHİ: 3 MAYIS 2025", date(2025, 5, 3), "label"),
    ("Yayın tarihi: 1 Şubat 2024", date(2024, 2, 1), "label"),
    ("报告日期：2026年6月", date(2026, 6, 1), "label"),
    ("# 年度报告\n\n**发布日期：** 2025年6月14日", date(2025, 6, 14), "label"),
    ("日期: 2025-01-09", date(2025, 1, 9), "label"),
    ("As of March 2024, the market grew.", date(2024, 3, 1), "as of"),
    (
        "# Outlook\n\nThe figures below are as of 30 September 2024 and unaudited.",
        date(2024, 9, 30),
        "as of",
    ),
    ("截至2025年6月，中国共有", date(2025, 6, 1), "as of"),
    # a label wins over an earlier `as of`
    ("As of March 2024, prices rose.\n\nDate: 2024-05-02", date(2024, 5, 2), "label"),
]


@pytest.mark.parametrize(("text", "expected", "cue"), STATED, ids=[s[0][:40] for s in STATED])
def test_stated_date_is_read_from_first_lines(text: str, expected: date, cue: str) -> None:
    found = stated_date(text)
    assert found is not None
    assert (found.value, found.pattern.split(":")[0]) == (expected, cue)


NOT_DATES = [
    "# Trends for 2025\n\nLLMs keep growing.",  # a year in a title, no label
    "# Comprehensive Report on AI LLMs Developments in 2024",
    "As of 2025, the largest models have billions of parameters.",  # `as of` needs a month
    "Version 2.1.2025 of the toolkit",  # a version number
    "Release 2025.06 notes",
    "Date: 03/04/2025",  # 3 April or March 4: ambiguous
    "Date: 31 June 2025",  # no such day
    "Date: 1850-01-01",  # implausible year
    "Date: 2150",
    "Data: 2024 survey of 300 firms",  # a year that does not end the label's value
    "Updated 2025 guidance for operators",
    "Date ranges from March 2024 to May 2025 appear below.",  # no colon after the label
    "| Date | June 2025 |\n|---|---|",  # a table cell, not a label
    "Mayday 2025 was declared.",
]


@pytest.mark.parametrize("text", NOT_DATES, ids=[t[:40] for t in NOT_DATES])
def test_text_without_a_stated_date_gives_none(text: str) -> None:
    assert stated_date(text) is None


def test_only_the_first_lines_are_read() -> None:
    filler = "".join(f"Line {n} of the introduction.\n\n" for n in range(FIRST_LINES))
    assert stated_date(filler + "Date: 2025-06-14") is None
    assert stated_date(filler[: filler.index("Line 14")] + "Date: 2025-06-14") is not None


def test_the_line_number_is_the_dates_line() -> None:
    found = stated_date("# Title\n\n**Date:** June 2025")
    assert found is not None and found.line == 3


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report_022.md", date(2025, 3, 19)),  # **Generation Date:** March 19, 2025
        ("report_063.md", date(2024, 10, 26)),  # **Date:** October 26, 2024
        ("report_040.md", date(2026, 1, 1)),  # **Report Date:** 2026
        ("report_001.md", None),  # no date in its first lines
        ("report_069.md", None),  # "As of 2026, Tamilnadu ..." is narrative
    ],
)
def test_shared_corpus_reports_state_their_dates(name: str, expected: date | None) -> None:
    text = repair((corpus_dir() / name).read_bytes()).text
    found = stated_date(text)
    assert (found.value if found else None) == expected


# ---- through the real ingest -------------------------------------------------------------

CLONED_AT = 1_750_000_000  # 2025-06-15T15:06:40Z: every file of a fresh clone has this mtime


def ingest_cloned(folder: Path, files: dict[str, str]) -> dict[str, tuple[str, str]]:
    """Ingest `files` written with one shared mtime: file name -> (report date, its source)."""
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
        os.utime(folder / name, (CLONED_AT, CLONED_AT))
    reports, _, rejected = ingest_reports(folder, sorted(files), 1 << 20, workers=1)
    assert rejected.is_empty()
    return {
        row["file_name"]: (row["report_date"].isoformat(), row["report_date_source"])
        for row in reports.iter_rows(named=True)
    }


def test_ingest_dates_reports_by_front_matter_then_first_lines_then_mtime(
    tmp_path: Path,
) -> None:
    dates = ingest_cloned(
        tmp_path,
        {
            "a.md": "---\ntitle: A\ndate: 2024-05-17\n---\n# A\n\n**Date:** June 2025\n\nText.",
            "b.md": "# B\n\n**Date:** June 2025\n\n## 1. Findings\n\nText.",
            "c.md": "# C\n\n报告日期：2026年6月14日\n\n正文。",
            "d.md": "# Trends for 2025\n\nAs of 2025, models grew.",
        },
    )
    assert dates == {
        "a.md": ("2024-05-17T00:00:00+00:00", "front_matter"),
        "b.md": ("2025-06-01T00:00:00+00:00", "first_lines"),
        "c.md": ("2026-06-14T00:00:00+00:00", "first_lines"),
        "d.md": ("2025-06-15T15:06:40+00:00", "file_mtime"),
    }
