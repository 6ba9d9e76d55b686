"""report_similarity benchmark: folding one new report in at 1,000 and at 10,000 reports.

Run: `.venv/bin/python -m pipelines.bench.similarity_bench [work_dir] [sizes...]`. Each fold-in
is timed as the asset runs it, on a DuckDB warehouse in a temporary folder: the plan
(`current_reports`, the stored index, `plan_increment`) and `refresh_incremental` (the
deleted-report check, stored vectors read, new report vectorized and scored, lists merged,
pairs patched, one write transaction). Two corpora:

- `fake`: 600 nonzeros per report over a 50,000-term Zipf vocabulary (terms `t00000`...),
  random weights, lists from `all_neighbours`; each new report is a text of 600 such terms;
- `generated`: `generate_corpus` reports ingested by the pipeline's `ingest_reports`, a real
  `refresh_full`, five single-report fold-ins, one of 10, then a full refresh whose equality
  check compares the folded-in lists with a recomputation from scratch.

The generated corpus and its ingested frames stay in `work_dir` (default
/tmp/reportscope-similarity-bench) for the next run.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl
from scipy import sparse

from pipelines.increment_state import current_reports, read_index
from pipelines.increments import plan_increment, table_index
from pipelines.similarity_store import (
    INDEX_TABLE,
    MIN_COSINE,
    NEIGHBOURS_TABLE,
    PARAMETERS,
    PUBLIC_TABLE,
    STATE_TABLES,
    TERMS_TABLE,
    TOP_K,
    VECTORS_TABLE,
    refresh_full,
    refresh_incremental,
)
from pipelines.text.redundancy.similarity_index import all_neighbours, undirected_pairs
from pipelines.text.redundancy.similarity_vectors import ReportVectors, Vocabulary
from pipelines.warehouse import Warehouse

EXTRA_REPORTS = 20  # generated reports beyond the size, folded in one (or ten) at a time
NEAR_DUPLICATES = {"section_id_a": pl.String, "section_id_b": pl.String,
                   "report_id_a": pl.String, "report_id_b": pl.String}  # fmt: skip


def _land(store: Warehouse, reports: pl.DataFrame, sections: pl.DataFrame) -> None:
    """Land reports and their sections as the ingest asset does (keyed by report_id)."""
    ids = reports["report_id"].to_list()
    store.replace_many(
        [
            ("reports", reports, "report_id", ids),
            ("sections", sections.filter(pl.col("report_id").is_in(ids)), "report_id", ids),
        ]
    )


def timed_fold_in(store: Warehouse) -> dict[str, float]:
    """Plan and fold in whatever reports are landed but not yet in the state: seconds."""
    start = time.perf_counter()
    current = current_reports(store)
    plan = plan_increment(current, read_index(store, INDEX_TABLE, *STATE_TABLES), PARAMETERS)
    assert not plan.full, plan.reason
    planned = time.perf_counter()
    result = refresh_incremental(store, current, plan.added)
    end = time.perf_counter()
    assert result is not None
    timings = {"plan": planned - start, **result.seconds, "total": end - start}
    return {**timings, "changed_lists": result.changed}


def medians(laps: list[dict[str, float]]) -> dict[str, float]:
    """The median seconds of each step over several fold-ins."""
    return {name: round(statistics.median(lap[name] for lap in laps), 4) for name in laps[0]}


def ingested_corpus(work_dir: Path, n_reports: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(reports, sections) of `n_reports` generated reports, generated and ingested once."""
    from pipelines.bench.corpus import generate_corpus
    from pipelines.reports_folder import ingest_reports

    reports_file, sections_file = work_dir / "reports.parquet", work_dir / "sections.parquet"
    if not reports_file.exists() or pl.read_parquet(reports_file).height < n_reports:
        folder = work_dir / "reports"
        generate_corpus(folder, n_reports, seed=0)
        names = sorted(p.name for p in folder.glob("*.md"))
        reports, sections, _ = ingest_reports(folder, names, 10_000_000)
        reports.select("report_id", "file_name", "content_sha256").write_parquet(reports_file)
        sections.select("report_id", "section_id", "ordinal", "plain_text").write_parquet(
            sections_file
        )
    reports = pl.read_parquet(reports_file).sort("file_name").head(n_reports)
    return reports, pl.read_parquet(sections_file)


