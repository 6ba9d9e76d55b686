"""The warehouse's cross-process writer lock, and a connection kept open under it for a run.

DuckDB allows one writing process, and opening the file costs 15-20 ms (a refresh used to
open it 49 times). `KeptConnection` holds the lock and one connection from the first use
until `release()`: what a Dagster run in one process does (WarehouseResource).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

import duckdb
from filelock import FileLock

from pipelines.connections import memory_limit

# How long a writer waits for another pipeline process before failing with a clear message.
LOCK_TIMEOUT_S = 600.0
# DuckDB's memory limit for the moment a kept connection drops its cached blocks (`trim`).
TRIM_TO = "1MB"


class WarehouseBusy(RuntimeError):
    """Another pipeline process held the working database for longer than the timeout."""


def acquire_writer_lock(work_dir: Path, database: Path, timeout_s: float) -> FileLock:
    """The writer lock of `work_dir`, acquired (WarehouseBusy after `timeout_s`)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(work_dir / "writer.lock")
    try:
        lock.acquire(timeout=timeout_s)
    except TimeoutError:
        raise WarehouseBusy(
            f"another reportscope process has held {database} for over "
            f"{timeout_s:.0f}s (lock file {lock.lock_file})"
        ) from None
    return lock


class KeptConnection:
    """The writer lock and one connection, taken on first use and kept until `release()`."""

    def __init__(
        self, acquire: Callable[[], FileLock], open_: Callable[[], duckdb.DuckDBPyConnection]
    ):
        self._acquire, self._open = acquire, open_
        self._lock: FileLock | None = None
        self._connection: duckdb.DuckDBPyConnection | None = None
        self._thread: int | None = None

    def get(self) -> duckdb.DuckDBPyConnection:
        """The kept connection, opened (under the lock) on first use."""
        thread = threading.get_ident()
        if self._thread not in (None, thread):
            raise RuntimeError("a kept warehouse connection is used by the thread that opened it")
        if self._lock is None:
            self._lock, self._thread = self._acquire(), thread
        if self._connection is None:
            try:
                self._connection = self._open()
            except BaseException:
                self.release()
                raise
        return self._connection

    def trim(self) -> None:
        """Let DuckDB drop the table blocks it cached (closing the connection used to): a
        lower memory limit for a moment evicts them, so a step's Polars work does not sit on
        top of the earlier steps' reads (hundreds of MB at 10,000 reports)."""
        if self._connection is not None:
            with suppress(duckdb.Error), memory_limit(self._connection, TRIM_TO):
                pass  # blocks still pinned fail the lower limit: they go at the next trim

    def forget(self, connection: duckdb.DuckDBPyConnection) -> None:
        """`connection` was closed: the next `get` opens another, still under the lock."""
        if connection is self._connection:
            self._connection = None

    def release(self) -> None:
        """Close the connection and release the lock."""
        connection, lock = self._connection, self._lock
        self._connection = self._lock = self._thread = None
        try:
            if connection is not None:
                connection.close()
        finally:
            if lock is not None:
                lock.release()
