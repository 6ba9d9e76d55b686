"""Tests of pipelines.text.redundancy: shingles, MinHash LSH, pairs, novelty, phrases, TF-IDF."""

from __future__ import annotations

import math
import random
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from pipelines.text.redundancy.hashing import stable_word_hash
from pipelines.text.redundancy.minhash import (
    LSH_WEIGHTS,
    MinhashConfig,
    choose_bands,
    lsh_band_keys,
    minhash_signatures,
)
from pipelines.text.redundancy.near_duplicates import (
    candidate_pairs,
    exact_all_pairs,
    near_duplicate_pairs,
    verify_pairs,
)
from pipelines.text.redundancy.novelty import report_novelty
from pipelines.text.redundancy.phrase_counts import add_counts, candidate_mismatches, count_phrases
from pipelines.text.redundancy.phrases import (
    frequent_phrases,
    rank_phrases,
    repeated_phrases,
)
from pipelines.text.redundancy.shingles import section_shingles
from pipelines.text.redundancy.tfidf import report_similarity
from pipelines.text.stopwords import ENGLISH_STOP_WORDS
from tests.conftest import corpus_dir

SEED_004 = Path(__file__).resolve().parents[1] / "seeds" / "004_c37010fbd4496169.txt"
MASK = (1 << 64) - 1


def sections_frame(report_id: str, texts: list[str], prefix: str) -> pl.DataFrame:
    """A sections frame for one report."""
    return pl.DataFrame(
        {
            "report_id": [report_id] * len(texts),
            "section_id": [f"{prefix}{i:03d}" for i in range(len(texts))],
            "ordinal": list(range(len(texts))),
            "heading": [""] * len(texts),
            "markdown": texts,
            "plain_text": texts,
        }
    )


def all_seed_paragraphs() -> list[str]:
    """The paragraphs of every seed report with at least 8 words."""
    return [
        p.strip()
        for path in sorted(SEED_004.parent.glob("*.txt"))
        for p in re.split(r"\n\s*\n", path.read_text(encoding="utf-8"))
        if len(p.split()) >= 8
    ]


def seed_paragraphs() -> list[str]:
    """Seed 004 split on blank lines."""
    text = SEED_004.read_text(encoding="utf-8")
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


# --- 2. Stable shingles -----------------------------------------------------------------------


def _splitmix64(x: int) -> int:
    """Pure-Python splitmix64 finalizer (independent of numpy)."""
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & MASK
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def test_shingle_hashes_are_stable() -> None:
    """Hard-coded values: blake2b word hashes, polynomial combine, splitmix64."""
    assert stable_word_hash("fox") == 13218999603221225746
    frame = pl.DataFrame(
        {
            "section_id": ["s1", "s2"],
            "report_id": ["r", "r"],
            "plain_text": ["The quick brown fox jumps over the lazy dog", "Hello, world"],
        }
    )
    first = section_shingles(frame)
    assert first["shingle"].dtype == pl.UInt64
    assert first["shingle"].to_list() == [
        12327514169205513661,  # the quick brown fox jumps
        17876429348876310839,  # quick brown fox jumps over
        4613693428282416105,  # brown fox jumps over the
        14779993504710511063,  # fox jumps over the lazy
        12836930240501206835,  # jumps over the lazy dog
        11981956318901255830,  # "hello world": 2 words < k, one shingle of both
    ]
    # The same formula in plain Python ints: h = ((w0*M + w1)*M + ...) mod 2^64, splitmix64.
    h = 0
    for word in ["the", "quick", "brown", "fox", "jumps"]:
        h = (h * 0x9E3779B97F4A7C15 + stable_word_hash(word)) & MASK
    assert _splitmix64(h) == 12327514169205513661
    assert section_shingles(frame).equals(first)


