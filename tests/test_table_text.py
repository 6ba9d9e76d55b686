"""Table cells count for topics, similarity and phrases; readability keeps reading the prose.

Gold comes from the fixture reports below, read by hand.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipelines.corpus_reads import read_section_texts, read_sections
from pipelines.reports_folder import ingest_reports
from pipelines.similarity_store import SECTIONS_OF_KEYS
from pipelines.text.redundancy.phrases import frequent_phrases
from pipelines.text.repair import repair
from pipelines.text.sections import extract_sections, sections_frame
from pipelines.text.topics.assign import assign_topics
from pipelines.text.topics.taxonomy import load_taxonomy
from pipelines.warehouse import SCHEMA, Warehouse
from tests.conftest import corpus_dir

# Section 2's only words of the efficiency topic (quantization, pruning, distillation,
# energy) sit in its table; its heading and prose name no taxonomy term.
FINDINGS = """# Quarterly Findings

## 1. Scope

We looked at four vendors over the quarter.

## 2. Results

The numbers are below.

| Vendor | Technique | Gain |
|---|---|---|
| Acme | 4-bit quantization | 3x |
| Borealis | structured pruning | 2x |
| Cobalt | knowledge distillation | 2x |
| Dune | energy capping | 1.5x |

That is all.
"""
# Another report repeating one row's wording, in a table too.
ECHO = """# Echo

## Summary

| Vendor | Technique |
|---|---|
| Acme | 4-bit quantization |
"""


def test_table_cells_are_kept_apart_from_the_prose() -> None:
    results = extract_sections(FINDINGS).sections[1]
    assert results.heading == "Results"
    assert results.plain_text == "2. Results.\nThe numbers are below.\nThat is all."
    assert results.table_text == (
        "Vendor | Technique | Gain\n"
        "Acme | 4-bit quantization | 3x\n"
        "Borealis | structured pruning | 2x\n"
        "Cobalt | knowledge distillation | 2x\n"
        "Dune | energy capping | 1.5x"
    )


def test_section_word_counts_include_table_words() -> None:
    frame = sections_frame("r", extract_sections(FINDINGS))
    # Scope: `1. Scope.` (2) + 8. Results: `2. Results.` (2) + 4 + 3 of prose; cells: 3 + 4 + 4
    # + 4 + 5 (`4-bit` is one word, `1.5x` two: `1`, `5x`) = 20.
    assert frame["n_words"].to_list() == [10, 29]


@pytest.fixture
def store(tmp_path: Path) -> Warehouse:
    """A warehouse holding the two fixture reports, landed by the real ingest."""
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "findings.md").write_text(FINDINGS, encoding="utf-8")
    (folder / "echo.md").write_text(ECHO, encoding="utf-8")
    reports, sections, _ = ingest_reports(folder, ["echo.md", "findings.md"], 1 << 20, workers=1)
    warehouse = Warehouse(tmp_path / "warehouse")
    ids = reports["report_id"].to_list()
    warehouse.replace_many([("reports", reports, "report_id", ids)])
    warehouse.replace_many([("sections", sections, "report_id", ids)])
    return warehouse


def results_section(frame: pl.DataFrame) -> dict[str, object]:
    """The row of FINDINGS' `Results` section."""
    return frame.filter(pl.col("heading") == "Results").row(0, named=True)


def test_a_topic_named_only_in_a_table_is_assigned(store: Warehouse) -> None:
    sections = read_sections(store)
    topics = assign_topics(sections, load_taxonomy())
    section_id = results_section(sections)["section_id"]
    assigned = topics.filter(pl.col("section_id") == section_id)
    assert assigned["topic_id"].to_list() == ["efficiency_sustainability"]
    prose = read_sections(store, with_prose=True).with_columns(plain_text=pl.col("prose_text"))
    assert (
        assign_topics(prose, load_taxonomy()).filter(pl.col("section_id") == section_id).is_empty()
    )


def test_readability_reads_the_prose_alone(store: Warehouse) -> None:
    row = results_section(read_sections(store, with_prose=True))
    assert row["prose_text"] == "2. Results.\nThe numbers are below.\nThat is all."
    assert "quantization" in row["plain_text"]


def test_similarity_and_phrase_reads_see_table_words(store: Warehouse) -> None:
    ids = store.read(f"SELECT report_id FROM {SCHEMA}.reports")["report_id"].to_list()
    similarity_text = "\n".join(store.read(SECTIONS_OF_KEYS, keys=ids)["plain_text"])
    assert "structured pruning" in similarity_text
    texts = read_section_texts(store, ids)
    assert "knowledge distillation" in "\n".join(texts["plain_text"])
    phrases = frequent_phrases(texts, n_min=3, n_max=3, min_reports=2)["phrase"].to_list()
    assert "acme 4-bit quantization" in phrases  # a table row both reports share


def test_a_real_reports_findings_table_lands_in_table_text() -> None:
    text = repair((corpus_dir() / "report_063.md").read_bytes()).text
    analysis = extract_sections(text).sections[1]
    assert analysis.heading == "Real-time Analysis of Current Resource Data and Anomalies"
    rows = analysis.table_text.split("\n")
    assert (
        rows[0]
        == "Resource | Current Level | Consumption Rate | Anomaly Detected? | Anomaly Description"
    )
    assert [row.split(" | ")[0] for row in rows[1:]] == ["Oxygen", "Power", "Fuel", "Bandwidth"]
    assert "Oxygen" not in analysis.plain_text
