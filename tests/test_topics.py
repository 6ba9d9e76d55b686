"""Tests of the topic taxonomy, topic assignment, discovery and topic frequency tables."""

from __future__ import annotations

import math
import os
import re
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from pipelines.text.tokens import count_words
from pipelines.text.topics.assign import assign_topics, unmatched_sections
from pipelines.text.topics.discover import discover_topics, recurring_topics
from pipelines.text.topics.tables import (
    report_topics,
    topic_frequency,
    topic_terms,
    topic_trend,
    topic_word_frame,
)
from pipelines.text.topics.taxonomy import (
    DEFAULT_TAXONOMY_PATH,
    TaxonomyError,
    load_taxonomy,
    taxonomy_version,
)

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"

# --------------------------------------------------------------------------------------------
# A small heading splitter, local to the tests so they do not depend on the upstream extractor.
# Headings: ATX (#..######), whole-line bold (**Heading**), setext (text over === or ---).
# The first heading is the document title (and goes to the preamble with any text before the
# first real section) when it is the only heading of the top level, or has no body of its own.
# --------------------------------------------------------------------------------------------

_ATX = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BOLD = re.compile(r"^\*\*([^*].*?)\*\*\s*:?\s*$")
_SETEXT = re.compile(r"^(=+|-+)\s*$")
_NUMBERING = re.compile(r"^(?:\d+|[IVXLC]+)[.)]\s+")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_URL = re.compile(r"https?://\S+")
_BOLD_LEVEL = 3


def _heading_text(raw: str) -> str:
    """Heading text without emphasis marks, trailing colon or leading numbering."""
    text = raw.replace("**", "").strip().rstrip(":").strip()
    return _NUMBERING.sub("", text).strip()


def _plain(lines: list[str]) -> str:
    """Rough Markdown → plain text: link targets, URLs and markup characters removed."""
    text = _URL.sub(" ", _LINK.sub(r"\1", "\n".join(lines)))
    return re.sub(r"[*#>|`]", " ", text).strip()


def split_sections(report_id: str, markdown: str) -> pl.DataFrame:
    """Sections frame (upstream schema) of one Markdown report."""
    lines = markdown.splitlines()
    marks: list[tuple[int, str] | str | None] = [None] * len(lines)
    for i, line in enumerate(lines):
        stripped = line.strip()
        previous = lines[i - 1].strip() if i else ""
        if stripped.startswith("```"):
            marks[i] = "skip"
        elif (
            _SETEXT.match(stripped)
            and previous
            and marks[i - 1] != "skip"
            and (not previous.startswith(("*", "-", "+", ">", "|")) or _BOLD.match(previous))
        ):
            marks[i - 1] = (1 if stripped[0] == "=" else 2, _heading_text(previous))
            marks[i] = "skip"
        elif _SETEXT.match(stripped) and stripped.startswith("---"):
            marks[i] = "skip"  # thematic break
        elif match := _ATX.match(stripped):
            marks[i] = (len(match.group(1)), _heading_text(match.group(2)))
        elif match := _BOLD.match(stripped):
            marks[i] = (_BOLD_LEVEL, _heading_text(match.group(1)))
    heads = [(i, mark) for i, mark in enumerate(marks) if isinstance(mark, tuple)]
    blocks = []
    for k, (i, (level, heading)) in enumerate(heads):
        end = heads[k + 1][0] if k + 1 < len(heads) else len(lines)
        body = [lines[n] for n in range(i + 1, end) if marks[n] != "skip"]
        blocks.append((i, level, heading, body))
    start = heads[0][0] if heads else len(lines)
    preamble = [lines[n] for n in range(start) if marks[n] != "skip"]
    if len(blocks) > 1:
        first, levels = blocks[0], [block[1] for block in blocks]
        only_top = first[1] == min(levels) and levels.count(first[1]) == 1
        if only_top or not _plain(first[3]):
            preamble += [lines[first[0]], *first[3]]
            blocks = blocks[1:]
    rows = [
        {
            "ordinal": 0,
            "level": 0,
            "heading": None,
            "parent_heading": None,
            "markdown": "\n".join(preamble),
            "is_preamble": True,
        }
    ]
    stack: list[tuple[int, str]] = []
    for ordinal, (_, level, heading, body) in enumerate(blocks, start=1):
        while stack and stack[-1][0] >= level:
            stack.pop()
        rows.append(
            {
                "ordinal": ordinal,
                "level": level,
                "heading": heading,
                "parent_heading": stack[-1][1] if stack else None,
                "markdown": "\n".join(body),
                "is_preamble": False,
            }
        )
        stack.append((level, heading))
    frame = pl.DataFrame(
        rows,
        schema={
            "ordinal": pl.Int64,
            "level": pl.Int64,
            "heading": pl.String,
            "parent_heading": pl.String,
            "markdown": pl.String,
            "is_preamble": pl.Boolean,
        },
    )
    return frame.with_columns(
        pl.lit(report_id).alias("report_id"),
        pl.format("{}:{}", pl.lit(report_id), pl.col("ordinal").cast(pl.String).str.zfill(2)).alias(
            "section_id"
        ),
        pl.lit(None, dtype=pl.Int64).alias("number"),
        pl.Series("plain_text", [_plain(text.splitlines()) for text in frame["markdown"]]),
    ).with_columns(count_words(pl.col("plain_text")).alias("n_words"))


def load_sections(paths: list[Path]) -> pl.DataFrame:
    """Sections of several files; report_id is the seed number or the corpus file stem."""
    frames = [
        split_sections(
            path.stem.split("_")[0] if path.suffix == ".txt" else path.stem,
            path.read_text(encoding="utf-8"),
        )
        for path in paths
    ]
    return pl.concat(frames)


def primary_of(section_topics: pl.DataFrame) -> dict[str, str]:
    """section_id → primary topic_id."""
    primary = section_topics.filter(pl.col("is_primary")).select("section_id", "topic_id")
    return dict(primary.iter_rows())


# --------------------------------------------------------------------------------------------
# Hand gold of the five seeds: every section heading (not the title, not the preamble) with
# the topic a human reader gives it as primary, from the heading and the body.
# --------------------------------------------------------------------------------------------

