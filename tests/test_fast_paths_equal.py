"""The fast ingest paths change no row: pyromark sections equal markdown-it-py's, gated ftfy equals ftfy.

Gold comes from the reference libraries: sections from the frozen markdown-it-py extractor
(tests/markdown_it_sections.py), repairs from `ftfy.fix_and_explain` with the project's config
and mojibake verdicts from `ftfy.badness.is_bad`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import ftfy
import pytest
from ftfy.badness import is_bad
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.text import md_markdown_it, md_pulldown, text_fixes
from pipelines.text.repair import decode, repair
from pipelines.text.sections import extract_sections
from tests import markdown_it_sections as reference
from tests.conftest import SEEDS, corpus_dir, corpus_files

SEED_FILES = sorted(SEEDS.iterdir())


REFERENCE_FIELDS = [field.name for field in dataclasses.fields(reference.Section)]


def as_rows(report: object) -> tuple[object, ...]:
    """Title, word count and every field the reference's sections have, for both extractors."""
    return (
        report.title,  # type: ignore[attr-defined]
        report.n_words,  # type: ignore[attr-defined]
        [tuple(getattr(s, name) for name in REFERENCE_FIELDS) for s in report.sections],  # type: ignore[attr-defined]
    )


def assert_same_sections(text: str) -> None:
    """The pipeline's sections of `text` equal markdown-it-py's, field by field.

    Table cell text (which the frozen reference left out) is held to the markdown-it walk
    whenever pyromark's path reads the document.
    """
    expected = as_rows(reference.extract_sections(text, 7))
    assert as_rows(extract_sections(text, 7)) == expected
    lines = text.split("\n")
    fast = md_pulldown.parse_blocks(text, lines)
    if fast is not None:
        assert fast[2] == md_markdown_it.parse_blocks(text, lines)[2]


def repaired_text(path: Path) -> str:
    """The text extraction reads: the file after repair."""
    return repair(path.read_bytes()).text


# ---- sections ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", SEED_FILES, ids=lambda p: p.name)
def test_seed_sections_equal_markdown_it(path: Path) -> None:
    assert_same_sections(repaired_text(path))


def test_corpus_is_present_for_the_equivalence_tests() -> None:
    assert len(list(corpus_dir().glob("*.md"))) == 20


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_corpus_sections_equal_markdown_it(path: Path) -> None:
    assert_same_sections(repaired_text(path))


def test_seeds_and_corpus_take_the_pyromark_path() -> None:
    """The equality above is pyromark's, not the hand-over's (report_028 indents with tabs)."""
    texts = {p.name: repaired_text(p) for p in [*SEED_FILES, *corpus_files()]}
    handed_over = {
        n for n, t in texts.items() if md_pulldown.parse_blocks(t, t.split("\n")) is None
    }
    assert handed_over <= {"report_028.md"}


# Inputs where the two parsers differ (found by differential fuzzing, minimized), and the
# constructs pyromark's path rebuilds the markdown-it way (kept spaces, autolink text).
EDGE_CASES = [
    "a \nb",
    "a  \nb",
    "\\ \nb",
    "\\\\ \nb",
    "a\t\nb",
    "# #\t",
    "```\n```\t\n# after",
    ">>a\n    1. b",
    "> a\nc\n    b",
    ">>a\nb\n    -",
    "-    * C\n    1.",
    "*    x\n\t***",
    ">> 3.\t [",
    "- `x\n y`",
    "1. `\\\n ?`",
    "[x]:l\n    z",
    "[x]:\n0.",
    "[x]: /u\n\n[a][x] and [x]",
    "_|\n--",
    "1. |>\n-|-",
    "<?|t\n-|-",
    "| a |\n|---|\n| 1 |\n    code",
    "|a|\n|-|\n|1|\n**Note** x",
    "| a | b |\n|---|---|\n| 1 | 2 |\n\nafter",
    "| **A** | `c\\|d` | x \\| y |\n|---|:-:|--|\n| <b>z</b> [l](u) <http://a.b/%C3%A9> | | ![i *j*](u) |",
    "| a |\n|---|\n| 1 |\n| | |\n\n| b |\n|---|",
    "text\n| a | b |\n|---|---|\n| 1 | 2 |",
    "- | a | b |\n  |---|---|\n  | 1 | 2 |",
    "<r>\xa0\nx",
    "<a\xa0href='x'>y</a>",
    "\\\n\xa0",
    "a\x0c\nb",
    "-<!----->",
    "|<![CDATA[]>",
    "<http://x.org/%C3%A9> and <https://xn--nxasmq6b.com> and <a@b.co>",
    "**Title with `code` & <b>html</b>**\nbody",
    "**C# and F# #**\nbody",
    "**[link](u) *em***:\n\ntext",
    "![alt *e*\nz](u) text",
    "> " * 25 + "deep",
    "\n".join("  " * i + "- item" for i in range(15)),
    "a\r\nb\r\n# H\r\n",
    "nul\x00here\n# H",
    "*\u2028*",
    "a *\u2028b* c",
    "*\U0001fa75* (a symbol newer than Python 3.11's Unicode tables)",
    "**“quoted”** and _é_",
    "lone \ud800 surrogate\n# H",
    ">_<!o\n>y",
    "> a <!-- x\n> y --> z",
    "  1. \\\n    ```",
]


