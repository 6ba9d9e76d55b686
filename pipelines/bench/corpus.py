"""A deterministic synthetic corpus of N reports built from a pool of real report sections.

The pool is every headed section of the seed reports (and of `../shared/corpus` when it is
beside the checkout), split by the pipeline's own `repair` + `extract_sections`. A generated
section keeps a real heading and mixes sentences of its real section with sentences of
other real sections, shuffled and lightly perturbed (word drops and adjacent swaps), so two
generated sections are rarely near-duplicates by accident. A known share of sections is
PLANTED: near-duplicates (a copy of a section of an earlier report with a few words dropped
or swapped) and exact copies; `generate_corpus` returns that ground truth and writes it to
`ground_truth.json` beside (not inside) the reports folder.
"""

from __future__ import annotations

import json
import os
import random
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipelines.report_files import list_report_files, report_id
from pipelines.text.repair import UnreadableReport, repair
from pipelines.text.sections import extract_sections, section_id

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_POOL_DIRS = (PROJECT_ROOT / "seeds", PROJECT_ROOT.parent / "shared" / "corpus")
# Lines that would change how the generated report is sectioned or are not prose.
_STRUCTURAL = re.compile(r"^\s*(#|\||```|~~~|---|\*\*\*|___|===|<)")
_BOLD_ONLY = re.compile(r"^\s*(\*\*|__).*(\*\*|__)\s*:?\s*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+(?P<text>\S.*)$")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(*])")
_LINK_ONLY = re.compile(r"^\[[^\]]*\]\([^)]*\)$")
_TITLE_TEMPLATES = (
    "Comprehensive Report on Recent Advancements in {topic}",
    "Report on {topic}: Key Developments",
    "{topic}: Trends and Developments Report",
    "Advancements in {topic}: A Comprehensive Report",
    "The State of {topic} in {year}",
)
_TITLE_TOPICS = (
    "AI LLMs",
    "Large Language Models",
    "AI Agents",
    "Generative AI",
    "Multimodal AI",
    "Responsible AI",
)
_PREAMBLES = (
    "This report summarizes the most significant developments observed during the period.",
    "The following sections describe the main trends, their drivers and their implications.",
    "Each section below covers one development, with context and expected impact.",
    "The findings are based on public announcements, research papers and industry reports.",
)


@dataclass(frozen=True)
class PoolSection:
    """One real section: its heading and its prose as sentences and list items."""

    heading: str
    sentences: tuple[str, ...]
    items: tuple[str, ...]


@dataclass
class PlantedSection:
    """A planted duplicate: which section copies which, and how (`exact` or `near`)."""

    kind: str
    file_name: str
    section_id: str
    source_file_name: str
    source_section_id: str
    perturbation_rate: float


@dataclass
class GeneratedCorpus:
    """What `generate_corpus` wrote: the files, section count and the planted ground truth."""

    out_dir: str
    seed: int
    n_reports: int
    n_sections: int
    n_bytes: int
    pool_sections: int
    pool_dirs: list[str]
    files: list[str] = field(default_factory=list)
    planted: list[PlantedSection] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        """A JSON-ready summary (ground truth included)."""
        return asdict(self)


def _prose_units(markdown: str) -> tuple[list[str], list[str]]:
    """Sentences of a section's paragraphs and its list items, structure lines dropped."""
    sentences: list[str] = []
    items: list[str] = []
    for line in markdown.split("\n")[1:]:  # the first line is the heading
        text = line.strip()
        if not text or _STRUCTURAL.match(line) or _BOLD_ONLY.match(text):
            continue
        item = _LIST_ITEM.match(line)
        if item:
            if not _LINK_ONLY.match(item["text"].strip()):
                items.append(item["text"].strip())
            continue
        sentences += [s.strip() for s in _SENTENCE_SPLIT.split(text) if len(s.split()) >= 4]
    return sentences, items


def load_pool(pool_dirs: tuple[Path, ...] | list[Path] = DEFAULT_POOL_DIRS) -> list[PoolSection]:
    """Every headed, non-empty section of the report files in the existing `pool_dirs`."""
    pool: list[PoolSection] = []
    for folder in pool_dirs:
        if not Path(folder).is_dir():
            continue
        for report in list_report_files(Path(folder)):
            try:
                repaired = repair((Path(folder) / report.name).read_bytes())
            except UnreadableReport:
                continue
            for section in extract_sections(repaired.text, repaired.first_line).sections:
                if section.heading is None or section.is_preamble:
                    continue
                sentences, items = _prose_units(section.markdown)
                heading = section.heading.strip().rstrip(":").strip()
                if heading and len(sentences) + len(items) >= 2 and len(heading) < 90:
                    pool.append(PoolSection(heading, tuple(sentences), tuple(items)))
    if not pool:
        raise ValueError(f"no usable sections in {[str(p) for p in pool_dirs]}")
    return pool


def perturb(text: str, rate: float, rng: random.Random) -> str:
    """Drop words and swap neighbours, each with probability `rate` / 2 per word."""
    if rate <= 0:
        return text
    words = text.split(" ")
    out: list[str] = []
    i = 0
    while i < len(words):
        draw = rng.random()
        if draw < rate / 2 and len(words) > 4:
            i += 1  # drop
            continue
        if draw < rate and i + 1 < len(words):
            out += [words[i + 1], words[i]]  # swap with the next word
            i += 2
            continue
        out.append(words[i])
        i += 1
    return " ".join(out)


