"""What both Markdown readers share: the heading record and the plain-text rules of a block.

`md_pulldown` (pyromark, the fast path) and `md_markdown_it` (markdown-it-py, for the few
documents the two parsers read differently) each walk their parser's output into the same
three things: top-level headings, the plain text of every block keyed by its first line, and
the cell text of every table keyed by its first line.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser

import regex as re

from pipelines.text.tokens import text_words

BOLD_LINE = re.compile(r"^ {0,3}(\*\*|__)(?P<text>(?:(?!\1).)+?)\1\s*:?\s*$")
_SENTENCE_END = (".", "!", "?", ":", ";", "…")
# A bold line is a heading, not an emphasized sentence, when it is short and not a sentence.
_MAX_BOLD_HEADING_WORDS = 20

# Headings, plain text of blocks and text of tables, both by the block's first line (0-based).
Blocks = tuple[list["Heading"], dict[int, str], dict[int, str]]
# Between a table row's cells: words of neighbouring cells stay apart.
CELL_SEPARATOR = " | "


@dataclass(frozen=True)
class Heading:
    """A heading line (or two, for setext) found in the text; lines are 0-based, end exclusive."""

    start: int
    end: int
    level: int
    text: str
    kind: str  # "atx", "setext" or "bold"


def count_words(text: str) -> int:
    """Words in a text, by the project's single word definition (tokens.WORD_PATTERN)."""
    return len(text_words(text))


def bold_heading(line_text: str, line: int, inline_text: Callable[[str], str]) -> Heading | None:
    """The heading a top-level paragraph makes when its first line is one bold line, or None.

    `inline_text` is the parser's plain text of a string read as inline Markdown on its own.
    """
    match = BOLD_LINE.match(line_text)
    if not match:
        return None
    text = inline_text(match["text"]).strip().rstrip(":").strip()
    if text and count_words(text) <= _MAX_BOLD_HEADING_WORDS and not text.endswith((".", "!", "?")):
        return Heading(line, line + 1, 0, text, "bold")
    return None


def level_bold_headings(headings: list[Heading]) -> list[Heading]:
    """Give bold-line headings the level of the shallowest real heading below the title."""
    real = [h for h in headings if h.kind != "bold"]
    if real and real[0] is headings[0] and all(h.level > real[0].level for h in real[1:]):
        title_level = real[0].level  # a lone top heading is the title, not a sibling level
        real = real[1:]
        level = min((h.level for h in real), default=max(2, title_level + 1))
    else:
        level = min((h.level for h in real), default=2)
    return [
        Heading(h.start, h.end, level, h.text, h.kind) if h.kind == "bold" else h for h in headings
    ]


def add_piece(pieces: dict[int, str], line: int, text: str) -> None:
    """Append a block's text to the piece for its first line."""
    text = text.strip()
    if text:
        pieces[line] = f"{pieces[line]}\n{text}" if line in pieces else text


def table_text(rows: list[list[str]]) -> str:
    """A table's cell text: one line per row, non-empty cells joined by `CELL_SEPARATOR`."""
    lines = (CELL_SEPARATOR.join(c for cell in row if (c := cell.strip())) for row in rows)
    return "\n".join(line for line in lines if line)


def as_sentence(text: str) -> str:
    """End a heading or list item with a full stop unless it already ends a sentence."""
    text = text.strip()
    return text if not text or text.endswith(_SENTENCE_END) else f"{text}."


class _TextOfHtml(HTMLParser):
    """Collects the text of an HTML fragment, skipping scripts and styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._skipping += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"} and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_text(fragment: str) -> str:
    """Visible text of an HTML block."""
    parser = _TextOfHtml()
    parser.feed(fragment)
    parser.close()
    return html.unescape(" ".join(" ".join(parser.parts).split()))
