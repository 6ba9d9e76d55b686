"""A working database DuckDB cannot open: recognise the damage and restore the published copy."""

from __future__ import annotations

import logging
import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipelines.warehouse import Warehouse

# What DuckDB says of a file that is not (or no longer) a database it can read.
_CORRUPTION_MESSAGES = ("not a valid duckdb database", "corrupt", "checksum", "invalid magic")


def is_corrupt_database(path: Path, error: BaseException) -> bool:
    """True when opening `path` failed because the file's content is damaged (not a lock)."""
    if not path.is_file():
        return False
    message = str(error).lower()
    if "lock" in message:
        return False
    with open(path, "rb") as handle:
        header = handle.read(12)
    return header[8:12] != b"DUCK" or any(m in message for m in _CORRUPTION_MESSAGES)


def recover_working_copy(store: Warehouse, error: BaseException) -> str:
    """Move a corrupt working database aside and restore the published copy (or start empty).

    Says what it did on stderr and in the log; returns that sentence.
    """
    aside = store.work_path.with_name(f"{store.work_path.name}.corrupt")
    for damaged in (store.work_path, store.work_path.with_name(store.work_path.name + ".wal")):
        if damaged.exists():
            os.replace(
                damaged, aside.with_name(aside.name + damaged.name[len(store.work_path.name) :])
            )
    if store.published_path.is_file():
        shutil.copyfile(store.published_path, store.work_path)
        how = f"rebuilt from the published copy {store.published_path}"
    else:
        how = "started empty: run `make run` (reportscope run) to land every report again"
    said = (
        f"reportscope: the working database {store.work_path} could not be opened ({error}); "
        f"moved it to {aside} and {how}."
    )
    logging.getLogger(__name__).warning(said)
    print(said, file=sys.stderr)
    return said
