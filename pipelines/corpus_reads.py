"""Warehouse reads that several assets share: reports in arrival order, section texts, topics."""

import polars as pl

from pipelines.connections import has_column
from pipelines.warehouse import SCHEMA, SELECTED_KEYS, Warehouse

# The text topics, similarity (TF-IDF and near-duplicate shingles) and phrases read: a
# section's prose (`plain_text`), then the text of its table cells (`table_text`), one line
# per row. Readability and repetition read the prose alone.
TEXT_WITH_TABLES = "concat_ws(chr(10), nullif(plain_text, ''), nullif(table_text, ''))"
# Arrival order, the one definition every "earlier report" follows (rank 1 = first): report
# date, then file name. A column expression over corpus.reports.
ARRIVAL_RANK = "row_number() OVER (ORDER BY report_date, file_name)"


def read_reports(store: Warehouse) -> pl.DataFrame:
    """Reports with their arrival rank (report date, then file name)."""
    return store.read(
        f"SELECT report_id, file_name, title, report_date, {ARRIVAL_RANK} AS arrival_rank "
        f"FROM {SCHEMA}.reports ORDER BY arrival_rank"
    )


def read_sections(
    store: Warehouse, report_ids: list[str] | None = None, *, with_prose: bool = False
) -> pl.DataFrame:
    """Sections (all, or of some reports) with headings, text and counts, by section id.

    `plain_text` is `TEXT_WITH_TABLES` (prose, then table cells); `with_prose` adds
    `prose_text`, the stored prose alone, for readability and repetition.
    """
    where = f"WHERE report_id IN {SELECTED_KEYS}" if report_ids is not None else ""
    prose = "plain_text AS prose_text, " if with_prose else ""
    return store.read(
        "SELECT report_id, section_id, ordinal, level, number, heading, parent_heading, "
        f"{TEXT_WITH_TABLES} AS plain_text, {prose}n_words, is_preamble "
        f"FROM {SCHEMA}.sections {where} ORDER BY section_id",
        keys=report_ids,
    )


def read_section_texts(store: Warehouse, report_ids: list[str] | None) -> pl.DataFrame:
    """The text (`TEXT_WITH_TABLES`, as `plain_text`) of some or all reports' sections, in order."""
    where = f"WHERE report_id IN {SELECTED_KEYS} " if report_ids is not None else ""
    return store.read(
        f"SELECT report_id, section_id, ordinal, {TEXT_WITH_TABLES} AS plain_text "
        f"FROM {SCHEMA}.sections {where}ORDER BY report_id, ordinal",
        keys=report_ids,
    )


def read_report_languages(store: Warehouse, report_ids: list[str]) -> pl.DataFrame:
    """report_id, language (NULL for reports landed before languages were) of some reports."""
    with store.connect() as connection:
        has_language = has_column(connection, "reports", "language")
    language = "language" if has_language else "NULL::VARCHAR AS language"
    return store.read(
        f"SELECT report_id, {language} FROM {SCHEMA}.reports WHERE report_id IN {SELECTED_KEYS}",
        keys=report_ids,
    )


def report_texts(sections: pl.DataFrame) -> pl.DataFrame:
    """A report's text: its sections' `plain_text` in order, one per line block."""
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
