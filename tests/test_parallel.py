"""map_slices: a row-independent function over slices in worker processes gives the same rows."""

from __future__ import annotations

from functools import partial

import polars as pl

from pipelines.parallel import map_frames, map_slices
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


def test_map_frames_yields_each_result_in_order_from_worker_processes() -> None:
    frames = [pl.DataFrame({"row": [i], "plain_text": [f"text {i} " * (i + 1)]}) for i in range(5)]
    function = partial(redundancy.repetition, key=["row"])
    got = list(map_frames(function, frames, workers=2))
    assert [g["row"].to_list() for g in got] == [[i] for i in range(5)]
    assert all(g.equals(function(f)) for g, f in zip(got, frames, strict=True))
    assert list(map_frames(function, [], workers=2)) == []
    assert len(list(map_frames(function, frames[:1], workers=2))) == 1
