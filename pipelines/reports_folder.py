"""The reports folder: which files are reports, reading them safely, turning them into rows.

Every way a file can go wrong (too big, binary, a symlink out of the folder, unreadable,
gone before it was read, no text) ends as a rejection with a reason, never as a crash:
the other reports of the same run still land.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from pipelines.settings import REPORT_SUFFIXES
from pipelines.text.repair import UnreadableReport, repair
from pipelines.text.sections import ExtractedReport, extract_sections, sections_frame

_NO_SECTIONS = ExtractedReport(title=None, sections=[], n_words=0)
# Below this many files a process pool costs more than it saves.
_PARALLEL_FROM = 64

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
}
REJECTED_SCHEMA = {
    "file_name": pl.String,
    "reason": pl.String,
    "seen_at": pl.Datetime("us", "UTC"),
}


@dataclass(frozen=True)
class ReportFile:
    """A candidate report in the folder: its name, size and modification time."""

    name: str
    size: int
    mtime: float


def report_id(file_name: str) -> str:
    """Stable id of a report: derived from its file name, so a changed file keeps its id."""
    return hashlib.sha256(file_name.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def is_report_name(name: str) -> bool:
    """Reports are visible files ending .md, .markdown or .txt."""
    return not name.startswith(".") and name.lower().endswith(REPORT_SUFFIXES)


def list_report_files(folder: Path) -> list[ReportFile]:
    """Report files directly in `folder` (symlinks included: they are rejected when read)."""
    found: list[ReportFile] = []
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return []
    for entry in entries:
        if not is_report_name(entry.name):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            continue
        if stat.S_ISDIR(info.st_mode):
            continue
        found.append(ReportFile(entry.name, info.st_size, info.st_mtime))
    return sorted(found, key=lambda f: f.name)


def read_report_bytes(folder: Path, name: str, max_bytes: int) -> tuple[bytes, float]:
    """The file's bytes and mtime; raise UnreadableReport with a reason a person understands."""
    path = folder / name
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise UnreadableReport("file disappeared before it could be read") from None
    except PermissionError:
        raise UnreadableReport("permission denied: the file cannot be read") from None
    if stat.S_ISLNK(info.st_mode):
        target = path.resolve()
        if not target.is_relative_to(folder.resolve()):
            raise UnreadableReport("symbolic link pointing outside the reports folder (not read)")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise UnreadableReport("file disappeared before it could be read") from None
    except PermissionError:
        raise UnreadableReport("permission denied: the file cannot be read") from None
    except OSError as error:
        raise UnreadableReport(
            f"cannot open the file: {os.strerror(error.errno or errno.EIO)}"
        ) from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableReport("not a regular file")
        if info.st_size > max_bytes:
            raise UnreadableReport(
                f"file is {info.st_size / 2**20:.1f} MiB, over the size limit of "
                f"{max_bytes / 2**20:.1f} MiB (set REPORTS_MAX_BYTES to raise it)"
            )
        raw = handle.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise UnreadableReport(
            f"file grew past the size limit of {max_bytes / 2**20:.1f} MiB while being read"
        )
    return raw, info.st_mtime


@dataclass(frozen=True)
class IngestedReport:
    """One file's outcome: a report row plus its sections, or a rejection reason."""

    file_name: str
    report: dict[str, object] | None
    sections: pl.DataFrame | None
    rejection: str | None


def ingest_one(folder: Path, name: str, max_bytes: int, now: datetime) -> IngestedReport:
    """Read, repair and section one report file; any failure becomes a rejection reason."""
    try:
        raw, mtime = read_report_bytes(folder, name, max_bytes)
        repaired = repair(raw)
        extracted = extract_sections(repaired.text, repaired.first_line)
    except UnreadableReport as error:
        return IngestedReport(name, None, None, str(error))
    except RecursionError:
        return IngestedReport(name, None, None, "Markdown nested too deeply to parse")
    rid = report_id(name)
    if repaired.front_matter_date:
        report_date = datetime.combine(repaired.front_matter_date, datetime.min.time(), UTC)
        date_source = "front_matter"
    else:
        report_date = datetime.fromtimestamp(mtime, UTC)
        date_source = "file_mtime"
    row = {
        "report_id": rid,
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
    }
    return IngestedReport(name, row, sections_frame(rid, extracted), None)


def _ingest_chunk(args: tuple[Path, list[str], int, datetime]) -> list[IngestedReport]:
    """Worker entry point: ingest a chunk of files."""
    folder, names, max_bytes, now = args
    return [ingest_one(folder, name, max_bytes, now) for name in names]


def ingest_reports(
    folder: Path, names: Iterable[str], max_bytes: int, workers: int | None = None
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Ingest files into (reports, sections, rejected) frames, in parallel for large batches."""
    names = list(names)
    now = datetime.now(UTC)
    workers = workers or min(os.cpu_count() or 1, 8)
    if len(names) < _PARALLEL_FROM or workers < 2:
        results = _ingest_chunk((folder, names, max_bytes, now))
    else:
        size = max(16, len(names) // (workers * 4))
        chunks = [(folder, names[i : i + size], max_bytes, now) for i in range(0, len(names), size)]
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = [item for chunk in pool.map(_ingest_chunk, chunks) for item in chunk]
    reports = pl.DataFrame([r.report for r in results if r.report], schema=REPORT_SCHEMA)
    section_frames = [r.sections for r in results if r.sections is not None]
    sections = pl.concat(section_frames) if section_frames else sections_frame("", _NO_SECTIONS)
    rejected = pl.DataFrame(
        [
            {"file_name": r.file_name, "reason": r.rejection, "seen_at": now}
            for r in results
            if r.rejection
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
