"""The Polars readability path equals textstat 0.7.13 on real reports and on tricky texts."""

from __future__ import annotations

import itertools
import os
import re
import socket
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import nltk
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.bench.readability_bench import compare_with_textstat
from pipelines.text.readability.counts import clear_word_cache
from pipelines.text.readability.dictionary import (
    clear_textstat_caches,
    cmu_syllables,
    packaged_cmudict,
    packaged_get_cmudict,
    use_packaged_cmudict,
)
from pipelines.text.readability.formulas import COUNT_COLUMNS, METRIC_COLUMNS
from pipelines.text.readability.table import (
    RELIABILITY_COLUMNS,
    readability,
    textstat_reference,
)

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
TOLERANCE = 0.01

# A Markdown heading (`#`), a bold line used as a heading, or a numbered heading starts a section.
HEADING = re.compile(r"^(?:#{1,6}\s|\*\*[^*\n]+\*\*:?\s*$|\d+(?:\.\d+)*\.?\s+[A-Z])", re.M)


def split_sections(text: str) -> list[str]:
    """The text, its heading-delimited sections and its blank-line paragraphs (non-blank ones)."""
    sections = [text]
    starts = [0, *(m.start() for m in HEADING.finditer(text)), len(text)]
    sections += [text[a:b] for a, b in itertools.pairwise(starts)]
    sections += re.split(r"\n[ \t\r]*\n", text)
    return list(dict.fromkeys(s for s in sections if s.strip()))


def cases_from(folder: Path, pattern: str) -> dict[str, str]:
    """`file#n` -> text for every section of every matching file of `folder`."""
    cases: dict[str, str] = {}
    for path in sorted(folder.glob(pattern)):
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, section in enumerate(split_sections(text)):
            cases[f"{path.name}#{number}"] = section
    return cases


# Eleven words a sentence: Linsear Write's 100th word opens the tenth sentence, so textstat counts
# the sentences of a prefix that ends mid-sentence.
LONG_SENTENCES = " ".join(
    f"Sentence number {n} describes the evaluation of retrieval augmented generation systems."
    for n in range(20)
)
TRICKY: dict[str, str] = {
    "empty": "",
    "space": " ",
    "whitespace-only": "\n\n\t  \r\n",
    "one-word": "Readability",
    "two-words-period": "Hello world.",
    "period-only": ".",
    "punctuation-only": "... !? -- ** ## |",
    "no-sentence-end": "this text has words but never ends a sentence and keeps flowing on",
    "numbers": "In 2023, revenue grew 12.5% to $3.4bn; 1,234 units shipped in Q3 (up 7%).",
    "abbreviations": "E.g. this works, i.e. it is fine. Dr. Smith arrived at 5 p.m. on Jan. 3.",
    "hyphens": "State-of-the-art, well-known, end-to-end models - and -- dashes — galore.",
    "apostrophes": "Don't stop; it's the users' choice. 'Tis rock 'n' roll, O'Brien's DON'T.",
    "curly-quotes": "“Quoted” text with ‘single’ quotes, and it’s curly. Isn’t it?",
    "emoji": "🚀 Launch day! 😀 Everyone cheered 🎉🎉. Great🔥work, team 👍.",
    "emoji-only": "🚀 😀 🎉🎉 👍",
    "portuguese": (
        "A inteligência artificial está transformando a economia. Não é fácil prever o "
        "futuro, mas é possível preparar-se. Você já leu o relatório?"
    ),
    "tamil": "தமிழ் நாடு ஒரு மாநிலம். இது இந்தியாவில் உள்ளது. மக்கள் தமிழ் பேசுகிறார்கள்.",
    "case-mapping": "İstanbul ΑΣ Σ ǅemal ﬁnance word. Straße GROSS.",
    "unicode-whitespace": "word\u00a0word\u2003word\x1cword\x85word. Another sentence is here now.",
    "underscores": "snake_case_names and __dunder__ words _ alone. Next_one here too.",
    "markdown-table": "| Model | Score |\n|---|---|\n| GPT-4 | 86.4 |\n| Llama 2 | 68.9 |",
    "code-fence": "```python\nprint('hello world')  # comment\n```\nAfter the code block.",
    "ellipses": "Wait... what?! Really?? Yes!!! It's true. OK.",
    "very-easy": "The cat sat. The dog ran. I am here. We can go.",
    "windows-newlines": "First line here.\r\nSecond line there.\r\n\r\nA new paragraph now.",
    "long-one-sentence": " ".join(["word"] * 150),
    "long-cut-mid-sentence": LONG_SENTENCES,
    "long-punctuation-chunks": " - ".join(["alpha beta gamma."] * 60),
    "long-punctuation-only": " - " * 150,
    "exactly-100-words": " ".join(["simple words here."] * 33) + " end",
}


