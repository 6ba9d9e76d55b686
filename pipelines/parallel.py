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
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import polars as pl

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