def test_shingles_distinct_per_section_and_short_sections_kept() -> None:
    """A repeated 5-gram is listed once; a 1-word section has one shingle; empty has none."""
    frame = pl.DataFrame(
        {
            "section_id": ["a", "b", "c"],
            "report_id": ["r", "r", "r"],
            "plain_text": ["x y z w v x y z w v", "solo", "  "],
        }
    )
    shingles = section_shingles(frame)
    # "x y z w v x y z w v": 6 windows, distinct ones: xyzwv, yzwvx, zwvxy, wvxyz, vxyzw.
    assert shingles.filter(pl.col("section_id") == "a").height == 5
    assert shingles.filter(pl.col("section_id") == "b").height == 1
    assert shingles.filter(pl.col("section_id") == "c").height == 0
    assert shingles.columns == ["section_id", "report_id", "shingle"]


# --- 3. MinHash + LSH -------------------------------------------------------------------------


def copied_seed() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Seed 004 as report A and an exact copy as report B; returns (sections, shingles)."""
    paragraphs = seed_paragraphs()
    sections = pl.concat(
        [sections_frame("A", paragraphs, "a"), sections_frame("B", paragraphs, "b")]
    )
    return sections, section_shingles(sections)


def test_lsh_finds_every_copied_paragraph_with_jaccard_one() -> None:
    """Each paragraph of seed 004 and its copy under another report: found, Jaccard 1.0."""
    sections, shingles = copied_seed()
    section_report = sections.select("section_id", "report_id")
    bands, rows = choose_bands(0.5, 128)
    ids, signatures = minhash_signatures(shingles, 128)
    assert signatures.shape == (sections.height, 128)
    keys = lsh_band_keys(ids, signatures, bands, rows)
    assert keys.schema == {"section_id": pl.String, "band": pl.Int32, "band_key": pl.UInt64}
    verified = verify_pairs(candidate_pairs(keys, section_report), shingles, 0.5)
    n = len(seed_paragraphs())
    expected = {(f"a{i:03d}", f"b{i:03d}") for i in range(n)}
    diagonal = verified.filter(
        pl.col("section_id_a").str.slice(1) == pl.col("section_id_b").str.slice(1)
    )
    assert set(diagonal.select("section_id_a", "section_id_b").iter_rows()) == expected
    assert diagonal["jaccard"].to_list() == [1.0] * n
    assert diagonal["containment_a_in_b"].to_list() == [1.0] * n
    exact = exact_all_pairs(shingles, section_report, 0.5)
    assert exact.equals(verified)  # recall 1 here


def test_candidates_never_pair_sections_of_one_report() -> None:
    """Identical sections inside one report are not candidates; across reports they are."""
    text = "the same paragraph appears twice in this report and once elsewhere today"
    sections = pl.concat(
        [sections_frame("R1", [text, text], "x"), sections_frame("R2", [text], "y")]
    )
    shingles = section_shingles(sections)
    ids, signatures = minhash_signatures(shingles, 64)
    keys = lsh_band_keys(ids, signatures, 16, 4)
    candidates = candidate_pairs(keys, sections.select("section_id", "report_id"))
    assert set(candidates.iter_rows()) == {("x000", "y000"), ("x001", "y000")}
    reports = dict(sections.select("section_id", "report_id").iter_rows())
    assert all(reports[a] != reports[b] and a < b for a, b in candidates.iter_rows())


def test_verify_pairs_hand_computed() -> None:
    """A = {1,2,3,4}, B = {3,4,5}: 2 common, 5 in the union."""
    shingles = pl.DataFrame(
        {
            "section_id": ["a"] * 4 + ["b"] * 3,
            "shingle": pl.Series([1, 2, 3, 4, 3, 4, 5], dtype=pl.UInt64),
        }
    )
    pairs = pl.DataFrame({"section_id_a": ["a"], "section_id_b": ["b"]})
    row = verify_pairs(pairs, shingles, 0.0).row(0, named=True)
    # Jaccard 2/5, containment of A in B 2/4, of B in A 2/3.
    assert row["jaccard"] == pytest.approx(0.4)
    assert row["containment_a_in_b"] == pytest.approx(0.5)
    assert row["containment_b_in_a"] == pytest.approx(2 / 3)
    assert verify_pairs(pairs, shingles, 0.41).height == 0


def test_signatures_and_bands_match_datasketch() -> None:
    """Bit-identical signatures (both schemes) and the same (bands, rows) as datasketch."""
    datasketch = pytest.importorskip("datasketch")
    from datasketch.lsh import _optimal_param

    rng = np.random.default_rng(0)
    values = rng.integers(0, 2**64, size=200, dtype=np.uint64)
    shingles = pl.DataFrame(
        {"section_id": ["s"] * 120 + ["t"] * 80, "shingle": pl.Series(values, dtype=pl.UInt64)}
    )

    def fold(data: bytes) -> int:
        """Our 32-bit fold of an 8-byte shingle."""
        x = int.from_bytes(data, "little")
        return (x ^ (x >> 32)) & 0xFFFFFFFF

    for scheme in ("affine32", "legacy"):
        ids, signatures = minhash_signatures(shingles, 64, seed=5, scheme=scheme)
        for row, (_, chunk) in enumerate([("s", values[:120]), ("t", values[120:])]):
            minhash = datasketch.MinHash(num_perm=64, seed=5, scheme=scheme, hashfunc=fold)
            minhash.update_batch([int(v).to_bytes(8, "little") for v in chunk])
            assert np.array_equal(minhash.hashvalues.astype(np.uint64), signatures[row])
        assert ids == ["s", "t"]
    for num_perm in (32, 128):
        for threshold in (0.3, 0.5, 0.8):
            for weights in ((0.5, 0.5), LSH_WEIGHTS):
                assert choose_bands(threshold, num_perm, *weights) == _optimal_param(
                    threshold, num_perm, *weights
                )


def test_minhash_config_banding_is_the_pipeline_choice() -> None:
    """The default family bands as choose_bands with LSH_WEIGHTS: 32 bands x 4 rows at 0.5."""
    assert MinhashConfig().banding == choose_bands(0.5, 128, *LSH_WEIGHTS) == (32, 4)
    assert MinhashConfig(threshold=0.8, num_perm=64).banding == choose_bands(0.8, 64, *LSH_WEIGHTS)


def test_benchmark_pairs_agree_with_datasketch() -> None:
    """compare_with_datasketch: with datasketch's own scheme, the same candidate pairs."""
    pytest.importorskip("datasketch")
    from pipelines.bench.minhash_bench import (
        compare_with_datasketch,
        lsh_recall,
        synthetic_sections,
    )

    shingles = section_shingles(synthetic_sections(400, seed=3))
    config = MinhashConfig(threshold=0.5, num_perm=64, scheme="affine32")
    result = compare_with_datasketch(shingles, config)
    assert result["pairs_ours"] == result["pairs_datasketch"] == result["pairs_in_both"] > 0
    for scheme in ("affine32", "oph"):
        recall = lsh_recall(shingles, MinhashConfig(num_perm=64, scheme=scheme), None)
        assert recall["pairs_exact"] > 0
        assert recall["recall"] >= 0.9