SEED_GOLD: dict[str, dict[str, str]] = {
    # 000: eleven bold-line headings, no title line of its own.
    "000": {
        # An introduction crediting "better architectures ... larger-scale datasets".
        "Recent Breakthroughs in AI LLMs": "architecture_scale",
        "Transformers-based LLMs": "architecture_scale",
        "Large-Scale Language Models": "architecture_scale",
        "Pre-training and Fine-tuning": "fine_tuning_customization",
        "Adversarial Attacks and Defenses": "robustness_security",
        "Explainability and Interpretability": "explainability",
        "Multimodal Learning": "multimodal",
        "Efficient and Scalable Models": "efficiency_sustainability",
        "Ethics and Fairness in AI LLMs": "ethics_fairness",
        "Multilingual Support and Low-Resource Languages": "multilingual_translation",
        "Future Directions": "outlook_future",
    },
    # 001: ## and ### headings under a # title.
    "001": {
        "Introduction": "overview_summary",
        "Recent Breakthroughs in AI LLMs": "architecture_scale",  # billions of parameters
        "Examples of Large LLMs Models": "architecture_scale",  # Megatron-LM, LLaMA
        "Edge AI and Federated Learning": "edge_federated",
        "Benefits of Edge AI and Federated Learning": "edge_federated",
        "Explainability and Transparency": "explainability",
        "Techniques for Explainability and Transparency": "explainability",
        "Hybrid Approaches": "hybrid_neurosymbolic",  # symbolic + connectionist AI
        "Benefits of Hybrid Approaches": "hybrid_neurosymbolic",
        "AutoML and Meta-Learning": "automl_meta_learning",
        "Benefits of AutoML and Meta-Learning": "automl_meta_learning",
        "Addressing the Data Quality Crisis": "data_quality",
        "Techniques for Addressing the Data Quality Crisis": "data_quality",
        "Creative Applications of AI LLMs": "creative_applications",
        "Applications of AI LLMs in Creativity": "creative_applications",
        "Conversational AI LLMs": "conversational_agents",
        "Benefits of Conversational AI LLMs": "conversational_agents",
        "Ethics in AI LLMs": "ethics_fairness",
        "Principles of Ethical AI LLMs": "ethics_fairness",
    },
    "002": {
        "Advancements in Fine-Tuning Techniques": "fine_tuning_customization",
        "Emergence of Multimodal Models": "multimodal",
        "Increased Focus on Energy Efficiency": "efficiency_sustainability",
        "Development of Smaller, Optimized Models": "efficiency_sustainability",
        "Explainability and Interpretability Research": "explainability",
        "Integration of Ethically Aligned AI": "ethics_fairness",
        "Human-AI Collaboration Tools": "human_ai_collaboration",
        "Robustness Against Adversarial Inputs": "robustness_security",
        # "advanced reasoning and problem-solving abilities" is the body's main claim.
        "Continued Evolution of Language Models' Capabilities": "reasoning_planning",
        "Redirection Towards Real-Time Applications": "conversational_agents",  # chatbots
    },
    "003": {
        "Advancements in Multimodal Models": "multimodal",
        "Increased Efficiency Through Sparse Training": "efficiency_sustainability",
        "Personalized AI Experiences": "personalization",
        "Ethical AI Frameworks": "ethics_fairness",
        "AI LLMs in Education": "education",
        "Natural Language Understanding (NLU) Breakthroughs": "language_understanding",
        "Real-Time Translation Enhancements": "multilingual_translation",
        "Cross-Disciplinary Applications": "industry_applications",  # healthcare, legal
        "Decentralization in Development": "open_source_decentralization",
        "Advances in Explainability": "explainability",
    },
    "004": {
        "Advancements in Multimodal Learning": "multimodal",
        "Increased Efficiency in Training": "efficiency_sustainability",
        "Ethical AI and Bias Mitigation": "ethics_fairness",
        # Customizing (fine-tuning) models per industry: domain customization.
        "Customized LLMs for Specific Industries": "fine_tuning_customization",
        "Real-time Conversational Agents": "conversational_agents",
        "Enhanced Memory Integration": "memory_long_context",
        "Open Source LLMs Dominance": "open_source_decentralization",
        "Sustainability and Energy-Efficient Models": "efficiency_sustainability",
        "Integration with Other Technologies": "iot_robotics",
        "Focus on Regulatory Compliance": "regulation_compliance",
    },
}

# The canonical topics the product owner asked for, all of which the taxonomy must define.
REQUIRED_TOPICS = {
    "multimodal",
    "efficiency_sustainability",
    "explainability",
    "ethics_fairness",
    "fine_tuning_customization",
    "conversational_agents",
    "memory_long_context",
    "open_source_decentralization",
    "regulation_compliance",
    "robustness_security",
    "multilingual_translation",
    "education",
    "edge_federated",
    "hybrid_neurosymbolic",
    "automl_meta_learning",
    "data_quality",
    "creative_applications",
    "human_ai_collaboration",
    "personalization",
    "iot_robotics",
    "industry_applications",
    "architecture_scale",
    "outlook_future",
}

# Corpus reports on AI / LLM advances (checked by reading each one). 034 is in Portuguese but
# on subject; 016, 022 and 066 are about AI agents, also on subject.
AI_LLM_REPORTS = [
    "report_001",
    "report_004",
    "report_010",
    "report_016",
    "report_022",
    "report_023",
    "report_034",
    "report_040",
    "report_044",
    "report_054",
    "report_055",
    "report_058",
    "report_066",
]
# Off-subject reports, with words of their own sections that a discovered label should use.
# 017 (AI in Portuguese healthcare) is counted off-subject: not about LLMs, not in English.
# 063's sections never say "asteroid" or "mining" (only its title does): fuel, oxygen... do.
OFF_SUBJECT_WORDS: dict[str, set[str]] = {
    "report_017": {"saúde", "dados", "pacientes", "médicos", "diagnósticos", "oportunidades"},
    "report_028": {"image", "opencv", "diffusion", "stable", "processing", "recognition"},
    "report_033": {"film", "movie", "filmmaking", "cinema", "streaming", "productions"},
    "report_038": {"linkedin", "job", "search", "skill", "thought", "leadership", "networking"},
    "report_063": {"asteroid", "mining", "fuel", "oxygen", "bandwidth", "consumption", "resource"},
    "report_067": {"coding", "secure", "security", "owasp", "session", "access", "java"},
    "report_069": {"tamil", "tamilnadu", "chennai", "tourism", "heritage", "water", "smart"},
}


@pytest.fixture(scope="module")
def taxonomy() -> pl.DataFrame:
    """The packaged taxonomy."""
    return load_taxonomy()


@pytest.fixture(scope="module")
def seed_sections() -> pl.DataFrame:
    """Sections of the five seed reports."""
    return load_sections(sorted(SEEDS.glob("*.txt")))


