"""Markdown -> headings and plain-text blocks with pyromark (pulldown-cmark), the fast path.

One pass over pyromark's events (with source ranges) finds the top-level ATX, setext and
bold-line headings, the plain text of every paragraph, heading and HTML block and the cell
text of every table, keyed by the block's first line: the same results as the markdown-it-py walk of `md_markdown_it`.
Where the two CommonMark parsers read a document differently (see `md_quirks`), this module
returns None and the caller uses markdown-it-py; tests/test_fast_paths_equal.py checks both.
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate

import pyromark
import regex as re

from pipelines.text.md_blocks import (
    Blocks,
    Heading,
    add_piece,
    as_sentence,
    bold_heading,
    html_text,
    level_bold_headings,
    table_text,
)
from pipelines.text.md_quirks import (
    MAX_DEPTH,
    flanking_differs,
    reads_differently,
    tables_differ,
)

# Characters that start inline syntax (CommonMark, HTML on): text without them is its own
# plain text.
_INLINE_SYNTAX = re.compile(r"[\\`*_\[<&]")
_LEVELS = {"H1": 1, "H2": 2, "H3": 3, "H4": 4, "H5": 5, "H6": 6}
_CONTAINERS = {"BlockQuote", "List", "Item"}
_INLINE_TAGS = {"Emphasis", "Strong", "Strikethrough", "Link", "Image", "Superscript", "Subscript"}
_AUTOLINKS = {"Autolink", "Email"}
_NEWLINE = 0x0A

_PARSER = pyromark.Markdown(options=pyromark.Options.ENABLE_TABLES)


class _Table:
    """The rows of the table being read, each a list of its cells' inline text."""

    __slots__ = ("autolink", "line", "rows")

    def __init__(self, line: int) -> None:
        self.line = line
        self.rows: list[list[str]] = []
        self.autolink = False

    def read(self, event: object) -> bool:
        """Take in one event of the table; True when it is the table's end."""
        if type(event) is str:  # a line break inside a cell reads as a space
            if self.rows and self.rows[-1]:
                self.rows[-1][-1] += " "
            return False
        ((kind, value),) = event.items()  # type: ignore[attr-defined]
        if kind == "Start":
            if value in ("TableHead", "TableRow"):
                self.rows.append([])
            elif value == "TableCell":
                self.rows[-1].append("")
            elif type(value) is dict and "Link" in value:
                self.autolink = value["Link"]["link_type"] in _AUTOLINKS
        elif kind == "End":
            if value == "Link":
                self.autolink = False
            return value == "Table"
        elif kind == "InlineHtml":
            self.rows[-1][-1] += " "
        elif kind in ("Text", "Code"):
            self.rows[-1][-1] += _autolink_text(value) if self.autolink else value
        return False


class _Block:
    """The inline text of the paragraph or heading being read."""

    __slots__ = ("bold", "first_break", "heading", "line", "parts", "top")

    def __init__(self, line: int, top: bool, heading: int = 0) -> None:
        self.line = line
        self.top = top
        self.heading = heading  # level, 0 for a paragraph
        self.bold = False
        self.parts: list[str] = []
        self.first_break: int | None = None


