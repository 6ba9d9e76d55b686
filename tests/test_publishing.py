"""Publishing swaps the database and the charts in together, or changes nothing readers see."""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.publishing import published_charts_dir, remove_leftovers, staged_charts_dir
from pipelines.warehouse import Warehouse


def land(store: Warehouse, n_reports: int, padding: int = 0) -> None:
    """Replace corpus.reports with n rows (optionally padded with incompressible text)."""
    text = [os.urandom(padding).hex() for _ in range(n_reports)]
    store.replace_tables(
        {"reports": pl.DataFrame({"report_id": [f"r{i}" for i in range(n_reports)], "text": text})}
    )


def stage_charts(store: Warehouse, marker: str) -> None:
    """What the dashboard asset does: write the next charts into the staging folder."""
    staged = staged_charts_dir(store)
    staged.mkdir(parents=True, exist_ok=True)
    (staged / "index.html").write_text(f"<p>{marker}</p>", encoding="utf-8")


def published_state(store: Warehouse) -> tuple[int, str]:
    """(reports a reader sees, the dashboard a reader sees)."""
    with duckdb.connect(str(store.published_path), read_only=True) as connection:
        n = connection.execute("SELECT count(*) FROM corpus.reports").fetchone()[0]  # type: ignore[index]
    return n, (published_charts_dir(store) / "index.html").read_text(encoding="utf-8")


def leftovers(store: Warehouse) -> list[str]:
    """Hidden staging files and stale chart generations beside the published files."""
    current = os.readlink(published_charts_dir(store))
    return sorted(
        p.name
        for p in store.warehouse_dir.glob(".*")
        if p.name != current and p.name not in {".work"}
    )


def test_database_and_charts_are_published_together(tmp_path: Path) -> None:
    store = Warehouse(tmp_path)
    land(store, 3)
    stage_charts(store, "three")
    store.publish()
    assert published_state(store) == (3, "<p>three</p>")
    land(store, 5)
    stage_charts(store, "five")
    store.publish()
    assert published_state(store) == (5, "<p>five</p>")
    assert published_charts_dir(store).is_symlink()
    assert leftovers(store) == []


def test_a_real_charts_folder_from_an_older_version_is_replaced(tmp_path: Path) -> None:
    store = Warehouse(tmp_path)
    (tmp_path / "charts").mkdir()
    (tmp_path / "charts" / "index.html").write_text("old", encoding="utf-8")
    land(store, 1)
    stage_charts(store, "new")
    store.publish()
    assert published_state(store) == (1, "<p>new</p>")


def test_litter_of_a_killed_publish_is_removed_by_the_next(tmp_path: Path) -> None:
    store = Warehouse(tmp_path)
    land(store, 2)
    stage_charts(store, "two")
    store.publish()
    (tmp_path / ".reportscope.duckdb.4242.1700000000000000000").write_bytes(b"half a copy")
    (tmp_path / ".charts-4242.1700000000000000000").mkdir()
    assert len(leftovers(store)) == 2
    store.publish()
    assert leftovers(store) == []
    assert remove_leftovers(store) == []


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 16 MiB filesystem (tmpfs), so a disk can really fill up."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        if os.environ.get("CI"):
            pytest.fail(f"cannot mount a tmpfs for the full-disk test: {done.stderr!r}")
        pytest.skip("mounting a tmpfs needs root")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path, leave_bytes: int) -> Path:
    """Fill the filesystem until only about `leave_bytes` are free."""
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    filler = disk / "filler"
    with open(filler, "wb") as handle:
        handle.write(b"\0" * max(0, free - leave_bytes))
    return filler


def test_full_disk_changes_nothing_and_names_the_cause_first(small_disk: Path) -> None:
    store = Warehouse(small_disk)
    land(store, 10)
    stage_charts(store, "ten")
    store.publish()
    before = published_state(store)
    land(store, 20, padding=20_000)
    stage_charts(store, "twenty")
    filler = fill(small_disk, leave_bytes=64 * 1024)
    with pytest.raises((OSError, duckdb.Error)) as failure:
        store.publish()
    assert "No space left on device" in str(failure.value) or (
        isinstance(failure.value, OSError) and failure.value.errno == errno.ENOSPC
    )
    assert "rollback" not in str(failure.value).lower()
    assert published_state(store) == before
    # A write transaction on the full disk fails with the cause too, not with ROLLBACK's error.
    with pytest.raises((OSError, duckdb.Error)) as write_failure:
        land(store, 200, padding=50_000)
    assert "rollback" not in str(write_failure.value).lower(), write_failure.value
    assert (
        "space" in str(write_failure.value).lower() or "write" in str(write_failure.value).lower()
    )
    # Room again: the next publish lands both, and no staging file is left behind.
    filler.unlink()
    store.publish()
    assert published_state(store) == (20, "<p>twenty</p>")
    assert leftovers(store) == []


def test_corrupt_working_copy_is_rebuilt_from_the_published_copy_and_said_so(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    store = Warehouse(tmp_path)
    land(store, 4)
    store.publish()
    store.work_path.write_bytes(b"\0garbage, not a database" * 1000)
    assert store.read("SELECT count(*) AS n FROM corpus.reports")["n"].to_list() == [4]
    said = capfd.readouterr().err
    assert "could not be opened" in said and "rebuilt from the published copy" in said
    assert (tmp_path / ".work" / "reportscope.duckdb.corrupt").read_bytes().startswith(b"\0garbage")


def test_corrupt_working_copy_without_a_publish_starts_empty(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    store = Warehouse(tmp_path)
    store.work_dir.mkdir(parents=True)
    store.work_path.write_bytes(b"x" * 4096)
    assert not store.table_exists("reports")
    assert "started empty" in capfd.readouterr().err


def test_report_pages_are_linked_into_a_generation_and_keep_their_published_text(
    tmp_path: Path,
) -> None:
    from pipelines.dashboard.page import atomic_write
    from pipelines.publishing import REPORT_PAGES_DIR

    store = Warehouse(tmp_path / "warehouse")
    land(store, 3)
    stage_charts(store, "three")
    pages = staged_charts_dir(store) / REPORT_PAGES_DIR
    pages.mkdir()
    atomic_write(pages / "r1.html", "<p>first</p>")
    atomic_write(pages / "r2.html", "<p>gone soon</p>")
    store.publish()
    published = published_charts_dir(store) / REPORT_PAGES_DIR
    assert (published / "r1.html").stat().st_ino == (pages / "r1.html").stat().st_ino
    atomic_write(pages / "r1.html", "<p>second</p>")  # the next refresh rewrites a page
    (pages / "r2.html").unlink()  # and removes a deleted report's page
    assert (published / "r1.html").read_text(encoding="utf-8") == "<p>first</p>"
    store.publish()
    assert (published / "r1.html").read_text(encoding="utf-8") == "<p>second</p>"
    assert sorted(p.name for p in published.iterdir()) == ["r1.html"]
    assert published_state(store)[1] == "<p>three</p>"