@pytest.fixture(scope="module")
def seed_topics(seed_sections: pl.DataFrame, taxonomy: pl.DataFrame) -> pl.DataFrame:
    """Topic assignments of the seed sections."""
    return assign_topics(seed_sections, taxonomy)


@pytest.fixture(scope="module")
def corpus_sections() -> pl.DataFrame:
    """Sections of the shared corpus; skipped locally when absent, a failure under CI."""
    if not CORPUS.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"shared corpus missing at {CORPUS} (CI is set)")
        pytest.skip(f"shared corpus not found at {CORPUS}")
    return load_sections(sorted(CORPUS.glob("report_*.md")))


@pytest.fixture(scope="module")
def corpus_topics(corpus_sections: pl.DataFrame, taxonomy: pl.DataFrame) -> pl.DataFrame:
    """Topic assignments of the corpus sections."""
    return assign_topics(corpus_sections, taxonomy)


# --------------------------------------------------------------------------------------------
# Taxonomy
# --------------------------------------------------------------------------------------------


def test_taxonomy_is_versioned_and_covers_the_required_topics(taxonomy: pl.DataFrame) -> None:
    """The packaged taxonomy has a version, unique snake_case ids, terms for every topic."""
    assert taxonomy_version() == 2
    assert taxonomy["taxonomy_version"].unique().to_list() == [2]
    assert DEFAULT_TAXONOMY_PATH.name == "topics.toml"
    assert taxonomy["topic_id"].is_unique().all()
    assert set(taxonomy["topic_id"]) >= REQUIRED_TOPICS
    assert (taxonomy["terms"].list.len() > 0).all()
    assert taxonomy["label"].str.len_chars().min() > 0
    assert taxonomy["description"].str.len_chars().min() > 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[[topic]]\nid = "a"\nlabel = "A"\nterms = ["x"]\n', "version"),
        ('version = 1\n[[topic]]\nid = "Bad-Id"\nlabel = "A"\nterms = ["x"]\n', "snake_case"),
        (
            'version = 1\n[[topic]]\nid = "a"\nlabel = "A"\nterms = ["x"]\n'
            '[[topic]]\nid = "a"\nlabel = "B"\nterms = ["y"]\n',
            "duplicate id",
        ),
        ('version = 1\n[[topic]]\nid = "a"\nlabel = "A"\nterms = []\n', "non-empty list"),
        ('version = 1\n[[topic]]\nid = "a"\nlabel = "A"\nterms = ["  "]\n', "empty"),
        ('version = 1\n[[topic]]\nid = "a"\nlabel = "A"\nterms = ["in*side"]\n', "only at the end"),
        ('version = 1\n[[topic]]\nid = "a"\nlabel = "A"\nterms = ["..."]\n', "without any word"),
        ('version = 1\n[[topic]]\nid = "new_x"\nlabel = "A"\nterms = ["x"]\n', "reserved"),
        ("version = 1\n", "no [[topic]]"),
        ("version = [\n", "invalid TOML"),
    ],
)
def test_taxonomy_errors_are_clear(tmp_path: Path, body: str, message: str) -> None:
    """Malformed taxonomies raise TaxonomyError naming the problem."""
    path = tmp_path / "topics.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(TaxonomyError, match=re.escape(message)):
        load_taxonomy(path)


def test_missing_taxonomy_file_is_a_taxonomy_error(tmp_path: Path) -> None:
    """A missing file is reported as such."""
    with pytest.raises(TaxonomyError, match="not found"):
        load_taxonomy(tmp_path / "nope.toml")


def test_term_syntax_phrases_hyphens_wildcards_and_possessives(tmp_path: Path) -> None:
    """Phrases match adjacent words, hyphen = space, `*` matches endings, possessives drop."""
    path = tmp_path / "topics.toml"
    path.write_text(
        "version = 3\n"
        '[[topic]]\nid = "tuning"\nlabel = "Tuning"\nterms = ["fine-tuning"]\n'
        '[[topic]]\nid = "interp"\nlabel = "Interp"\nterms = ["interpretab*"]\n'
        '[[topic]]\nid = "fed"\nlabel = "Fed"\nterms = ["federated learning", "model"]\n',
        encoding="utf-8",
    )
    taxonomy = load_taxonomy(path)
    assert taxonomy_version(path) == 3
    sections = pl.DataFrame(
        {
            "section_id": ["s1", "s2", "s3", "s4"],
            "report_id": ["r"] * 4,
            "heading": ["Fine tuning", "Interpretability", "Federated Learning", "Learning"],
            "parent_heading": [None] * 4,
            "plain_text": [
                "Fine-tuning again.",
                "Interpretable models.",
                "The model's federated learning setup.",
                "Federated systems and learning, not the phrase.",
            ],
        }
    )
    result = assign_topics(sections, taxonomy)
    assert primary_of(result) == {"s1": "tuning", "s2": "interp", "s3": "fed"}
    evidence = result.filter(pl.col("section_id") == "s3")["evidence"].to_list()[0]
    assert evidence == ["federated learning", "model"]


# --------------------------------------------------------------------------------------------
# Assignment on the seeds: hand gold
# --------------------------------------------------------------------------------------------


def test_splitter_finds_every_gold_heading(seed_sections: pl.DataFrame) -> None:
    """The local splitter yields exactly the hand-labelled headings of each seed."""
    sections = seed_sections.filter(~pl.col("is_preamble"))
    for report_id, gold in SEED_GOLD.items():
        headings = sections.filter(pl.col("report_id") == report_id)["heading"].to_list()
        assert headings == list(gold), report_id
    assert sum(len(gold) for gold in SEED_GOLD.values()) == 60


def test_seed_primary_topics_match_the_hand_gold(
    seed_sections: pl.DataFrame, seed_topics: pl.DataFrame
) -> None:
    """At least 90% of seed sections get the hand-labelled primary topic."""
    primary = primary_of(seed_topics)
    sections = seed_sections.filter(~pl.col("is_preamble"))
    misses = []
    for row in sections.iter_rows(named=True):
        expected = SEED_GOLD[row["report_id"]][row["heading"]]
        got = primary.get(row["section_id"])
        if got != expected:
            misses.append((row["report_id"], row["heading"], expected, got))
    accuracy = 1 - len(misses) / sections.height
    assert accuracy >= 0.9, misses


