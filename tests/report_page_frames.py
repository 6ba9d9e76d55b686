"""Hand-made warehouse rows for one report page: hostile text everywhere a report controls."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from tests.chart_frames import XSS_IMG, XSS_SCRIPT

REPORT = "aaaaaaaaaaaaaaaa"
EARLIER = "bbbbbbbbbbbbbbbb"


def hostile_page_rows() -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    """page_frames-shaped frames and sentence rows for REPORT, which repeats EARLIER in part."""
    frames = {
        "reports": pl.DataFrame(
            {
                "report_id": [REPORT],
                "file_name": [f"a & b {XSS_IMG}.md"],
                "title": [f"Title {XSS_SCRIPT}"],
                "report_date": [datetime(2025, 3, 1, 12, 0, tzinfo=UTC)],
                "report_date_source": ["front_matter"],
                "language": ["unknown"],
            }
        ),
        "cited": pl.DataFrame(
            {"report_id": [EARLIER], "file_name": ["earlier.md"], "title": [f"Old {XSS_IMG}"]}
        ),
        "sections": pl.DataFrame(
            {
                "report_id": [REPORT, REPORT],
                "section_id": [f"{REPORT}:0000", f"{REPORT}:0001"],
                "ordinal": [0, 1],
                "number": [None, 1],
                "heading": [None, f"Heading {XSS_SCRIPT}"],
                "is_preamble": [True, False],
            }
        ),
        "novelty": pl.DataFrame(
            {"report_id": [REPORT], "arrival_rank": [2], "novelty": [0.5],
             "section_share_seen": [0.5]}
        ),
        "readability": pl.DataFrame(
            {"report_id": [REPORT], "flesch_reading_ease": [40.0], "flesch_kincaid_grade": [11.5],
             "text_standard": [12.0], "n_words": [40], "reading_time": [90.0],
             "reliable": [False]}
        ),
        "topics": pl.DataFrame(
            {"report_id": [REPORT, REPORT], "label": [f"Topic {XSS_IMG}", "Old topic"],
             "is_new": [True, False]}
        ),
    }  # fmt: skip
    rows = pl.DataFrame(
        {
            "report_id": [REPORT] * 4,
            "section_id": [f"{REPORT}:0000", f"{REPORT}:0001", f"{REPORT}:0001", f"{REPORT}:0001"],
            "sentence_no": [1, 1, 2, 3],
            "paragraph_no": [0, 0, 1, 1],
            "text": [
                "A preamble sentence that is entirely new here.",
                f"Heading {XSS_SCRIPT}.",
                f"This sentence was said before {XSS_IMG} in the earlier report.",
                "Short one.",
            ],
            "n_shingles": [5, 1, 8, 0],
            "n_shingles_seen": [0, 0, 8, 0],
            "seen_share": [0.0, 0.0, 1.0, None],
            "first_report_id": [None, None, EARLIER, None],
        }
    )
    return frames, rows
