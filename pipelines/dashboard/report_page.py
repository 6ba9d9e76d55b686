"""One HTML page per report: what it says that earlier reports did not, sentence by sentence.

`report_views` turns a few reports' warehouse rows (report_page_reads.page_frames plus their
corpus.sentence_novelty rows) into views; `write_report_pages` renders each with
``templates/report.html.j2`` (Jinja2, autoescape on) to ``<out_dir>/<report_id>.html``. A page
has no script at all and a Content-Security-Policy that allows none and no network: it works
from ``file://``, offline. Sentences are shaded by `seen_share` in tenths (classes seen-0 ..
seen-10); a sentence too short to judge (no 5-word shingle) is left plain.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import polars as pl

from pipelines.dashboard.page import TEMPLATES

PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)
# At or below this seen share a sentence counts as new; at or above REPEATED, as repeated.
NEW_AT_MOST = 0.1
REPEATED_AT_LEAST = 0.9
# Up to this many pages are flushed with an fsync each, more with one os.sync.
FSYNC_EACH_UP_TO = 8


@dataclass(frozen=True, slots=True)
class SentenceView:
    """One sentence: its text, shade class and the hover note."""

    text: str
    shade: str
    note: str


@dataclass(frozen=True, slots=True)
class ParagraphView:
    """A paragraph's sentences, and the earlier report it mostly repeats (page, label)."""

    sentences: list[SentenceView]
    repeats: tuple[str, str] | None


@dataclass(frozen=True, slots=True)
class SectionView:
    """A section: its heading line (for headed sections) and its paragraphs."""

    label: str
    heading: ParagraphView | None
    paragraphs: list[ParagraphView]

    @property
    def blocks(self) -> list[tuple[str, ParagraphView]]:
        """(HTML tag, paragraph) in page order: the heading line as h2, then the paragraphs."""
        head = [("h2", self.heading)] if self.heading is not None else []
        return head + [("p", paragraph) for paragraph in self.paragraphs]


@dataclass(frozen=True, slots=True)
class ReportView:
    """Everything one report page shows."""

    report_id: str
    title: str
    file_name: str
    facts: list[tuple[str, str]]
    readability: list[tuple[str, str]]
    topics: list[tuple[str, bool]]
    sections: list[SectionView]
    n_new: int
    n_repeated: int
    n_judged: int


def page_name(report_id: str) -> str:
    """The page file of a report (report ids are hex: file-safe)."""
    return f"{report_id}.html"


def _shade(seen_share: float | None) -> str:
    """The CSS class of a seen share: seen-0 .. seen-10 by tenths, `unjudged` without shingles."""
    if seen_share is None or not math.isfinite(seen_share):
        return "unjudged"
    return f"seen-{round(seen_share * 10)}"


def _number(value: object, places: int = 1) -> str:
    """A float rounded for reading, '—' for a missing value."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return f"{value:,.{places}f}" if isinstance(value, float) else f"{value:,}"


def _when(value: object) -> str:
    """A report date as an ISO date-time to the minute."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M %Z").strip()
    return value.isoformat() if isinstance(value, date) else str(value or "—")