def test_seed_report_counts_given_by_the_product_owner(seed_topics: pl.DataFrame) -> None:
    """Multimodal is primary in reports 000/002/003/004, ethics in all, explainability in 000-003."""

    def reports_with(topic_id: str) -> set[str]:
        primary = seed_topics.filter(pl.col("is_primary") & (pl.col("topic_id") == topic_id))
        return set(primary["report_id"])

    assert reports_with("multimodal") == {"000", "002", "003", "004"}
    assert reports_with("ethics_fairness") == {"000", "001", "002", "003", "004"}
    assert reports_with("explainability") == {"000", "001", "002", "003"}


def test_assignment_invariants(seed_sections: pl.DataFrame, seed_topics: pl.DataFrame) -> None:
    """One primary per tagged section, the best score; evidence non-empty; known columns."""
    assert seed_topics.columns == [
        "section_id",
        "report_id",
        "topic_id",
        "score",
        "is_primary",
        "evidence",
    ]
    assert seed_topics.schema["evidence"] == pl.List(pl.String)
    per_section = seed_topics.group_by("section_id").agg(
        pl.col("is_primary").sum().alias("n_primary"),
        (pl.col("score").max() == pl.col("score").filter(pl.col("is_primary")).first()).alias(
            "primary_is_best"
        ),
    )
    assert (per_section["n_primary"] == 1).all()
    assert per_section["primary_is_best"].all()
    assert (seed_topics["evidence"].list.len() > 0).all()
    assert (seed_topics["score"] >= 3.0).all()
    assert seed_topics.select(["section_id", "topic_id"]).is_unique().all()
    assert set(seed_topics["section_id"]) <= set(seed_sections["section_id"])
    # Several topics per section are allowed (secondary topics).
    assert seed_topics.height > seed_topics["section_id"].n_unique()


def test_assignment_is_independent_of_row_order(
    seed_sections: pl.DataFrame, seed_topics: pl.DataFrame, taxonomy: pl.DataFrame
) -> None:
    """Shuffling the input sections gives the same assignments."""
    shuffled = assign_topics(seed_sections.sample(fraction=1.0, shuffle=True, seed=7), taxonomy)
    assert shuffled.equals(seed_topics)


def test_empty_sections_give_an_empty_frame(taxonomy: pl.DataFrame) -> None:
    """No sections, no rows, same columns."""
    empty = assign_topics(
        pl.DataFrame(
            schema={"section_id": pl.String, "report_id": pl.String, "heading": pl.String}
            | {"plain_text": pl.String}
        ),
        taxonomy,
    )
    assert empty.height == 0
    assert empty.columns == [
        "section_id",
        "report_id",
        "topic_id",
        "score",
        "is_primary",
        "evidence",
    ]


# --------------------------------------------------------------------------------------------
# Corpus: coverage, discovery, editing the taxonomy
# --------------------------------------------------------------------------------------------


def test_corpus_ai_llm_sections_mostly_get_a_taxonomy_topic(
    corpus_sections: pl.DataFrame, corpus_topics: pl.DataFrame
) -> None:
    """At least 80% of sections of the AI-LLM reports get a topic."""
    present = set(corpus_sections["report_id"])
    assert set(AI_LLM_REPORTS) <= present
    assert set(OFF_SUBJECT_WORDS) <= present
    sections = corpus_sections.filter(
        ~pl.col("is_preamble") & pl.col("report_id").is_in(AI_LLM_REPORTS)
    )
    tagged = sections["section_id"].is_in(corpus_topics["section_id"].implode())
    assert tagged.mean() >= 0.8, sections.filter(~tagged)["heading"].to_list()


def test_discovery_labels_off_subject_reports_with_their_own_words(
    corpus_sections: pl.DataFrame, corpus_topics: pl.DataFrame
) -> None:
    """Unmatched off-subject sections cluster into topics labelled with their report's words."""
    off = corpus_sections.filter(
        ~pl.col("is_preamble") & pl.col("report_id").is_in(list(OFF_SUBJECT_WORDS))
    )
    unmatched = unmatched_sections(off, corpus_topics)
    discovered, assignments = discover_topics(unmatched)
    assert discovered.height >= 5
    assert (discovered["n_sections"] >= 2).all()
    assert discovered["topic_id"].str.starts_with("new_").all()
    assert set(assignments["section_id"]) <= set(unmatched["section_id"])
    report_of = dict(unmatched.select("section_id", "report_id").iter_rows())
    labelled: set[str] = set()
    for topic in discovered.iter_rows(named=True):
        members = [report_of[section_id] for section_id in topic["member_section_ids"]]
        majority = max(set(members), key=members.count)
        if members.count(majority) * 2 > len(members):
            assert " · ".join(topic["top_terms"]) == topic["label"]
            if set(topic["top_terms"]) & OFF_SUBJECT_WORDS[majority]:
                labelled.add(majority)
    counts = unmatched.group_by("report_id").len()
    with_clusters = set(counts.filter(pl.col("len") >= 2)["report_id"])
    assert len(with_clusters) >= 5
    assert with_clusters <= labelled, (with_clusters - labelled, discovered["label"].to_list())


def test_editing_the_taxonomy_file_adds_a_topic_without_code_change(
    tmp_path: Path, corpus_sections: pl.DataFrame, corpus_topics: pl.DataFrame
) -> None:
    """A new [[topic]] in a copy of the toml tags the asteroid-mining report's sections."""
    asteroid = corpus_sections.filter(
        ~pl.col("is_preamble") & (pl.col("report_id") == "report_063")
    )
    assert not corpus_topics["topic_id"].is_in(["asteroid_mining"]).any()
    version = taxonomy_version()
    text = DEFAULT_TAXONOMY_PATH.read_text(encoding="utf-8").replace(
        f"version = {version}", f"version = {version + 1}", 1
    )
    text += (
        "\n[[topic]]\n"
        'id = "asteroid_mining"\n'
        'label = "Asteroid mining"\n'
        'description = "Space resource extraction missions and their consumables."\n'
        'terms = ["asteroid*", "mining", "resource extraction", "space resource*", "oxygen",\n'
        '  "fuel", "bandwidth", "mission", "anomal*"]\n'
    )
    path = tmp_path / "topics.toml"
    path.write_text(text, encoding="utf-8")
    assert taxonomy_version(path) == version + 1
    result = assign_topics(asteroid, load_taxonomy(path))
    tagged = result.filter(pl.col("topic_id") == "asteroid_mining")
    assert set(tagged["section_id"]) == set(asteroid["section_id"])
    assert tagged["is_primary"].all()