def test_benchmark_against_rensa_times_both_and_finds_the_exact_pairs() -> None:
    """compare_with_rensa and lsh_recall(rensa=True): both LSHs find the exact pairs >= 0.5."""
    pytest.importorskip("rensa")
    from pipelines.bench.minhash_bench import lsh_recall, synthetic_sections
    from pipelines.bench.rensa_bench import compare_with_rensa

    shingles = section_shingles(synthetic_sections(600, seed=4))
    result = compare_with_rensa(shingles, repeats=1)
    assert (result["bands"], result["rows"], result["rensa_rows"]) == (32, 4, 4)
    assert result["ours_s"] > 0 and result["rensa_s"] > 0 and result["signatures_ours_s"] > 0
    assert result["pairs_in_both"] > 0
    recall = lsh_recall(shingles, sample_reports=None, rensa=True)
    assert recall["pairs_exact"] > 0
    assert recall["recall"] >= 0.9 and recall["recall_rensa"] >= 0.9


# --- 4. Novelty -------------------------------------------------------------------------------


def test_novelty_copy_is_zero_disjoint_is_one() -> None:
    """A later exact copy has novelty 0 (all sections seen); a disjoint report has novelty 1."""
    paragraphs = seed_paragraphs()
    other = [
        "completely unrelated words about gardening tomatoes and watering schedules weekly",
        "another fresh paragraph on bicycle repair chains gears and brake pads",
    ]
    sections = pl.concat(
        [
            sections_frame("A", paragraphs, "a"),
            sections_frame("B", paragraphs, "b"),
            sections_frame("C", other, "c"),
        ]
    )
    shingles = section_shingles(sections)
    pairs = near_duplicate_pairs(shingles, threshold=0.8)
    arrival = pl.DataFrame({"report_id": ["A", "B", "C"], "arrival_rank": [1, 2, 3]})
    out = report_novelty(shingles, arrival, pairs, sections.select("section_id", "report_id"))
    rows = {row["report_id"]: row for row in out.iter_rows(named=True)}
    assert rows["A"]["novelty"] == 1.0 and rows["A"]["section_share_seen"] == 0.0
    assert rows["B"]["novelty"] == 0.0
    assert rows["B"]["shingle_share_seen"] == 1.0
    assert rows["B"]["section_share_seen"] == 1.0
    assert rows["C"]["novelty"] == 1.0 and rows["C"]["section_share_seen"] == 0.0
    # Reversed arrival: B is now the original and A the copy.
    arrival = pl.DataFrame({"report_id": ["A", "B", "C"], "arrival_rank": [2, 1, 3]})
    out = report_novelty(shingles.select("report_id", "shingle"), arrival)
    assert dict(out.select("report_id", "novelty").iter_rows()) == {"A": 0.0, "B": 1.0, "C": 1.0}
    assert out["section_share_seen"].null_count() == 3  # no pairs given


