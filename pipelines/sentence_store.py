"""corpus.sentence_novelty: which reports it lacks, the SQL lookup of their sentences, the writes.

Append-only by arrival: a report's rows are computed once, against the reports that arrived
before it (corpus_reads.ARRIVAL_RANK), and never recomputed when later reports arrive. A new or
changed report (other content hash) computes its own rows only; a deleted report's rows go with
it (report_inventory deletes every table's rows of a report). Rows of other reports are left as
they are after an edit or a deletion, even when they named the edited or deleted report.
"""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import polars as pl

from pipelines.connections import SCHEMA, SELECTED_KEYS, memory_limit, query
from pipelines.corpus_reads import ARRIVAL_RANK, read_sections
from pipelines.increment_state import read_index
from pipelines.increments import INDEX_KEY, reports_to_compute, table_index
from pipelines.lsh import MINHASH_CONFIG
from pipelines.text.redundancy.sentence_novelty import (
    LOOKUP_SCHEMA,
    SENTENCE_NOVELTY_SCHEMA,
    sentence_novelty,
    sentences_and_shingles,
)
from pipelines.warehouse import Warehouse

TABLE = "sentence_novelty"
INDEX_TABLE = "sentence_novelty_index"
# What the rows depend on besides the report: the shingle size and the sentence rule's version.
PARAMETERS = f"shingle_words={MINHASH_CONFIG.shingle_words};sentences=v1"
# Reports computed (and their pages written) per transaction: bounds memory on a bulk load.
REPORTS_PER_CHUNK = 2000
# DuckDB's memory for one lookup (it spills to its temp directory beyond it).
LOOKUP_MEMORY_LIMIT = "512MB"

# Per sentence of the registered `incoming_shingles` (report_id, section_id, sentence_no,
# shingle): how many of its shingles an EARLIER report holds (n_seen), and which earlier report
# holds most of them (first_report_id; ties: the earliest). A shingle is seen when its earliest
# holder arrived before the sentence's report, as in report_novelty; the reports holding most
# are looked for among those earliest holders, so the rows read stay a few per shingle however
# many reports repeat it. Both scans of section_shingles are hash joins on the new shingles;
# the second keeps only the (holder, shingle) rows the candidate pairs ask for (a distinct
# list of every holding of the seen shingles took 13-17 s per 2,000 reports of a 10,000-report
# load against 12 s, same rows).
LOOKUP_SQL = f"""
WITH arrival AS (
    SELECT report_id, {ARRIVAL_RANK} AS arrival_rank FROM {SCHEMA}.reports
), first_holder AS (
    SELECT s.shingle, arg_min(s.report_id, a.arrival_rank) AS holder,
           min(a.arrival_rank) AS holder_rank
    FROM {SCHEMA}.section_shingles s JOIN arrival a USING (report_id)
    WHERE s.shingle IN (SELECT shingle FROM incoming_shingles)
    GROUP BY s.shingle
), seen AS MATERIALIZED (
    SELECT i.report_id, i.section_id, i.sentence_no, i.shingle, f.holder, f.holder_rank
    FROM incoming_shingles i
    JOIN arrival me USING (report_id)
    JOIN first_holder f USING (shingle)
    WHERE f.holder_rank < me.arrival_rank
), candidates AS MATERIALIZED (
    SELECT DISTINCT report_id, section_id, sentence_no, holder, holder_rank FROM seen
), pairs AS MATERIALIZED (
    SELECT c.report_id, c.section_id, c.sentence_no, c.holder, c.holder_rank, s.shingle
    FROM candidates c JOIN seen s USING (report_id, section_id, sentence_no)
), held AS (
    SELECT p.report_id, p.section_id, p.sentence_no, p.holder, p.holder_rank, count(*) AS n_held
    FROM pairs p
    SEMI JOIN {SCHEMA}.section_shingles h ON h.report_id = p.holder AND h.shingle = p.shingle
    GROUP BY ALL
)
SELECT n.report_id, n.section_id, n.sentence_no, n.n_seen, b.first_report_id
FROM (SELECT report_id, section_id, sentence_no, count(*) AS n_seen FROM seen GROUP BY ALL) n
JOIN (SELECT report_id, section_id, sentence_no,
             first(holder ORDER BY n_held DESC, holder_rank) AS first_report_id
      FROM held GROUP BY ALL) b
USING (report_id, section_id, sentence_no)
"""