# --------------------------------------------------------------------------------------------
# Discovery on hand-made sections
# --------------------------------------------------------------------------------------------

_DOCS = {
    "tn:1": "Tamil Nadu tourism heritage temples festivals Chennai culture visitors.",
    "tn:2": "Chennai heritage tourism temples culture of Tamil Nadu draws visitors.",
    "ast:1": "Asteroid mining mission fuel oxygen bandwidth resource consumption.",
    "ast:2": "The asteroid mission tracks fuel and oxygen consumption and mining resource.",
    "li:1": "LinkedIn networking recruiters jobs profile professionals career.",
    "li:2": "LinkedIn jobs recruiters profile networking career growth professionals.",
}


def _unmatched(docs: dict[str, str]) -> pl.DataFrame:
    """Unmatched-sections frame of hand-made texts (report = id prefix)."""
    return pl.DataFrame(
        {
            "section_id": list(docs),
            "report_id": [section_id.split(":")[0] for section_id in docs],
            "heading": [None] * len(docs),
            "plain_text": list(docs.values()),
        },
        schema={
            "section_id": pl.String,
            "report_id": pl.String,
            "heading": pl.String,
            "plain_text": pl.String,
        },
    )


def test_discovery_is_deterministic_and_ids_are_stable() -> None:
    """Same input (any order) → same output; growing one cluster keeps the others' ids."""
    frame = _unmatched(_DOCS)
    first = discover_topics(frame)
    again = discover_topics(frame.reverse())
    assert first[0].equals(again[0])
    assert first[1].equals(again[1])
    discovered = first[0]
    members = {tuple(row) for row in discovered["member_section_ids"].to_list()}
    assert members == {("ast:1", "ast:2"), ("li:1", "li:2"), ("tn:1", "tn:2")}
    ids = dict(
        zip(discovered["member_section_ids"].list.first(), discovered["topic_id"], strict=True)
    )
    labels = dict(
        zip(discovered["member_section_ids"].list.first(), discovered["label"], strict=True)
    )
    assert "asteroid" in labels["ast:1"]
    assert "linkedin" in labels["li:1"]
    assert "heritage" in labels["tn:1"]

    grown = discover_topics(
        _unmatched(_DOCS | {"ast:3": "Asteroid fuel oxygen mining mission thrusters bandwidth."})
    )[0]
    grown_ids = dict(zip(grown["member_section_ids"].list.first(), grown["topic_id"], strict=True))
    assert grown_ids["li:1"] == ids["li:1"]
    assert grown_ids["tn:1"] == ids["tn:1"]
    assert grown_ids["ast:1"] != ids["ast:1"]
    assert grown.filter(pl.col("topic_id") == grown_ids["ast:1"])["n_sections"].item() == 3


def test_discovery_handles_zero_and_one_section() -> None:
    """No crash on 0 or 1 unmatched sections; a singleton is a topic only if allowed."""
    empty_topics, empty_assignments = discover_topics(_unmatched({}))
    assert empty_topics.height == 0 and empty_assignments.height == 0
    assert empty_topics.columns == [
        "topic_id",
        "label",
        "top_terms",
        "n_sections",
        "n_reports",
        "member_section_ids",
    ]
    assert empty_assignments.columns == ["section_id", "report_id", "topic_id", "score"]
    one = _unmatched({"ast:1": _DOCS["ast:1"]})
    assert discover_topics(one)[0].height == 0
    topics, assignments = discover_topics(one, min_cluster_size=1)
    assert topics["member_section_ids"].to_list() == [["ast:1"]]
    assert assignments["score"].to_list() == [pytest.approx(1.0)]
    stopwords_only = _unmatched({"x:1": "the and of", "x:2": "it is a"})
    assert discover_topics(stopwords_only)[0].height == 0


# --------------------------------------------------------------------------------------------
# Recurring discovered topics, and labels without the stopwords of the report's language
# --------------------------------------------------------------------------------------------

# Hand-written reports: each has an AI section the taxonomy tags, plus untagged text. The
# beekeeping theme recurs in two reports; the sailing theme fills two sections of ONE report.
THEME_REPORTS = {
    "apiary_notes.md": """# Model Release Notes

## 1. Reasoning benchmarks

Large language models improved on reasoning benchmarks this quarter. Transformer
architectures with more parameters solved harder math problems, and chain-of-thought
prompting raised accuracy on multi-step questions.

## 2. Beekeeping on the rooftop

The rooftop apiary now holds six hives. Beekeepers inspected every hive for the queen,
counted the frames of capped honey and checked the swarm cells. The honey harvest reached
forty jars of wildflower honey, and the bees pollinated the orchard next door.
""",
    "orchard_update.md": """# Quarterly Update

## 1. Fine-tuning results

Fine-tuning the pretrained models on domain-specific data cut the error rate, and
instruction tuning made the assistants follow formatting rules more often.

## 2. Hives and pollination

Our beekeepers split two strong hives before the swarm season. Each hive kept a young
queen, and the bees pollinated the apple orchard. We extracted the honey from the capped
frames: the wildflower honey sold out at the farm shop.
""",
    "harbour_log.md": """# Harbour Log

## 1. Model architectures

New transformer architectures with billions of parameters were released, and scaling the
layers improved the models on long documents.

## 2. Sailing the regatta

The sailing club raced twelve yachts in the autumn regatta. Sailors trimmed the mainsail
and the jib as the wind rose, and the fastest yacht rounded the buoy first. After the race
the crews moored the yachts in the harbour.

## 3. Keeping yachts seaworthy

Before the regatta the sailors scraped the hull of every yacht, checked the keel bolts
and replaced the worn sheets on the jib. The harbour master inspected the moorings, and the
club hauled two yachts out of the harbour for winter.
""",
}
FRENCH_REPORT = """# Rapport sur les villages

## La boulangerie des villages

Les boulangers des villages préparent le pain chaque matin avec de la farine des moulins
locaux. Les fours des boulangeries chauffent dès quatre heures et les habitants achètent les
baguettes et les miches pour la journée. Dans les villages, la boulangerie est aussi un lieu
de rencontre pour les habitants.

## Le levain et la farine

Le levain des boulangers est nourri avec de la farine et de l'eau. Les boulangers gardent le
levain pendant des années, et les miches de pain au levain se conservent plusieurs jours.
Les moulins des villages livrent la farine aux boulangeries.
"""
TURKISH_REPORT = """# Köy raporu

## Köy pazarı

Bu köyde her hafta bir pazar kurulur ve bu pazar için köylüler sebze ve meyve getirir.
Pazarcılar tezgahlarını sabah erkenden kurar ve bir çok aile alışverişini bu pazarda yapar.
Pazar köy için bir buluşma yeri olarak da önemlidir.

## Pazarda sebze ve meyve

Bu pazarda domates, biber ve elma gibi sebze ve meyve satılır. Pazarcılar her sabah bir
kamyon ile köye gelir ve tezgahlarda taze sebze ve meyve bulunur. Bu pazar için köylüler bir
yıl boyunca sebze ve meyve yetiştirir.
"""

