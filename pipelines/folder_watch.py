"""What changed in the reports folder since the sensor last looked, and what to run for it.

Pure logic (no Dagster): the sensor keeps a `FolderState` as its cursor. A file counts as
changed only when its content hash changes (a `touch` is not a change). A file modified in
the last few seconds may still be being written and waits for the next tick.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.report_files import ensure_folder, list_report_files


@dataclass(frozen=True)
class Seen:
    """A file as the sensor last saw it."""

    size: int
    mtime_ns: int
    sha256: str


@dataclass
class FolderState:
    """Every report file seen, by name; `generation` counts the ticks that requested work.

    `failed_runs` is how many runs had failed when the sensor last looked for reports that never
    landed (-1: never looked); it looks again only when that number changes.
    """

    files: dict[str, Seen] = field(default_factory=dict)
    generation: int = 0
    failed_runs: int = -1

    @classmethod
    def from_json(cls, cursor: str | None) -> FolderState:
        """Parse a sensor cursor (an empty or missing cursor is an empty state)."""
        if not cursor:
            return cls()
        data = json.loads(cursor)
        return cls(
            files={name: Seen(*values) for name, values in data.get("files", {}).items()},
            generation=int(data.get("generation", 0)),
            failed_runs=int(data.get("failed_runs", -1)),
        )

    def to_json(self) -> str:
        """Serialize as a sensor cursor."""
        return json.dumps(
            {
                "generation": self.generation,
                "failed_runs": self.failed_runs,
                "files": {n: [s.size, s.mtime_ns, s.sha256] for n, s in sorted(self.files.items())},
            },
            separators=(",", ":"),
        )


def content_hash(path: Path, folder: Path) -> str | None:
    """SHA-256 of a file's bytes; symlinks out of the folder are never read; None if gone."""
    try:
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode) and not path.resolve().is_relative_to(folder.resolve()):
            return "symlink:" + hashlib.sha256(os.readlink(path).encode()).hexdigest()
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()
    except FileNotFoundError:
        return None
    except OSError as error:  # unreadable: still a change worth a run that records why
        return f"unreadable:{error.errno}:{info.st_mtime_ns}"


def scan_folder(
    folder: Path, previous: FolderState, settle_seconds: float = 2.0, now: float | None = None
) -> FolderState:
    """The folder's files now (by partition key), hashing only those whose size or mtime moved.

    Raise ReportsFolderUnavailable when the folder cannot be listed, also when it went away
    during the scan (its files would otherwise look deleted).
    """
    now = time.time() if now is None else now
    files: dict[str, Seen] = {}
    for report in list_report_files(folder):
        before = previous.files.get(report.key)
        mtime_ns = int(report.mtime * 1e9)
        if now - report.mtime < settle_seconds:
            if before:  # still being written: keep what we knew, decide next tick
                files[report.key] = before
            continue
        if before and before.size == report.size and before.mtime_ns == mtime_ns:
            files[report.key] = before
            continue
        digest = content_hash(folder / report.name, folder)
        if digest is not None:
            files[report.key] = Seen(report.size, mtime_ns, digest)
    ensure_folder(folder)
    return FolderState(files, previous.generation, previous.failed_runs)


# The cursor's entry for a file whose partition could not be dropped yet (a run in progress
# ends at it): it matches no file, so the next tick sees the file as changed, or as removed.
DEFERRED = Seen(-1, -1, "deferred")


@dataclass(frozen=True)
class RefreshPlan:
    """Partitions to drop and add, which to run, and the run's idempotency key."""

    add: list[str]
    drop: list[str]
    refresh: list[str]
    removed: list[str]
    run_key: str | None
    # Changed or removed files whose partition a run in progress needs: dropped on a later tick.
    kept: list[str] = field(default_factory=list)

    @property
    def removed_only(self) -> bool:
        """Only deletions: the corpus-wide assets must still follow."""
        return bool(self.removed) and not self.refresh

    def describe(self) -> str:
        """One line for the sensor log."""
        return (
            f"refresh {len(self.refresh)} report(s) {self.refresh[:5]}, remove {self.removed[:5]}"
        )


def plan_refresh(
    previous: FolderState,
    current: FolderState,
    known: list[str],
    in_use: frozenset[str] | set[str] = frozenset(),
) -> RefreshPlan:
    """Compare two states (and the partitions that exist) and plan one run.

    New files are added at the end of the partition order, so everything to refresh is one
    contiguous partition range and one run. A changed file's partition is dropped now and the
    file forgotten by the cursor, so the next tick adds it back at the end as a new file (Dagster
    refuses to delete and add the same partition in one tick). The same contents never produce
    two run keys; a re-added file gets a new generation and therefore a new key. Partitions
    `in_use` by a queued or running run are not dropped: their files are decided again on a
    later tick (cursor entry DEFERRED), whatever happens to them meanwhile.
    """
    known_set = set(known)
    new = sorted(name for name in current.files if name not in known_set)
    changed = sorted(
        name
        for name, seen in current.files.items()
        if name in known_set
        and name in previous.files
        and previous.files[name].sha256 != seen.sha256
    )
    for name in changed:
        del current.files[name]
    removed = sorted(
        name for name in known_set if name not in current.files and name not in changed
    )
    kept = sorted(name for name in changed + removed if name in in_use)
    for name in kept:
        current.files[name] = DEFERRED
    changed = [name for name in changed if name not in in_use]
    removed = [name for name in removed if name not in in_use]
    # A file mid-write keeps its old entry in `current`, so it is neither removed nor changed.
    if not new and not removed and not changed:
        return RefreshPlan([], [], [], [], None, kept)
    current.generation = previous.generation + 1
    payload = json.dumps(
        {
            "refresh": [[n, current.files[n].sha256, current.files[n].mtime_ns] for n in new],
            "removed": removed,
            "generation": current.generation,
        }
    )
    return RefreshPlan(
        add=new,
        drop=removed + changed,
        refresh=new,
        removed=removed,
        run_key=hashlib.sha256(payload.encode()).hexdigest()[:32] if new or removed else None,
        kept=kept,
    )
