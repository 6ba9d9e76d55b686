"""Taxonomy coverage of AI/LLM reports (issue 16): most headed sections carry a taxonomy topic.

The gold is the target (85% of headed sections) and the reports of ../shared/corpus
themselves, read through the real ingest (`ingest_reports`) and `assign_topics` with the
packaged taxonomy; plus hand-written sections that each topic added in taxonomy version 2
must (and must not) match.
"""

from __future__ import annotations

import re

import polars as pl
import pytest

from pipelines.report_files import list_report_files
from pipelines.reports_folder import ingest_reports
from pipelines.settings import DEFAULT_MAX_REPORT_BYTES
from pipelines.text.topics.assign import assign_topics
from pipelines.text.topics.taxonomy import load_taxonomy
from tests.conftest import corpus_dir

COVERAGE_TARGET = 0.85

# Which reports are AI/LLM reports, decided from the text alone: at least one mention per 100
# words of AI / LLM / language model / artificial intelligence (English, or the Portuguese
# IA / inteligência artificial / modelo de linguagem). On-subject reports say it 2-7 times per
# 100 words; the off-subject ones (film, LinkedIn, asteroid mining, secure coding, Tamil Nadu,
# image-processing tools) at most 0.5 times.
AI_MENTION = re.compile(
    r"\b(?:AI|IA|LLMs?|artificial intelligence|intelig[eê]ncia artificial|language models?"
    r"|modelos? de linguagem)\b",
    flags=re.IGNORECASE,
)
AI_MENTIONS_PER_100_WORDS = 1.0
# What the rule picks in the shared corpus, checked by reading every report: the thirteen
# reports on AI/LLM advances (034 in Portuguese; 016, 022 and 066 on AI agents) and 017
# (AI in healthcare, in Portuguese).
AI_LLM_FILES = {
    "report_001.md", "report_004.md", "report_010.md", "report_016.md", "report_017.md",
    "report_022.md", "report_023.md", "report_034.md", "report_040.md", "report_044.md",
    "report_054.md", "report_055.md", "report_058.md", "report_066.md",
}  # fmt: skip


def is_ai_llm_report(text: str, n_words: int) -> bool:
    """The documented rule: >= 1 AI/LLM mention per 100 words of the report."""
    return 100 * len(AI_MENTION.findall(text)) / max(n_words, 1) >= AI_MENTIONS_PER_100_WORDS


@pytest.fixture(scope="module")
def corpus_coverage() -> pl.DataFrame:
    """Per AI/LLM report of the corpus: file_name, headed sections, sections with a topic.

    Skipped only in a local clone without ../shared/corpus; under CI its absence fails.
    """
    corpus = corpus_dir()
    names = [report.key for report in list_report_files(corpus)]
    reports, sections, rejected = ingest_reports(corpus, names, DEFAULT_MAX_REPORT_BYTES)
    assert rejected.height == 0, rejected
    ai_reports = reports.filter(
        pl.struct("text", "n_words").map_elements(
            lambda row: is_ai_llm_report(row["text"], row["n_words"]), return_dtype=pl.Boolean
        )
    ).select("report_id", "file_name")
    headed = sections.filter(pl.col("heading").is_not_null() & ~pl.col("is_preamble")).join(
        ai_reports, on="report_id"
    )
    tagged = assign_topics(headed, load_taxonomy())["section_id"].unique()
    return (
        headed.with_columns(pl.col("section_id").is_in(tagged.implode()).alias("tagged"))
        .group_by("file_name")
        .agg(pl.len().alias("sections"), pl.col("tagged").sum().alias("tagged"))
        .sort("file_name")
    )


def test_the_ai_llm_rule_picks_the_reports_a_reader_picks(corpus_coverage: pl.DataFrame) -> None:
    """The mention-density rule selects exactly the AI/LLM reports found by reading them."""
    assert set(corpus_coverage["file_name"]) == AI_LLM_FILES


def test_taxonomy_covers_85_percent_of_headed_sections_of_ai_llm_reports(
    corpus_coverage: pl.DataFrame,
) -> None:
    """>= 85% of the headed, non-preamble sections of the AI/LLM reports get a topic."""
    coverage = corpus_coverage["tagged"].sum() / corpus_coverage["sections"].sum()
    per_report = {
        row["file_name"]: f"{row['tagged']}/{row['sections']}"
        for row in corpus_coverage.iter_rows(named=True)
    }
    assert coverage >= COVERAGE_TARGET, per_report