def lookup(connection: duckdb.DuckDBPyConnection, shingles: pl.DataFrame) -> pl.DataFrame:
    """LOOKUP_SQL for some sentences' shingles, on an open connection (LOOKUP_SCHEMA rows)."""
    if shingles.height == 0:
        return pl.DataFrame(schema=LOOKUP_SCHEMA)
    connection.register("incoming_shingles", shingles)
    try:  # the lookup's joins spill to disk beyond the limit, beside the step's Polars frames
        with memory_limit(connection, LOOKUP_MEMORY_LIMIT):
            return query(connection, LOOKUP_SQL).cast(LOOKUP_SCHEMA)  # type: ignore[arg-type]
    finally:
        connection.unregister("incoming_shingles")


def pending(store: Warehouse, current: pl.DataFrame) -> tuple[list[str], list[str]]:
    """Reports whose rows are missing or stale, and indexed reports that are gone."""
    index = read_index(store, INDEX_TABLE, TABLE)
    todo = reports_to_compute(current, index, PARAMETERS)
    gone = (
        []
        if index is None
        else sorted(set(index[INDEX_KEY].to_list()) - set(current["report_id"].to_list()))
    )
    return todo, gone


def compute(store: Warehouse, report_ids: list[str]) -> pl.DataFrame:
    """The sentence_novelty rows of some reports (whose fingerprints have landed)."""
    sections = read_sections(store, report_ids)
    sentences, shingles = sentences_and_shingles(sections, MINHASH_CONFIG.shingle_words)
    with store.connect() as connection:
        found = lookup(connection, shingles)
    return sentence_novelty(sentences, shingles, found)


def chunks(report_ids: list[str]) -> Iterator[list[str]]:
    """The reports to compute, REPORTS_PER_CHUNK at a time."""
    for start in range(0, len(report_ids), REPORTS_PER_CHUNK):
        yield report_ids[start : start + REPORTS_PER_CHUNK]


def commit(
    store: Warehouse, current: pl.DataFrame, report_ids: list[str], rows: pl.DataFrame
) -> None:
    """Replace these reports' rows and index rows in one transaction."""
    index_rows = table_index(current.filter(pl.col("report_id").is_in(report_ids)), PARAMETERS)
    store.replace_many(
        [(TABLE, rows, "report_id", report_ids), (INDEX_TABLE, index_rows, INDEX_KEY, report_ids)]
    )


def forget(store: Warehouse, gone: list[str]) -> None:
    """Drop the index rows (and any rows left) of reports that are no longer landed."""
    if gone:
        store.replace_many(
            [
                (TABLE, pl.DataFrame(schema=SENTENCE_NOVELTY_SCHEMA), "report_id", gone),
                (INDEX_TABLE, table_index(_no_reports(), PARAMETERS), INDEX_KEY, gone),
            ]
        )


def rows_of(store: Warehouse, report_ids: list[str]) -> pl.DataFrame:
    """The stored rows of some reports, in reading order."""
    return store.read(
        f"SELECT * FROM {SCHEMA}.{TABLE} WHERE report_id IN {SELECTED_KEYS} "
        "ORDER BY report_id, section_id, sentence_no",
        keys=report_ids,
    )


def _no_reports() -> pl.DataFrame:
    """No reports, with current_reports' schema."""
    return pl.DataFrame(schema={"report_id": pl.String, "content_sha256": pl.String})
