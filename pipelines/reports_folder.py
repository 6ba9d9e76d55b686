"""The reports folder: which files are reports, reading them safely, turning them into rows.

Every way a file can go wrong (too big, binary, a symlink out of the folder, unreadable,
gone before it was read, no text) ends as a rejection with a reason, never as a crash:
the other reports of the same run still land.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import multiprocessing
import os
import signal
import sys
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from pipelines.report_files import ensure_folder, read_report_bytes, report_id, unusable_names
from pipelines.text.language import detect_language, detection_text
from pipelines.text.repair import RepairedText, UnreadableReport, repair
from pipelines.text.report_dates import stated_date
from pipelines.text.sections import (
    ExtractedReport,
    Section,
    extract_sections,
    section_id,
    sections_frame,
)

# Below this many files a process pool costs more than it saves.
_PARALLEL_FROM = 64
_PR_SET_PDEATHSIG = 1  # prctl option (linux/prctl.h)

REPORT_SCHEMA = {
    "report_id": pl.String,
    "file_name": pl.String,
    "title": pl.String,
    "content_sha256": pl.String,
    "n_bytes": pl.Int64,
    "n_words": pl.Int64,
    "n_sections": pl.Int32,
    "encoding": pl.String,
    "repairs": pl.List(pl.String),
    "ingested_at": pl.Datetime("us", "UTC"),
    "report_date": pl.Datetime("us", "UTC"),
    "report_date_source": pl.String,
    "text": pl.String,
    "language": pl.String,
    "language_confidence": pl.Float64,
}
REJECTED_SCHEMA = {
    "file_name": pl.String,
    "reason": pl.String,
    "seen_at": pl.Datetime("us", "UTC"),
}


@dataclass(frozen=True)
class IngestedReport:
    """One file's outcome: a report row plus its sections, or a rejection reason."""

    file_name: str
    report: dict[str, object] | None
    sections: pl.DataFrame | None
    rejection: str | None


def _read_one(
    folder: Path, name: str, max_bytes: int, now: datetime
) -> tuple[dict[str, object] | None, ExtractedReport | None, str | None]:
    """Read, repair and section one file: (report row, extracted sections) or a rejection."""
    try:
        raw, mtime = read_report_bytes(folder, name, max_bytes)
        repaired = repair(raw)
        extracted = extract_sections(repaired.text, repaired.first_line)
    except UnreadableReport as error:
        return None, None, str(error)
    except RecursionError:
        return None, None, "Markdown nested too deeply to parse"
    report_date, date_source = _report_date(repaired, mtime)
    language, confidence = detect_language(detection_text(s.plain_text for s in extracted.sections))
    row = {
        "report_id": report_id(name),
        "file_name": name,
        "title": extracted.title,
        "content_sha256": hashlib.sha256(raw).hexdigest(),
        "n_bytes": len(raw),
        "n_words": extracted.n_words,
        "n_sections": len(extracted.sections),
        "encoding": repaired.encoding,
        "repairs": repaired.repairs,
        "ingested_at": now,
        "report_date": report_date,
        "report_date_source": date_source,
        "text": repaired.text,
        "language": language,
        "language_confidence": confidence,
    }
    return row, extracted, None


def _report_date(repaired: RepairedText, mtime: float) -> tuple[datetime, str]:
    """The report's date and where it comes from: front matter, its first lines, or the file.

    A copied or cloned folder gives every file the same mtime, so a stated date comes first.
    """
    stated = repaired.front_matter_date
    source = "front_matter"
    if stated is None:
        found = stated_date(repaired.text)
        stated, source = (found.value, "first_lines") if found else (None, "file_mtime")
    if stated is None:
        return datetime.fromtimestamp(mtime, UTC), source
    return datetime.combine(stated, datetime.min.time(), UTC), source


def ingest_one(folder: Path, name: str, max_bytes: int, now: datetime) -> IngestedReport:
    """Read, repair and section one report file; any failure becomes a rejection reason."""
    row, extracted, rejection = _read_one(folder, name, max_bytes, now)
    if row is None or extracted is None:
        return IngestedReport(name, None, None, rejection)
    return IngestedReport(name, row, sections_frame(str(row["report_id"]), extracted), None)


@dataclass(frozen=True)
class _Chunk:
    """A batch of files' outcomes: report rows, all their sections in one frame, rejections."""

    reports: list[dict[str, object]]
    sections: pl.DataFrame
    rejections: list[tuple[str, str]]


