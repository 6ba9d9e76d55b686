"""datatrove's duplicate n-gram walk (Gopher Table A1, dup_{5..10}gram) over many texts at once.

The walk visits a text's n-gram positions left to right: a gram already seen adds its
characters and skips the next n-1 positions; any other gram is marked seen. A gram that
occurs once in its text only advances the walk, so the walk over the repeated grams alone
counts the same rows (`pipelines.text.redundancy.gopher.find_all_duplicate` is the reference).
"""

from __future__ import annotations

import numpy as np


def counted_rows(rows: np.ndarray, group: np.ndarray, doc: np.ndarray, n: int) -> np.ndarray:
    """Rows (ascending) the walk counts, given the rows of repeated grams by (group, row).

    `group` numbers equal grams (one text each), `doc[row]` is the row's text. While no
    group's first row is skipped, every later row the walk reaches is counted, so the
    counted rows are the greedy chain over later rows (`_greedy_chain`). A text where a
    counted row skips a group's first row is walked row by row instead (`_walk`).
    """
    if len(rows) == 0:
        return rows
    is_first = np.zeros(len(rows), dtype=bool)
    is_first[np.flatnonzero(np.diff(group, prepend=-1))] = True
    firsts = np.sort(rows[is_first])
    counted = _greedy_chain(np.sort(rows[~is_first]), n)
    before = np.searchsorted(counted, firsts) - 1  # the last counted row before each first row
    skipped = (before >= 0) & (firsts < counted[np.maximum(before, 0)] + n)
    if not skipped.any():
        return counted
    texts = np.unique(doc[firsts[skipped]])
    again = np.flatnonzero(np.isin(doc[rows], texts))
    order = again[np.argsort(rows[again], kind="stable")]
    walked = _walk(rows[order].tolist(), group[order].tolist(), n, int(group.max()) + 1)
    kept = counted[~np.isin(doc[counted], texts)]
    return np.sort(np.concatenate([kept, np.array(walked, dtype=np.int64)]))


def _greedy_chain(rows: np.ndarray, n: int) -> np.ndarray:
    """rows[0], then the first row at least n after the last one taken, and so on.

    Within a run of consecutive rows the chain steps by n, so it is built one run at a
    time: a loop over runs (the rows of a long repetition are one run), not over rows.
    """
    if len(rows) == 0:
        return rows
    breaks = np.flatnonzero(np.diff(rows) != 1) + 1
    run_starts = rows[np.concatenate([[0], breaks])].tolist()
    run_ends = rows[np.concatenate([breaks - 1, [len(rows) - 1]])].tolist()
    firsts: list[int] = []
    counts: list[int] = []
    resume = run_starts[0]
    for start, end in zip(run_starts, run_ends, strict=True):
        first = max(start, resume)
        if first <= end:
            count = (end - first) // n + 1
            firsts.append(first)
            counts.append(count)
            resume = first + count * n
    steps = np.arange(sum(counts)) - np.repeat(np.cumsum(counts) - counts, counts)
    return np.repeat(np.array(firsts, dtype=np.int64), counts) + n * steps


def _walk(rows: list[int], groups: list[int], n: int, n_groups: int) -> list[int]:
    """Rows the walk counts, one row at a time (rows ascending, with their gram groups)."""
    seen = bytearray(n_groups)
    resume = 0
    counted: list[int] = []
    for row, group in zip(rows, groups, strict=True):
        if row >= resume:
            if seen[group]:
                counted.append(row)
                resume = row + n
            else:
                seen[group] = 1
    return counted
