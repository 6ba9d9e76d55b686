"""Warehouse reads that several assets share: reports in arrival order, section texts, topics."""

import polars as pl

from pipelines.warehouse import SCHEMA, SELECTED_KEYS, Warehouse

# Arrival order, the one definition every "earlier report" follows (rank 1 = first): report
# date, then file name. A column expression over corpus.reports.
ARRIVAL_RANK = "row_number() OVER (ORDER BY report_date, file_name)"


def read_reports(store: Warehouse) -> pl.DataFrame:
    """Reports with their arrival rank (report date, then file name)."""
    return store.read(
        f"SELECT report_id, file_name, title, report_date, {ARRIVAL_RANK} AS arrival_rank "
        f"FROM {SCHEMA}.reports ORDER BY arrival_rank"
    )


def read_sections(store: Warehouse, report_ids: list[str] | None = None) -> pl.DataFrame:
    """Sections (all, or of some reports) with headings, text and counts, by section id."""
    where = f"WHERE report_id IN {SELECTED_KEYS}" if report_ids is not None else ""
    return store.read(
        "SELECT report_id, section_id, ordinal, level, number, heading, parent_heading, "
        f"plain_text, n_words, is_preamble FROM {SCHEMA}.sections {where} ORDER BY section_id",
        keys=report_ids,
    )


def read_section_texts(store: Warehouse, report_ids: list[str]) -> pl.DataFrame:
    """The plain text of the given reports' sections, in report and section order."""
    return store.read(
        f"SELECT report_id, section_id, ordinal, plain_text FROM {SCHEMA}.sections "
        f"WHERE report_id IN {SELECTED_KEYS} ORDER BY report_id, ordinal",
        keys=report_ids,
    )


def report_texts(sections: pl.DataFrame) -> pl.DataFrame:
    """A report's plain text: its sections' plain text in order, one per line block."""
    return (
        sections.sort("report_id", "ordinal")
        .group_by("report_id", maintain_order=True)
        .agg(pl.col("plain_text").str.join("\n"))
    )


def all_assignments(store: Warehouse) -> pl.DataFrame:
    """Taxonomy assignments plus discovered-topic assignments (each a primary topic)."""
    return store.read(
        f"""
        SELECT section_id, report_id, topic_id, score, is_primary FROM {SCHEMA}.section_topics
        UNION ALL
        SELECT section_id, report_id, topic_id, score, TRUE FROM {SCHEMA}.discovered_section_topics
        """
    )
