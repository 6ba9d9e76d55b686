"""What the benchmark reads back from the built warehouse: row counts and the quality checks.

Planted near-duplicate recall, readability against textstat, and MinHash + LSH against
datasketch and rensa, all on the generated corpus as the pipeline stored it.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from pipelines.bench.corpus import GeneratedCorpus
from pipelines.settings import DATABASE_FILE


def published_counts(warehouse: Path) -> dict[str, int]:
    """Row counts of the published warehouse's tables."""
    import duckdb

    with duckdb.connect(str(warehouse / DATABASE_FILE), read_only=True) as connection:
        names = [
            row[0]
            for row in connection.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'corpus' ORDER BY 1"
            ).fetchall()
        ]
        return {
            name: connection.execute(f'SELECT count(*) FROM corpus."{name}"').fetchone()[0]  # type: ignore[index]
            for name in names
        }


def planted_recall(warehouse: Path, corpus: GeneratedCorpus, threshold: float) -> dict[str, Any]:
    """How many planted duplicates (true Jaccard >= threshold) the pipeline's table holds."""
    import duckdb
    import polars as pl

    planted = pl.DataFrame(
        [(p.section_id, p.source_section_id, p.kind) for p in corpus.planted],
        schema=["x", "y", "kind"],
        orient="row",
    ).select(pl.min_horizontal("x", "y").alias("a"), pl.max_horizontal("x", "y").alias("b"), "kind")
    with duckdb.connect(str(warehouse / DATABASE_FILE), read_only=True) as connection:
        connection.register("planted", planted)
        rows = connection.execute(
            """
            WITH sizes AS (
                SELECT section_id, count(*) AS n FROM corpus.section_shingles
                WHERE section_id IN (SELECT a FROM planted UNION SELECT b FROM planted)
                GROUP BY section_id
            ), shared AS (
                SELECT p.a, p.b, count(*) AS n FROM planted p
                JOIN corpus.section_shingles sa ON sa.section_id = p.a
                JOIN corpus.section_shingles sb ON sb.section_id = p.b AND sb.shingle = sa.shingle
                GROUP BY ALL
            )
            SELECT p.kind, coalesce(s.n, 0) / (za.n + zb.n - coalesce(s.n, 0)) AS jaccard,
                   d.section_id_a IS NOT NULL AS found
            FROM planted p
            JOIN sizes za ON za.section_id = p.a JOIN sizes zb ON zb.section_id = p.b
            LEFT JOIN shared s USING (a, b)
            LEFT JOIN corpus.near_duplicate_sections d
              ON d.section_id_a = p.a AND d.section_id_b = p.b
            """
        ).pl()
        total_pairs = connection.execute(
            "SELECT count(*) FROM corpus.near_duplicate_sections"
        ).fetchone()[0]  # type: ignore[index]
    expected = rows.filter(pl.col("jaccard") >= threshold)
    return {
        "planted": len(corpus.planted),
        "planted_at_or_above_threshold": expected.height,
        "found": int(expected["found"].sum()),
        "recall": float(expected["found"].mean()) if expected.height else 1.0,
        "pairs_in_table": total_pairs,
    }


def compare_readability(warehouse: Path, n_texts: int, seed: int) -> dict[str, Any]:
    """Fast path vs textstat on `n_texts` distinct section texts of the generated corpus."""
    import duckdb

    from pipelines.bench.readability_bench import compare_with_textstat

    with duckdb.connect(str(warehouse / DATABASE_FILE), read_only=True) as connection:
        texts = sorted(
            row[0]
            for row in connection.execute(
                "SELECT DISTINCT plain_text FROM corpus.sections WHERE n_words > 0"
            ).fetchall()
        )
    sample = random.Random(seed).sample(texts, min(n_texts, len(texts)))
    return {"n_texts": len(sample), **compare_with_textstat(sample, repeats=5)}


def compare_minhash(warehouse: Path, max_sections: int, recall_reports: int) -> dict[str, Any]:
    """Ours vs datasketch and rensa on the stored shingles; LSH recall (both) on the first reports."""
    import duckdb

    from pipelines.bench.minhash_bench import compare_with_datasketch, lsh_recall
    from pipelines.bench.rensa_bench import compare_with_rensa

    def shingles_of_first_reports(limit_sections: int | None, limit_reports: int | None):  # type: ignore[no-untyped-def]
        """Stored shingles of the first reports (by file name) up to a section or report limit."""
        with duckdb.connect(str(warehouse / DATABASE_FILE), read_only=True) as connection:
            return connection.execute(
                """
                WITH r AS (
                    SELECT report_id, row_number() OVER (ORDER BY file_name) AS k,
                           sum(n_sections) OVER (ORDER BY file_name) AS upto
                    FROM corpus.reports
                )
                SELECT s.section_id, s.report_id, s.shingle
                FROM corpus.section_shingles s JOIN r USING (report_id)
                WHERE r.upto <= ? AND r.k <= ?
                ORDER BY s.section_id
                """,
                [limit_sections or 2**62, limit_reports or 2**62],
            ).pl()

    shingles = shingles_of_first_reports(max_sections, None)
    comparison = compare_with_datasketch(shingles)
    rensa = compare_with_rensa(shingles)
    recall = lsh_recall(
        shingles_of_first_reports(None, recall_reports), sample_reports=None, rensa=True
    )
    return {"comparison": comparison, "rensa": rensa, "recall": recall}
