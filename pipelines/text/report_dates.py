"""The date a report states in its first lines: `**Date:** June 2025`, `报告日期：2026年6月`.

Copied or freshly cloned folders give every file the same modification time, so a date the
report states itself comes before the file's. Only the first `FIRST_LINES` non-empty lines
(at most `FIRST_CHARS` characters, front matter already removed) are read.

Two cues, the first labelled date winning over the first `as of` date:

- **A label** at the start of a line (after list, quote and heading marks, bold or italics)
  or after a `|`, `·` or `•` separator, then a colon (ASCII `:` or full-width `：`), the
  label and colon optionally in bold or italics (`**Date:**`, `*Date*:`):
  English `Date`, `Report date`, `Generation date`, `Publication date`, `Release date`,
  `Issue date`, `Date of report`, `Published (on)`, `Updated (on)`, `Last updated (on)`,
  `Generated (on)`, `Prepared (on)`, `Dated`; French `Date du rapport`, `Date de
  publication`, `Publié le`, `Mis à jour le`, `Dernière mise à jour`; Spanish `Fecha`,
  `Fecha del informe`, `Fecha de publicación`, `Publicado (el)`, `Actualizado (el)`; German
  `Datum`, `Berichtsdatum`, `Stand`, `Veröffentlicht (am)`, `Aktualisiert (am)`; Italian and
  Portuguese `Data`, `Data del rapporto`, `Data do relatório`, `Data di/de pubblicazione`,
  `Pubblicato il`, `Publicado em`, `Aggiornato al`, `Atualizado em`; Turkish `Tarih`,
  `Rapor tarihi`, `Yayın tarihi`, `Güncelleme tarihi`; Chinese `日期`, `报告日期`, `发布日期`,
  `更新日期`, `生成日期` (and their traditional forms). The labels ending in a preposition or
  participle (`Published`, `Dated`, `Publié le`, `Stand` ...) may also be followed by the
  date without a colon, when the date then ends the line or a clause (`,` `.` `;` `)`).
- **`As of` / `As at`** (and Chinese `截至`) anywhere in those lines, followed by a date with
  at least a month: `As of March 2024, ...`. `As of 2025, ...` is narrative, not a date.

Date forms (month names in English, incl. three-letter abbreviations, French, Spanish,
German, Italian, Portuguese and Turkish, any case, accents optional):
`2025-06-14`, `2025/06/14`, `2025.06.14` (year first: year-month-day); `2025-06` (labelled:
the 1st); `14.06.2025` (dots: day.month.year, the German, Turkish and French convention);
`14/06/2025` or `06-14-2025` only when unambiguous (one of the first two numbers over 12;
`03/04/2025` is rejected, being 3 April or March 4); `14 June 2025`, `14th of June, 2025`,
`14. Juni 2025`, `14 de junio de 2025`; `June 14, 2025`; `June 2025`, `junio de 2025`
(the 1st of the month); `2026年6月14日` and `2026年6月` (the 1st); after a label only and
ending the line or a clause, a bare year `2026` (1 January). A year in a title (`Trends for 2025`) is not a date: it has no label.
Years outside `MIN_YEAR`..`MAX_YEAR` and impossible days (`31 June`) are no date.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

import regex as re

FIRST_LINES = 15
FIRST_CHARS = 1500
MIN_YEAR, MAX_YEAR = 1990, 2100


def _fold(word: str) -> str:
    """Lowercase without accents (Turkish dotless ı as i), to look month names up."""
    decomposed = unicodedata.normalize("NFKD", word.lower().replace("ı", "i"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).rstrip(".")


_MONTH_NAMES = {
    1: "january jan janvier enero januar janner gennaio janeiro ocak",
    2: "february feb fevrier febrero februar febbraio fevereiro subat",
    3: "march mar mars marzo marz maerz marco mart",
    4: "april apr avril abril aprile nisan",
    5: "may mai mayo maggio maio mayis",
    6: "june jun juin junio juni giugno junho haziran",
    7: "july jul juillet julio juli luglio julho temmuz",
    8: "august aug aout agosto agustos",
    9: "september sep sept septembre septiembre setiembre settembre setembro eylul",
    10: "october oct octobre octubre oktober ottobre outubro ekim",
    11: "november nov novembre noviembre novembro kasim",
    12: "december dec decembre diciembre dezember dicembre dezembro aralik",
}
MONTHS = {name: number for number, names in _MONTH_NAMES.items() for name in names.split()}

_MONTH = r"(?P<month>\p{L}{3,10}\.?)"
_YEAR = r"(?P<year>\d{4})(?!\d)"
_DAY = r"(?P<day>\d{1,2})"
# Date forms, tried in this order at the start of the text after a cue.
_FORMS: list[tuple[str, re.Pattern[str]]] = [
    (
        "year-month-day",
        re.compile(rf"{_YEAR}(?P<sep>[-/.])(?P<month>\d{{1,2}})(?P=sep){_DAY}(?!\d)"),
    ),
    (
        "year年month月day日",
        re.compile(rf"{_YEAR}\s*年\s*(?P<month>\d{{1,2}})\s*月\s*{_DAY}\s*[日号號]"),
    ),
    ("year年month月", re.compile(rf"{_YEAR}\s*年\s*(?P<month>\d{{1,2}})\s*月")),
    ("day.month.year", re.compile(rf"{_DAY}\.(?P<month>\d{{1,2}})\.{_YEAR}")),
    (
        "numeric, unambiguous",
        re.compile(rf"(?P<a>\d{{1,2}})(?P<sep>[/-])(?P<b>\d{{1,2}})(?P=sep){_YEAR}"),
    ),
    (
        "day month year",
        re.compile(
            rf"{_DAY}(?:st|nd|rd|th|er|º|°|\.)?\s+(?:of\s+|de\s+)?{_MONTH},?\s+(?:de\s+)?{_YEAR}",
            re.IGNORECASE,
        ),
    ),
    (
        "month day year",
        re.compile(rf"{_MONTH}\s+{_DAY}(?:st|nd|rd|th)?,?\s+{_YEAR}", re.IGNORECASE),
    ),
    ("month year", re.compile(rf"{_MONTH},?\s+(?:de\s+)?{_YEAR}", re.IGNORECASE)),
    ("year-month", re.compile(rf"{_YEAR}-(?P<month>\d{{1,2}})(?![\d-])")),
    ("year", re.compile(rf"{_YEAR}")),
]
# Forms that need a label (an `as of` needs at least a month, and a year-month).
_LABELLED_ONLY = {"year", "year-month"}

_LABELS_WITH_COLON = (
    r"date|report\s+date|generation\s+date|publication\s+date|release\s+date|issue\s+date"
    r"|date\s+of\s+(?:the\s+)?(?:report|issue|publication)"
    r"|date\s+du\s+rapport|date\s+de\s+publication|derni[eè]re\s+mise\s+[aà]\s+jour"
    r"|fecha|fecha\s+del\s+informe|fecha\s+de\s+publicaci[oó]n"
    r"|datum|berichtsdatum"
    r"|data|data\s+del\s+rapporto|data\s+do\s+relat[oó]rio|data\s+di\s+pubblicazione"
    r"|data\s+de\s+publica[cç][aã]o"
    r"|tarih|rapor\s+tarihi|yay[ıi]n\s+tarihi|g[üu]ncelleme\s+tarihi"
    r"|报告日期|報告日期|发布日期|發布日期|更新日期|生成日期|日期"
)
# Labels that read as a sentence opening: the date may follow without a colon.
_LABELS_BEFORE_DATE = (
    r"published(?:\s+on)?|(?:last\s+)?updated(?:\s+on)?|generated(?:\s+on)?|prepared(?:\s+on)?"
    r"|dated|publi[ée]\s+le|mis\s+[aà]\s+jour\s+le|publicado(?:\s+el|\s+em)?"
    r"|actualizado(?:\s+el|\s+al)?|stand|ver[öo]ffentlicht(?:\s+am)?|aktualisiert(?:\s+am)?"
    r"|pubblicato\s+il|aggiornato\s+al|atualizado\s+em"
)
_MARKS = r"[*_]*"
_LINE_START = r"(?:^[\s>#*+\-]*|[|·•]\s*)"
_LABEL = re.compile(
    rf"{_LINE_START}{_MARKS}(?:(?:{_LABELS_WITH_COLON}|{_LABELS_BEFORE_DATE})"
    rf"{_MARKS}\s*[:：]|(?P<bare>{_LABELS_BEFORE_DATE}){_MARKS}\s+){_MARKS}\s*",
    re.IGNORECASE | re.MULTILINE,
)
_AS_OF = re.compile(r"\bas\s+(?:of|at)\s+|截至\s*", re.IGNORECASE)
# After a date with no colon before it: the end of the line or of a clause.
_CLAUSE_END = re.compile(r"\s*(?:[*_]*\s*(?:[,.;)|]|$))")


@dataclass(frozen=True)
class StatedDate:
    """A date found in a report's first lines, with the cue and form that matched."""

    value: date
    pattern: str  # e.g. "label: month day year", "as of: month year"
    line: int  # 1-based, in the text given