def _rows_by_report(frame: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """A per-report frame split by report_id once (filtering it per report cost 2 ms a page)."""
    if frame.height == 0 or "report_id" not in frame.columns:
        return {}
    return {
        str(key[0]): part for key, part in frame.partition_by("report_id", as_dict=True).items()
    }


def _first_row(parts: dict[str, pl.DataFrame], report_id: str) -> dict[str, object]:
    """The report's first row of a split per-report frame ({} when it has none)."""
    part = parts.get(report_id)
    return part.row(0, named=True) if part is not None else {}


def _paragraph(rows: list[dict[str, object]], cited: dict[str, str]) -> ParagraphView:
    """A paragraph's sentences, with a link to the report most of its seen sentences came from."""
    sentences = []
    for row in rows:
        share = row["seen_share"]
        first = row["first_report_id"]
        if share is None:
            note = "too short to compare (under 5 words)"
        else:
            note = f"{share:.0%} of its 5-word shingles appeared in earlier reports"
            if first is not None:
                note += f"; first in {cited.get(str(first), str(first))}"
        sentences.append(SentenceView(str(row["text"]), _shade(share), note))  # type: ignore[arg-type]
    sources = Counter(str(r["first_report_id"]) for r in rows if r["first_report_id"] is not None)
    repeats = None
    if sources:
        source = sources.most_common(1)[0][0]
        repeats = (page_name(source), cited.get(source, source))
    return ParagraphView(sentences, repeats)


def _sections(
    sections: pl.DataFrame, sentences: list[dict[str, object]], cited: dict[str, str]
) -> list[SectionView]:
    """The report's sections in order, each sentence shaded; the heading line apart.

    `sentences`: the report's sentence rows as dicts, in (section_id, sentence_no) order.
    """
    views = []
    by_section: dict[object, dict[int, list[dict[str, object]]]] = {}
    for row in sentences:
        paragraphs = by_section.setdefault(row["section_id"], {})
        paragraphs.setdefault(int(row["paragraph_no"]), []).append(row)  # type: ignore[call-overload]
    for section in sections.sort("ordinal").iter_rows(named=True):
        paragraphs = by_section.get(section["section_id"], {})
        ordered = [_paragraph(p, cited) for _, p in sorted(paragraphs.items())]
        headed = not section["is_preamble"] and section["heading"] is not None and ordered
        number = f"{section['number']}. " if section["number"] is not None else ""
        label = "Preamble" if section["is_preamble"] else f"{number}{section['heading'] or ''}"
        views.append(
            SectionView(
                label=label.strip() or f"Section {section['ordinal']}",
                heading=ordered[0] if headed else None,
                paragraphs=ordered[1:] if headed else ordered,
            )
        )
    return views


def report_views(frames: dict[str, pl.DataFrame], sentences: pl.DataFrame) -> list[ReportView]:
    """The views of the reports in frames["reports"] (page_frames' names), in report id order."""
    cited = {
        r["report_id"]: r["title"] or r["file_name"] for r in frames["cited"].iter_rows(named=True)
    }
    views = []
    sentences_of = _rows_by_report(sentences.sort("report_id", "section_id", "sentence_no"))
    sections_of = _rows_by_report(frames["sections"])
    novelty_of, ease_of = _rows_by_report(frames["novelty"]), _rows_by_report(frames["readability"])
    topics_of = _rows_by_report(frames["topics"])
    for report in frames["reports"].sort("report_id").iter_rows(named=True):
        rid = report["report_id"]
        part = sentences_of.get(rid)
        mine = part.to_dicts() if part is not None else []
        judged = [float(r["seen_share"]) for r in mine if r["seen_share"] is not None]  # type: ignore[arg-type]
        novelty = _first_row(novelty_of, rid)
        ease = _first_row(ease_of, rid)
        facts = [
            ("Date", f"{_when(report['report_date'])} (from {report['report_date_source']})"),
            ("Language", str(report["language"])),
            ("Arrival", f"#{novelty['arrival_rank']}" if novelty else "—"),
            ("Novelty", _number(novelty.get("novelty"), 2)),
            ("Sections seen before", _number(novelty.get("section_share_seen"), 2)),
        ]
        readability = [
            ("Flesch reading ease", _number(ease.get("flesch_reading_ease"))),
            ("Flesch–Kincaid grade", _number(ease.get("flesch_kincaid_grade"))),
            ("Consensus grade", _number(ease.get("text_standard"))),
            ("Words (textstat)", _number(ease.get("n_words"))),
            ("Reading time (min)", _number(_minutes(ease.get("reading_time")))),
            ("Reliable", {True: "yes", False: "no (short text)"}.get(ease.get("reliable"), "—")),  # type: ignore[arg-type]
        ]
        topics = [
            (str(t["label"]), bool(t["is_new"]))
            for t in topics_of.get(rid, frames["topics"].head(0)).iter_rows(named=True)
        ]
        views.append(
            ReportView(
                report_id=rid,
                title=report["title"] or report["file_name"],
                file_name=report["file_name"],
                facts=facts,
                readability=readability,
                topics=topics,
                sections=_sections(sections_of.get(rid, frames["sections"].head(0)), mine, cited),
                n_new=sum(share <= NEW_AT_MOST for share in judged),
                n_repeated=sum(share >= REPEATED_AT_LEAST for share in judged),
                n_judged=len(judged),
            )
        )
    return views


def _minutes(seconds: object) -> float | None:
    """Seconds as minutes (None stays None)."""
    return seconds / 60 if isinstance(seconds, int | float) else None


def write_report_pages(views: Sequence[ReportView], out_dir: Path, stamp: str) -> list[Path]:
    """Render each view to <out_dir>/<report_id>.html; returns the paths.

    Each page goes to a temporary file first, flushed to disk, then renamed over its page
    (atomic, like `atomic_write`). A few pages are flushed one by one; a batch by one `os.sync`
    (an fsync per page was most of a bulk load's page cost; a sync of the whole disk for one
    page cost 0.1-0.2 s of an incremental refresh).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    template = TEMPLATES.get_template("report.html.j2")
    staged: list[tuple[Path, Path]] = []
    each = len(views) <= FSYNC_EACH_UP_TO
    try:
        for view in views:
            path = out_dir / page_name(view.report_id)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=out_dir)
            staged.append((Path(tmp), path))
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(template.render(report=view, csp=PAGE_CSP, stamp=stamp))
                if each:
                    handle.flush()
                    os.fsync(handle.fileno())
            os.chmod(tmp, 0o644)
        if staged and not each:
            os.sync()
        for tmp, path in staged:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    return [path for _, path in staged]


def remove_report_pages(out_dir: Path, keep: set[str]) -> list[str]:
    """Delete the pages of reports not in `keep` (report ids); returns the ids removed."""
    removed = []
    for path in sorted(out_dir.glob("*.html")) if out_dir.is_dir() else []:
        if path.stem not in keep:
            path.unlink(missing_ok=True)
            removed.append(path.stem)
    return removed
