"""Gopher's repetition measures of one text (Rae et al. 2021, Table A1), the reference.

* `repetition_measures` — the repetition measures of Gopher (Rae et al. 2021, "Scaling Language
  Models: Methods, Analysis & Insights from Training Gopher", arXiv:2112.11446, Appendix A,
  Table A1), computed exactly as datatrove's `GopherRepetitionFilter` computes them, but
  reported as continuous values instead of pass/fail. Gopher's thresholds are kept as named
  constants (`GOPHER_*`) next to each formula for reference only. Plus a zlib compression ratio.
  `pipelines.text.redundancy.repetition` computes the same values for a whole frame at once.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Sequence
from itertools import accumulate

# Gopher's thresholds (a document was dropped when a value EXCEEDED its threshold). Reference
# only: this module reports the values, never a pass/fail flag.
GOPHER_DUP_LINE_FRAC = 0.30
GOPHER_DUP_PARA_FRAC = 0.30
GOPHER_DUP_LINE_CHAR_FRAC = 0.20
GOPHER_DUP_PARA_CHAR_FRAC = 0.20
GOPHER_TOP_NGRAM_CHAR_FRAC: dict[int, float] = {2: 0.20, 3: 0.18, 4: 0.16}
GOPHER_DUP_NGRAM_CHAR_FRAC: dict[int, float] = {
    5: 0.15,
    6: 0.14,
    7: 0.13,
    8: 0.12,
    9: 0.11,
    10: 0.10,
}


REPETITION_COLUMNS: list[str] = [
    "dup_line_frac",
    "dup_line_char_frac",
    "dup_para_frac",
    "dup_para_char_frac",
    *(f"top_{n}gram_char_frac" for n in GOPHER_TOP_NGRAM_CHAR_FRAC),
    *(f"dup_{n}gram_char_frac" for n in GOPHER_DUP_NGRAM_CHAR_FRAC),
    "compression_ratio",
]


def find_duplicates(elements: Sequence[str]) -> tuple[int, int]:
    """Count repeated elements and their characters (every occurrence after the first; Table A1)."""
    seen: set[str] = set()
    n_duplicates = 0
    duplicate_chars = 0
    for element in elements:
        if element in seen:
            n_duplicates += 1
            duplicate_chars += len(element)
        else:
            seen.add(element)
    return n_duplicates, duplicate_chars


def find_top_duplicate(words: Sequence[str], n: int) -> int:
    """Characters of the most frequent word n-gram (" "-joined length × count; Table A1, n=2..4)."""
    if len(words) < n:
        return 0
    # Words never contain whitespace, so tuple equality == equality of the " "-joined n-grams;
    # Counter keeps first-seen order and most_common(1) returns the first of tied n-grams,
    # exactly as datatrove's Counter over joined strings does.
    counts = Counter(zip(*(words[i:] for i in range(n)), strict=False))
    top, count = counts.most_common(1)[0]
    return (sum(map(len, top)) + n - 1) * count


def find_all_duplicate(words: Sequence[str], n: int) -> int:
    """Characters of duplicated word n-grams, datatrove's walk (skip n after a repeat; Table A1)."""
    n_grams = len(words) - n + 1
    if n_grams <= 1:
        return 0
    # datatrove compares "".join(words[i:i+n]); slicing one joined string is the same, faster.
    joined = "".join(words)
    offsets = list(accumulate(map(len, words), initial=0))
    grams = [joined[offsets[i] : offsets[i + n]] for i in range(n_grams)]
    if len(set(grams)) == n_grams:
        return 0  # no n-gram occurs twice: the walk cannot find a repeat
    seen: set[str] = set()
    repeated_chars = 0
    idx = 0
    while idx < n_grams:
        gram = grams[idx]
        if gram in seen:
            repeated_chars += len(gram)
            idx += n
        else:
            seen.add(gram)
            idx += 1
    return repeated_chars


def compression_ratio(text: str) -> float:
    """zlib (level 9) compressed bytes / raw UTF-8 bytes; lower = more repetitive, >1 if tiny."""
    raw = text.encode("utf-8")
    if not raw:
        return 0.0
    return len(zlib.compress(raw, 9)) / len(raw)


def repetition_measures(text: str, words: Sequence[str]) -> dict[str, float]:
    """Reference per-text Table A1 fractions (+ compression ratio), as datatrove computes them."""
    if not text:
        return dict.fromkeys(REPETITION_COLUMNS, 0.0)
    n_chars = len(text)
    out = line_paragraph_measures(text)
    # Top n-gram character fraction, n = 2, 3, 4 (Gopher thresholds 0.20, 0.18, 0.16).
    # Overlapping occurrences all count (as in datatrove): "a a a a a" would exceed 1, so clip.
    for n in GOPHER_TOP_NGRAM_CHAR_FRAC:
        out[f"top_{n}gram_char_frac"] = min(1.0, find_top_duplicate(words, n) / n_chars)
    # Duplicated n-gram character fraction, n = 5..10 (Gopher thresholds 0.15 .. 0.10).
    for n in GOPHER_DUP_NGRAM_CHAR_FRAC:
        out[f"dup_{n}gram_char_frac"] = find_all_duplicate(words, n) / n_chars
    out["compression_ratio"] = compression_ratio(text)
    return out


def split_lines(text: str) -> list[str]:
    """`re.split(r"\\n+", text)` (datatrove's line split), with str.split: about 8x faster."""
    parts = text.split("\n")
    if len(parts) < 3:
        return parts
    return [parts[0], *(part for part in parts[1:-1] if part), parts[-1]]


def split_paragraphs(text: str) -> list[str]:
    """`re.split(r"\\n{2,}", text)` (datatrove's paragraph split), with str.split."""
    paragraphs: list[str] = []
    current: list[str] = []
    parts = text.split("\n")
    for index, part in enumerate(parts):
        # An empty part between two others is a run of two or more newlines: a break.
        if part or index in (0, len(parts) - 1):
            current.append(part)
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    paragraphs.append("\n".join(current))
    return paragraphs


def line_paragraph_measures(text: str) -> dict[str, float]:
    """Duplicate line / paragraph fractions of one non-empty text (Table A1, as datatrove)."""
    if "\n" not in text:  # one line, one paragraph: nothing can repeat
        return dict.fromkeys(REPETITION_COLUMNS[:4], 0.0)
    n_chars = len(text)
    lines = split_lines(text)
    dup_lines, dup_line_chars = find_duplicates(lines)
    paragraphs = split_paragraphs(text.strip())
    dup_paras, dup_para_chars = find_duplicates(paragraphs)
    return {
        "dup_line_frac": dup_lines / len(lines),  # Gopher: > GOPHER_DUP_LINE_FRAC (0.30)
        "dup_line_char_frac": dup_line_chars / n_chars,  # > GOPHER_DUP_LINE_CHAR_FRAC (0.20)
        "dup_para_frac": dup_paras / len(paragraphs),  # > GOPHER_DUP_PARA_FRAC (0.30)
        "dup_para_char_frac": dup_para_chars / n_chars,  # > GOPHER_DUP_PARA_CHAR_FRAC (0.20)
    }
