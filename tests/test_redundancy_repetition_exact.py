"""The vectorized Gopher measures equal the per-text reference bit for bit, on every real text."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.corpus_reads import report_texts
from pipelines.reports_folder import ingest_reports
from pipelines.settings import DEFAULT_MAX_REPORT_BYTES
from pipelines.text.redundancy import duplicate_walk, hash_groups, word_stream
from pipelines.text.redundancy import repetition as repetition_module
from pipelines.text.redundancy.gopher import REPETITION_COLUMNS, repetition_measures
from pipelines.text.redundancy.repetition import repetition, section_and_report_repetition
from pipelines.text.tokens import WORD_PATTERN
from tests.conftest import SEEDS, corpus_dir

EDGE_TEXTS = [
    "",
    None,
    "word",
    "   ",
    "\n",
    "\n\n\n",
    " \n \n ",
    "\x1c\nword\n\x1f",  # whitespace to str.strip, not to Rust's trim
    "hello world\nhello world\nbye",
    "alpha beta\n\ngamma\n\nalpha beta",
    "a a a a a a a",
    "a b c d e a b c d e",
    "ab c d e f a bc d e f",  # equal "".join-ed 5-grams from different words
    "the cat the cat the dog",
    "a bbb cc a bbb cc",
    "word " * 5_000,  # one very long line of one repeated word
    " ".join(f"w{i}" for i in range(3_000)),  # a long line where nothing repeats
    "don't stop - don't stop ’tis ’tis x-y x-y -x- -x-",
    "é è ê é è ê é è ê é è ê 東京 東京 東京 東京 東京 東京",
    "\r\n".join(["same line"] * 8),
    "a\u0301 a\u0301 a\u0301 a\u0301 a\u0301 a\u0301",  # combining marks are word characters
    "1 2 3 4 5 6 1 2 3 4 5 6 1 2 3 4 5 6",
]


def reference_rows(texts: list[str | None]) -> pl.DataFrame:
    """`repetition_measures` of every text (null as empty), the per-text reference."""
    column = pl.Series("t", texts, dtype=pl.String).fill_null("")
    words = column.str.extract_all(WORD_PATTERN).to_list()
    rows = [repetition_measures(t, w or []) for t, w in zip(column.to_list(), words, strict=True)]
    return pl.DataFrame(rows, schema=dict.fromkeys(REPETITION_COLUMNS, pl.Float64))


def assert_bitwise_equal(fast: pl.DataFrame, reference: pl.DataFrame) -> None:
    """Every value identical, to the last bit."""
    assert fast.columns == REPETITION_COLUMNS
    assert fast.height == reference.height
    for column in REPETITION_COLUMNS:
        got, want = fast[column].to_numpy(), reference[column].to_numpy()
        assert np.isfinite(got).all(), column
        assert got.view(np.uint64).tolist() == want.view(np.uint64).tolist(), column


def assert_sections_equal_reference(sections: pl.DataFrame) -> None:
    """Both entry points equal the reference on every section and every whole report."""
    reports = report_texts(sections)
    per_report, per_section = section_and_report_repetition(sections)
    assert per_report["report_id"].to_list() == reports["report_id"].to_list()
    assert per_section.select("report_id", "section_id").equals(
        sections.select("report_id", "section_id")
    )
    want_reports = reference_rows(reports["plain_text"].to_list())
    want_sections = reference_rows(sections["plain_text"].to_list())
    assert_bitwise_equal(per_report.drop("report_id"), want_reports)
    assert_bitwise_equal(per_section.drop("report_id", "section_id"), want_sections)
    assert_bitwise_equal(repetition(reports, ["report_id"]).drop("report_id"), want_reports)
    generic = repetition(sections, ["report_id", "section_id"])
    assert_bitwise_equal(generic.drop("report_id", "section_id"), want_sections)


def folder_sections(folder: Path, pattern: str) -> pl.DataFrame:
    """The sections the pipeline extracts from every matching file of a folder."""
    names = sorted(path.name for path in folder.glob(pattern))
    _, sections, rejected = ingest_reports(folder, names, DEFAULT_MAX_REPORT_BYTES, workers=1)
    assert rejected.height == 0
    return sections


def sections_of(reports: list[list[str | None]]) -> pl.DataFrame:
    """A sections frame: report r's texts in order, ordinals listed in reverse input order."""
    rows = [
        {"report_id": f"r{r:02d}", "section_id": f"r{r:02d}-s{s}", "ordinal": s, "plain_text": t}
        for r, texts in enumerate(reports)
        for s, t in enumerate(texts)
    ]
    return pl.DataFrame(rows, schema_overrides={"plain_text": pl.String}).reverse()


def test_seed_reports_equal_the_reference() -> None:
    """Every section and every whole report of the seeds."""
    sections = folder_sections(SEEDS, "*.txt")
    assert sections["report_id"].n_unique() == len(list(SEEDS.glob("*.txt")))
    assert_sections_equal_reference(sections)


def test_shared_corpus_equals_the_reference() -> None:
    """Every section and every whole report of the shared corpus (fails under CI without it)."""
    corpus = corpus_dir()
    sections = folder_sections(corpus, "*.md")
    assert sections["report_id"].n_unique() == len(list(corpus.glob("*.md")))
    assert_sections_equal_reference(sections)


def test_edge_texts_equal_the_reference() -> None:
    """Empty, null, one word, whitespace, one very long line, joined-equal n-grams, Unicode."""
    frame = pl.DataFrame({"id": range(len(EDGE_TEXTS)), "plain_text": EDGE_TEXTS})
    assert_bitwise_equal(repetition(frame, ["id"]).drop("id"), reference_rows(EDGE_TEXTS))
    # The same texts as sections of reports: one alone, then neighbours, then all in one.
    reports = [[t] for t in EDGE_TEXTS] + [EDGE_TEXTS[i : i + 3] for i in range(0, 21, 3)]
    assert_sections_equal_reference(sections_of([*reports, EDGE_TEXTS]))