class _Writer:
    """Stateful generator: remembers earlier sections so planted copies point backwards."""

    def __init__(self, pool: list[PoolSection], seed: int, near_share: float, exact_share: float):
        self.pool = pool
        self.rng = random.Random(seed)
        self.near_share = near_share
        self.exact_share = exact_share
        self.all_sentences = [s for p in pool for s in p.sentences]
        self.all_items = [i for p in pool for i in p.items]
        # Earlier sections: (file_name, section_id, heading, body) — sampled for planting.
        self.history: list[tuple[str, str, str, str]] = []

    def fresh_body(self, base: PoolSection) -> str:
        """2-3 paragraphs of shuffled sentences (about half from `base`), maybe a bullet list."""
        rng = self.rng
        own = list(base.sentences)
        rng.shuffle(own)
        paragraphs: list[str] = []
        for _ in range(rng.randint(2, 3)):
            sentences = [own.pop() for _ in range(min(len(own), rng.randint(1, 2)))]
            sentences += rng.sample(self.all_sentences, k=rng.randint(1, 2))
            rng.shuffle(sentences)
            paragraphs.append(perturb(" ".join(sentences), rng.uniform(0.02, 0.08), rng))
        if (base.items or self.all_items) and rng.random() < 0.4:
            items = list(base.items[: rng.randint(1, 2)]) + rng.sample(
                self.all_items, k=min(len(self.all_items), rng.randint(1, 2))
            )
            rng.shuffle(items)
            bullet = rng.choice(("-", "*"))
            block = "\n".join(f"{bullet} {perturb(item, 0.04, rng)}" for item in items)
            paragraphs.insert(rng.randint(1, len(paragraphs)), block)
        return "\n\n".join(paragraphs)

    def report(self, index: int, file_name: str) -> tuple[str, int, list[PlantedSection]]:
        """Markdown of report `index`: title, maybe a preamble, 8-12 headed sections."""
        rng = self.rng
        rid = report_id(file_name)
        style = rng.choices(("numbered", "bold", "plain"), weights=(70, 15, 15))[0]
        n_sections = rng.randint(8, 12)
        title = rng.choice(_TITLE_TEMPLATES).format(
            topic=rng.choice(_TITLE_TOPICS), year=2023 + index % 3
        )
        lines = [f"# {title}", ""]
        if rng.random() < 0.3:
            preamble = [rng.choice(_PREAMBLES), *rng.sample(self.all_sentences, k=2)]
            lines += [perturb(" ".join(preamble), 0.05, rng), ""]
        planted: list[PlantedSection] = []
        mine: list[tuple[str, str, str, str]] = []
        for number in range(1, n_sections + 1):
            sid = section_id(rid, number)
            draw = rng.random()
            if self.history and draw < self.near_share + self.exact_share:
                source = self.history[rng.randrange(len(self.history))]
                exact = draw < self.exact_share
                rate = 0.0 if exact else round(rng.uniform(0.01, 0.06), 4)
                heading, body = source[2], source[3] if exact else perturb(source[3], rate, rng)
                planted.append(
                    PlantedSection(
                        "exact" if exact else "near", file_name, sid, source[0], source[1], rate
                    )
                )
            else:
                base = rng.choice(self.pool)
                heading, body = base.heading, self.fresh_body(base)
            if style == "numbered":
                lines.append(f"## {number}. {heading}")
            elif style == "bold":
                lines.append(f"**{number}. {heading}**")
            else:
                lines.append(f"## {heading}")
            lines += ["", body, ""]
            mine.append((file_name, sid, heading, body))
        self.history += mine
        return "\n".join(lines), n_sections, planted


def generate_corpus(
    out_dir: Path,
    n_reports: int,
    seed: int = 0,
    pool_dirs: tuple[Path, ...] | list[Path] = DEFAULT_POOL_DIRS,
    near_share: float = 0.08,
    exact_share: float = 0.02,
    start: datetime = datetime(2024, 1, 1, tzinfo=UTC),
) -> GeneratedCorpus:
    """Write `n_reports` reports into `out_dir` (same seed -> same bytes) and the ground truth.

    Files are `report_000000.md` ...; report i's mtime is `start` + i hours + a few seconds of
    jitter (distinct, increasing), and one report in ten carries a front-matter date instead.
    `near_share` / `exact_share` of the sections (after the first report) are planted copies
    of a section of an EARLIER report. The ground truth is also written to
    `<out_dir>.ground_truth.json`.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    pool = load_pool(pool_dirs)
    writer = _Writer(pool, seed, near_share, exact_share)
    corpus = GeneratedCorpus(
        out_dir=str(out_dir),
        seed=seed,
        n_reports=n_reports,
        n_sections=0,
        n_bytes=0,
        pool_sections=len(pool),
        pool_dirs=[str(p) for p in pool_dirs if Path(p).is_dir()],
    )
    for index in range(n_reports):
        file_name = f"report_{index:06d}.md"
        text, n_sections, planted = writer.report(index, file_name)
        moment = start + timedelta(hours=index, seconds=writer.rng.randint(0, 3599))
        if writer.rng.random() < 0.1:
            text = f"---\ndate: {moment.date().isoformat()}\nauthor: crew\n---\n{text}"
        data = (text + "\n").encode("utf-8")
        path = out_dir / file_name
        path.write_bytes(data)
        os.utime(path, (moment.timestamp(), moment.timestamp()))
        corpus.files.append(file_name)
        corpus.planted += planted
        corpus.n_sections += n_sections
        corpus.n_bytes += len(data)
    out_dir.with_name(out_dir.name + ".ground_truth.json").write_text(
        json.dumps(corpus.to_json(), indent=1), encoding="utf-8"
    )
    return corpus