def corpus_cases() -> dict[str, str]:
    """Sections of the shared corpus, empty when it is absent (test_shared_corpus_is_present)."""
    return cases_from(CORPUS, "*.md") if CORPUS.is_dir() else {}


SEED_CASES = cases_from(SEEDS, "*.txt")
CORPUS_CASES = corpus_cases()
ALL_CASES = {
    **{f"seed:{k}": v for k, v in SEED_CASES.items()},
    **{f"corpus:{k}": v for k, v in CORPUS_CASES.items()},
    **{f"tricky:{k}": v for k, v in TRICKY.items()},
}


@pytest.fixture(scope="module")
def fast_rows() -> dict[str, dict]:
    """`readability` of every case, computed in one frame, by case id."""
    frame = pl.DataFrame({"case": list(ALL_CASES), "plain_text": list(ALL_CASES.values())})
    return {row["case"]: row for row in readability(frame, ["case"]).iter_rows(named=True)}


def assert_matches_textstat(case: str, fast_rows: dict[str, dict]) -> None:
    """Every metric within TOLERANCE of textstat, every count and `reliable` exactly equal."""
    fast, expected = fast_rows[case], textstat_reference(ALL_CASES[case])
    wrong = [
        f"{name}: fast {fast[name]!r} textstat {expected[name]!r}"
        for name in METRIC_COLUMNS
        if abs(fast[name] - expected[name]) > TOLERANCE
    ] + [
        f"{name}: fast {fast[name]!r} textstat {expected[name]!r}"
        for name in (*COUNT_COLUMNS, "reliable")
        if fast[name] != expected[name]
    ]
    assert not wrong, f"{case}: " + "; ".join(wrong)


@pytest.mark.parametrize("case", [k for k in ALL_CASES if k.startswith("seed:")])
def test_seed_sections_match_textstat(case: str, fast_rows: dict[str, dict]) -> None:
    assert_matches_textstat(case, fast_rows)


@pytest.mark.parametrize("case", [k for k in ALL_CASES if k.startswith("corpus:")])
def test_corpus_sections_match_textstat(case: str, fast_rows: dict[str, dict]) -> None:
    assert_matches_textstat(case, fast_rows)


@pytest.mark.parametrize("case", [k for k in ALL_CASES if k.startswith("tricky:")])
def test_tricky_texts_match_textstat(case: str, fast_rows: dict[str, dict]) -> None:
    assert_matches_textstat(case, fast_rows)


GENERATED_TOKENS = [
    "the",
    "a",
    "cat",
    "government",
    "extraordinary",
    "don't",
    "it's",
    "'tis",
    "O'Brien",
    "'n'",
    "DON'T",
    "İstanbul",
    "ΑΣ",
    "straße",
    "ﬁnance",
    "naïve",
    "தமிழ்",
    "snake_case",
    "2023",
    "12.5%",
    "e.g.",
    "U.S.A.",
    "well-known",
    "—",
    "-",
    "...",
    "?!",
    "!",
    "?",
    ".",
    ",",
    "“",
    "”",
    "’",
    "😀",
    "🚀🎉",
    "|",
    "**",
    "x'.s",
    "''t",
    "'ve",
    "n't",
    "ǅ",
]
SEPARATORS = [" ", " ", " ", "  ", "\n", "\n\n", "\t", "\u00a0", "\x1c", "\r\n", ""]