# --- 5. Repeated phrases ----------------------------------------------------------------------


def test_repeated_phrases_finds_planted_phrase() -> None:
    """A 5-word phrase planted in 3 of 4 reports comes out once, maximal, n_reports == 3."""
    planted = "quarterly synergy roadmap deliverables alignment"
    frames = []
    for i in range(4):
        filler = [f"r{i}w{j}" for j in range(12)]
        words = [*filler[:6], *(planted.split() if i < 3 else []), *filler[6:]]
        # A stopword-only phrase in every report must never be reported.
        words += ["of", "the", "and", "of", "the", f"r{i}end"]
        frames.append(sections_frame(f"R{i}", [" ".join(words)], f"s{i}"))
    phrases = repeated_phrases(pl.concat(frames))
    assert phrases.columns == [
        "phrase",
        "n",
        "n_reports",
        "n_occurrences",
        "expected_reports",
        "score",
        "example_report_id",
        "example_section_id",
    ]
    assert phrases.height == 1  # sub-phrases of the planted one have the same count: dropped
    row = phrases.row(0, named=True)
    assert row["phrase"] == planted
    assert (row["n"], row["n_reports"], row["n_occurrences"]) == (5, 3, 3)
    assert (row["example_report_id"], row["example_section_id"]) == ("R0", "s0000")
    # By hand: N = 4 reports, T = 4 x 18 + 3 x 5 = 87 words, each planted word occurs 3 times.
    # E = N (1 - exp(-T q^5 / N)) with q = 3 / 87; score = O ln(O / E) with O = 3.
    expected = 4 * (1 - math.exp(-87 * (3 / 87) ** 5 / 4))
    assert row["expected_reports"] == pytest.approx(expected, rel=1e-9)
    assert row["score"] == pytest.approx(3 * math.log(3 / expected), rel=1e-9)


