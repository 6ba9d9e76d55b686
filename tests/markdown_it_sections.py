"""Reference for tests/test_fast_paths_equal.py: section extraction as it was with markdown-it-py.

A frozen copy of pipelines/text/sections.py before pyromark (commit a215904), kept verbatim
(minus the Polars frame helpers) so the fast path is held to the parser it replaced, not to
code that changes with it.
"""

from __future__ import annotations

import html
from bisect import bisect_left
from dataclasses import dataclass
from html.parser import HTMLParser

import regex as re
from markdown_it import MarkdownIt
from markdown_it.token import Token

from pipelines.text.tokens import WORD_PATTERN

_WORD = re.compile(WORD_PATTERN)
_BOLD_LINE = re.compile(r"^ {0,3}(\*\*|__)(?P<text>(?:(?!\1).)+?)\1\s*:?\s*$")
_ARABIC_NUMBER = re.compile(r"^(?P<number>\d{1,4})[.)]\s+(?P<rest>\S.*)$")
_ROMAN_NUMBER = re.compile(r"^(?P<number>[IVXLC]{1,7})[.)]\s+(?P<rest>\S.*)$")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
_SENTENCE_END = (".", "!", "?", ":", ";", "…")
# A bold line is a heading, not an emphasized sentence, when it is short and not a sentence.
_MAX_BOLD_HEADING_WORDS = 20

_PARSER = MarkdownIt("commonmark", {"html": True}).enable("table")


@dataclass(frozen=True)
class Heading:
    """A heading line (or two, for setext) found in the text; lines are 0-based, end exclusive."""

    start: int
    end: int
    level: int
    text: str
    kind: str  # "atx", "setext" or "bold"


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


@dataclass(frozen=True)
class ExtractedReport:
    """A report's title (None when it has none) and its sections in document order."""

    title: str | None
    sections: list[Section]
    n_words: int


def count_words(text: str) -> int:
    """Words in a text, by the project's single word definition (tokens.WORD_PATTERN)."""
    return len(_WORD.findall(text))


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
    tokens = _PARSER.parse(text)
    headings = _find_headings(tokens, lines)

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

    plain_by_line = _plain_text_blocks(tokens, headings)
    piece_lines = sorted(plain_by_line)
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
    return any(_WORD.search(line) for line in lines)


def _is_title(headings: list[Heading], lines: list[str]) -> bool:
    """The first heading is the document's title: nothing before it, and it stands alone."""
    first = headings[0]
    if _has_words(lines[: first.start]) or (len(headings) == 1 and first.kind == "bold"):
        return False
    if first.kind != "bold" and all(h.level > first.level for h in headings[1:]):
        return True
    # A heading with no body right before the next heading reads as the report's title.
    return len(headings) > 1 and not _has_words(lines[first.end : headings[1].start])


def _find_headings(tokens: list[Token], lines: list[str]) -> list[Heading]:
    """Top-level ATX, setext and bold-line headings, in document order."""
    found: list[Heading] = []
    for index, token in enumerate(tokens):
        if token.level != 0 or token.map is None:
            continue
        if token.type == "heading_open":
            inline = tokens[index + 1]
            kind = "setext" if token.markup in {"=", "-"} else "atx"
            text = _inline_plain(inline.children or []).strip()
            found.append(Heading(token.map[0], token.map[1], int(token.tag[1]), text, kind))
        elif token.type == "paragraph_open":
            match = _BOLD_LINE.match(lines[token.map[0]])
            if match:
                text = _inline_plain(_PARSER.parseInline(match["text"])[0].children or [])
                text = text.strip().rstrip(":").strip()
                if (
                    text
                    and count_words(text) <= _MAX_BOLD_HEADING_WORDS
                    and not text.endswith((".", "!", "?"))
                ):
                    found.append(Heading(token.map[0], token.map[0] + 1, 0, text, "bold"))
    return _level_bold_headings(found)


def _level_bold_headings(headings: list[Heading]) -> list[Heading]:
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


def _plain_text_blocks(tokens: list[Token], headings: list[Heading]) -> dict[int, str]:
    """Plain text of each block, keyed by the block's first line, in document order.

    Markdown marks are dropped, code blocks and tables left out, HTML reduced to its text;
    headings and list items end as sentences so sentence-based formulas see them as such.
    """
    bold_lines = {h.start for h in headings if h.kind == "bold"}
    pieces: dict[int, str] = {}
    list_depth = 0
    skip_until: str | None = None
    for index, token in enumerate(tokens):
        if skip_until:
            if token.type == skip_until:
                skip_until = None
            continue
        if token.type == "table_open":
            skip_until = "table_close"
        elif token.type in {"bullet_list_open", "ordered_list_open"}:
            list_depth += 1
        elif token.type in {"bullet_list_close", "ordered_list_close"}:
            list_depth -= 1
        elif token.type == "html_block" and token.map is not None:
            _add(pieces, token.map[0], _html_text(token.content))
        elif token.type in {"heading_open", "paragraph_open"} and token.map is not None:
            children = tokens[index + 1].children or []
            line = token.map[0]
            if token.type == "heading_open":
                _add(pieces, line, _as_sentence(_inline_plain(children)))
            elif line in bold_lines:
                head, rest = _split_first_line(children)
                _add(pieces, line, _as_sentence(_inline_plain(head).strip().rstrip(":")))
                _add(pieces, line, _inline_plain(rest))
            else:
                text = _inline_plain(children)
                _add(pieces, line, _as_sentence(text) if list_depth else text)
    return pieces


def _add(pieces: dict[int, str], line: int, text: str) -> None:
    """Append a block's text to the piece for its first line."""
    text = text.strip()
    if text:
        pieces[line] = f"{pieces[line]}\n{text}" if line in pieces else text


def _split_first_line(children: list[Token]) -> tuple[list[Token], list[Token]]:
    """Split a paragraph's inline tokens at its first line break."""
    for index, child in enumerate(children):
        if child.type in {"softbreak", "hardbreak"}:
            return children[:index], children[index + 1 :]
    return children, []


def _as_sentence(text: str) -> str:
    """End a heading or list item with a full stop unless it already ends a sentence."""
    text = text.strip()
    return text if not text or text.endswith(_SENTENCE_END) else f"{text}."


def _inline_plain(children: list[Token]) -> str:
    """Inline tokens -> plain text: keep text, code and link/image text; drop marks and URLs."""
    parts: list[str] = []
    for child in children:
        if child.type in {"text", "code_inline"}:
            parts.append(child.content)
        elif child.type in {"softbreak", "hardbreak"}:
            parts.append(" ")
        elif child.type == "image":
            parts.append(_inline_plain(child.children or []))
        elif child.type == "html_inline":
            parts.append(" ")
    return "".join(parts)


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


def _html_text(fragment: str) -> str:
    """Visible text of an HTML block."""
    parser = _TextOfHtml()
    parser.feed(fragment)
    parser.close()
    return html.unescape(" ".join(" ".join(parser.parts).split()))
