"""Rows whose items repeat, found by sorting hashes and checked exactly: collisions cost time only."""

from __future__ import annotations

from collections.abc import Callable, Hashable

import numpy as np

from pipelines.text.redundancy.word_stream import U64


def sorted_runs(keys: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Packed (key high bits, row) sorted, the row mask of the packing, and who is in a run.

    The row is packed into the low bits of its key (which `keys` loses), so one plain sort
    groups equal keys with rows ascending; keys compare on their high bits (at least 33).
    A key's high bits depend on all of its bits only if the caller has mixed it.
    """
    low = (U64(1) << U64(max(1, int(rows[-1]).bit_length()))) - U64(1)
    keys &= ~low
    keys |= rows.astype(U64)
    keys.sort()
    repeated = (keys[1:] ^ keys[:-1]) <= low
    in_run = np.zeros(len(keys), dtype=bool)
    in_run[1:] = repeated
    in_run[:-1] |= repeated
    return keys, low, in_run


def _hash_runs(keys: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows (ascending, int64) whose key occurs more than once, by (key, row), and run numbers.

    `keys` is overwritten.
    """
    if len(rows) < 2:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    packed, low, in_run = sorted_runs(keys, rows)
    packed = packed[in_run]
    run = np.cumsum(np.concatenate([[True], (packed[1:] ^ packed[:-1]) > low])) - 1
    return (packed & low).view(np.int64), run


def exact_groups(
    keys: np.ndarray,
    rows: np.ndarray,
    columns: list[np.ndarray],
    exact_key: Callable[[int], Hashable],
) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose item occurs more than once, by (group, row), and dense group ids.

    `keys[i]` hashes the item of `rows[i]`. Items whose `columns` all agree are equal; a run
    of equal keys where they disagree somewhere is regrouped by `exact_key(row)`.
    """
    members, run = _hash_runs(keys, rows)  # keys is overwritten
    if len(members) == 0:
        return members, run
    first = members[np.flatnonzero(np.diff(run, prepend=-1))][run]
    agree = np.ones(len(members), dtype=bool)
    for column in columns:
        agree &= column[members] == column[first]
    if agree.all():
        return members, run
    checked = np.isin(run, run[~agree])
    kept, kept_run = members[~checked], run[~checked]
    kept_group = np.cumsum(np.diff(kept_run, prepend=-1) != 0) - 1
    regrouped: dict[tuple[int, Hashable], list[int]] = {}
    for row, of_run in zip(members[checked].tolist(), run[checked].tolist(), strict=True):
        regrouped.setdefault((of_run, exact_key(row)), []).append(row)
    extra = [group for group in regrouped.values() if len(group) > 1]
    next_group = int(kept_group[-1]) + 1 if len(kept_group) else 0
    extra_rows = np.array([row for group in extra for row in group], dtype=np.int64)
    extra_group = np.repeat(np.arange(next_group, next_group + len(extra)), list(map(len, extra)))
    return np.concatenate([kept, extra_rows]), np.concatenate([kept_group, extra_group])