# Hand-written sections for the topics added in taxonomy version 2: (topic, heading, body).
NEW_TOPIC_EXAMPLES = [
    (
        "safety_alignment",
        "Guardrails and Alignment",
        "Vendors wrap their chat products in guardrails that keep answers within the intended "
        "behaviour. Alignment work teaches a system to refuse requests that point to misuse, "
        "and red teaming exercises probe it for toxic or dangerous replies before release.",
    ),
    (
        "challenges_risks",
        "Open Challenges and Risks",
        "Several obstacles remain before wide adoption: the cost of running large systems, "
        "unclear liability when an answer is wrong, and concerns about users relying on it "
        "too much. Organisations should weigh these risks and plan mitigation strategies early.",
    ),
    (
        "challenges_risks",
        "Desafios e Riscos",
        "A adoção ainda enfrenta desafios: custos elevados, falta de profissionais treinados e "
        "riscos de decisões erradas tomadas sem supervisão.",
    ),
    (
        "economy_geopolitics",
        "Economic Impact and Geopolitics",
        "Countries now treat frontier systems as a matter of national security. Governments "
        "fund domestic programmes, and the digital divide between rich and developing "
        "countries widens as economic growth concentrates where the compute is.",
    ),
]
# Hand-written sections for gaps that version 2 filled with terms of existing topics.
EXTENDED_TOPIC_EXAMPLES = [
    (
        "industry_applications",
        "Use Cases",
        "Teams put the assistant to work drafting replies for support staff and summarising "
        "long contracts for reviewers.",
    ),
    (
        "training_paradigms",
        "Continual Learning",
        "Instead of being retrained from scratch every year, a deployed system keeps learning "
        "from new documents while guarding against catastrophic forgetting of older skills.",
    ),
    (
        "overview_summary",
        "Key Concepts and Definitions",
        "This part explains the vocabulary used in the rest of the document: what a token is, "
        "what a context is and how a prompt differs from an instruction.",
    ),
    (
        "fine_tuning_customization",
        "Prompt Engineering",
        "Carefully worded instructions and a handful of worked examples in the prompt steer "
        "the system to a new job without touching its weights: in-context learning.",
    ),
    (
        "autonomous_agents",
        "Tool Use and Function Calling",
        "The system decides on its own when to call a calculator, a search engine or a booking "
        "service, fills in the arguments and reads the result back before answering.",
    ),
]
# Sections about something else, which none of the new topics may match.
UNRELATED_SECTIONS = [
    (
        "Multilingual Translation",
        "Translation between low-resource languages improved as systems learned from "
        "parallel text in dozens of languages, so that speakers of smaller languages can read "
        "documents written in English.",
    ),
    (
        "Quantization for Phones",
        "Weights stored as 4-bit integers shrink a model enough to run on a smartphone, with "
        "little loss of accuracy and a much lower energy use per answer.",
    ),
]


def _sections(rows: list[tuple[str, str]]) -> pl.DataFrame:
    """A sections frame of hand-written (heading, body) pairs, one report."""
    return pl.DataFrame(
        {
            "section_id": [f"s{i}" for i in range(len(rows))],
            "report_id": ["hand"] * len(rows),
            "heading": [heading for heading, _ in rows],
            "parent_heading": [None] * len(rows),
            "plain_text": [body for _, body in rows],
        },
        schema_overrides={"parent_heading": pl.String},
    )


@pytest.mark.parametrize(
    ("topic_id", "heading", "body"), NEW_TOPIC_EXAMPLES + EXTENDED_TOPIC_EXAMPLES
)
def test_each_new_topic_is_the_primary_topic_of_its_example(
    topic_id: str, heading: str, body: str
) -> None:
    """A section written about the topic (or the gap it fills) gets it as its primary topic."""
    result = assign_topics(_sections([(heading, body)]), load_taxonomy())
    assert result.filter(pl.col("is_primary"))["topic_id"].to_list() == [topic_id], result


@pytest.mark.parametrize(
    "topic_id", sorted({example[0] for example in NEW_TOPIC_EXAMPLES + EXTENDED_TOPIC_EXAMPLES})
)
def test_no_new_topic_matches_unrelated_sections(topic_id: str) -> None:
    """Sections on translation or quantization get none of the example topics."""
    result = assign_topics(_sections(UNRELATED_SECTIONS), load_taxonomy())
    assert result.height > 0  # they do get their own topics
    assert topic_id not in set(result["topic_id"])