def first_lines(text: str) -> list[tuple[int, str]]:
    """The first `FIRST_LINES` non-empty lines (1-based numbers), cut at `FIRST_CHARS`."""
    kept: list[tuple[int, str]] = []
    budget = FIRST_CHARS
    for number, line in enumerate(text.split("\n", 200)[:200], start=1):
        if not line.strip():
            continue
        kept.append((number, line[:budget]))
        budget -= len(line) + 1
        if len(kept) >= FIRST_LINES or budget <= 0:
            break
    return kept


def stated_date(text: str) -> StatedDate | None:
    """The first labelled date of the first lines, else the first `as of` date, else None."""
    lines = first_lines(text)
    for number, line in lines:
        for match in _LABEL.finditer(line):
            bare = match["bare"] is not None
            found = read_date(line[match.end() :], labelled=True, clause_end=bare)
            if found is not None:
                form, value = found
                return StatedDate(value, f"label: {form}", number)
    for number, line in lines:
        for match in _AS_OF.finditer(line):
            found = read_date(line[match.end() :], labelled=False)
            if found is not None:
                form, value = found
                return StatedDate(value, f"as of: {form}", number)
    return None


def read_date(text: str, labelled: bool, clause_end: bool = False) -> tuple[str, date] | None:
    """(form, date) of a date at the very start of `text`, or None.

    `labelled`: a label came before (a bare year or year-month is then a date too);
    `clause_end`: the date must end the line or a clause (no colon came before it).
    """
    for form, pattern in _FORMS:
        if form in _LABELLED_ONLY and not labelled:
            continue
        match = pattern.match(text)
        if match is None:
            continue
        needs_end = clause_end or form in _LABELLED_ONLY  # `Data: 2024 survey` is no date
        if needs_end and not _CLAUSE_END.match(text, match.end()):
            continue
        value = _date_of(form, match)
        if value is not None:
            return form, value
    return None


def _date_of(form: str, match: re.Match[str]) -> date | None:
    """The date a form's match stands for, or None when it is no real date."""
    groups = match.groupdict()
    year = int(groups["year"])
    day = int(groups.get("day") or 1)
    if form == "numeric, unambiguous":
        first, second = int(groups["a"]), int(groups["b"])
        if first > 12 >= second:
            day, month = first, second
        elif second > 12 >= first:
            month, day = first, second
        else:
            return None
    elif groups.get("month") is None:
        month = 1
    elif groups["month"].isdigit():
        month = int(groups["month"])
    else:
        month = MONTHS.get(_fold(groups["month"]), 0)
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None