def parse_blocks(text: str, lines: list[str]) -> Blocks | None:
    """Top-level headings and the plain text of each block by first line; None to hand over.

    Markdown marks are dropped, code blocks left out, tables kept apart (their cells' text by
    first line), HTML reduced to its text; headings and list items end as sentences so
    sentence-based formulas see them as such.
    """
    if reads_differently(text):
        return None
    try:
        data = text.encode()
    except UnicodeEncodeError:  # lone surrogates: pyromark takes UTF-8 only
        return None
    if flanking_differs(text, data):
        return None
    byte_lines = data.split(b"\n") if len(data) != len(text) else lines
    starts = [0, *accumulate(len(line) + 1 for line in byte_lines)]

    def line_of(offset: int) -> int:
        """0-based line of a UTF-8 byte offset."""
        return bisect_right(starts, offset) - 1

    headings: list[Heading] = []
    pieces: dict[int, str] = {}
    tables: dict[int, str] = {}
    table: _Table | None = None  # the table whose cells are being read
    tops: list[tuple[int, int, str]] = []  # top-level blocks: first line, end line, kind
    block: _Block | None = None  # the paragraph or heading whose inline text is being read
    html_parts: list[str] | None = None
    html_line = depth = list_depth = image_depth = 0
    # Per open quote (-1) or list item (its content column): where a lazy line would start.
    content_columns: list[int] = []
    item_start: int | None = None  # an item whose content column is not known yet
    skipping = autolink = False  # inside a code block; inside an autolink
    for event, span in _PARSER.events_with_range(text, merge_text=True):
        if item_start is not None:  # the item's first content: its column, when on its line
            line = line_of(item_start)
            same = line_of(span["start"]) == line
            content_columns.append(span["start"] - starts[line] if same else 1 << 30)
            item_start = None
        if table is not None:
            if table.read(event):
                add_piece(tables, table.line, table_text(table.rows))
                table = None
            continue
        if type(event) is str:  # SoftBreak, HardBreak or Rule
            if event == "Rule":
                if block is not None:  # ends a tight list item's text
                    _finish(block, pieces, list_depth, headings)
                    block = None
            elif not skipping:
                if block is None:  # a tight list item's text, opening with a line break
                    block = _Block(line_of(span["start"]), depth == 0)
                if content_columns and _lazy_code_indent(data, span["end"], content_columns):
                    return None
                kept = _kept_before_break(data, span["end"] - 1)
                if kept:
                    block.parts.append(kept)
                if image_depth == 0 and block.first_break is None:
                    block.first_break = len(block.parts)
                block.parts.append(" ")
            continue
        value = event.get("Text")
        if value is not None and block is not None and not skipping and not autolink:
            block.parts.append(value)  # the most common event: text in a paragraph
            continue
        ((kind, value),) = event.items()
        if kind == "Start":
            if skipping:
                continue
            tag = value if type(value) is str else next(iter(value))
            if tag in _INLINE_TAGS:
                if block is None:  # a tight list item's text: a paragraph of its own
                    block = _Block(line_of(span["start"]), depth == 0)
                if tag == "Image":
                    image_depth += 1
                elif tag == "Link":
                    autolink = value["Link"]["link_type"] in _AUTOLINKS
                continue
            if block is not None:  # a block starts: a tight list item's text ends
                _finish(block, pieces, list_depth, headings)
                block = None
            line = line_of(span["start"])
            if depth == 0:
                end = line_of(max(span["end"] - 1, span["start"])) + 1
                tops.append((line, end, tag))
            if tag == "Paragraph":
                block = _Block(line, depth == 0)
                if depth == 0:
                    bold = bold_heading(lines[line], line, _inline_text)
                    if bold is not None:
                        headings.append(bold)
                        block.bold = True
            elif tag == "Heading":
                block = _Block(line, depth == 0, _LEVELS[value["Heading"]["level"]])
                if depth == 0:
                    headings.append(Heading(line, end, block.heading, "", "atx"))
            elif tag == "HtmlBlock":
                html_parts, html_line = [], line
            elif tag in _CONTAINERS:
                if tag == "Item":
                    item_start = span["start"]
                elif tag == "BlockQuote":
                    content_columns.append(-1)
                depth += 1
                list_depth += tag == "List"
                if depth >= MAX_DEPTH:
                    return None
            elif tag == "Table":
                if depth:
                    return None  # tables in quotes and lists are not checked against markdown-it
                table = _Table(line)
            elif tag == "CodeBlock":
                skipping = True
        elif kind == "End":
            tag = value if type(value) is str else next(iter(value))
            if skipping:
                skipping = tag != "CodeBlock"
            elif tag in _INLINE_TAGS:
                if tag == "Image":
                    image_depth -= 1
                elif tag == "Link":
                    autolink = False
            elif tag == "HtmlBlock":
                if html_parts is not None:
                    add_piece(pieces, html_line, html_text("".join(html_parts)))
                html_parts = None
            else:
                if block is not None:  # a paragraph, heading or tight list item ends
                    _finish(block, pieces, list_depth, headings)
                    block = None
                if tag in _CONTAINERS:
                    if tag != "List":
                        content_columns.pop()
                    depth -= 1
                    list_depth -= tag == "List"
        elif skipping:
            continue
        elif kind == "Html":
            if html_parts is not None:
                html_parts.append(value)
        else:  # Text, Code, InlineHtml (and the kinds of extensions not enabled)
            if block is None:  # a tight list item's text: a paragraph of its own
                block = _Block(line_of(span["start"]), depth == 0)
            if kind == "InlineHtml":
                if depth and _NEWLINE in data[span["start"] : span["end"]]:
                    return None  # pulldown-cmark may end it at a quote's `>` on the next line
                block.parts.append(" ")
            elif kind == "Code" and _NEWLINE in data[span["start"] : span["end"]]:
                return None  # the parsers differ on the indentation of a code span's lines
            else:
                block.parts.append(_autolink_text(value) if autolink else value)
    if tables_differ(text, lines, tops):
        return None
    return level_bold_headings(headings), pieces, tables