def _ingest_chunk(args: tuple[Path, list[str], int, datetime]) -> _Chunk:
    """Worker entry point: ingest a chunk of files, sections of the whole chunk as one frame.

    Building one frame per chunk (then fixing each row's report and section id) is the same
    as concatenating `sections_frame` per report, without a frame per report.
    """
    folder, names, max_bytes, now = args
    reports: list[dict[str, object]] = []
    rejections: list[tuple[str, str]] = []
    sections: list[Section] = []
    owners: list[str] = []
    for name in names:
        row, extracted, rejection = _read_one(folder, name, max_bytes, now)
        if row is None or extracted is None:
            rejections.append((name, rejection or "unreadable"))
            continue
        reports.append(row)
        sections += extracted.sections
        owners += [str(row["report_id"])] * len(extracted.sections)
    frame = sections_frame("", ExtractedReport(title=None, sections=sections, n_words=0))
    ids = [section_id(rid, s.ordinal) for rid, s in zip(owners, sections, strict=True)]
    # In-place column swaps: no expression evaluation (nothing runs on Polars' thread pool).
    frame.replace_column(
        frame.get_column_index("report_id"), pl.Series("report_id", owners, dtype=pl.String)
    )
    frame.replace_column(
        frame.get_column_index("section_id"), pl.Series("section_id", ids, dtype=pl.String)
    )
    return _Chunk(reports, frame, rejections)


def _pool_context() -> multiprocessing.context.BaseContext:
    """spawn, unless __main__ cannot be re-imported by a worker (code read from stdin)."""
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    if main_file is None or Path(main_file).is_file():
        return multiprocessing.get_context("spawn")
    return multiprocessing.get_context("fork")


def _die_with_parent(parent_pid: int) -> None:
    """Pool initializer: the kernel kills this worker when the process that started it dies.

    A SIGKILLed run cannot shut its pool down; without this its workers (blocked on the task
    queue, whose write end they hold themselves) lived on, ~80 MB each, one set per kill.
    """
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:  # the parent died before the line above took effect
        os._exit(1)


def _worker_count(workers: int | None) -> int:
    """Processes for a pool: the cores, at most 8, unless `workers` says otherwise."""
    return workers or min(os.cpu_count() or 1, 8)


@contextmanager
def ingest_pool(n_files: int, workers: int | None = None) -> Iterator[ProcessPoolExecutor | None]:
    """One process pool for ingesting `n_files` files over several `ingest_reports` calls
    (None when the files are too few or there is one core: they are read in this process).

    Workers are fresh processes, not forks of this one: a fork of a process whose Polars
    thread pool is running can deadlock, and it would copy this process's memory (a Dagster
    run's frames) into every worker's accounting. They die with this process.
    """
    count = _worker_count(workers)
    if n_files < _PARALLEL_FROM or count < 2:
        yield None
        return
    with ProcessPoolExecutor(
        max_workers=count,
        mp_context=_pool_context(),
        initializer=_die_with_parent,
        initargs=(os.getpid(),),
    ) as pool:
        yield pool


def ingest_reports(
    folder: Path,
    names: Iterable[str],
    max_bytes: int,
    workers: int | None = None,
    pool: ProcessPoolExecutor | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Ingest files into (reports, sections, rejected) frames, in parallel for large batches
    (on `pool` when given, see `ingest_pool`; else on a pool of its own).

    A file whose name is not valid UTF-8 is rejected unread (`name_problem`). A folder gone
    as a whole raises ReportsFolderUnavailable: its files did not disappear,
    and recording them as such would replace every landed report with a rejection.
    """
    keys = list(names)
    unusable = unusable_names(folder)
    names = [name for name in keys if name not in unusable]
    now = datetime.now(UTC)
    count = _worker_count(workers)
    if len(names) < _PARALLEL_FROM or (pool is None and count < 2):
        chunks = [_ingest_chunk((folder, names, max_bytes, now))]
    else:
        size = max(16, len(names) // (count * 4))
        batches = [
            (folder, names[i : i + size], max_bytes, now) for i in range(0, len(names), size)
        ]
        with contextlib.ExitStack() as stack:
            if pool is None:
                pool = stack.enter_context(ingest_pool(len(names), count))
            assert pool is not None
            chunks = list(pool.map(_ingest_chunk, batches))
    ensure_folder(folder)
    reports = pl.DataFrame([r for c in chunks for r in c.reports], schema=REPORT_SCHEMA)
    sections = pl.concat([c.sections for c in chunks])
    rejected = pl.DataFrame(
        [
            {"file_name": name, "reason": reason, "seen_at": now}
            for c in chunks
            for name, reason in c.rejections
        ]
        + [
            {"file_name": key, "reason": unusable[key], "seen_at": now}
            for key in keys
            if key in unusable
        ],
        schema=REJECTED_SCHEMA,
    )
    return reports, sections, rejected


def keep_first_seen(
    fresh: pl.DataFrame, landed: pl.DataFrame, key: str, same: str, timestamp: str
) -> pl.DataFrame:
    """Keep the landed `timestamp` of rows whose `same` column did not change (idempotent runs)."""
    if landed.is_empty() or fresh.is_empty():
        return fresh
    previous = landed.select(
        key,
        pl.col(same).alias("_same"),
        pl.col(timestamp).dt.convert_time_zone("UTC").alias("_then"),
    )
    return (
        fresh.join(previous, on=key, how="left")
        .with_columns(
            pl.when(pl.col(same) == pl.col("_same"))
            .then(pl.col("_then"))
            .otherwise(pl.col(timestamp))
            .cast(fresh.schema[timestamp])
            .alias(timestamp)
        )
        .select(fresh.columns)
    )
