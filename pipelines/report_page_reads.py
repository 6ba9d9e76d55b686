"""The warehouse reads behind the report pages: a few reports' rows, joined in SQL by report id."""

from __future__ import annotations

import duckdb
import polars as pl

from pipelines.connections import SCHEMA, SELECTED_KEYS, has_column, has_table, query
from pipelines.corpus_reads import ARRIVAL_RANK
from pipelines.warehouse import Warehouse

# A report's topics, each marked new when no EARLIER report (arrival order) has it as the
# primary topic of a section (report_topics: taxonomy and recurring discovered topics): when
# the earliest report holding the topic is this one. One pass over report_topics per call
# (joining each report's topics to every other holder's grew with the corpus: 6.6 s of 10,000
# pages).
_TOPICS_SQL = f"""
WITH arrival AS (
    SELECT report_id, {ARRIVAL_RANK} AS arrival_rank FROM {SCHEMA}.reports
), first_holder AS (
    SELECT rt.topic_id, min(a.arrival_rank) AS first_rank
    FROM {SCHEMA}.report_topics rt JOIN arrival a USING (report_id)
    GROUP BY rt.topic_id
), mine AS (
    SELECT rt.*, a.arrival_rank FROM {SCHEMA}.report_topics rt JOIN arrival a USING (report_id)
    WHERE rt.report_id IN {SELECTED_KEYS}
)
SELECT m.report_id, m.topic_id, {{label}} AS label, m.n_sections, m.share_of_words,
       f.first_rank >= m.arrival_rank AS is_new
FROM mine m
JOIN first_holder f USING (topic_id)
{{join}}
ORDER BY m.report_id, m.n_words DESC, m.topic_id
"""


def report_language(connection: duckdb.DuckDBPyConnection) -> str:
    """The SQL expression of a report's language: `reports.language`, or 'unknown' in a
    warehouse whose reports landed before languages were detected (no such column yet)."""
    return (
        "coalesce(language, 'unknown')"
        if has_column(connection, "reports", "language")
        else "'unknown'"
    )


def page_frames(
    store: Warehouse, report_ids: list[str], cited: list[str]
) -> dict[str, pl.DataFrame]:
    """Everything the pages of `report_ids` show, by name; `cited`: reports they link to.

    Tables that do not exist yet (a partial materialization) give empty frames.
    """
    with store.connect() as connection:
        language = report_language(connection)
        frames = {
            "reports": query(
                connection,
                f"SELECT report_id, file_name, title, report_date, report_date_source, "
                f"{language} AS language FROM {SCHEMA}.reports WHERE report_id IN {SELECTED_KEYS}",
                report_ids,
            ),
            "cited": query(
                connection,
                f"SELECT report_id, file_name, title FROM {SCHEMA}.reports "
                f"WHERE report_id IN {SELECTED_KEYS}",
                cited,
            ),
            "sections": query(
                connection,
                f"SELECT report_id, section_id, ordinal, number, heading, is_preamble "
                f"FROM {SCHEMA}.sections WHERE report_id IN {SELECTED_KEYS}",
                report_ids,
            ),
        }
        for name, table in {
            "novelty": "report_novelty",
            "readability": "report_readability",
        }.items():
            frames[name] = (
                query(
                    connection,
                    f"SELECT * FROM {SCHEMA}.{table} WHERE report_id IN {SELECTED_KEYS}",
                    report_ids,
                )
                if has_table(connection, table)
                else pl.DataFrame(schema={"report_id": pl.String})
            )
        frames["topics"] = _topics(connection, report_ids)
    return frames


def _topics(connection: duckdb.DuckDBPyConnection, report_ids: list[str]) -> pl.DataFrame:
    """The reports' topics with labels and the new-to-the-corpus mark (empty without tables)."""
    if not has_table(connection, "report_topics"):
        return pl.DataFrame(
            schema={"report_id": pl.String, "label": pl.String, "is_new": pl.Boolean}
        )
    with_labels = has_table(connection, "topics")
    sql = _TOPICS_SQL.format(
        label="coalesce(t.label, m.topic_id)" if with_labels else "m.topic_id",
        join=f"LEFT JOIN {SCHEMA}.topics t ON t.topic_id = m.topic_id" if with_labels else "",
    )
    return query(connection, sql, report_ids)