def test_repeated_phrases_accepts_word_frame() -> None:
    """A word frame gives the same result as the sections frame."""
    from pipelines.text.tokens import word_frame

    sections = pl.concat(
        [sections_frame(f"R{i}", ["alpha beta gamma delta " + f"x{i}"], f"s{i}") for i in range(3)]
    )
    words = word_frame(sections, ["section_id", "report_id"])
    assert repeated_phrases(words).equals(repeated_phrases(sections))
    assert repeated_phrases(sections)["phrase"].to_list() == ["alpha beta gamma delta"]


PLANTED_SENTENCE = "This report was compiled by the autonomous research crew under protocol seven."


def test_a_sentence_planted_in_30_percent_of_reports_ranks_first() -> None:
    """40 reports of 8 seed paragraphs each (every paragraph in ~4.5 reports, while stock
    phrases like "of ai llms" are in almost all): the sentence pasted into 12 of them is the
    top phrase. Ranked by report count instead, "of ai llms" (37 reports) would be."""
    paragraphs = all_seed_paragraphs()
    rng = random.Random(16)
    frames = []
    planted = set()
    for r in range(40):
        chosen = rng.sample(paragraphs, 8)
        if r % 10 < 3:
            k = rng.randrange(len(chosen))
            chosen[k] = f"{chosen[k]} {PLANTED_SENTENCE}"
            planted.add(f"R{r:02d}")
        frames.append(sections_frame(f"R{r:02d}", chosen, f"r{r:02d}s"))
    assert len(planted) == 12
    phrases = repeated_phrases(pl.concat(frames), top=20)
    top = phrases.row(0, named=True)
    sentence = " ".join(re.findall(r"\w+", PLANTED_SENTENCE.lower()))
    assert top["phrase"] in sentence and top["n"] >= 5, phrases
    assert top["n_reports"] == 12
    assert top["score"] > phrases["score"][1]
    # The other windows of the sentence continue the first one: they are not listed again.
    assert sum(p in sentence for p in phrases["phrase"]) == 1


def _content_words(phrase: str) -> int:
    """Words of `phrase` that are neither a scikit-learn English stopword nor a number."""
    return sum(
        word not in ENGLISH_STOP_WORDS and not re.fullmatch(r"[\d_\-'’]+", word)
        for word in phrase.split(" ")
    )


def test_corpus_top_phrases_are_not_plain_english() -> None:
    """On ../shared/corpus: each of the top 20 phrases has two or more content words; the
    English collocations that led the report-count ranking are gone."""
    from pipelines.report_files import list_report_files, report_id
    from pipelines.text.repair import repair
    from pipelines.text.sections import extract_sections

    folder = corpus_dir()
    rows = []
    for listed in list_report_files(folder):
        repaired = repair((folder / listed.name).read_bytes())
        rid = report_id(listed.name)
        for section in extract_sections(repaired.text, repaired.first_line).sections:
            rows.append((rid, f"{rid}:{section.ordinal:03d}", section.plain_text))
    sections = pl.DataFrame(rows, schema=["report_id", "section_id", "plain_text"], orient="row")
    assert sections["report_id"].n_unique() == 20
    top = repeated_phrases(sections, top=20)
    assert top.height == 20
    assert all(_content_words(phrase) >= 2 for phrase in top["phrase"]), top
    assert not {"the development of", "the use of", "has led to", "is crucial for"} & set(
        top["phrase"]
    )
    assert top["score"].is_sorted(descending=True)
    assert (top["n_reports"] >= 2).all()
    assert (top["expected_reports"] < top["n_reports"]).all()


