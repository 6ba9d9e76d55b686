"""Where markdown-it-py and pulldown-cmark read the same Markdown differently.

Both parsers follow CommonMark, yet they part on a few corners: tabs, link reference
definitions, lazy lines after a block quote, code spans over several lines, nesting past
markdown-it's limit, Unicode spaces, characters next to `*` and `_` whose class (space,
punctuation) the two take from different Unicode versions, and tables (markdown-it tries its
table rule before every other block rule). A document showing any of these is read with
markdown-it-py, so every section stays what it was; the checks are cheap and conservative.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import cache

import pyromark
from markdown_it.common.utils import isMdAsciiPunct, isPunctChar, isWhiteSpace, mdTrim
from markdown_it.rules_block import table as markdown_it_table
from markdown_it.rules_block.table import escapedSplit

# markdown-it's cap on the empty cells it adds to short table rows (none in older releases).
_MAX_AUTOCOMPLETED_CELLS = getattr(markdown_it_table, "MAX_AUTOCOMPLETED_CELLS", float("inf"))

# Container depth (quotes, lists, items) from which markdown-it could reach its nesting limit
# (20 levels, past which it drops content).
MAX_DEPTH = 12

# Characters and strings markdown-it-py and pulldown-cmark are known to read differently:
# tab, carriage return, NUL, vertical tab, form feed; a link reference definition; an HTML
# comment ending in a dash (markdown-it does not see the comment); CDATA (pulldown-cmark takes
# an unclosed one for HTML).
_DIFFERENT_CHARS = ("\t", "\r", "\x00", "\x0b", "\x0c", "]:", "--->", "<![")
# Unicode whitespace (Python's `\s` beyond ASCII): markdown-it-py's HTML patterns match it
# in and after tags, and it trims lines of nothing but whitespace off a paragraph.
_UNICODE_SPACE = "\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_UNICODE_SPACE_IN_TAG = re.compile(f"<[^\n<]*[{_UNICODE_SPACE}]")
_UNICODE_SPACE_LINE = f"[ {_UNICODE_SPACE}]*[{_UNICODE_SPACE}][ {_UNICODE_SPACE}]*(?=\n|\\Z)"
_FIRST_LINE_UNICODE_SPACES = re.compile(_UNICODE_SPACE_LINE)
_LINE_OF_UNICODE_SPACES = re.compile("\n" + _UNICODE_SPACE_LINE)
# A quote line, then a line indented as code (found from the `>`, then checked from the
# start of its line).
_INDENTED_AFTER_QUOTE = re.compile(r">[^\n>]*\n {4}")
_QUOTE_LINE = re.compile(r" *>")
# UTF-8 bytes -> D for an emphasis delimiter (`*`, `_`), U for a byte of a non-ASCII character.
_DELIMITER_NEXT_TO_NON_ASCII = bytes(
    ord("D") if byte in b"*_" else ord("U") if byte >= 0x80 else ord(".") for byte in range(256)
)
_DELIMITER_RUN = re.compile(r"[*_]+")
_EMPHASIS = pyromark.Markdown()
# A line that markdown-it could take for a table's delimiter row, inside containers too.
# (Found from the line break before it: a table's delimiter row is never its first line.)
_DELIMITER_LIKE = re.compile(r"\n[ >]*(?:(?:[-+*]|\d{1,9}[.)]) +)*[|:-][|:\- ]*(?=\n|\Z)")
_CLEAN_DELIMITER = re.compile(r" {0,3}[|:-][|:\- ]*")
_CONTAINER_START = re.compile(r" {0,3}(?:>|[-+*](?: |$)|\d{1,9}[.)](?: |$))")
_ALIGN = re.compile(r"^:?-+:?$")
# Lines that could end a table body in markdown-it (fence, quote, rule, list, HTML, heading).
_MAYBE_BLOCK_START = re.compile(r" {0,3}[`~>#<*+_=\-0-9]")


def reads_differently(text: str) -> bool:
    """True when the text has a construct the two parsers are known to read differently."""
    if any(part in text for part in _DIFFERENT_CHARS):
        return True
    if (
        _UNICODE_SPACE_IN_TAG.search(text)
        or _FIRST_LINE_UNICODE_SPACES.match(text)
        or _LINE_OF_UNICODE_SPACES.search(text)
    ):
        return True
    for match in _INDENTED_AFTER_QUOTE.finditer(text):
        line_start = text.rfind("\n", 0, match.start()) + 1
        if _QUOTE_LINE.match(text, line_start):
            return True
    return False


def flanking_differs(text: str, data: bytes) -> bool:
    """True when a character next to `*` or `_` is of another class to each parser.

    Whitespace, punctuation or neither decides what is emphasis; the two parsers' Unicode
    versions and whitespace definitions differ on a few dozen non-ASCII characters.
    """
    classes = data.translate(_DELIMITER_NEXT_TO_NON_ASCII)
    if b"DU" not in classes and b"UD" not in classes:
        return False
    for run in _DELIMITER_RUN.finditer(text):
        for index in (run.start() - 1, run.end()):
            if 0 <= index < len(text) and text[index] > "\x7f":
                char = text[index]
                if _markdown_it_class(char) != _pulldown_class(char):
                    return True
    return False


@cache
def _markdown_it_class(char: str) -> str:
    """What markdown-it's emphasis rule takes the character for."""
    if isWhiteSpace(ord(char)):
        return "space"
    return "punctuation" if isMdAsciiPunct(ord(char)) or isPunctChar(char) else "other"


