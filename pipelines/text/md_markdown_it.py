"""Markdown -> headings and plain-text blocks with markdown-it-py, for the documents
`md_pulldown` hands over (constructs where markdown-it and pulldown-cmark differ).

This is the token walk sections.py used before pyromark took over the common case; its
results are the reference the fast path is held to.
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.token import Token

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

_PARSER = MarkdownIt("commonmark", {"html": True}).enable("table")


def parse_blocks(text: str, lines: list[str]) -> Blocks:
    """Top-level headings in document order, and the plain text of each block by first line."""
    tokens = _PARSER.parse(text)
    headings = _find_headings(tokens, lines)
    return headings, *_plain_text_blocks(tokens, headings)


def inline_text(source: str) -> str:
    """Plain text of `source` read as inline Markdown on its own."""
    return _inline_plain(_PARSER.parseInline(source)[0].children or [])


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
            bold = bold_heading(lines[token.map[0]], token.map[0], inline_text)
            if bold is not None:
                found.append(bold)
    return level_bold_headings(found)


def _plain_text_blocks(
    tokens: list[Token], headings: list[Heading]
) -> tuple[dict[int, str], dict[int, str]]:
    """Plain text of each block and cell text of each table, keyed by first line, in order.

    Markdown marks are dropped, code blocks left out, tables kept apart, HTML reduced to its
    text; headings and list items end as sentences so sentence-based formulas see them as such.
    """
    bold_lines = {h.start for h in headings if h.kind == "bold"}
    pieces: dict[int, str] = {}
    tables: dict[int, str] = {}
    list_depth = 0
    rows: list[list[str]] | None = None  # the rows of the table being read
    table_line = 0
    for index, token in enumerate(tokens):
        if rows is not None:
            if token.type == "tr_open":
                rows.append([])
            elif token.type == "inline":
                rows[-1].append(_inline_plain(token.children or []))
            elif token.type == "table_close":
                add_piece(tables, table_line, table_text(rows))
                rows = None
            continue
        if token.type == "table_open":
            rows, table_line = [], token.map[0] if token.map else 0
        elif token.type in {"bullet_list_open", "ordered_list_open"}:
            list_depth += 1
        elif token.type in {"bullet_list_close", "ordered_list_close"}:
            list_depth -= 1
        elif token.type == "html_block" and token.map is not None:
            add_piece(pieces, token.map[0], html_text(token.content))
        elif token.type in {"heading_open", "paragraph_open"} and token.map is not None:
            children = tokens[index + 1].children or []
            line = token.map[0]
            if token.type == "heading_open":
                add_piece(pieces, line, as_sentence(_inline_plain(children)))
            elif line in bold_lines:
                head, rest = _split_first_line(children)
                add_piece(pieces, line, as_sentence(_inline_plain(head).strip().rstrip(":")))
                add_piece(pieces, line, _inline_plain(rest))
            else:
                text = _inline_plain(children)
                add_piece(pieces, line, as_sentence(text) if list_depth else text)
    return pieces, tables


def _split_first_line(children: list[Token]) -> tuple[list[Token], list[Token]]:
    """Split a paragraph's inline tokens at its first line break."""
    for index, child in enumerate(children):
        if child.type in {"softbreak", "hardbreak"}:
            return children[:index], children[index + 1 :]
    return children, []


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
