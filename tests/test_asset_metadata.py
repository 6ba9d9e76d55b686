"""Texts shown in the Dagster UI's Markdown metadata display exactly as they are."""

from __future__ import annotations

import html
import re

import pytest
from markdown_it import MarkdownIt

from pipelines.asset_metadata import markdown_text

NAMES = [
    "plain_report.md",
    "a`b`c.md",
    "**bold** _it_ [link](http://x) #1.md",
    "<script>alert(1)</script>.md",
    "1. numbered.md",
    "- dash | pipe ~~strike~~.md",
    "back\\slash & ampersand.md",
    "caf\udce9_report.md",
]


def rendered_text(markdown: str) -> str:
    """What a CommonMark renderer (as the UI's) shows: tags dropped, entities decoded."""
    rendered = MarkdownIt("commonmark").render(markdown)
    return html.unescape(re.sub(r"<[^>]+>", "", rendered)).strip()


@pytest.mark.parametrize("name", NAMES)
def test_a_file_name_displays_literally(name: str) -> None:
    assert rendered_text(markdown_text(name)) == name
    assert rendered_text(f"- {markdown_text(name)}") == name