@pytest.mark.parametrize("text", EDGE_CASES)
def test_edge_cases_equal_markdown_it(text: str) -> None:
    assert_same_sections(text)


FRAGMENTS = [
    "# ", "## ", "### ", "**", "__", "*", "_", "\n", "\n\n", "===", "---", "```", "~~~", "> ",
    ">> ", "- ", "  - ", "    - ", "1. ", "10) ", "<b>", "</b>", "<div>", "<!-- c -->", "[x](y)",
    "![i](u)", "<http://a.b/%41>", "[r]", "|a|b|\n|-|-|\n", "| 1 | 2 |", "| *e* `c` |", "\\|",
    "<br>", "\t", "\\", "`", "``",
    "&amp;", "&nbsp;", " ", "  ", "    ", "\xa0", "é", "’", "🚀", "Title", "word", "end.", ":",
]  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=60).map("".join))
def test_any_markdown_sections_equal_markdown_it(text: str) -> None:
    assert_same_sections(text)


# ---- ftfy ------------------------------------------------------------------------------

# Mojibake already in the tests (seed 003's `learnersâ€™`) and more: latin-1 and cp1252 read
# as UTF-8, double encoding, curly quotes and dashes, emoji, Windows-1251, C1 controls, and the
# characters ftfy's other enabled fixes act on. ftfy changes every one of them.
MOJIBAKE = [
    "learnersâ€™ progress",
    "cafÃ© au lait, naÃ¯ve",
    "cafÃƒÂ© (twice)",
    "â€œquotedâ€\x9d and an em dash â€” here",
    "an en dash â€“ and ellipsis â€¦",
    "launch ðŸš€ day ðŸ˜€",
    "voilÃ le travail",
    "Ã  la carte",
    "вЂ™ and вЂњ",
    "\x93quoted\x94 with C1 controls",
    "next\x85line",
    "line\u2028separator",
    "\x1b[31mred\x1b[0m text",
    "zero\ufeffwidth",
    "e\u0301 decomposed",
    "broken \ud83d surrogate",
    "×² sÃ³ Ã¡",
]
# Clean text ftfy leaves alone, the cp1252 files of test_repair/test_hostile_input once decoded
# among them: the gate must not send these to ftfy.
CLEAN = [
    "## Caf\u00e9\n\nShe said \u201chello\u201d \u2014 it\u2019s fine.",
    "## Café notes\n\nShe said “hi”.\n",
    "Clean text with “curly quotes” — and é, • bullets, © 2024, 5 × 3 ≤ 20.",
    "plain ascii",
]


def ftfy_gold(text: str) -> tuple[str, list[object]]:
    """ftfy's own answer with the project's config."""
    fixed, steps = ftfy.fix_and_explain(text, config=text_fixes.FTFY_CONFIG)
    return fixed, list(steps or [])


def gated(text: str) -> tuple[str, list[object]]:
    """The gated repair's answer."""
    fixed, steps = text_fixes.fix_and_explain(text)
    return fixed, list(steps or [])


def decoded(path: Path) -> str:
    """A file's text as repair hands it to ftfy (decoded, line endings normalized)."""
    text = decode(path.read_bytes())[0]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def test_mojibake_detector_is_active() -> None:
    """The speed-up is on: ftfy's heuristic is searched around the characters it needs."""
    assert text_fixes._SUSPECT is not None


@pytest.mark.parametrize("text", MOJIBAKE + CLEAN)
def test_gated_repair_equals_ftfy_on_mojibake_and_clean_text(text: str) -> None:
    assert gated(text) == ftfy_gold(text)
    assert text_fixes.looks_like_mojibake(text) == is_bad(text)


def test_mojibake_reaches_ftfy_and_clean_text_does_not() -> None:
    assert all(ftfy_gold(text)[0] != text and text_fixes.may_change(text) for text in MOJIBAKE)
    assert not any(ftfy_gold(text)[0] != text or text_fixes.may_change(text) for text in CLEAN)


@pytest.mark.parametrize("path", SEED_FILES, ids=lambda p: p.name)
def test_gated_repair_equals_ftfy_on_seeds(path: Path) -> None:
    text = decoded(path)
    assert gated(text) == ftfy_gold(text)


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_gated_repair_equals_ftfy_on_corpus(path: Path) -> None:
    text = decoded(path)
    assert gated(text) == ftfy_gold(text)
    assert text_fixes.looks_like_mojibake(text) == is_bad(text)


_BADNESS_CHARS = "ÂÃÎÐâ€œžŠš¢£ŸŒœ°·»«©®¹²³¼½¾×÷àáéíóúçñöüÀÉØÙ√±∂†≠™≤≥¥µø≈‚ÄìîïòôúùûπâóäêвЂВГРСўΒΓΞΟβΆā”“‘’•–—…¦¤¨¬¯¸ƒˆˇ˘˛˜‡‰⌐◊�ªº¶§"


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=st.sampled_from([*_BADNESS_CHARS, "a", "Z", " ", ".", "\n", "x"])))
def test_detector_agrees_with_ftfy_badness(text: str) -> None:
    assert text_fixes.looks_like_mojibake(text) == is_bad(text)
    assert gated(text) == ftfy_gold(text)
