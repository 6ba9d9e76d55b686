"""Report files: which files of the folder are reports, their names and keys, reading one safely.

A folder that is missing or unreadable is an error, never an empty folder; a file that cannot
be read raises UnreadableReport with a reason a person understands.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from pipelines.settings import REPORT_SUFFIXES
from pipelines.text.repair import UnreadableReport


@dataclass(frozen=True)
class ReportFile:
    """A candidate report in the folder: its name (as the OS gives it), size and mtime."""

    name: str
    size: int
    mtime: float

    @property
    def key(self) -> str:
        """Its partition key and `file_name`: the name, undecodable bytes escaped."""
        return printable_name(self.name)


def printable_name(name: str) -> str:
    """A file name as valid UTF-8: bytes that are not UTF-8 shown as `\\xNN` escapes.

    Python gives such bytes as lone surrogates (`caf\\udce9.md`), which Dagster's storage,
    DuckDB and JSON cursors cannot store; a valid name is returned as it is.
    """
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def name_problem(name: str) -> str | None:
    """Why a file name (as the OS gives it) cannot be a report, or None when it can."""
    shown = printable_name(name)
    if shown != name:
        return f"file name is not valid UTF-8 (rename it): {shown}"
    return None


def report_id(file_name: str) -> str:
    """Stable id of a report: derived from its file name, so a changed file keeps its id."""
    return hashlib.sha256(file_name.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def is_report_name(name: str) -> bool:
    """Reports are visible files ending .md, .markdown or .txt."""
    return not name.startswith(".") and name.lower().endswith(REPORT_SUFFIXES)


class ReportsFolderUnavailable(OSError):
    """The reports folder is missing, not a directory or unreadable: nothing can be decided.

    An error, never an empty folder: treating it as empty would remove every landed report.
    """

    def __init__(self, folder: Path, reason: str) -> None:
        super().__init__(f"reports folder {folder} {reason}; nothing changed")
        self.folder = folder
        self.reason = reason


def _folder_error(folder: Path, error: OSError) -> ReportsFolderUnavailable:
    """The folder-level error for an OSError raised while listing `folder`."""
    if isinstance(error, FileNotFoundError):
        return ReportsFolderUnavailable(folder, "does not exist (set REPORTS_DIR, or mount it)")
    if isinstance(error, NotADirectoryError):
        return ReportsFolderUnavailable(folder, "is not a directory (set REPORTS_DIR)")
    if isinstance(error, PermissionError):
        return ReportsFolderUnavailable(folder, "cannot be read (permission denied)")
    return ReportsFolderUnavailable(
        folder, f"cannot be read ({os.strerror(error.errno or errno.EIO)})"
    )


def list_report_files(folder: Path) -> list[ReportFile]:
    """Report files directly in `folder` (symlinks included: they are rejected when read).

    Raise ReportsFolderUnavailable when the folder itself cannot be listed.
    """
    found: list[ReportFile] = []
    try:
        entries = list(os.scandir(folder))
    except OSError as error:
        raise _folder_error(folder, error) from None
    for entry in entries:
        if not is_report_name(entry.name):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            continue
        except PermissionError as error:  # a folder that can be listed but not searched
            raise _folder_error(folder, error) from None
        if stat.S_ISDIR(info.st_mode):
            continue
        found.append(ReportFile(entry.name, info.st_size, info.st_mtime))
    # One file per key: a valid name wins over an undecodable one escaped to the same text.
    by_key: dict[str, ReportFile] = {}
    for report in sorted(found, key=lambda f: (f.key != f.name, f.name)):
        by_key.setdefault(report.key, report)
    return sorted(by_key.values(), key=lambda f: f.name)


def unusable_names(folder: Path) -> dict[str, str]:
    """Keys of the folder's report files whose names cannot be read as reports, with why."""
    return {f.key: problem for f in list_report_files(folder) if (problem := name_problem(f.name))}


def ensure_folder(folder: Path) -> None:
    """Raise ReportsFolderUnavailable unless `folder` is a directory that can be listed."""
    try:
        os.scandir(folder).close()
    except OSError as error:
        raise _folder_error(folder, error) from None


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
