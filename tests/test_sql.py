"""The SQL layer on a warehouse built from the seeds: views, example queries, table reference.

Gold values are read off the seed files (their headings), not off the pipeline's output.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT, SEEDS

SQL_DIR = ROOT / "sql"
VIEWS_SQL = SQL_DIR / "views.sql"
README = SQL_DIR / "README.md"
QUERIES = sorted((SQL_DIR / "queries").glob("*.sql"))
# The DuckDB CLI installed next to the interpreter running the tests (same version as `duckdb`).
DUCKDB_CLI = Path(sys.executable).parent / "duckdb"
DATABASE = "reportscope.duckdb"

# Gold, from the seed files' headings (a lone `#` title is not a section): 000 has 11 bold-line
# headings; 001 has 10 `##` and 9 `###` headings; 002 has a preamble paragraph and 10 numbered
# `##` headings; 003 and 004 have 10 numbered `##` headings each.
SECTIONS_PER_SEED = {
    "000_87c5db0444f7b29d.txt": 11,
    "001_dcc2aed8c26ea6dd.txt": 19,
    "002_0ed438f99d1ee8d6.txt": 11,
    "003_69796a1aaad12780.txt": 10,
    "004_c37010fbd4496169.txt": 10,
}
# Primary topics by seed headings: "Multimodal …" in 000, 002, 003, 004; an ethics heading in
# every report; "Explainability …" in 000-003 (004 has none).
REPORTS_WITH_TOPIC = {
    "multimodal": {"000", "002", "003", "004"},
    "ethics_fairness": {"000", "001", "002", "003", "004"},
    "explainability": {"000", "001", "002", "003"},
}


def view_names() -> list[str]:
    """The views sql/views.sql creates, in file order."""
    text = VIEWS_SQL.read_text(encoding="utf-8")
    return re.findall(r"CREATE OR REPLACE VIEW corpus\.(\w+)", text, flags=re.IGNORECASE)


def run_cli(database: Path, query: Path) -> subprocess.CompletedProcess[str]:
    """Run one query file through the DuckDB CLI exactly as its header documents (plus -csv)."""
    with query.open(encoding="utf-8") as stdin:
        return subprocess.run(
            [str(DUCKDB_CLI), "-readonly", "-csv", str(database)],
            stdin=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
        )


@pytest.fixture(scope="module")
def db(seeds_warehouse: Path) -> Path:
    """The published seeds warehouse file."""
    return seeds_warehouse / DATABASE


@pytest.fixture(scope="module")
def con(db: Path):
    """A read-only connection to the published seeds warehouse."""
    connection = duckdb.connect(str(db), read_only=True)
    yield connection
    connection.close()


# --------------------------------------------------------------------------- example queries


def test_there_are_six_to_eleven_documented_queries() -> None:
    assert 6 <= len(QUERIES) <= 11, [q.name for q in QUERIES]
    for query in QUERIES:
        text = query.read_text(encoding="utf-8")
        header = text.split("\n\n")[0]
        assert re.search(r"^-- Question: \S", text, flags=re.MULTILINE), query.name
        assert "How to read it:" in text, query.name
        run_line = (
            "-- Run: .venv/bin/duckdb -readonly warehouse/reportscope.duckdb "
            f"< sql/queries/{query.name}"
        )
        assert run_line in text, query.name
        assert header.startswith("-- Question:"), query.name
        # Plain DuckDB SQL: nothing to download, no CLI dot-commands (Python runs them too).
        code = "\n".join(line for line in text.splitlines() if not line.startswith("--"))
        assert not re.search(r"\b(INSTALL|LOAD)\b", code, flags=re.IGNORECASE), query.name
        assert not re.search(r"^\s*\.", code, flags=re.MULTILINE), query.name


@pytest.mark.parametrize("query", QUERIES, ids=[q.stem for q in QUERIES])
def test_query_runs_in_the_cli_and_answers(db: Path, query: Path) -> None:
    done = run_cli(db, query)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", done.stderr
    rows = list(csv.reader(io.StringIO(done.stdout)))
    assert len(rows) >= 2, f"{query.name} returned no data row:\n{done.stdout}"
    assert all(len(row) == len(rows[0]) for row in rows), done.stdout


def test_queries_listed_in_the_readme() -> None:
    readme = README.read_text(encoding="utf-8")
    for query in QUERIES:
        assert f"| `{query.name}` |" in readme, query.name


# --------------------------------------------------------------------------- views


def test_every_view_exists_answers_and_says_its_question(con: duckdb.DuckDBPyConnection) -> None:
    names = view_names()
    assert {"report_arrival", "latest_report", "topic_league", "hardest_sections"} <= set(names)
    assert {"most_redundant_pairs", "report_overview"} <= set(names)
    published = dict(
        con.execute(
            "SELECT view_name, comment FROM duckdb_views() WHERE schema_name = 'corpus' "
            "AND NOT internal"
        ).fetchall()
    )
    assert set(names) == set(published)
    for name in names:
        assert published[name] and "?" in published[name], f"view {name} has no question comment"
        rows = con.execute(f"SELECT count(*) FROM corpus.{name}").fetchone()
        assert rows is not None and rows[0] > 0, f"view corpus.{name} is empty"
    text = VIEWS_SQL.read_text(encoding="utf-8")
    for name in names:  # a comment line right above every CREATE
        assert re.search(rf"--[^\n]*\n(?:--[^\n]*\n)*CREATE OR REPLACE VIEW corpus\.{name}\b", text)


def test_views_work_on_empty_tables(db: Path) -> None:
    """views.sql only needs tables every full run creates; on empty ones every view is empty."""
    memory = duckdb.connect()
    try:
        memory.execute(f"ATTACH '{db}' AS published (READ_ONLY)")
        tables = [
            row[0]
            for row in memory.execute(
                "SELECT table_name FROM duckdb_tables() "
                "WHERE database_name = 'published' AND schema_name = 'corpus'"
            ).fetchall()
        ]
        memory.execute("CREATE SCHEMA corpus")
        for table in tables:
            memory.execute(
                f'CREATE TABLE corpus."{table}" AS SELECT * FROM published.corpus."{table}" LIMIT 0'
            )
        memory.execute("DETACH published")
        memory.execute(VIEWS_SQL.read_text(encoding="utf-8"))
        memory.execute(VIEWS_SQL.read_text(encoding="utf-8"))  # re-runnable
        for name in view_names():
            assert memory.execute(f"SELECT count(*) FROM corpus.{name}").fetchone() == (0,)
    finally:
        memory.close()


def seed_key(file_name: str) -> str:
    """The seed's number: `004_c37….txt` -> `004`."""
    return file_name.split("_")[0]


