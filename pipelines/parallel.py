"""Run a pure frame-to-frame function over slices of a frame in worker processes.

The per-report functions of `pipelines.text` treat each row independently, so a frame can
be cut into slices, each computed in its own process, and the results concatenated in order:
the same rows as one call, on every core. Small frames stay in this process (a worker costs
about a second to start).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TypeVar

import polars as pl

T = TypeVar("T")

# Below this many rows, one call in this process is faster than starting workers.
PARALLEL_FROM_ROWS = 5_000


def pool_context() -> multiprocessing.context.BaseContext:
    """forkserver, unless __main__ cannot be re-imported by a worker (code read from stdin).

    Workers fork from a fresh server process, not from this one: a fork of a process whose
    Polars thread pool is running can deadlock, and it would copy this process's memory (a
    Dagster run's frames) into every worker's accounting.
    """
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    if main_file is None or Path(main_file).is_file():
        return multiprocessing.get_context("forkserver")
    return multiprocessing.get_context("fork")


def workers_available() -> int:
    """Cores this process may use (at most 8)."""
    return min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1, 8)


def map_slices(
    function: Callable[[pl.DataFrame], pl.DataFrame],
    frame: pl.DataFrame,
    workers: int | None = None,
    min_rows: int = PARALLEL_FROM_ROWS,
) -> pl.DataFrame:
    """`function(frame)`, computed as `function` of consecutive slices in `workers` processes.

    `function` must be picklable (a module-level function, or a functools.partial of one) and
    row-independent: its output for a slice is the output rows of those input rows, in order.
    """
    workers = workers or workers_available()
    if frame.height < min_rows or workers < 2:
        return function(frame)
    # Two slices per worker: one slow slice does not leave a core idle for long.
    size = -(-frame.height // (workers * 2))
    slices = [frame.slice(start, size) for start in range(0, frame.height, size)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=pool_context()) as pool:
        return pl.concat(list(pool.map(function, slices)))


def map_frames(
    function: Callable[[pl.DataFrame], T],
    frames: Iterable[pl.DataFrame],
    workers: int | None = None,
) -> Iterator[T]:
    """`function` of each frame, in order, computed in `workers` processes.

    At most `workers` frames are in flight, so a slow consumer (a database insert) never has
    more than that many results waiting in memory. One frame is computed in this process.
    """
    workers = workers or workers_available()
    frames = iter(frames)
    first = next(frames, None)
    if first is None:
        return
    second = next(frames, None)
    if second is None or workers < 2:
        yield function(first)
        if second is not None:
            yield function(second)
            yield from map(function, frames)
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=pool_context()) as pool:
        pending = deque([pool.submit(function, first), pool.submit(function, second)])
        for frame in frames:
            if len(pending) >= workers:
                yield pending.popleft().result()
            pending.append(pool.submit(function, frame))
        while pending:
            yield pending.popleft().result()