def test_incremental_phrase_counts_equal_a_full_recount() -> None:
    """Candidates of reports A, plus the counts of new reports B, equal the candidates of A + B
    for every stored row (phrases, 1-grams and totals), and rank the same."""
    paragraphs = all_seed_paragraphs()
    rng = random.Random(3)
    first = pl.concat(
        [sections_frame(f"A{i}", rng.sample(paragraphs, 10), f"a{i}s") for i in range(6)]
    )
    later = pl.concat(
        [sections_frame(f"B{i}", rng.sample(paragraphs, 10), f"b{i}s") for i in range(3)]
    )
    stored = frequent_phrases(first)
    assert set(stored.filter(pl.col("n") < 3)["n"]) == {0, 1}
    totals = stored.filter(pl.col("n") == 0).row(0, named=True)
    assert (totals["phrase"], totals["n_reports"]) == ("", 6)
    assert totals["n_occurrences"] == sum(
        len(re.findall(r"\w+(?:['’\-]\w+)*", text)) for text in first["plain_text"]
    )
    counts = count_phrases(later, stored)
    folded = stored.update(
        add_counts(stored.join(counts, on="phrase", how="semi"), counts), on="phrase"
    )
    full = frequent_phrases(pl.concat([first, later]))
    assert candidate_mismatches(folded, full, min_reports=2).height == 0
    recounted = count_phrases(pl.concat([first, later]), stored)
    assert (
        folded.select("phrase", "n_reports", "n_occurrences")
        .sort("phrase")
        .equals(recounted.sort("phrase"))
    )
    same = full.join(folded.select("phrase"), on="phrase", how="semi")
    assert (
        rank_phrases(folded)
        .drop("example_report_id", "example_section_id")
        .equals(rank_phrases(same).drop("example_report_id", "example_section_id"))
    )


# --- 6. TF-IDF similarity ---------------------------------------------------------------------


def test_report_similarity_pairs_near_copies() -> None:
    """Two near-copies are each other's neighbour; rows are a < b; near-dup sections counted."""
    paragraphs = seed_paragraphs()
    edited = [p.replace("AI", "machine") for p in paragraphs]
    unrelated = ["gardening tomatoes watering compost soil", "bicycle chains gears brakes"]
    sections = pl.concat(
        [
            sections_frame("B", paragraphs, "b"),
            sections_frame("A", edited, "a"),
            sections_frame("C", unrelated, "c"),
        ]
    )
    pairs = near_duplicate_pairs(section_shingles(sections), threshold=0.5)
    out = report_similarity(sections, top_k=2, min_cosine=0.2, near_duplicates=pairs)
    assert out.columns == ["report_id_a", "report_id_b", "cosine", "n_near_duplicate_sections"]
    top = out.row(0, named=True)
    assert (top["report_id_a"], top["report_id_b"]) == ("A", "B")
    assert top["cosine"] > 0.8
    assert top["n_near_duplicate_sections"] == pairs.height > 0
    assert (out["report_id_a"] < out["report_id_b"]).all()
    assert "C" not in out["report_id_a"].to_list() + out["report_id_b"].to_list()


def test_report_similarity_split_product_is_exact() -> None:
    """The dense/sparse split of X @ X.T gives the same pairs as the all-sparse product."""
    from pipelines.bench.minhash_bench import synthetic_sections

    sections = synthetic_sections(300, seed=1)
    split = report_similarity(sections, top_k=3, min_cosine=0.0, dense_terms=64)
    sparse = report_similarity(sections, top_k=3, min_cosine=0.0, dense_terms=0)
    assert split.select("report_id_a", "report_id_b").equals(
        sparse.select("report_id_a", "report_id_b")
    )
    np.testing.assert_allclose(split["cosine"].to_numpy(), sparse["cosine"].to_numpy(), atol=1e-5)


