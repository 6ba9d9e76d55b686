"""map_slices: a row-independent function over slices in worker processes gives the same rows."""

from __future__ import annotations

from functools import partial

import polars as pl

from pipelines.parallel import map_slices
from pipelines.text import redundancy
from tests.conftest import SEEDS


def test_repetition_over_slices_in_two_processes_equals_one_call() -> None:
    paragraphs = [
        p
        for path in sorted(SEEDS.glob("*.txt"))
        for p in path.read_text(encoding="utf-8").split("\n\n")
        if p.strip()
    ]
    frame = pl.DataFrame({"row": range(len(paragraphs)), "plain_text": paragraphs})
    function = partial(redundancy.repetition, key=["row"])
    expected = function(frame)
    got = map_slices(function, frame, workers=2, min_rows=1)
    assert frame.height > 50
    assert got.equals(expected)
    assert got["row"].to_list() == list(range(frame.height))
    # Below min_rows the call stays in this process (same rows either way).
    assert map_slices(function, frame, workers=2, min_rows=10**9).equals(expected)