# Function words a reader of each language would never accept in a topic label (hand list).
FRENCH_FUNCTION_WORDS = {
    "le", "la", "les", "des", "de", "du", "un", "une", "et", "en", "est", "au", "aux", "pour",
    "dans", "avec", "sur", "par", "se", "ce", "ces", "aussi", "pendant", "dès", "chaque",
    "l", "d",
}  # fmt: skip
TURKISH_FUNCTION_WORDS = {
    "bir", "ve", "bu", "için", "ile", "da", "de", "her", "çok", "gibi", "olarak", "boyunca",
}  # fmt: skip


def _theme_sections(reports: dict[str, str]) -> pl.DataFrame:
    """Sections of hand-written reports (report_id = file stem)."""
    return pl.concat(
        [split_sections(name.removesuffix(".md"), text) for name, text in reports.items()]
    )


def test_single_report_clusters_stay_out_of_the_topic_tables(taxonomy: pl.DataFrame) -> None:
    """The theme of two reports is a recurring topic in topic_frequency, report_topics and
    topic_trend; the theme of one report is only in discovered_topics, with n_reports 1."""
    sections = _theme_sections(THEME_REPORTS)
    tagged = assign_topics(sections, taxonomy)
    unmatched = unmatched_sections(sections.filter(~pl.col("is_preamble")), tagged)
    assert set(unmatched["heading"]) == {
        "Beekeeping on the rooftop",
        "Hives and pollination",
        "Sailing the regatta",
        "Keeping yachts seaworthy",
    }
    discovered, members = discover_topics(unmatched)
    by_label = {row["label"]: row for row in discovered.iter_rows(named=True)}
    bees = next(row for label, row in by_label.items() if "honey" in label)
    sails = next(row for label, row in by_label.items() if "regatta" in label)
    assert (bees["n_sections"], bees["n_reports"]) == (2, 2)
    assert (sails["n_sections"], sails["n_reports"]) == (2, 1)

    recurring, recurring_members = recurring_topics(discovered, members)
    assert recurring["topic_id"].to_list() == [bees["topic_id"]]
    assert set(recurring_members["topic_id"]) == {bees["topic_id"]}
    assignments = pl.concat(
        [
            tagged.select("section_id", "report_id", "topic_id", "score", "is_primary"),
            recurring_members.with_columns(pl.lit(True).alias("is_primary")),
        ]
    )
    labels = pl.concat(
        [taxonomy.select("topic_id", "label"), recurring.select("topic_id", "label")]
    )
    reports = pl.DataFrame(
        {
            "report_id": [name.removesuffix(".md") for name in THEME_REPORTS],
            "report_date": [datetime(2025, 1, day) for day in (1, 2, 3)],
            "arrival_rank": [1, 2, 3],
        }
    )
    frequency = topic_frequency(assignments, sections, reports, labels)
    row = frequency.filter(pl.col("topic_id") == bees["topic_id"]).row(0, named=True)
    assert (row["label"], row["n_reports"], row["n_sections"]) == (bees["label"], 2, 2)
    for table in (
        frequency,
        report_topics(assignments, sections),
        topic_trend(assignments, sections, reports),
    ):
        assert sails["topic_id"] not in table["topic_id"].to_list()
        assert bees["topic_id"] in table["topic_id"].to_list()


@pytest.mark.pipeline
def test_pipeline_lands_single_report_topics_in_discovered_topics_only(tmp_path: Path) -> None:
    """`reportscope run` on the hand-written reports: the beekeeping topic (2 reports) is in
    corpus.topics and topic_frequency; the sailing, French and Turkish ones (1 report each)
    are in corpus.discovered_topics only, with n_reports = 1, and labels free of stopwords."""
    import duckdb

    from tests.conftest import build_warehouse

    reports = tmp_path / "reports"
    reports.mkdir()
    for name, text in {
        **THEME_REPORTS,
        "rapport_villages.md": FRENCH_REPORT,
        "koy_raporu.md": TURKISH_REPORT,
    }.items():
        (reports / name).write_text(text, encoding="utf-8")
    warehouse = build_warehouse(tmp_path, reports)
    with duckdb.connect(str(warehouse / "reportscope.duckdb"), read_only=True) as con:
        discovered = con.sql("SELECT topic_id, label, n_reports FROM corpus.discovered_topics").pl()
        frequency = con.sql("SELECT topic_id, n_reports FROM corpus.topic_frequency").pl()
        catalog = con.sql("SELECT topic_id FROM corpus.topics WHERE source = 'discovered'").pl()
        members = con.sql("SELECT DISTINCT topic_id FROM corpus.discovered_section_topics").pl()
    by_word = {
        word: row
        for row in discovered.iter_rows(named=True)
        for word in ("honey", "regatta", "levain", "pazar")
        if word in row["label"]
    }
    assert set(by_word) == {"honey", "regatta", "levain", "pazar"}, discovered
    bees = by_word.pop("honey")
    assert bees["n_reports"] == 2
    assert dict(frequency.iter_rows())[bees["topic_id"]] == 2
    assert catalog["topic_id"].to_list() == members["topic_id"].to_list() == [bees["topic_id"]]
    for row in by_word.values():
        assert row["n_reports"] == 1
        assert row["topic_id"] not in frequency["topic_id"].to_list()
    labels = {
        word for row in discovered.iter_rows(named=True) for word in row["label"].split(" · ")
    }
    assert not labels & (FRENCH_FUNCTION_WORDS | TURKISH_FUNCTION_WORDS), labels