@cache
def _pulldown_class(char: str) -> str:
    """What pulldown-cmark's emphasis rule takes the character for, read off two probes.

    `*c b*` is emphasis unless c is whitespace; `a*c b*` only when c is neither whitespace
    nor punctuation (after a letter, a delimiter before punctuation cannot open).
    """

    def emphasis(source: str) -> bool:
        """True when pyromark reads emphasis in `source`."""
        return any(event == {"Start": "Emphasis"} for event in _EMPHASIS.events(source))

    if not emphasis(f"*{char}b*"):
        return "space"
    return "other" if emphasis(f"a*{char}b*") else "punctuation"


def tables_differ(text: str, lines: list[str], tops: list[tuple[int, int, str]]) -> bool:
    """True unless markdown-it finds exactly pulldown-cmark's top-level tables.

    `tops` are pulldown-cmark's top-level blocks (first line, end line, kind) in order.
    """
    tables = {start: end for start, end, kind in tops if kind == "Table"}
    if not tables and "|" not in text:
        return False
    starts = [start for start, _, _ in tops]
    checked: set[int] = set()
    line = 0
    position = 0
    for match in _DELIMITER_LIKE.finditer(text):
        line += text.count("\n", position, match.start() + 1)
        position = match.start() + 1
        header = line - 1
        if header < 0 or "|" not in lines[header]:
            continue
        if not _CLEAN_DELIMITER.fullmatch(lines[line]) or _CONTAINER_START.match(lines[header]):
            return True
        kind, start = _block_at(tops, starts, header)
        if kind in {"CodeBlock", "HtmlBlock"} and start < header:
            continue  # inside code or HTML (markdown-it tries tables before them: not at `start`)
        if kind in {"List", "BlockQuote"}:
            return True
        expected = _markdown_it_table_end(lines, header)
        found = tables.get(header) if kind == "Table" and start == header else None
        if expected != found:
            return True
        checked.add(header)
    return not checked.issuperset(tables)


def _block_at(
    tops: list[tuple[int, int, str]], starts: list[int], line: int
) -> tuple[str | None, int]:
    """Kind and first line of the top-level block holding `line` (None between blocks)."""
    index = bisect_right(starts, line) - 1
    if index >= 0 and line < tops[index][1]:
        return tops[index][2], tops[index][0]
    return None, -1


def _markdown_it_table_end(lines: list[str], header: int) -> int | None:
    """End line of the table markdown-it's table rule makes at `header` (top level), or None.

    -1 when a body line could start another block: the rule would ask the other block rules,
    which this port does not do.
    """
    row = lines[header + 1]
    text = row.lstrip(" ")
    if len(row) - len(text) >= 4 or len(text) < 2:
        return None
    first, second = text[0], text[1]
    if first not in "|-:" or second not in "|-: " or (first == "-" and second == " "):
        return None
    if any(char not in "|-: " for char in text[2:]):
        return None
    columns = text.split("|")
    aligns = 0
    for index, column in enumerate(columns):
        cell = mdTrim(column)
        if not cell:
            if index in {0, len(columns) - 1}:
                continue
            return None
        if not _ALIGN.search(cell):
            return None
        aligns += 1
    head = mdTrim(lines[header].lstrip(" "))
    if "|" not in head or len(lines[header]) - len(lines[header].lstrip(" ")) >= 4:
        return None
    count = _cells(head)
    if count == 0 or count != aligns:
        return None
    autocompleted = 0
    end = header + 2
    while end < len(lines):
        body = lines[end]
        if not mdTrim(body.lstrip(" ")) or len(body) - len(body.lstrip(" ")) >= 4:
            break
        if _MAYBE_BLOCK_START.match(body):
            return -1
        autocompleted += count - _cells(mdTrim(body.lstrip(" ")))
        if autocompleted > _MAX_AUTOCOMPLETED_CELLS:
            break
        end += 1
    return end


def _cells(row: str) -> int:
    """Cells of a table row as markdown-it splits it (escaped pipes kept, outer ones dropped)."""
    columns = escapedSplit(row)
    if columns and columns[0] == "":
        columns.pop(0)
    if columns and columns[-1] == "":
        columns.pop()
    return len(columns)