def assert_text_matches_textstat(text: str) -> None:
    """`readability` of one text equals `textstat_reference` (metrics within TOLERANCE)."""
    fast = readability(pl.DataFrame({"id": [0], "plain_text": [text]}), ["id"]).row(0, named=True)
    expected = textstat_reference(text)
    for name in METRIC_COLUMNS:
        assert fast[name] == pytest.approx(expected[name], abs=TOLERANCE), (name, text)
    for name in (*COUNT_COLUMNS, "reliable"):
        assert fast[name] == expected[name], (name, text)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(GENERATED_TOKENS), st.sampled_from(SEPARATORS)), max_size=160
    )
)
def test_generated_token_soup_matches_textstat(pieces: list[tuple[str, str]]) -> None:
    assert_text_matches_textstat("".join(token + sep for token, sep in pieces))


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=400))
def test_arbitrary_unicode_matches_textstat(text: str) -> None:
    assert_text_matches_textstat(text)


def test_shared_corpus_is_present() -> None:
    """Without ../shared/corpus a local run skips the corpus cases; CI must not."""
    if CORPUS_CASES:
        return
    if os.environ.get("CI"):
        pytest.fail(f"shared corpus missing at {CORPUS} (CI is set)")
    pytest.skip(f"shared corpus not found at {CORPUS}")


def test_seed_sections_include_whole_reports_and_paragraphs() -> None:
    assert len(SEED_CASES) > 50
    assert sum(len(t.split()) >= 100 for t in SEED_CASES.values()) >= 5


def test_flesch_reading_ease_by_hand() -> None:
    # "The cat sat on the mat. It was happy." has 9 words in 2 sentences (each has >= 3 words)
    # and 10 syllables (CMU: happy = HH AE1 P IY0, 2; the 8 other words 1 each), so
    # 206.835 - 1.015 * (9 / 2) - 84.6 * (10 / 9) = 206.835 - 4.5675 - 94.0 = 108.2675.
    frame = pl.DataFrame({"id": [1], "plain_text": ["The cat sat on the mat. It was happy."]})
    row = readability(frame, ["id"]).row(0, named=True)
    assert (row["n_words"], row["n_sentences"], row["n_syllables"]) == (9, 2, 10)
    assert row["flesch_reading_ease"] == pytest.approx(108.2675, abs=1e-9)


def test_reliable_needs_100_words_and_3_sentences() -> None:
    short = "This is short. Only a few words here. Three sentences in all."
    one_long_sentence = " ".join(["word"] * 120) + "."
    long_enough = " ".join(["This sentence has exactly ten words in it, you see."] * 10)
    frame = pl.DataFrame({"id": [1, 2, 3], "plain_text": [short, one_long_sentence, long_enough]})
    out = readability(frame, ["id"])
    assert out["n_words"].to_list() == [12, 120, 100]
    assert out["n_sentences"].to_list() == [3, 1, 10]
    assert out["reliable"].to_list() == [False, False, True]


def test_sentences_of_two_words_or_fewer_are_not_counted() -> None:
    # textstat's count_sentences drops regex "sentences" with <= 2 words, but counts at least 1.
    frame = pl.DataFrame(
        {"id": [1, 2], "plain_text": ["Hi there. Go. Ok.", "Short text. It reads well."]}
    )
    assert readability(frame, ["id"])["n_sentences"].to_list() == [1, 1]