def generated_run(work_dir: Path, n: int) -> dict[str, object]:
    """Full refresh of `n` generated reports, fold-ins of 1 (x5) and 10, then the check."""
    reports, sections = ingested_corpus(work_dir, n + EXTRA_REPORTS)
    extra = reports.tail(EXTRA_REPORTS)
    with tempfile.TemporaryDirectory(dir=work_dir) as folder:
        store = Warehouse(Path(folder))
        _land(store, reports.head(n), sections)
        store.replace_tables({"near_duplicate_sections": pl.DataFrame(schema=NEAR_DUPLICATES)})
        start = time.perf_counter()
        full = refresh_full(store, current_reports(store), check=False)
        out: dict[str, object] = {"corpus": "generated", "n": n}
        out["full_s"] = round(time.perf_counter() - start, 2)
        out["full_steps"] = full.seconds
        laps = []
        for i in range(5):
            _land(store, extra.slice(i, 1), sections)
            laps.append(timed_fold_in(store))
        out["fold_1_totals"] = [round(lap["total"], 3) for lap in laps]
        out["fold_1_median"] = medians(laps)
        _land(store, extra.slice(5, 10), sections)
        out["fold_10_total"] = round(timed_fold_in(store)["total"], 3)
        check = refresh_full(store, current_reports(store), check=True).check
        out["check"] = check.describe()
    return out


def fake_state(n: int, n_terms: int, nnz: int, rng: np.random.Generator) -> ReportVectors:
    """`n` L2 rows of `nnz` distinct Zipf-drawn columns, float32-valued weights."""
    zipf = 1.0 / np.arange(1, n_terms + 1)
    zipf /= zipf.sum()
    rows = []
    for _ in range(n):
        columns = np.unique(rng.choice(n_terms, size=nnz, p=zipf))
        while len(columns) < nnz:  # common terms repeat: draw until nnz distinct
            more = rng.choice(n_terms, size=nnz - len(columns), p=zipf)
            columns = np.unique(np.concatenate([columns, more]))
        rows.append(columns)
    indptr = np.concatenate([[0], np.cumsum([len(c) for c in rows])])
    matrix = sparse.csr_matrix(
        (rng.random(indptr[-1]), np.concatenate(rows), indptr), shape=(n, n_terms)
    )
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    matrix = sparse.csr_matrix(sparse.diags(1 / norms) @ matrix)
    matrix.data = matrix.data.astype(np.float32).astype(np.float64)
    return ReportVectors([f"r{i:06d}" for i in range(n)], matrix)


def fake_run(work_dir: Path, n: int, n_terms: int = 50_000, nnz: int = 600) -> dict[str, object]:
    """Five single new reports folded into `n` synthetic stored vectors, one at a time."""
    rng = np.random.default_rng(0)
    old = fake_state(n, n_terms, nnz, rng)
    terms = [f"t{i:05d}" for i in range(n_terms)]
    neighbours = all_neighbours(old, TOP_K, MIN_COSINE)
    reports = pl.DataFrame({"report_id": old.ids, "content_sha256": old.ids})
    laps = []
    with tempfile.TemporaryDirectory(dir=work_dir) as folder:
        store = Warehouse(Path(folder))
        store.replace_tables(
            {
                "reports": reports,
                "sections": pl.DataFrame(
                    schema={
                        "report_id": pl.String,
                        "section_id": pl.String,
                        "ordinal": pl.Int64,
                        "plain_text": pl.String,
                    }
                ),
                "near_duplicate_sections": pl.DataFrame(schema=NEAR_DUPLICATES),
                TERMS_TABLE: Vocabulary(terms, np.ones(n_terms)).to_frame(),
                VECTORS_TABLE: old.to_frame(),
                NEIGHBOURS_TABLE: neighbours,
                PUBLIC_TABLE: undirected_pairs(neighbours),
                INDEX_TABLE: table_index(reports, PARAMETERS),
            }
        )
        for i in range(5):
            # 600 distinct terms drawn as the stored vectors' columns were, each once.
            new_vector = fake_state(1, n_terms, nnz, rng).matrix
            words = [terms[j] for j in new_vector.indices]
            new_id = f"new{i}"
            text = pl.DataFrame({"report_id": [new_id], "section_id": [f"{new_id}-1"],
                                 "ordinal": [1], "plain_text": [" ".join(words)]})  # fmt: skip
            _land(store, pl.DataFrame({"report_id": [new_id], "content_sha256": ["x"]}), text)
            laps.append(timed_fold_in(store))
    return {"corpus": "fake", "n": n, "fold_1_totals": [round(lap["total"], 3) for lap in laps],
            "fold_1_median": medians(laps)}  # fmt: skip


def main(work_dir: Path, sizes: list[int], corpora: tuple[str, ...]) -> None:
    """Print each benchmark for each size."""
    work_dir.mkdir(parents=True, exist_ok=True)
    for corpus in corpora:
        for n in sizes:
            run = fake_run if corpus == "fake" else generated_run
            print(run(work_dir, n), flush=True)


if __name__ == "__main__":
    arguments = sys.argv[1:]
    folder = Path(arguments[0]) if arguments else Path("/tmp/reportscope-similarity-bench")
    chosen = tuple(a for a in arguments[1:] if not a.isdigit()) or ("fake", "generated")
    main(folder, [int(a) for a in arguments[1:] if a.isdigit()] or [1_000, 10_000], chosen)
