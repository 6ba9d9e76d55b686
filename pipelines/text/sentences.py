"""Sentences of a section's plain text: the unit a report page shades as new or repeated.

The rule: `plain_text` is cut into paragraphs at line breaks (every block, heading and list
item is one line; headings and list items already end with a full stop), and a paragraph into
sentences after `.`, `!` or `?` (a run of them, with any closing quotes or brackets) followed
by whitespace and then a character that is not a lowercase letter. So "e.g. the model" and
"vs. older ones" stay whole, "GPT-4. The" is cut. Cuts fall only on whitespace, so a sentence's
words (`tokens.py`) are exactly its section's words at those positions: its word shingles are
a subset of the section's.
"""

from __future__ import annotations

import polars as pl

# Terminal punctuation + closing quotes/brackets, the whitespace after it, and the next
# sentence's first character (not a lowercase letter); the whitespace becomes a cut mark.
_SENTENCE_END = r"([.!?]+[\"'’”»)\]]*)\s+([^\p{Ll}\s])"
# A character plain text never holds (a control character): where sentences are cut.
_CUT = "\x1f"

SENTENCE_SCHEMA = {
    "report_id": pl.String,
    "section_id": pl.String,
    "paragraph_no": pl.Int64,
    "sentence_no": pl.Int64,
    "text": pl.String,
}


def split_sentences(sections: pl.DataFrame) -> pl.DataFrame:
    """One row per sentence of each section's `plain_text`, in reading order.

    Columns: report_id, section_id, paragraph_no (0-based line of plain_text), sentence_no
    (1-based within the section), text (stripped, never empty).
    """
    if sections.height == 0:
        return pl.DataFrame(schema=SENTENCE_SCHEMA)
    return (
        sections.select(
            "report_id",
            "section_id",
            pl.col("plain_text").fill_null("").str.replace_all("\r", "").str.split("\n").alias("p"),
        )
        .with_columns(pl.int_ranges(pl.col("p").list.len()).alias("paragraph_no"))
        .explode("p", "paragraph_no")
        .with_columns(
            pl.col("p").str.replace_all(_SENTENCE_END, f"${{1}}{_CUT}${{2}}").str.split(_CUT)
        )
        .explode("p")
        .with_columns(pl.col("p").str.strip_chars().alias("text"))
        .filter(pl.col("text").is_not_null() & (pl.col("text") != ""))
        .with_columns(
            (pl.int_range(pl.len()).over("section_id") + 1).alias("sentence_no"),
            pl.col("paragraph_no").cast(pl.Int64),
        )
        .select(list(SENTENCE_SCHEMA))
        .cast(SENTENCE_SCHEMA)  # type: ignore[arg-type]
    )
