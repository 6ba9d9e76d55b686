"""Clean Markdown -> title + sections: raw Markdown, plain text of the prose, table cell text.

Headings are found with a real CommonMark parser, pyromark (pulldown-cmark, `md_pulldown`),
or markdown-it-py (`md_markdown_it`) for the few documents the two read differently
(`md_quirks`), so sections are what markdown-it-py made of every report: ATX (`## 3. Title`)
and setext (`Title` over `===`) headings, plus the bold-line headings agent crews write
(`**Title**` alone on a line). Sections split the report's lines without overlap: every word
of the report belongs to exactly one section, or to the title.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

import polars as pl
import regex as re

from pipelines.text import md_markdown_it, md_pulldown
from pipelines.text.md_blocks import Heading, count_words
from pipelines.text.tokens import has_word

_ARABIC_NUMBER = re.compile(r"^(?P<number>\d{1,4})[.)]\s+(?P<rest>\S.*)$")
_ROMAN_NUMBER = re.compile(r"^(?P<number>[IVXLC]{1,7})[.)]\s+(?P<rest>\S.*)$")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}


@dataclass(frozen=True)
class Section:
    """One section of a report; lines are 1-based, inclusive, in the original file."""

    ordinal: int
    level: int
    number: int | None
    heading: str | None
    parent_heading: str | None
    markdown: str
    plain_text: str
    start_line: int
    end_line: int
    is_preamble: bool
    table_text: str = ""  # the cells of its tables: one line per row, cells apart


@dataclass(frozen=True)
class ExtractedReport:
    """A report's title (None when it has none) and its sections in document order."""

    title: str | None
    sections: list[Section]
    n_words: int


def split_number(heading: str) -> tuple[int | None, str]:
    """`3. Ethical AI` -> (3, 'Ethical AI'); Roman numerals too; otherwise (None, heading)."""
    match = _ARABIC_NUMBER.match(heading)
    if match:
        return int(match["number"]), match["rest"].strip()
    match = _ROMAN_NUMBER.match(heading)
    if match:
        value = _roman_to_int(match["number"])
        if value is not None:
            return value, match["rest"].strip()
    return None, heading


def _roman_to_int(numeral: str) -> int | None:
    """Value of a well-formed Roman numeral up to 399, else None."""
    total, previous = 0, 0
    for char in reversed(numeral):
        value = _ROMAN_VALUES[char]
        total += -value if value < previous else value
        previous = max(previous, value)
    return total if 0 < total < 400 else None


def extract_sections(text: str, first_line: int = 1) -> ExtractedReport:
    """Split clean Markdown into title + sections; `first_line` maps lines back to the file."""
    lines = text.split("\n")
    blocks = md_pulldown.parse_blocks(text, lines) or md_markdown_it.parse_blocks(text, lines)
    # pyromark unless the document is one it reads differently
    headings, plain_by_line, tables_by_line = blocks

    title: Heading | None = None
    if headings and _is_title(headings, lines):
        title = headings[0]
        headings = headings[1:]

    body_start = title.end if title else 0
    spans: list[tuple[int, int, Heading | None]] = []
    first_heading_line = headings[0].start if headings else len(lines)
    if _has_words(lines[body_start:first_heading_line]) or not headings:
        spans.append((body_start, first_heading_line, None))
    for index, heading in enumerate(headings):
        end = headings[index + 1].start if index + 1 < len(headings) else len(lines)
        spans.append((heading.start, end, heading))

    piece_lines = sorted(plain_by_line)
    table_lines = sorted(tables_by_line)
    sections: list[Section] = []
    parents: list[Heading] = []
    for position, (start, end, heading) in enumerate(spans):
        while end > start + 1 and not lines[end - 1].strip():
            end -= 1
        if heading is None:
            is_preamble = bool(headings)
            ordinal = 0 if is_preamble else 1
            level, number, label, parent = (0 if is_preamble else 1), None, None, None
        else:
            is_preamble = False
            ordinal = position if spans[0][2] is None else position + 1
            while parents and parents[-1].level >= heading.level:
                parents.pop()
            parent = _heading_label(parents[-1]) if parents else None
            parents.append(heading)
            level = heading.level
            number, label = split_number(heading.text)
        first, last = bisect_left(piece_lines, start), bisect_left(piece_lines, end)
        plain = "\n".join(plain_by_line[line] for line in piece_lines[first:last])
        first, last = bisect_left(table_lines, start), bisect_left(table_lines, end)
        tables = "\n".join(tables_by_line[line] for line in table_lines[first:last])
        sections.append(
            Section(
                ordinal=ordinal,
                level=level,
                number=number,
                heading=label,
                parent_heading=parent,
                markdown="\n".join(lines[start:end]),
                plain_text=plain,
                start_line=start + first_line,
                end_line=end - 1 + first_line,
                is_preamble=is_preamble,
                table_text=tables,
            )
        )
    title_words = count_words("\n".join(lines[title.start : title.end])) if title else 0
    return ExtractedReport(
        title=title.text if title else None,
        sections=sections,
        n_words=count_words(text) - title_words,
    )


def _heading_label(heading: Heading) -> str:
    """A heading's text without its number, as stored in `heading` / `parent_heading`."""
    return split_number(heading.text)[1]


def _has_words(lines: list[str]) -> bool:
    """True when any of the lines holds a word."""
    return any(has_word(line) for line in lines)


def _is_title(headings: list[Heading], lines: list[str]) -> bool:
    """The first heading is the document's title: nothing before it, and it stands alone."""
    first = headings[0]
    if _has_words(lines[: first.start]) or (len(headings) == 1 and first.kind == "bold"):
        return False
    if first.kind != "bold" and all(h.level > first.level for h in headings[1:]):
        return True
    # A heading with no body right before the next heading reads as the report's title.
    return len(headings) > 1 and not _has_words(lines[first.end : headings[1].start])


SECTION_SCHEMA = {
    "report_id": pl.String,
    "section_id": pl.String,
    "ordinal": pl.Int32,
    "level": pl.Int32,
    "number": pl.Int32,
    "heading": pl.String,
    "parent_heading": pl.String,
    "markdown": pl.String,
    "plain_text": pl.String,
    "table_text": pl.String,
    "n_words": pl.Int64,
    "start_line": pl.Int32,
    "end_line": pl.Int32,
    "is_preamble": pl.Boolean,
}


def section_id(report_id: str, ordinal: int) -> str:
    """Stable id of a section: its report and its place in the report."""
    return f"{report_id}:{ordinal:04d}"


def sections_frame(report_id: str, extracted: ExtractedReport) -> pl.DataFrame:
    """The sections of one extracted report as rows of `corpus.sections`."""
    rows = [
        {
            "report_id": report_id,
            "section_id": section_id(report_id, s.ordinal),
            "ordinal": s.ordinal,
            "level": s.level,
            "number": s.number,
            "heading": s.heading,
            "parent_heading": s.parent_heading,
            "markdown": s.markdown,
            "plain_text": s.plain_text,
            "table_text": s.table_text,
            "n_words": count_words(s.plain_text) + count_words(s.table_text),
            "start_line": s.start_line,
            "end_line": s.end_line,
            "is_preamble": s.is_preamble,
        }
        for s in extracted.sections
    ]
    return pl.DataFrame(rows, schema=SECTION_SCHEMA)