@pytest.mark.parametrize(
    ("report", "function_words", "theme_words"),
    [
        (FRENCH_REPORT, FRENCH_FUNCTION_WORDS, {"farine", "levain", "boulangers", "villages"}),
        (TURKISH_REPORT, TURKISH_FUNCTION_WORDS, {"pazar", "sebze", "meyve", "pazarcılar"}),
    ],
    ids=["french", "turkish"],
)
def test_discovered_labels_hold_no_stopword_of_the_report_language(
    report: str, function_words: set[str], theme_words: set[str]
) -> None:
    """A French and a Turkish two-section cluster: "des", "les", "bir", "ve" are among the
    most frequent words of the text, yet the label is made of the theme's words only."""
    sections = _theme_sections({"local.md": report, **THEME_REPORTS})
    local = sections.filter(pl.col("report_id") == "local")
    frequent = (
        local.select(pl.col("plain_text").str.to_lowercase().str.extract_all(r"\w+"))
        .explode("plain_text")
        .group_by("plain_text")
        .len()
        .sort("len", descending=True)
        .head(5)["plain_text"]
    )
    assert set(frequent) & function_words  # without the language's stopwords they would lead
    discovered, _ = discover_topics(sections.filter(~pl.col("is_preamble")))
    cluster = discovered.filter(
        pl.col("member_section_ids").list.eval(pl.element().str.starts_with("local:")).list.all()
    )
    assert cluster.height == 1, discovered
    terms = cluster["top_terms"][0].to_list()
    assert len(terms) == 3
    assert not set(terms) & function_words, terms
    assert set(terms) <= theme_words, terms
    assert cluster["label"][0] == " · ".join(terms)


# --------------------------------------------------------------------------------------------
# Log-odds with an informative Dirichlet prior
# --------------------------------------------------------------------------------------------


def test_topic_terms_log_odds_on_a_toy_corpus() -> None:
    """A word used only in topic A ranks first for A; δ matches a hand computation."""
    words = pl.DataFrame(
        {
            "topic_id": ["A"] * 4 + ["B"] * 4,
            "word": ["alpha", "alpha", "alpha", "common", "beta", "beta", "common", "common"],
        }
    )
    # Hand computation, α0 = prior = 8, n = 8, so α_w = 8 · y_w / 8 = y_w.
    # "alpha" in A: y_i = 3, n_i = 4, y_j = 0, n_j = 4, α = 3.
    #   δ = ln((3+3)/(4+8-3-3)) - ln((0+3)/(4+8-0-3)) = ln(6/6) - ln(3/9) = ln 3 ≈ 1.098612
    #   σ² = 1/(3+3) + 1/(0+3) = 0.5, z = 1.098612 / √0.5 ≈ 1.553672
    # "common" in A: y_i = 1, y_j = 2, α = 3:
    #   δ = ln(4/8) - ln(5/7) ≈ -0.356675
    terms = topic_terms(words, prior=8.0, top_n=10)
    assert terms.columns == ["topic_id", "term", "count", "log_odds", "z_score"]
    a = terms.filter(pl.col("topic_id") == "A")
    assert a["term"].to_list() == ["alpha", "common"]
    alpha = a.row(0, named=True)
    assert alpha["count"] == 3
    assert alpha["log_odds"] == pytest.approx(1.098612, abs=1e-6)
    assert alpha["log_odds"] == pytest.approx(math.log(3))
    assert alpha["z_score"] == pytest.approx(1.553672, abs=1e-6)
    assert a.row(1, named=True)["log_odds"] == pytest.approx(-0.356675, abs=1e-6)
    b = terms.filter(pl.col("topic_id") == "B")
    assert b["term"].to_list()[0] == "beta"


def test_topic_terms_drops_stopwords_short_tokens_and_keeps_top_n(
    seed_sections: pl.DataFrame, seed_topics: pl.DataFrame
) -> None:
    """On the seeds: no stopword or <3-char term, ≤ top_n per topic, sorted by z."""
    words = topic_word_frame(seed_sections, seed_topics)
    terms = topic_terms(words, top_n=5)
    assert (terms.group_by("topic_id").len()["len"] <= 5).all()
    assert (terms["term"].str.len_chars() >= 3).all()
    assert not terms["term"].is_in(["the", "and", "with", "their"]).any()
    multimodal = terms.filter(pl.col("topic_id") == "multimodal")["term"].to_list()
    assert "multimodal" in multimodal
    z = terms.filter(pl.col("topic_id") == "ethics_fairness")["z_score"].to_list()
    assert z == sorted(z, reverse=True)


# --------------------------------------------------------------------------------------------
# Frequency tables on a hand-made frame
# --------------------------------------------------------------------------------------------


@pytest.fixture
def small() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Two reports, five sections (one preamble), hand-made topic assignments."""
    sections = pl.DataFrame(
        {
            "section_id": ["r1:0", "r1:1", "r1:2", "r2:1", "r2:2"],
            "report_id": ["r1", "r1", "r1", "r2", "r2"],
            "ordinal": [0, 1, 2, 1, 2],
            "n_words": [10, 30, 60, 50, 50],
        }
    )
    section_topics = pl.DataFrame(
        {
            "section_id": ["r1:1", "r1:2", "r1:2", "r2:1"],
            "report_id": ["r1", "r1", "r1", "r2"],
            "topic_id": ["multimodal", "ethics_fairness", "multimodal", "multimodal"],
            "score": [5.0, 6.0, 3.0, 5.0],
            "is_primary": [True, True, False, True],
            "evidence": [["image"], ["bias"], ["audio"], ["video"]],
        }
    )
    reports = pl.DataFrame(
        {
            "report_id": ["r1", "r2"],
            "file_name": ["r1.md", "r2.md"],
            "title": ["One", "Two"],
            "report_date": [datetime(2024, 1, 1, 10), datetime(2024, 1, 2, 9)],
            "arrival_rank": [1, 2],
        }
    )
    return section_topics, sections, reports


def test_topic_frequency(small: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]) -> None:
    """Counts, word shares, first/last seen and mean relative position by primary topic."""
    section_topics, sections, reports = small
    table = topic_frequency(section_topics, sections, reports)
    assert table.columns == [
        "topic_id",
        "label",
        "n_reports",
        "n_sections",
        "share_of_words",
        "first_seen",
        "last_seen",
        "first_rank",
        "last_rank",
        "mean_position",
    ]
    rows = {row["topic_id"]: row for row in table.iter_rows(named=True)}
    multimodal = rows["multimodal"]
    assert multimodal["label"] == "Multimodal models"
    assert (multimodal["n_reports"], multimodal["n_sections"]) == (2, 2)
    assert multimodal["share_of_words"] == pytest.approx((30 + 50) / 200)
    assert multimodal["first_seen"] == datetime(2024, 1, 1, 10)
    assert multimodal["last_seen"] == datetime(2024, 1, 2, 9)
    assert (multimodal["first_rank"], multimodal["last_rank"]) == (1, 2)
    # r1:1 sits at (1-0)/(2-0) = 0.5 of r1, r2:1 at (1-1)/(2-1) = 0 of r2.
    assert multimodal["mean_position"] == pytest.approx(0.25)
    ethics = rows["ethics_fairness"]
    assert (ethics["n_reports"], ethics["n_sections"]) == (1, 1)
    assert ethics["share_of_words"] == pytest.approx(60 / 200)
    assert ethics["mean_position"] == pytest.approx(1.0)
    relabelled = topic_frequency(
        section_topics,
        sections,
        reports,
        labels=pl.DataFrame({"topic_id": ["multimodal"], "label": ["MM"]}),
    )
    labels = dict(relabelled.select("topic_id", "label").iter_rows())
    assert labels == {"multimodal": "MM", "ethics_fairness": "ethics_fairness"}


def test_report_topics(small: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]) -> None:
    """Per report and primary topic: sections, words and share of the report's words."""
    section_topics, sections, _ = small
    table = report_topics(section_topics, sections)
    assert table.columns == ["report_id", "topic_id", "n_sections", "n_words", "share_of_words"]
    assert table.rows() == [
        ("r1", "ethics_fairness", 1, 60, pytest.approx(0.6)),
        ("r1", "multimodal", 1, 30, pytest.approx(0.3)),
        ("r2", "multimodal", 1, 50, pytest.approx(0.5)),
    ]


