"""corpus.sentence_novelty: sentences cut by the documented rule, shaded by what earlier reports said.

Gold comes from the seed files' own text: a sentence is expected "seen" when an earlier seed's
file contains it word for word, and its first report is the earliest such seed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from pipelines import sentence_store
from pipelines.reports_folder import ingest_reports
from pipelines.text.redundancy.sentence_novelty import sentences_and_shingles
from pipelines.text.redundancy.shingles import section_shingles
from pipelines.text.sentences import split_sentences
from pipelines.warehouse import Warehouse
from tests.conftest import SEEDS
from tests.sentence_warehouse import land_reports

SEED_NAMES = sorted(p.name for p in SEEDS.iterdir())
# A paragraph written for these tests: none of its wording is in any seed.
NEW_PARAGRAPH = (
    "Quokka herders on remote islands rarely debate gradient clipping over breakfast. "
    "A lighthouse keeper catalogued seventeen varieties of coastal fog during one winter. "
    "Neither observation has anything to do with language models, which is the point here."
)


def one_section(text: str) -> pl.DataFrame:
    """A single section holding `text` as its plain text."""
    return pl.DataFrame({"report_id": ["r"], "section_id": ["r:0001"], "plain_text": [text]})


def test_sentences_are_cut_after_end_marks_before_a_non_lowercase_start() -> None:
    text = (
        "Heading Of A Section.\nGPT-4 is large. It was trained on e.g. the web, vs. older ones! "
        'Why? "Quoted end." Next one (see 3.5) ends here.'
    )
    got = split_sentences(one_section(text))
    assert got["text"].to_list() == [
        "Heading Of A Section.",
        "GPT-4 is large.",
        "It was trained on e.g. the web, vs. older ones!",
        "Why?",
        '"Quoted end."',
        "Next one (see 3.5) ends here.",
    ]
    assert got["sentence_no"].to_list() == [1, 2, 3, 4, 5, 6]
    assert got["paragraph_no"].to_list() == [0, 1, 1, 1, 1, 1]


def test_blank_lines_and_empty_sections_make_no_sentence() -> None:
    assert split_sentences(one_section("\n  \n")).height == 0
    assert split_sentences(one_section("One.\n\nTwo.")).select("paragraph_no", "text").rows() == [
        (0, "One."),
        (2, "Two."),
    ]


def test_sentence_shingles_are_a_subset_of_their_sections_on_every_seed() -> None:
    _, sections, _ = ingest_reports(SEEDS, SEED_NAMES, 10**8)
    sentences, shingles = sentences_and_shingles(sections)
    stored = section_shingles(sections)
    missing = shingles.join(stored, on=["section_id", "shingle"], how="anti")
    assert shingles.height > 1000 and missing.height == 0
    # A sentence of n >= 5 words has at most n - 4 distinct shingles; shorter ones have none.
    words = sentences.with_columns(
        n=pl.col("text").str.count_matches(r"[\p{L}\p{N}_]+(?:['’\-][\p{L}\p{N}_]+)*")
    )
    counts = shingles.group_by("report_id", "section_id", "sentence_no").len()
    checked = words.join(counts, on=["report_id", "section_id", "sentence_no"], how="left")
    assert (
        checked.filter(pl.col("n") < 5)["len"].null_count()
        == checked.filter(pl.col("n") < 5).height
    )
    assert (
        checked.filter(pl.col("n") >= 5)["len"] <= checked.filter(pl.col("n") >= 5)["n"] - 4
    ).all()


def seed_section(name: str, first_line: str, last_line: str) -> str:
    """The lines of a seed file from `first_line` up to (not including) `last_line`."""
    text = (SEEDS / name).read_text(encoding="utf-8")
    start = text.index(first_line)
    return text[start : text.index(last_line, start)].strip()


def expected_first(sentence: str, earlier: list[str]) -> str | None:
    """The earliest of `earlier` seed files whose text (bold marks dropped) holds the sentence."""
    body = sentence.rstrip(".")
    for name in earlier:
        if body in (SEEDS / name).read_text(encoding="utf-8").replace("**", ""):
            return name
    return None


@pytest.fixture
def store(tmp_path: Path) -> Warehouse:
    """A warehouse holding the five seeds, arriving in file-name order."""
    warehouse = Warehouse(tmp_path / "warehouse")
    land_reports(warehouse, SEEDS, SEED_NAMES, first_day=0)
    return warehouse


def test_composite_report_shades_the_seeds_sentences_seen_and_its_own_paragraph_new(
    store: Warehouse, tmp_path: Path
) -> None:
    part_000 = seed_section(
        "000_87c5db0444f7b29d.txt",
        "**Transformers-based LLMs**",
        "**Pre-training and Fine-tuning**",
    )
    part_001 = seed_section(
        "001_dcc2aed8c26ea6dd.txt", "## Edge AI and Federated Learning", "## Explainability"
    )
    folder = tmp_path / "later"
    folder.mkdir()
    text = f"# A Composite Report\n\n{part_000}\n\n{part_001}\n\n## Our Own Findings\n\n{NEW_PARAGRAPH}\n"
    (folder / "zz_composite.md").write_text(text, encoding="utf-8")
    landed = land_reports(store, folder, ["zz_composite.md"], first_day=10)
    ids = dict(store.read("SELECT report_id, file_name FROM corpus.reports").iter_rows())
    rows = sentence_store.compute(store, landed["report_id"].to_list())

    new = [s.strip() + ("" if s.endswith(".") else ".") for s in NEW_PARAGRAPH.split(". ")]
    checked_seen = checked_new = 0
    for row in rows.filter(pl.col("n_shingles") > 0).iter_rows(named=True):
        if row["text"] in new:
            assert row["seen_share"] <= 0.1 and row["first_report_id"] is None, row
            checked_new += 1
            continue
        first = expected_first(row["text"], SEED_NAMES)
        assert first is not None, row["text"]  # every other sentence is a seed's
        assert row["seen_share"] >= 0.9, row
        assert ids[row["first_report_id"]] == first, row
        checked_seen += 1
    assert checked_new == 3
    # 000's "Transformers" and "Large-Scale" sections: 3 + 3 sentences; 001's edge AI section:
    # 2 sentences, its sub-heading and 2 list items.
    assert checked_seen >= 10
    firsts = {ids[r] for r in rows["first_report_id"].drop_nulls()}
    assert {"000_87c5db0444f7b29d.txt", "001_dcc2aed8c26ea6dd.txt"} <= firsts
    short = rows.filter(pl.col("n_shingles") == 0)
    assert short.height > 0 and short["seen_share"].null_count() == short.height
    assert short["first_report_id"].null_count() == short.height


def test_later_copy_of_seed_004_is_entirely_seen(store: Warehouse, tmp_path: Path) -> None:
    folder = tmp_path / "later"
    folder.mkdir()
    shutil.copy(SEEDS / "004_c37010fbd4496169.txt", folder / "zz_copy_of_004.txt")
    landed = land_reports(store, folder, ["zz_copy_of_004.txt"], first_day=10)
    ids = dict(store.read("SELECT report_id, file_name FROM corpus.reports").iter_rows())
    rows = sentence_store.compute(store, landed["report_id"].to_list())
    with_shingles = rows.filter(pl.col("n_shingles") > 0)
    assert with_shingles.height >= 30
    assert (with_shingles["seen_share"] == 1.0).all()
    for row in with_shingles.iter_rows(named=True):
        assert ids[row["first_report_id"]] == expected_first(row["text"], SEED_NAMES), row


def test_the_first_report_has_nothing_seen_and_earlier_rows_ignore_later_reports(
    store: Warehouse,
) -> None:
    ids = dict(store.read("SELECT file_name, report_id FROM corpus.reports").iter_rows())
    first = sentence_store.compute(store, [ids["000_87c5db0444f7b29d.txt"]])
    assert first.height > 30
    assert first.filter(pl.col("n_shingles") > 0)["seen_share"].max() == 0.0
    assert first["first_report_id"].null_count() == first.height


def test_first_report_is_the_earlier_report_holding_most_ties_to_the_earliest(
    tmp_path: Path,
) -> None:
    words = [
        "alpha",
        "beta",
        "gamma",
        "delta",
        "epsilon",
        "zeta",
        "eta",
        "theta",
        "iota",
        "kappa",
        "lambda",
        "mu",
        "nu",
    ]
    folder = tmp_path / "reports"
    folder.mkdir()
    texts = {
        "a.md": " ".join(words[:8]) + ".",  # said first: the first 4 shingles
        "b.md": " ".join(words) + ".",  # all 9 shingles, the last 5 said first here
        "c.md": " ".join(words) + ".",  # B again: A holds 4 of 9, B holds 9
        "d.md": " ".join(words[:8]) + ".",  # A's sentence: A and B hold all 4 (tie)
    }
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
    store = Warehouse(tmp_path / "warehouse")
    landed = land_reports(store, folder, list(texts), first_day=0)
    ids = dict(landed.select("file_name", "report_id").iter_rows())
    names = {v: k for k, v in ids.items()}
    rows = sentence_store.compute(store, [ids["b.md"], ids["c.md"], ids["d.md"]])
    got = {names[r["report_id"]]: r for r in rows.iter_rows(named=True)}
    assert (got["b.md"]["n_shingles"], got["b.md"]["n_shingles_seen"]) == (9, 4)
    assert names[got["b.md"]["first_report_id"]] == "a.md"
    assert got["c.md"]["seen_share"] == 1.0 and names[got["c.md"]["first_report_id"]] == "b.md"
    assert got["d.md"]["seen_share"] == 1.0 and names[got["d.md"]["first_report_id"]] == "a.md"
