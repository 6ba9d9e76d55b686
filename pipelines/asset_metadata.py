"""Metadata the Dagster UI shows for an asset: Markdown previews of frames."""

import re

import dagster as dg
import polars as pl

# Characters Markdown gives a meaning to, escaped with a backslash in text shown as metadata.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def markdown_text(value: object) -> str:
    """Any text (a file name, a heading) as Markdown that displays it literally, on one line."""
    text = str(value).replace("\r", " ").replace("\n", " ")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def markdown_list(values: list[str], empty: str = "none") -> dg.MetadataValue:
    """A bulleted Markdown list of literal texts (or `empty`)."""
    return dg.MetadataValue.md("\n".join(f"- {markdown_text(v)}" for v in values) or empty)


def markdown_preview(frame: pl.DataFrame, rows: int = 10, width: int = 60) -> dg.MetadataValue:
    """The first rows of a frame as a Markdown table for the Dagster UI (cells escaped, cut)."""

    def cell(value: object) -> str:
        text = "" if value is None else f"{value:.4g}" if isinstance(value, float) else str(value)
        text = text.replace("|", "\\|").replace("\n", " ").replace("<", "&lt;").replace(">", "&gt;")
        return text if len(text) <= width else text[: width - 1] + "…"

    head = frame.head(rows)
    lines = [
        "| " + " | ".join(head.columns) + " |",
        "|" + "---|" * len(head.columns),
        *("| " + " | ".join(cell(v) for v in row) + " |" for row in head.iter_rows()),
    ]
    return dg.MetadataValue.md("\n".join(lines))