def test_novelty_counts_equal_a_plain_group_by_reference() -> None:
    """The sort-based shingle counts equal unique + min-over-shingle, with duplicates and ties."""
    rng = np.random.default_rng(7)
    n = 5_000
    shingles = pl.DataFrame(
        {
            "report_id": [f"r{i}" for i in rng.integers(0, 40, n)],
            "shingle": pl.Series(rng.integers(0, 600, n), dtype=pl.UInt64),
        }
    )
    ranks = pl.DataFrame(
        {"report_id": [f"r{i}" for i in range(40)], "arrival_rank": rng.integers(1, 25, 40)}
    )
    got = report_novelty(shingles, ranks)
    reference = (
        shingles.join(ranks, on="report_id")
        .unique(["report_id", "shingle"])
        .with_columns(first=pl.col("arrival_rank").min().over("shingle"))
        .group_by("report_id")
        .agg(
            pl.len().cast(pl.Int64).alias("n_shingles"),
            (pl.col("first") < pl.col("arrival_rank")).sum().cast(pl.Int64).alias("seen"),
        )
    )
    joined = got.join(reference, on="report_id", how="full", coalesce=True)
    assert joined.height == 40
    assert joined["n_shingles"].to_list() == joined["n_shingles_right"].to_list()
    assert joined["n_shingles_seen"].to_list() == joined["seen"].to_list()
    assert joined["n_shingles_seen"].sum() > 0


def test_novelty_counted_in_duckdb_equals_the_polars_counts() -> None:
    """The full refresh's SQL counts (NOVELTY_COUNTS_SQL) give the same table as report_novelty."""
    import duckdb

    from pipelines.defs.redundancy import NOVELTY_COUNTS_SQL
    from pipelines.text.redundancy.novelty import novelty_from_counts

    rng = np.random.default_rng(11)
    n = 5_000
    shingles = pl.DataFrame(
        {
            "report_id": [f"r{i:02d}" for i in rng.integers(0, 40, n)],
            "shingle": pl.Series(rng.integers(0, 600, n), dtype=pl.UInt64),
        }
    )
    # Arrival: by report_date, then file name; some reports share a date.
    reports = pl.DataFrame(
        {
            "report_id": [f"r{i:02d}" for i in range(40)],
            "file_name": [f"{i:02d}.md" for i in range(40)],
            "report_date": pl.Series(rng.integers(0, 10, 40)).cast(pl.Datetime("us")),
        }
    )
    arrival = reports.sort("report_date", "file_name").select(
        "report_id", pl.int_range(1, 41).alias("arrival_rank")
    )
    connection = duckdb.connect()
    connection.execute("CREATE SCHEMA corpus")
    connection.execute("CREATE TABLE corpus.reports AS SELECT * FROM reports")
    connection.execute("CREATE TABLE corpus.section_shingles AS SELECT * FROM shingles")
    counts = connection.execute(NOVELTY_COUNTS_SQL).pl()
    got = novelty_from_counts(counts, arrival)
    expected = report_novelty(shingles, arrival)
    assert got.equals(expected)
    assert 0 < got["n_shingles_seen"].sum() < got["n_shingles"].sum()


def test_candidates_joined_in_duckdb_equal_candidate_pairs() -> None:
    """The full refresh's SQL candidates (ALL_CANDIDATES_SQL) equal `candidate_pairs`' rule."""
    import duckdb

    from pipelines.defs.redundancy import ALL_CANDIDATES_SQL
    from pipelines.text.redundancy.near_duplicates import candidate_pairs

    rng = np.random.default_rng(5)
    n = 3_000
    section = rng.integers(0, 400, n)
    band_keys = pl.DataFrame(
        {
            "section_id": [f"s{i:03d}" for i in section],
            "report_id": [f"r{i // 10:02d}" for i in section],  # 10 sections per report
            "band": pl.Series(rng.integers(0, 8, n), dtype=pl.Int32),
            "band_key": pl.Series(rng.integers(0, 50, n), dtype=pl.UInt64),
        }
    ).unique(["section_id", "band"])
    connection = duckdb.connect()
    connection.execute("CREATE SCHEMA corpus")
    connection.execute("CREATE TABLE corpus.section_band_keys AS SELECT * FROM band_keys")
    got = connection.execute(ALL_CANDIDATES_SQL).pl()
    expected = candidate_pairs(band_keys, band_keys.select("section_id", "report_id"))
    assert got.height > 100
    assert got.equals(expected)