def with_third_report(
    small: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame], day: datetime
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """`small` plus r3 (dated `day`, arriving third): one 40-word multimodal section."""
    section_topics, sections, reports = small
    section_topics = pl.concat(
        [
            section_topics,
            pl.DataFrame(
                {"section_id": ["r3:1"], "report_id": ["r3"], "topic_id": ["multimodal"],
                 "score": [5.0], "is_primary": [True], "evidence": [["image"]]}
            ),
        ]
    )  # fmt: skip
    sections = pl.concat(
        [sections, sections.head(1).with_columns(section_id=pl.lit("r3:1"), report_id=pl.lit("r3"),
                                                 ordinal=pl.lit(1), n_words=pl.lit(40))],
        how="vertical_relaxed",
    )  # fmt: skip
    reports = pl.concat(
        [reports, pl.DataFrame({"report_id": ["r3"], "file_name": ["r3.md"], "title": ["Three"],
                                "report_date": [day], "arrival_rank": [3]})],
        how="vertical_relaxed",
    )  # fmt: skip
    return section_topics, sections, reports


TREND_COLUMNS = [
    "topic_id",
    "axis",
    "report_date",
    "arrival_rank",
    "n_reports",
    "n_sections",
    "share_of_words",
]


def test_topic_trend_buckets_report_days(
    small: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame],
) -> None:
    """Three distinct days: per topic and day bucket, zero-filled where a topic is absent."""
    table = topic_trend(*with_third_report(small, datetime(2024, 1, 3, 8)))
    assert table.columns == TREND_COLUMNS
    # r1 (100 words): ethics 60, multimodal 30; r2 (100 words): multimodal 50; r3: 40 of 40
    assert table.rows() == [
        ("ethics_fairness", "date", datetime(2024, 1, 1), 1, 1, 1, pytest.approx(0.6)),
        ("ethics_fairness", "date", datetime(2024, 1, 2), 2, 1, 0, pytest.approx(0.0)),
        ("ethics_fairness", "date", datetime(2024, 1, 3), 3, 1, 0, pytest.approx(0.0)),
        ("multimodal", "date", datetime(2024, 1, 1), 1, 1, 1, pytest.approx(0.3)),
        ("multimodal", "date", datetime(2024, 1, 2), 2, 1, 1, pytest.approx(0.5)),
        ("multimodal", "date", datetime(2024, 1, 3), 3, 1, 1, pytest.approx(1.0)),
    ]


def test_topic_trend_runs_over_arrival_when_reports_share_dates(
    small: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame],
) -> None:
    """Two distinct days among three reports (a cloned folder): buckets are arrival ranks."""
    same_day = datetime(2024, 1, 2, 9, 0, 0, 500)  # r2's day, half a millisecond later
    table = topic_trend(*with_third_report(small, same_day))
    assert table.columns == TREND_COLUMNS
    assert table["axis"].unique().to_list() == ["arrival"]
    assert table["report_date"].null_count() == table.height
    rows = [(t, rank, n, s, share) for t, _, _, rank, n, s, share in table.rows()]
    assert rows == [
        ("ethics_fairness", 1, 1, 1, pytest.approx(0.6)),
        ("ethics_fairness", 2, 1, 0, pytest.approx(0.0)),
        ("ethics_fairness", 3, 1, 0, pytest.approx(0.0)),
        ("multimodal", 1, 1, 1, pytest.approx(0.3)),
        ("multimodal", 2, 1, 1, pytest.approx(0.5)),
        ("multimodal", 3, 1, 1, pytest.approx(1.0)),
    ]
    # At most two buckets: ranks 1-2 (200 words: multimodal 80) and rank 3.
    pooled = topic_trend(*with_third_report(small, same_day), max_arrival_buckets=2)
    multimodal = pooled.filter(pl.col("topic_id") == "multimodal")
    assert multimodal.select("arrival_rank", "n_reports", "share_of_words").rows() == [
        (1, 2, pytest.approx(0.4)),
        (3, 1, pytest.approx(1.0)),
    ]


def test_topic_terms_from_chunked_counts_equal_terms_from_word_rows(seeds_warehouse: Path) -> None:
    """Counting (topic, word) a few sections at a time gives the same distinguishing terms."""
    import duckdb

    from pipelines.text.topics.tables import topic_word_counts

    with duckdb.connect(str(seeds_warehouse / "reportscope.duckdb"), read_only=True) as con:
        sections = con.execute(
            "SELECT section_id, report_id, plain_text FROM corpus.sections ORDER BY section_id"
        ).pl()
        assigned = con.execute(
            "SELECT section_id, report_id, topic_id, score, is_primary FROM corpus.section_topics"
        ).pl()
    from_rows = topic_terms(topic_word_frame(sections, assigned))
    counts = topic_word_counts(sections, assigned, chunk_sections=7)
    assert counts["count"].sum() == topic_word_frame(sections, assigned).height
    assert from_rows.height > 20
    assert topic_terms(counts).equals(from_rows)