def _lazy_code_indent(data: bytes, line_start: int, content_columns: list[int]) -> bool:
    """True when a line continuing a paragraph in a container is indented as code, lazily.

    Lazy: inside a quote, or short of the list item's content column. markdown-it may read
    such a line as an indented code block where pulldown-cmark continues the paragraph.
    """
    end = line_start
    while end < len(data) and data[end] == 0x20:
        end += 1
    indent = end - line_start
    return indent >= 4 and (-1 in content_columns or indent < content_columns[-1])


def _kept_before_break(data: bytes, newline: int) -> str:
    """Spaces and tabs before a line break that markdown-it kept (pulldown-cmark drops them).

    markdown-it takes one trailing space off the text before a soft break and all trailing
    spaces before a hard break (two or more), never tabs; a space or tab right after an odd
    run of backslashes belongs to the escape (`\\ `) and stays.
    """
    start = newline
    while start > 0 and data[start - 1] in b" \t":
        start -= 1
    if start == newline:
        return ""
    gap = data[start:newline].decode()
    before = start
    while before > 0 and data[before - 1] == 0x5C:  # backslash
        before -= 1
    head, tail = (gap[0], gap[1:]) if (start - before) % 2 else ("", gap)
    if tail.endswith("  "):
        tail = tail.rstrip(" ")
    elif tail.endswith(" "):
        tail = tail[:-1]
    return head + tail


def _finish(
    block: _Block, pieces: dict[int, str], list_depth: int, headings: list[Heading]
) -> None:
    """Store a finished paragraph's or heading's text (and a top-level heading's title)."""
    if block.heading:
        text = "".join(block.parts)
        add_piece(pieces, block.line, as_sentence(text))
        if block.top:
            old = headings[-1]  # appended when the heading started
            kind = "setext" if old.end - old.start > 1 else "atx"
            headings[-1] = Heading(old.start, old.end, old.level, text.strip(), kind)
    elif block.bold:
        cut = block.first_break if block.first_break is not None else len(block.parts)
        head = "".join(block.parts[:cut])
        add_piece(pieces, block.line, as_sentence(head.strip().rstrip(":")))
        add_piece(pieces, block.line, "".join(block.parts[cut + 1 :]))
    else:
        text = "".join(block.parts)
        add_piece(pieces, block.line, as_sentence(text) if list_depth else text)


def _inline_text(source: str) -> str:
    """Plain text of `source` (one line) read as inline Markdown on its own."""
    if not _INLINE_SYNTAX.search(source):
        return source
    # An ATX heading holds exactly one line of inline content; the trailing ` \` (a literal
    # backslash) keeps a closing `#` sequence of the source from being taken off.
    parts: list[str] = []
    autolink = False
    for event in _PARSER.events(f"# {source} \\"):
        if type(event) is str:
            parts.append(" ")
            continue
        ((kind, value),) = event.items()
        if kind == "Text" or kind == "Code":
            parts.append(_autolink_text(value) if autolink else value)
        elif kind == "InlineHtml":
            parts.append(" ")
        elif kind == "Start" and type(value) is dict and "Link" in value:
            autolink = value["Link"]["link_type"] in _AUTOLINKS
        elif kind == "End" and value == "Link":
            autolink = False
    text = "".join(parts)
    return text[:-1] if text.endswith("\\") else text


def _autolink_text(url: str) -> str:
    """The text markdown-it shows for an autolink (percent-escapes decoded, punycode read)."""
    from markdown_it.common.normalize_url import normalizeLinkText

    return normalizeLinkText(url)