def test_words_cut_at_section_ends_equal_the_reference() -> None:
    """Connectors and marks at section edges: a report's words are its sections' words."""
    pieces = ["don'", "t", "x-", "-y", "’tis", "a\u0301", "\u0301b", "", None, "\n", "q_"]
    rng = random.Random(3)
    reports = [[rng.choice(pieces) for _ in range(rng.randint(1, 6))] for _ in range(60)]
    assert_sections_equal_reference(sections_of(reports))


def test_empty_frames_give_empty_frames() -> None:
    """No rows in, no rows out, with the same columns."""
    schema = {"report_id": pl.String, "section_id": pl.String, "ordinal": pl.Int64}
    empty = pl.DataFrame(schema={**schema, "plain_text": pl.String})
    per_report, per_section = section_and_report_repetition(empty)
    assert per_report.columns == ["report_id", *REPETITION_COLUMNS]
    assert per_section.columns == ["report_id", "section_id", *REPETITION_COLUMNS]
    assert per_report.height == per_section.height == 0
    assert repetition(empty, ["section_id"]).columns == ["section_id", *REPETITION_COLUMNS]


def test_random_small_vocabulary_reports_equal_the_reference(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Random reports full of ties, overlaps and joined-equal grams, in one and many batches."""
    rng = random.Random(7)
    vocab = ["a", "b", "ab", "c", "bc", "the", "cat", "é", "x-y", "don't", "Ab"]
    seps = [" ", " ", " ", "\n", "\n\n", ", "]

    def text() -> str:
        return "".join(rng.choice(vocab) + rng.choice(seps) for _ in range(rng.randint(0, 60)))

    sections = sections_of([[text() for _ in range(rng.randint(1, 5))] for _ in range(150)])
    assert_sections_equal_reference(sections)
    monkeypatch.setattr(repetition_module, "_BATCH_CHARS", 2_000)
    assert_sections_equal_reference(sections)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.text(alphabet="ab -'’\n\u0301", max_size=30), min_size=1), min_size=1))
def test_arbitrary_sections_equal_the_reference(reports: list[list[str]]) -> None:
    """Any small reports over an alphabet of words, connectors, marks and newlines."""
    assert_sections_equal_reference(sections_of(reports))


def test_hash_collisions_are_resolved_exactly() -> None:
    """Rows whose keys all collide are still grouped by their exact items."""
    rows = np.arange(8, dtype=np.int64)
    items = ["x", "y", "x", "z", "y", "x", "w", "z"]
    column = np.array([hash(item) for item in items])
    keys = np.zeros(len(rows), dtype=np.uint64)  # every key collides
    members, groups = hash_groups.exact_groups(keys, rows, [column], lambda r: items[r])
    found = sorted([int(r) for r in members[groups == g]] for g in np.unique(groups).tolist())
    assert found == [[0, 2, 5], [1, 4], [3, 7]]
    # Columns that differ for equal items (words of one joined n-gram): the exact key decides.
    members, groups = hash_groups.exact_groups(
        np.zeros(4, dtype=np.uint64), np.arange(4), [np.arange(4)], lambda r: "aaba"[r]
    )
    assert members.tolist() == [0, 1, 3]
    assert groups.tolist() == [0, 0, 0]


def test_byte_hashes_of_short_and_long_words() -> None:
    """The polynomial byte hash of a word (and _BASE ** its length), hashed in one or pieces."""
    words = ["a", "héllo", "x" * 64, "y" * 65, "ab" * 70_000, "é" * 40_000]
    n_bytes = np.array([len(word.encode()) for word in words])
    hashes, steps = word_stream._byte_hashes(words, n_bytes)
    base, modulus = word_stream._BASE, 1 << 64
    for word, got_hash, got_step in zip(words, hashes.tolist(), steps.tolist(), strict=True):
        raw, want = word.encode(), 0
        for byte in reversed(raw):  # Horner: sum of byte k * base**k
            want = (want * base + byte) % modulus
        assert (got_hash, got_step) == (want, pow(base, len(raw), modulus))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(0, 5), min_size=0, max_size=80),
    st.integers(2, 10),
    st.lists(st.integers(1, 40), min_size=1, max_size=4),
)
def test_vectorized_walk_equals_the_row_by_row_walk(
    grams: list[int], n: int, lengths: list[int]
) -> None:
    """`counted_rows` (greedy chain + row-by-row where a first row is skipped) == the walk."""
    ends = np.cumsum(lengths)
    doc = np.repeat(np.arange(len(lengths)), lengths)
    # A gram starts where its n words lie in one text; equal grams of one text repeat.
    items = {
        r: (int(doc[r]), gram) for r, gram in enumerate(grams[: len(doc)]) if r + n <= ends[doc[r]]
    }
    repeated = sorted(r for r, item in items.items() if list(items.values()).count(item) > 1)
    ids = {item: i for i, item in enumerate(dict.fromkeys(items[r] for r in repeated))}
    rows = np.array(sorted(repeated, key=lambda r: (ids[items[r]], r)), dtype=np.int64)
    group = np.array([ids[items[r]] for r in rows.tolist()], dtype=np.int64)
    got = duplicate_walk.counted_rows(rows, group, doc, n).tolist()
    assert got == duplicate_walk._walk(repeated, [ids[items[r]] for r in repeated], n, len(ids))
