"""Section extraction: gold values read off the seed files by hand, and the real-world corpus."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipelines.text.repair import repair
from pipelines.text.sections import count_words, extract_sections, split_number
from tests.conftest import SEEDS, corpus_dir, corpus_files


def extract(path: Path):  # type: ignore[no-untyped-def]
    """Repair and extract a report file."""
    repaired = repair(path.read_bytes())
    return extract_sections(repaired.text, repaired.first_line)


# Headings of seed 000, copied from the file: 11 bold lines, no title.
SEED_000_HEADINGS = [
    "Recent Breakthroughs in AI LLMs",
    "Transformers-based LLMs",
    "Large-Scale Language Models",
    "Pre-training and Fine-tuning",
    "Adversarial Attacks and Defenses",
    "Explainability and Interpretability",
    "Multimodal Learning",
    "Efficient and Scalable Models",
    "Ethics and Fairness in AI LLMs",
    "Multilingual Support and Low-Resource Languages",
    "Future Directions",
]

# Seed 001: ten `##` sections, nine of them with one `###` child (Introduction has none).
SEED_001_TREE = {
    "Introduction": [],
    "Recent Breakthroughs in AI LLMs": ["Examples of Large LLMs Models"],
    "Edge AI and Federated Learning": ["Benefits of Edge AI and Federated Learning"],
    "Explainability and Transparency": ["Techniques for Explainability and Transparency"],
    "Hybrid Approaches": ["Benefits of Hybrid Approaches"],
    "AutoML and Meta-Learning": ["Benefits of AutoML and Meta-Learning"],
    "Addressing the Data Quality Crisis": ["Techniques for Addressing the Data Quality Crisis"],
    "Creative Applications of AI LLMs": ["Applications of AI LLMs in Creativity"],
    "Conversational AI LLMs": ["Benefits of Conversational AI LLMs"],
    "Ethics in AI LLMs": ["Principles of Ethical AI LLMs"],
}

SEED_003_HEADINGS = [
    "Advancements in Multimodal Models",
    "Increased Efficiency Through Sparse Training",
    "Personalized AI Experiences",
    "Ethical AI Frameworks",
    "AI LLMs in Education",
    "Natural Language Understanding (NLU) Breakthroughs",
    "Real-Time Translation Enhancements",
    "Cross-Disciplinary Applications",
    "Decentralization in Development",
    "Advances in Explainability",
]


def test_seed_000_bold_lines_are_the_eleven_sections() -> None:
    report = extract(SEEDS / "000_87c5db0444f7b29d.txt")
    assert report.title is None
    assert [s.heading for s in report.sections] == SEED_000_HEADINGS
    assert all(not s.is_preamble for s in report.sections)
    # Each section keeps its body: the first one starts "The year 2023 witnessed ...".
    assert report.sections[0].plain_text.startswith(
        "Recent Breakthroughs in AI LLMs.\nThe year 2023"
    )


def test_seed_001_title_and_nested_sections() -> None:
    report = extract(SEEDS / "001_dcc2aed8c26ea6dd.txt")
    assert report.title == "Advancements in AI LLMs: A Comprehensive Report"
    level2 = [s for s in report.sections if s.level == 2]
    level3 = [s for s in report.sections if s.level == 3]
    assert [s.heading for s in level2] == list(SEED_001_TREE)
    assert len(level3) == 9
    for child in level3:
        assert child.heading in SEED_001_TREE[child.parent_heading]
    assert all(s.parent_heading is None for s in level2)


def test_seed_002_preamble_then_ten_numbered_sections() -> None:
    report = extract(SEEDS / "002_0ed438f99d1ee8d6.txt")
    assert report.title == "Comprehensive Report on AI LLMs Developments in 2024"
    preamble, *numbered = report.sections
    assert preamble.is_preamble and preamble.ordinal == 0 and preamble.heading is None
    assert preamble.plain_text.startswith("As of 2024, the landscape of AI language models")
    assert [s.number for s in numbered] == list(range(1, 11))
    assert numbered[0].heading == "Advancements in Fine-Tuning Techniques"
    assert numbered[9].heading == "Redirection Towards Real-Time Applications"


@pytest.mark.parametrize("name", ["003_69796a1aaad12780.txt", "004_c37010fbd4496169.txt"])
def test_seeds_003_004_ten_numbered_sections_in_order(name: str) -> None:
    report = extract(SEEDS / name)
    assert [s.number for s in report.sections] == list(range(1, 11))
    assert [s.ordinal for s in report.sections] == list(range(1, 11))
    assert all(s.level == 2 and not s.is_preamble for s in report.sections)


def test_seed_003_headings_without_their_numbers() -> None:
    report = extract(SEEDS / "003_69796a1aaad12780.txt")
    assert [s.heading for s in report.sections] == SEED_003_HEADINGS


def test_section_lines_point_into_the_file() -> None:
    path = SEEDS / "004_c37010fbd4496169.txt"
    lines = path.read_text(encoding="utf-8").split("\n")
    for section in extract(path).sections:
        assert lines[section.start_line - 1].startswith(f"## {section.number}. ")
        assert section.markdown.split("\n")[0] == lines[section.start_line - 1]
        assert section.markdown.split("\n")[-1] == lines[section.end_line - 1]


def test_numbered_heading_split() -> None:
    assert split_number("3. Ethical AI Frameworks") == (3, "Ethical AI Frameworks")
    assert split_number("10) Tourism") == (10, "Tourism")
    assert split_number("IV. OWASP Secure Coding Practices") == (4, "OWASP Secure Coding Practices")
    assert split_number("GPT-3 by OpenAI") == (None, "GPT-3 by OpenAI")


def test_report_without_headings_is_one_section() -> None:
    report = extract_sections("Just a paragraph.\n\nAnd another one here.")
    assert len(report.sections) == 1
    assert report.sections[0].heading is None and not report.sections[0].is_preamble
    assert report.n_words == 7


def test_setext_headings_and_plain_text_rules() -> None:
    text = "Title\n=====\n\nPart one\n--------\n\n- item **one**\n- [a link](http://x.org)\n\n```\ncode here\n```\n"
    report = extract_sections(text)
    assert report.title == "Title"
    (part,) = report.sections
    assert part.heading == "Part one" and part.level == 2
    # Headings and list items end as sentences; link URLs and code blocks are left out.
    assert part.plain_text == "Part one.\nitem one.\na link."


# ---- the real-world corpus -------------------------------------------------------------

_ATX = re.compile(r"^ {0,3}#{1,6}\s+(.+?)\s*#*\s*$")
_BOLD_ONLY = re.compile(r"^\s*\*\*([^*]+)\*\*\s*:?\s*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)\s*$")


def heading_lines(path: Path) -> list[str]:
    """Heading texts found by a plain line scan (independent of the extractor)."""
    text = repair(path.read_bytes()).text
    found: list[str] = []
    in_fence = False
    previous = ""
    for line in text.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            previous = ""
            continue
        if in_fence:
            continue
        atx = _ATX.match(line)
        bold = _BOLD_ONLY.match(line)
        if atx:
            found.append(atx.group(1))
        elif _SETEXT.match(line) and previous.strip() and not _BOLD_ONLY.match(previous):
            found.append(previous.strip())
        elif bold and len(bold.group(1).split()) <= 20 and not bold.group(1).rstrip().endswith("."):
            found.append(bold.group(1))
        previous = line
    return [re.sub(r"\*\*|__|`", "", h).strip().rstrip(":").strip() for h in found]


def test_corpus_is_beside_the_checkout() -> None:
    assert len(list(corpus_dir().glob("*.md"))) == 20


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_corpus_every_heading_line_becomes_a_heading(path: Path) -> None:
    report = extract(path)
    expected = heading_lines(path)
    assert expected, "the scan found no heading at all"
    found = [report.title] + [
        f"{s.number}. {s.heading}" if s.number is not None else s.heading for s in report.sections
    ]
    found_plain = {h for h in found if h} | {s.heading for s in report.sections if s.heading}
    missing = [
        h for h in expected if h not in found_plain and split_number(h)[1] not in found_plain
    ]
    assert not missing


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_corpus_sections_cover_every_word(path: Path) -> None:
    repaired = repair(path.read_bytes())
    report = extract_sections(repaired.text, repaired.first_line)
    assert sum(count_words(s.markdown) for s in report.sections) == report.n_words
    title_words = count_words(report.title or "")
    assert report.n_words == count_words(repaired.text) - title_words
    ordinals = [s.ordinal for s in report.sections]
    assert ordinals == sorted(set(ordinals))