def test_gold_report_overview(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "SELECT file_name, n_sections, primary_topic_ids, arrival_rank FROM corpus.report_overview"
    ).fetchall()
    assert {name: n for name, n, _, _ in rows} == SECTIONS_PER_SEED
    assert sorted(rank for *_, rank in rows) == [1, 2, 3, 4, 5]
    for topic, expected in REPORTS_WITH_TOPIC.items():
        having = {seed_key(name) for name, _, topics, _ in rows if topic in topics}
        assert having == expected, topic


def test_seed_reports_are_english_and_their_readability_says_so(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """The five seeds are written in English: every report, section and readability row says
    `en`, and English text is unreliable only for being short."""
    assert con.execute("SELECT DISTINCT language FROM corpus.report_overview").fetchall() == [
        ("en",)
    ]
    reasons = con.execute(
        "SELECT DISTINCT language, reliable, reliability_reason, own_language_formula "
        "FROM corpus.section_readability ORDER BY reliable"
    ).fetchall()
    assert set(reasons) <= {
        ("en", False, "too short: under 100 words or 3 sentences", None),
        ("en", True, None, None),
    }
    assert ("en", True, None, None) in reasons


def test_gold_topic_league(con: duckdb.DuckDBPyConnection) -> None:
    league = {
        topic_id: (rank, n_reports, source)
        for rank, topic_id, n_reports, source in con.execute(
            "SELECT rank, topic_id, n_reports, source FROM corpus.topic_league"
        ).fetchall()
    }
    assert league["ethics_fairness"] == (1, 5, "taxonomy")  # the only topic in all 5 reports
    assert league["multimodal"][1] == 4
    assert league["explainability"][1] == 4
    top5 = {topic for topic, (rank, _, _) in league.items() if rank <= 5}
    assert {"ethics_fairness", "multimodal", "explainability"} <= top5
    ranks = [rank for rank, _, _ in sorted(league.values())]
    assert ranks[0] == 1 and ranks == sorted(ranks)


def test_gold_latest_report(con: duckdb.DuckDBPyConnection, seeds_warehouse: Path) -> None:
    """The latest report is the newest file (report date = modification time, no front matter)."""
    folder = seeds_warehouse.parent / "reports"
    latest = max(
        SECTIONS_PER_SEED,
        key=lambda name: (datetime.fromtimestamp((folder / name).stat().st_mtime, UTC), name),
    )
    rows = con.execute("SELECT file_name, ordinal FROM corpus.latest_report").fetchall()
    assert {name for name, _ in rows} == {latest}
    assert len(rows) == SECTIONS_PER_SEED[latest]
    arrival = con.execute(
        "SELECT file_name FROM corpus.report_arrival ORDER BY arrival_rank DESC LIMIT 1"
    ).fetchone()
    assert arrival == (latest,)


def test_hardest_sections_are_reliable_and_ranked(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        """
        SELECT h.rank, h.flesch_kincaid_grade, r.reliable, h.file_name, h.heading
        FROM corpus.hardest_sections h JOIN corpus.section_readability r USING (section_id)
        ORDER BY h.rank
        """
    ).fetchall()
    reliable = con.execute(
        "SELECT count(*), max(flesch_kincaid_grade) FROM corpus.section_readability WHERE reliable"
    ).fetchone()
    assert reliable is not None
    assert len(rows) == reliable[0] and all(row[2] for row in rows)
    assert rows[0][1] == reliable[1]
    grades = [row[1] for row in rows]
    assert grades == sorted(grades, reverse=True)
    assert all(row[3] in SECTIONS_PER_SEED and row[4] for row in rows)


def test_most_redundant_pairs_match_the_shingles(con: duckdb.DuckDBPyConnection) -> None:
    """Jaccard and containments recomputed independently from corpus.section_shingles."""
    pairs = con.execute(
        "SELECT section_id_a, section_id_b, jaccard, containment_a_in_b, containment_b_in_a, "
        "report_id_a <> report_id_b, is_near_duplicate FROM corpus.most_redundant_pairs"
    ).fetchall()
    assert pairs
    shingles: dict[str, set[int]] = {}
    for section_id, shingle in con.execute(
        "SELECT section_id, shingle FROM corpus.section_shingles"
    ).fetchall():
        shingles.setdefault(section_id, set()).add(shingle)
    verified = set(
        con.execute(
            "SELECT section_id_a, section_id_b FROM corpus.near_duplicate_sections"
        ).fetchall()
    )
    for a, b, jaccard, a_in_b, b_in_a, different_reports, near in pairs:
        common = len(shingles[a] & shingles[b])
        assert common > 0 and different_reports and a < b
        assert jaccard == pytest.approx(common / len(shingles[a] | shingles[b]))
        assert a_in_b == pytest.approx(common / len(shingles[a]))
        assert b_in_a == pytest.approx(common / len(shingles[b]))
        assert near == ((a, b) in verified)
    assert verified <= {(a, b) for a, b, *_ in pairs}


def test_most_redundant_pairs_counts_widespread_shingles_exactly() -> None:
    """Pairs are found through rare shingles (or verification) but count EVERY shared shingle.

    Sections s0..s101, one per report, all share shingle 0, found in over 100 sections. a and b
    also share shingle 1; c and d share only shingle 0 (not a candidate: boilerplate); e and f
    share only shingles 0 and 2..9 (in 2 sections each: rare); g and h share only
    shingle 0 but are a verified near-duplicate, so they are listed.
    """
    text = VIEWS_SQL.read_text(encoding="utf-8")
    create = re.search(r"CREATE OR REPLACE VIEW corpus\.most_redundant_pairs AS.*?;\n", text, re.S)
    assert create
    sets: dict[str, set[int]] = {f"s{i}": {0, 1000 + i} for i in range(102)}
    sets |= {"a": {0, 1, 20}, "b": {0, 1, 21, 22}, "c": {0, 30}, "d": {0, 31}}
    sets |= {"e": {0, *range(2, 10)}, "f": {0, *range(2, 10), 40}, "g": {0, 50}, "h": {0, 51}}
    memory = duckdb.connect()
    try:
        memory.execute("CREATE SCHEMA corpus")
        memory.execute(
            "CREATE TABLE corpus.section_shingles (section_id VARCHAR, report_id VARCHAR, "
            "shingle UBIGINT)"
        )
        memory.executemany(
            "INSERT INTO corpus.section_shingles VALUES (?, ?, ?)",
            [(s, f"r_{s}", shingle) for s, shingles in sets.items() for shingle in shingles],
        )
        memory.execute(
            "CREATE TABLE corpus.sections AS SELECT DISTINCT section_id, report_id, "
            "'heading ' || section_id AS heading FROM corpus.section_shingles"
        )
        memory.execute(
            "CREATE TABLE corpus.reports AS SELECT DISTINCT report_id, "
            "report_id || '.md' AS file_name FROM corpus.section_shingles"
        )
        memory.execute(
            "CREATE TABLE corpus.near_duplicate_sections AS "
            "SELECT 'g' AS section_id_a, 'h' AS section_id_b, 1 / 3 AS jaccard"
        )
        memory.execute(create.group(0))
        rows = memory.execute(
            "SELECT section_id_a, section_id_b, n_common_shingles, jaccard, is_near_duplicate "
            "FROM corpus.most_redundant_pairs ORDER BY rank"
        ).fetchall()
    finally:
        memory.close()
    expected = {("a", "b"), ("e", "f"), ("g", "h")}
    assert {(a, b) for a, b, *_ in rows} == expected
    for a, b, common, jaccard, near in rows:
        assert common == len(sets[a] & sets[b])
        assert jaccard == pytest.approx(common / len(sets[a] | sets[b]))
        assert near == ((a, b) == ("g", "h"))
    assert rows[0][:2] == ("e", "f")  # 9 of 10 shingles shared: the most redundant pair


# --------------------------------------------------------------------------- table reference


def documented_columns(readme: str) -> dict[str, dict[str, str]]:
    """`corpus.<name>` → {column: type} from the Markdown tables of sql/README.md.

    A table documents every `corpus.<name>` heading since the previous table (two tables with
    the same columns share one table); a row whose meaning says "(`<name>` only)" documents a
    column of that one only. Tables under other headings (the view index) are ignored.
    """
    documented: dict[str, dict[str, str]] = {}
    pending: list[str] = []  # headings waiting for their table
    current: list[str] = []  # headings the table being read documents
    in_table = False
    for line in readme.splitlines():
        if line.startswith("|"):
            if not in_table:
                in_table, current, pending = True, pending, []
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if cells[0] == "column" or set(cells[0]) <= set("-: "):
                continue
            names = re.findall(r"`(\w+)`", cells[0])
            only = re.search(r"\(`(\w+)` only\)", cells[-1])
            for target in current:
                if only is None or only.group(1) == target:
                    for name in names:
                        documented.setdefault(target, {})[name] = cells[1]
            continue
        in_table = False
        if line.startswith("#"):
            match = re.match(r"^#{2,4} `corpus\.(\w+)`", line)
            pending = [*pending, match.group(1)] if match else []
    return documented


def normalized_type(data_type: str) -> str:
    """DuckDB's information_schema type as the README writes it."""
    return data_type.replace("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ")


def test_readme_documents_every_table_view_and_column(con: duckdb.DuckDBPyConnection) -> None:
    actual: dict[str, dict[str, str]] = {}
    kinds: dict[str, str] = {}
    for name, kind, column, data_type in con.execute(
        """
        SELECT c.table_name, t.table_type, c.column_name, c.data_type
        FROM information_schema.columns c
        JOIN information_schema.tables t USING (table_schema, table_name)
        WHERE c.table_schema = 'corpus'
        ORDER BY c.table_name, c.ordinal_position
        """
    ).fetchall():
        actual.setdefault(name, {})[column] = normalized_type(data_type)
        kinds[name] = kind
    assert "BASE TABLE" in kinds.values() and "VIEW" in kinds.values()
    documented = documented_columns(README.read_text(encoding="utf-8"))
    missing = sorted(set(actual) - set(documented))
    assert not missing, f"sql/README.md documents no column table for: {missing}"
    stale = sorted(set(documented) - set(actual))
    assert not stale, f"sql/README.md documents objects the warehouse lacks: {stale}"
    for name, columns in actual.items():
        assert documented[name] == columns, f"corpus.{name}: README columns/types differ"


def test_readme_lists_every_view_with_its_question() -> None:
    readme = README.read_text(encoding="utf-8")
    for name in view_names():
        assert re.search(rf"^\| `corpus\.{name}` \| \S", readme, flags=re.MULTILINE), name


# --------------------------------------------------------------------------- near-duplicates


@pytest.fixture(scope="module")
def copied_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeds plus a verbatim copy of seed 003 and an empty file, built by `reportscope run`."""
    root = tmp_path_factory.mktemp("copied_build")
    reports = root / "reports"
    shutil.copytree(SEEDS, reports)
    shutil.copyfile(SEEDS / "003_69796a1aaad12780.txt", reports / "005_copy_of_003.md")
    (reports / "006_empty.md").write_bytes(b"")
    env = {
        **os.environ,
        "REPORTS_DIR": str(reports),
        "WAREHOUSE_DIR": str(root / "warehouse"),
        "DAGSTER_HOME": str(root / "dagster_home"),
    }
    done = subprocess.run(
        [str(Path(sys.executable).parent / "reportscope"), "run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return root / "warehouse" / DATABASE


def test_copied_report_shows_up_everywhere(copied_warehouse: Path) -> None:
    con = duckdb.connect(str(copied_warehouse), read_only=True)
    try:
        pairs = con.execute(
            "SELECT file_name_a, file_name_b, heading_a = heading_b, jaccard, is_near_duplicate "
            "FROM corpus.most_redundant_pairs WHERE is_near_duplicate ORDER BY rank"
        ).fetchall()
        verified = con.execute("SELECT count(*) FROM corpus.near_duplicate_sections").fetchone()
        status = con.execute(
            "SELECT status, reason FROM corpus.file_status WHERE file_name = '006_empty.md'"
        ).fetchone()
        novelty = con.execute(
            "SELECT novelty FROM corpus.report_overview WHERE file_name = '005_copy_of_003.md'"
        ).fetchone()
    finally:
        con.close()
    # Seed 003 has 10 sections: each has an identical twin in the copy.
    assert verified is not None
    assert len(pairs) == SECTIONS_PER_SEED["003_69796a1aaad12780.txt"] == verified[0]
    for file_a, file_b, same_heading, jaccard, _ in pairs:
        assert {file_a, file_b} == {"003_69796a1aaad12780.txt", "005_copy_of_003.md"}
        assert same_heading and jaccard == 1.0
    assert status == ("rejected", "empty file (no text)")
    assert novelty == (0.0,)  # the copy arrived last: nothing in it is new
    answer = run_cli(copied_warehouse, SQL_DIR / "queries" / "load_failures.sql")
    assert answer.returncode == 0 and answer.stderr == ""
    first = next(csv.DictReader(io.StringIO(answer.stdout)))
    assert (first["status"], first["file_name"]) == ("rejected", "006_empty.md")


def test_what_is_new_lists_only_sentences_no_earlier_seed_holds(db: Path) -> None:
    done = run_cli(db, SQL_DIR / "queries" / "what_is_new.sql")
    assert done.returncode == 0 and done.stderr == "", done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert len(rows) >= 10
    # The latest seed (by date, then file name) is 004; gold from the files' own text.
    latest = (SEEDS / "004_c37010fbd4496169.txt").read_text(encoding="utf-8").replace("**", "")
    earlier = [
        (SEEDS / name).read_text(encoding="utf-8").replace("**", "")
        for name in SECTIONS_PER_SEED
        if not name.startswith("004")
    ]
    for row in rows:
        assert row["latest_report"] == "004_c37010fbd4496169.txt"
        body = row["sentence"].rstrip(".")
        assert body in latest, row
        assert not any(body in text for text in earlier), row
        assert float(row["pct_seen"]) <= 10
    lengths = [int(row["characters"]) for row in rows]
    assert lengths == sorted(lengths, reverse=True)