def test_output_schema_keys_and_row_order() -> None:
    frame = pl.DataFrame(
        {
            "report": ["b", "a", "b", "c"],
            "section": [2, 1, 2, 0],
            "plain_text": ["Second text here.", "", "Second text here.", None],
        }
    )
    out = readability(frame, ["report", "section"])
    assert out.columns == [
        "report",
        "section",
        *METRIC_COLUMNS,
        *COUNT_COLUMNS,
        *RELIABILITY_COLUMNS,
    ]
    assert out.select("report", "section").equals(frame.select("report", "section"))
    assert all(out.schema[name] == pl.Float64 for name in METRIC_COLUMNS)
    assert all(out.schema[name] == pl.Int64 for name in COUNT_COLUMNS)
    assert out.schema["reliable"] == pl.Boolean
    assert out.row(0) == out.row(2)  # the same text twice, the same numbers twice
    assert out["n_words"].to_list() == [3, 0, 3, 0]  # a null text reads as ""


def test_empty_frame_gives_empty_result() -> None:
    frame = pl.DataFrame(
        {"id": [], "plain_text": []}, schema={"id": pl.Int64, "plain_text": pl.String}
    )
    out = readability(frame, ["id"])
    assert out.height == 0
    assert out.columns == ["id", *METRIC_COLUMNS, *COUNT_COLUMNS, *RELIABILITY_COLUMNS]


def test_textstat_uses_the_packaged_cmudict_everywhere() -> None:
    use_packaged_cmudict()
    use_packaged_cmudict()  # idempotent
    bindings = [
        module
        for name, module in list(sys.modules.items())
        if name.startswith("textstat") and module and hasattr(module, "get_cmudict")
    ]
    assert len(bindings) >= 3
    assert all(m.get_cmudict is packaged_get_cmudict for m in bindings)


def test_no_download_is_attempted_for_fresh_text(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network or NLTK download attempted: {args!r}")

    monkeypatch.setattr(nltk, "download", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    clear_textstat_caches()  # textstat must look the dictionary up again
    clear_word_cache()
    fresh = f"Unprecedented {uuid.uuid4().hex} governance frameworks emerged. They matter a lot."
    expected = textstat_reference(fresh)
    out = readability(pl.DataFrame({"id": [0], "plain_text": [fresh]}), ["id"]).row(0, named=True)
    assert expected["n_syllables"] == out["n_syllables"] > 0
    assert expected["flesch_reading_ease"] == pytest.approx(out["flesch_reading_ease"])


def test_fresh_interpreter_never_reaches_nltk_downloader(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import socket
        import nltk

        def refuse(*args, **kwargs):
            raise SystemExit("network or NLTK download attempted")

        nltk.download = refuse
        socket.socket.connect = refuse
        socket.create_connection = refuse

        import polars as pl
        import textstat
        from pipelines.text.readability.table import readability

        text = "Extraordinary governance frameworks emerged quickly. They matter."
        assert textstat.syllable_count(text) > 0
        out = readability(pl.DataFrame({"id": [0], "plain_text": [text]}), ["id"])
        assert out["n_syllables"][0] == textstat.syllable_count(text)
        print("ok")
        """
    )
    env = {**os.environ, "NLTK_DATA": str(tmp_path)}  # an empty NLTK data folder
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_compare_with_textstat_reports_identical_values() -> None:
    texts = [
        f"Report {n} covers evaluation, governance and deployment. It is short." for n in range(5)
    ]
    result = compare_with_textstat(texts, repeats=1)
    assert set(result) == {"fast_s", "textstat_s", "speedup", "max_abs_diff"}
    assert result["max_abs_diff"] == 0.0
    assert result["fast_s"] > 0 and result["textstat_s"] > 0


def test_fast_syllable_table_matches_the_first_cmudict_pronunciation_of_every_word() -> None:
    """cmu_syllables() is textstat's count (stress digits of the first pronunciation), word by word."""
    full = packaged_cmudict()
    fast = cmu_syllables()
    assert len(full) > 100_000
    assert set(fast) == {word for word, prons in full.items() if prons}
    for word, prons in full.items():
        assert fast[word] == sum(1 for phone in prons[0] if phone[-1].isdigit()), word
