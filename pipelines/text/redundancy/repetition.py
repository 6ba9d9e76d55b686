"""Gopher repetition measures of every text of a frame at once: vectorized, same values.

`repetition` gives, per row, the values `gopher.repetition_measures` gives per text;
`section_and_report_repetition` gives them for every section and every whole report (its
sections joined by newlines), tokenizing each section once. The n-gram counts run over all
texts at once (`ngram_repeats`), zlib on two threads while they do.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from itertools import pairwise

import numpy as np
import polars as pl

from pipelines.text.redundancy.gopher import (
    GOPHER_DUP_NGRAM_CHAR_FRAC,
    GOPHER_TOP_NGRAM_CHAR_FRAC,
    REPETITION_COLUMNS,
    compression_ratio,
    line_paragraph_measures,
)
from pipelines.text.redundancy.ngram_repeats import NgramRepeats, ngram_repeats
from pipelines.text.redundancy.word_stream import word_stream
from pipelines.text.tokens import WORD_PATTERN

# Bytes of text measured at once: bounds memory (1,000 reports, 10 MB: 380 MB peak RSS).
_BATCH_CHARS = 8_000_000
# Texts per task of the pool's two threads (zlib releases the GIL: they run beside numpy).
_CHUNK = 256


def repetition(
    texts: pl.DataFrame, key: list[str], text_column: str = "plain_text"
) -> pl.DataFrame:
    """Gopher Table A1 repetition fractions + zlib compression ratio, one row per input row.

    Each value is the continuous measure from Rae et al. 2021 (Gopher), Table A1, computed as
    datatrove's `GopherRepetitionFilter` does; Gopher dropped a document when a value exceeded
    its threshold: dup_line_frac 0.30, dup_para_frac 0.30, dup_line_char_frac 0.20,
    dup_para_char_frac 0.20, top_{2,3,4}gram_char_frac 0.20/0.18/0.16,
    dup_{5..10}gram_char_frac 0.15/0.14/0.13/0.12/0.11/0.10 (constants `GOPHER_*`). Character
    denominators are the length of the whole (unstripped) text. Differences from datatrove:
    words come from the shared `WORD_PATTERN` (case kept, punctuation is not a token; datatrove
    uses NLTK's tokenizer, which emits punctuation tokens), and top n-gram fractions are clipped
    to 1. `compression_ratio` = zlib level-9 compressed bytes / raw UTF-8 bytes: LOWER means
    more repetitive; it exceeds 1 for tiny texts (zlib's fixed overhead). Empty or null
    text gives zeros everywhere. Same values, bit for bit, as `repetition_measures` per text.
    """
    frame = texts.select(*key, pl.col(text_column).fill_null(""))
    column = frame[text_column]
    with ThreadPoolExecutor(max_workers=2) as pool:
        parts = []
        for lo, hi in pairwise(_batch_bounds(column.str.len_bytes())):
            batch = column.slice(lo, hi - lo)
            whole = _submit_whole_text(batch, pool)
            words = _words(batch)
            repeats = None
            if words.height:
                doc = words["text"].to_numpy().astype(np.int64)
                repeats = ngram_repeats(word_stream(words["word"]), doc, len(batch))
            parts.append((_columns(batch, repeats), whole))
        measures = _frame(parts)
    return pl.concat([frame.select(key), measures], how="horizontal")


def section_and_report_repetition(
    sections: pl.DataFrame, text_column: str = "plain_text"
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`repetition` of each report's text and of each section, from one tokenization.

    A report's text is its sections' texts by `ordinal`, joined by "\\n" (as
    `corpus_reads.report_texts`); rows: one per `report_id` in `report_id` order, and one per
    section in input order (`report_id`, `section_id`). No word spans a newline, so a
    report's words are its sections' words in order, and anything that repeats in a section
    repeats in its report: the section pass only looks at what repeats in the report.
    """
    ordered = (
        sections.select("report_id", "section_id", "ordinal", text_column)
        .with_row_index("row")
        .sort("report_id", "ordinal", maintain_order=True)
    )
    reports = ordered.group_by("report_id", maintain_order=True).agg(
        pl.col(text_column).str.join("\n"), pl.len().alias("n_sections")
    )
    report_texts, section_texts = reports[text_column], ordered[text_column].fill_null("")
    per_report = reports["n_sections"].to_numpy().astype(np.int64)
    first_section = np.concatenate([[0], np.cumsum(per_report)])
    report_parts, section_parts = [], []
    with ThreadPoolExecutor(max_workers=2) as pool:
        for lo, hi in pairwise(_batch_bounds(report_texts.str.len_bytes())):
            first, last = int(first_section[lo]), int(first_section[hi])
            batch_reports = report_texts.slice(lo, hi - lo)
            batch_sections = section_texts.slice(first, last - first)
            report_whole = _submit_whole_text(batch_reports, pool)
            section_whole = _submit_whole_text(batch_sections, pool)
            words = _words(batch_sections)
            report_repeats = section_repeats = None
            if words.height:
                stream = word_stream(words["word"])
                section = words["text"].to_numpy().astype(np.int64)
                report = np.repeat(np.arange(hi - lo), per_report[lo:hi])[section]
                report_repeats = ngram_repeats(stream, report, hi - lo)
                section_repeats = ngram_repeats(stream, section, last - first, report_repeats)
            report_parts.append((_columns(batch_reports, report_repeats), report_whole))
            section_parts.append((_columns(batch_sections, section_repeats), section_whole))
        report_measures, section_measures = _frame(report_parts), _frame(section_parts)
    per_section = pl.concat(
        [ordered.select("row", "report_id", "section_id"), section_measures], how="horizontal"
    )
    return (
        pl.concat([reports.select("report_id"), report_measures], how="horizontal"),
        per_section.sort("row").drop("row"),
    )


def _batch_bounds(n_bytes: pl.Series) -> list[int]:
    """Row bounds of consecutive batches of about _BATCH_CHARS bytes (none if no rows)."""
    batch = (n_bytes.cum_sum() // _BATCH_CHARS).to_numpy()
    if len(batch) == 0:
        return []
    return np.flatnonzero(np.diff(batch, prepend=-1, append=batch[-1] + 1)).tolist()


def _words(texts: pl.Series) -> pl.DataFrame:
    """Every word of the texts in order, with its text's position (`text`, `word`)."""
    return (
        texts.str.extract_all(WORD_PATTERN)
        .to_frame("word")
        .with_row_index("text")
        .explode("word")
        .drop_nulls("word")
    )


def _submit_whole_text(texts: pl.Series, pool: ThreadPoolExecutor) -> list[Future[np.ndarray]]:
    """The whole-text measures (`_WHOLE_TEXT`) of each text, in chunks on the pool."""
    items = texts.to_list()
    return [
        pool.submit(_whole_text_measures, items[start : start + _CHUNK])
        for start in range(0, len(items), _CHUNK)
    ]


# Measures of the text itself, not its words: computed per text on the pool's threads.
_WHOLE_TEXT = [*REPETITION_COLUMNS[:4], "compression_ratio"]


def _whole_text_measures(texts: list[str]) -> np.ndarray:
    """Per text (row): duplicate line / paragraph fractions and compression ratio (0 if empty)."""
    values = np.zeros((len(texts), len(_WHOLE_TEXT)))
    for i, text in enumerate(texts):
        if text:
            measures = line_paragraph_measures(text)
            values[i, :4] = [measures[name] for name in _WHOLE_TEXT[:4]]
            values[i, 4] = compression_ratio(text)
    return values


def _columns(texts: pl.Series, repeats: NgramRepeats | None) -> dict[str, np.ndarray]:
    """The n-gram REPETITION_COLUMNS of texts (zeros elsewhere), from their n-gram repeats.

    top_{n}gram_char_frac = min(1, top n-gram chars × count / len(text)) and
    dup_{n}gram_char_frac = chars the walk counts / len(text), as `repetition_measures`.
    """
    n_chars = texts.str.len_chars().to_numpy().astype(np.float64)
    columns = {name: np.zeros(len(texts)) for name in REPETITION_COLUMNS}
    if repeats is not None:
        some = n_chars > 0
        for n in GOPHER_TOP_NGRAM_CHAR_FRAC:
            column, chars = columns[f"top_{n}gram_char_frac"], repeats.top_chars[n]
            column[some] = np.minimum(1.0, chars[some] / n_chars[some])
        for n in GOPHER_DUP_NGRAM_CHAR_FRAC:
            column, chars = columns[f"dup_{n}gram_char_frac"], repeats.dup_chars[n]
            column[some] = chars[some] / n_chars[some]
    return columns


def _frame(parts: list[tuple[dict[str, np.ndarray], list[Future[np.ndarray]]]]) -> pl.DataFrame:
    """The REPETITION_COLUMNS frame of batches, once their whole-text measures are done."""
    for columns, chunks in parts:
        if chunks:
            values = np.concatenate([chunk.result() for chunk in chunks])
            for k, name in enumerate(_WHOLE_TEXT):
                columns[name][:] = values[:, k]
    return pl.DataFrame(
        {
            name: np.concatenate([columns[name] for columns, _ in parts]) if parts else []
            for name in REPETITION_COLUMNS
        },
        schema=dict.fromkeys(REPETITION_COLUMNS, pl.Float64),
    )
