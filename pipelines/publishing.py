"""Publishing: the database and the charts readers see change together, or not at all.

The working database and the staged charts (`warehouse/.work/charts`, written by the
dashboard asset) are copied to new hidden files beside the published ones first; only when
every copy is complete and synced do two renames swap them in, back to back: the database
file (`os.replace`) and the `charts` symlink, which points at one generation of charts
(`.charts-<n>`). A failure before the renames (a full disk, a kill) changes nothing a reader
sees; the next publish removes whatever staging files a failed one left behind.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.settings import DATABASE_FILE

if TYPE_CHECKING:
    from pipelines.warehouse import Warehouse

STAGING_PREFIX = f".{DATABASE_FILE}."
GENERATION_PREFIX = ".charts-"
# The report pages' folder inside the charts: kept across refreshes (a page is written only
# when its report is new or changed), unlike the charts, which every refresh writes anew.
REPORT_PAGES_DIR = "reports"


def staged_charts_dir(store: Warehouse) -> Path:
    """Where the dashboard asset writes the charts of the next publish."""
    return store.work_dir / "charts"


def published_charts_dir(store: Warehouse) -> Path:
    """The charts readers open: a symlink to the current generation."""
    return store.warehouse_dir / "charts"


def remove_leftovers(store: Warehouse) -> list[Path]:
    """Delete staging files and chart generations no reader can reach; returns what went."""
    current = _current_generation(store)
    removed = []
    for path in store.warehouse_dir.glob(".*"):
        stale_db = path.name.startswith(STAGING_PREFIX)
        stale_charts = path.name.startswith(GENERATION_PREFIX) and path != current
        if stale_db or stale_charts:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _current_generation(store: Warehouse) -> Path | None:
    """The generation folder `charts` points at, if it is a symlink."""
    link = published_charts_dir(store)
    return link.parent / os.readlink(link) if link.is_symlink() else None


def _copy_staged(source: str, target: str) -> None:
    """Copy a staged chart into a generation; hard-link a report page (a copy where links fail).

    Report pages are only ever replaced by rename (page.atomic_write), never written in place,
    so a link keeps the published content while the staging folder moves on, and thousands of
    pages cost a link each per publish, not a copy. Other staged files are copied.
    """
    if Path(source).parent.name != REPORT_PAGES_DIR:
        shutil.copy2(source, target)
        return
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _fsync_tree(folder: Path) -> None:
    """Flush every file of a folder to disk (linked pages were flushed when written)."""
    for path in folder.rglob("*"):
        if path.is_file() and path.stat().st_nlink == 1:
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())


def publish(store: Warehouse) -> Path:
    """Stage the checkpointed database and the staged charts, then swap both in by renames."""
    stamp = f"{os.getpid()}.{time.time_ns()}"
    with store.connect() as connection:
        connection.execute("CHECKPOINT")
        store.close_connection(connection)
        # Under the writer lock no other publish is in flight: every staging file is litter.
        remove_leftovers(store)
        staging_db = store.warehouse_dir / f"{STAGING_PREFIX}{stamp}"
        charts = staged_charts_dir(store)
        generation = store.warehouse_dir / f"{GENERATION_PREFIX}{stamp}"
        try:
            shutil.copyfile(store.work_path, staging_db)
            with open(staging_db, "rb") as handle:
                os.fsync(handle.fileno())
            if charts.is_dir():
                shutil.copytree(charts, generation, copy_function=_copy_staged)
                _fsync_tree(generation)
        except BaseException:
            staging_db.unlink(missing_ok=True)
            shutil.rmtree(generation, ignore_errors=True)
            raise
        os.replace(staging_db, store.published_path)
        if generation.is_dir():
            _swap_charts(store, generation)
    return store.published_path


def _swap_charts(store: Warehouse, generation: Path) -> None:
    """Point `charts` at `generation` atomically (a real `charts` folder is moved aside once)."""
    link = published_charts_dir(store)
    if link.exists() and not link.is_symlink():
        link.rename(store.warehouse_dir / f"{GENERATION_PREFIX}legacy.{time.time_ns()}")
    pending = store.warehouse_dir / f".charts.link.{os.getpid()}"
    pending.unlink(missing_ok=True)
    pending.symlink_to(generation.name)
    previous = _current_generation(store)
    os.replace(pending, link)
    if previous is not None and previous != generation:
        shutil.rmtree(previous, ignore_errors=True)
