"""Metadata the Dagster UI shows for an asset: Markdown previews of frames."""

import dagster as dg
import polars as pl


def markdown_preview(frame: pl.DataFrame, rows: int = 10, width: int = 60) -> dg.MetadataValue:
    """The first rows of a frame as a Markdown table for the Dagster UI (cells escaped, cut)."""

    def cell(value: object) -> str:
        text = "" if value is None else str(value)
        text = text.replace("|", "\\|").replace("\n", " ").replace("<", "&lt;").replace(">", "&gt;")
        return text if len(text) <= width else text[: width - 1] + "…"

    head = frame.head(rows)
    lines = [
        "| " + " | ".join(head.columns) + " |",
        "|" + "---|" * len(head.columns),
        *("| " + " | ".join(cell(v) for v in row) + " |" for row in head.iter_rows()),
    ]
    return dg.MetadataValue.md("\n".join(lines))
