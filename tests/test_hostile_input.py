"""Hostile and broken input, mixed into a folder with the seeds: nothing crashes, nothing is lost."""

from __future__ import annotations

import codecs
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.report_files import read_report_bytes
from pipelines.reports_folder import ingest_one
from pipelines.text.repair import UnreadableReport, repair
from pipelines.text.sections import count_words, extract_sections
from tests.conftest import NO_TELEMETRY, SEEDS
from tests.test_pipeline import Project

SQL_NAME = "x'; DROP TABLE corpus.sections; --.md"
ODD_NAMES = [
    "with spaces.md",
    'double"quote.md',
    "semi;colon.txt",
    "rapport-été-Ω.md",
    SQL_NAME,
]
MiB = 1 << 20


def hostile_folder(root: Path) -> Path:
    """The seeds plus one file of every hostile kind the issue lists."""
    folder = root / "reports"
    shutil.copytree(SEEDS, folder)
    write = lambda name, data: (folder / name).write_bytes(data)  # noqa: E731
    write("empty.md", b"")
    write("blank.md", b" \n\t\n")
    write("binary.md", bytes(range(256)) * 8)
    write("utf16.md", "## Überblick\n\nGrüße aus Köln.\n".encode("utf-16"))
    write("cp1252.md", "## Caf\u00e9 notes\n\nShe said \u201chi\u201d.\n".encode("cp1252"))
    write("bad-bytes.md", "## Straße\n\nGood ’ text.".encode() + b" \xff\xfe broken.\n")
    write("huge.md", b"x" * (17 * MiB))
    write("one-line.md", b"word " * MiB)  # a single 5 MiB line
    write("many-headings.md", "".join(f"## H{i}\n\nbody {i}\n\n" for i in range(10_000)).encode())
    write("deep.md", b"# A\n## B\n### C\n#### D\n##### E\n###### F\nbody\n")
    write("no-body.md", b"# Title\n## Empty heading\n## Next\ntext\n")
    write("fence.md", b"```python\nprint('only code')\n```\n")
    write("conflict.md", b"# T\n<<<<<<< HEAD\n## A\nours\n=======\n## B\ntheirs\n>>>>>>> b\n")
    write("page.md", b"<html><body><h1>Hi</h1><p>Some <b>text</b>.</p><script>alert(1)</script>")
    for name in ODD_NAMES:
        write(name, f"## Report {name}\n\nA report with an odd name.\n".encode())
    outside = root / "secret.md"
    outside.write_text("# Secret\n\nnever read me\n", encoding="utf-8")
    (folder / "link-out.md").symlink_to(outside)
    return folder


@dataclass
class HostileBuild:
    """The hostile folder refreshed once, shared by the tests that read what it landed."""

    project: Project
    env: dict[str, str]
    result: dg.ExecuteInProcessResult
    first_export: dict[str, list[tuple]]

    def refresh(self) -> dg.ExecuteInProcessResult:
        """Refresh again with this project's settings in the environment."""
        with pytest.MonkeyPatch.context() as patch:
            for name, value in self.env.items():
                patch.setenv(name, value)
            return self.project.refresh()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """One refresh of every hostile kind (the slowest input here: run it once per module)."""
    root = tmp_path_factory.mktemp("hostile")
    folder = hostile_folder(root)
    env = {"REPORTS_DIR": str(folder), "WAREHOUSE_DIR": str(root / "warehouse")}
    home = root / "home"
    home.mkdir()
    with dg.DagsterInstance.local_temp(str(home), overrides=NO_TELEMETRY) as instance:
        from pipelines.settings import Settings

        project = Project(folder, Settings.from_env(env), instance)
        build = HostileBuild(project, env, None, {})  # type: ignore[arg-type]
        build.result = build.refresh()
        build.first_export = export_all(project.settings.database)
        yield build


def test_every_hostile_file_lands_or_is_rejected_with_its_reason(hostile: HostileBuild) -> None:
    result = hostile.result
    assert result.success
    rejected = dict(hostile.project.query("SELECT file_name, reason FROM corpus.rejected_reports"))
    assert rejected == {
        "empty.md": "empty file (no text)",
        "blank.md": "whitespace only (no text)",
        "binary.md": "binary content, not text (control bytes such as NUL found)",
        "huge.md": "file is 17.0 MiB, over the size limit of 16.0 MiB (set REPORTS_MAX_BYTES to raise it)",
        "link-out.md": "symbolic link pointing outside the reports folder (not read)",
    }
    landed = {row[0] for row in hostile.project.query("SELECT file_name FROM corpus.reports")}
    seeds = {p.name for p in SEEDS.iterdir()}
    assert seeds <= landed
    expected = {
        "utf16.md", "cp1252.md", "bad-bytes.md", "one-line.md", "many-headings.md", "deep.md",
        "no-body.md", "fence.md", "conflict.md", "page.md", *ODD_NAMES,
    }  # fmt: skip
    assert landed == seeds | expected
    texts = dict(hostile.project.query("SELECT file_name, text FROM corpus.reports"))
    assert texts["cp1252.md"] == "## Café notes\n\nShe said “hi”.\n"
    assert "never read me" not in " ".join(texts.values())
    counts = dict(hostile.project.query("SELECT file_name, n_sections FROM corpus.reports"))
    assert counts["many-headings.md"] == 10_000
    assert counts["deep.md"] == 5  # `# A` is the title, B..F nest 2..6
    checks = {
        e.event_specific_data.asset_check_key.name: e.event_specific_data.passed  # type: ignore[union-attr]
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    assert checks["sections_cover_every_word"] and checks["every_report_has_sections"]


def test_sql_file_name_is_just_a_report(hostile: HostileBuild) -> None:
    assert hostile.result.success
    assert hostile.project.query(f"SELECT count(*) FROM corpus.reports WHERE file_name = '{SQL_NAME.replace(chr(39), chr(39) * 2)}'") == [(1,)]  # fmt: skip
    assert hostile.project.query("SELECT count(*) > 0 FROM corpus.sections") == [(True,)]


def test_nested_deep_headings_record_their_parents() -> None:
    report = extract_sections("# A\n## B\n### C\n#### D\n##### E\n###### F\nbody\n")
    assert [(s.level, s.heading, s.parent_heading) for s in report.sections] == [
        (2, "B", None),
        (3, "C", "B"),
        (4, "D", "C"),
        (5, "E", "D"),
        (6, "F", "E"),
    ]


def test_merge_conflict_markers_are_recorded_and_removed() -> None:
    repaired = repair(b"# T\n<<<<<<< HEAD\n## A\nours\n=======\n## B\ntheirs\n>>>>>>> b\n")
    assert repaired.repairs == [
        "1 merge-conflict block(s): marker lines 2, 5, 8 removed, both sides kept"
    ]
    headings = [s.heading for s in extract_sections(repaired.text).sections]
    assert headings == ["A", "B"]


def test_html_report_keeps_text_and_drops_script() -> None:
    report = extract_sections(
        "<html><body><h1>Hi</h1><p>Some <b>text</b>.</p><script>alert(1)</script>"
    )
    assert report.sections[0].plain_text == "Hi Some text ."
    assert "alert" not in report.sections[0].plain_text


def test_file_that_disappears_before_reading(tmp_path: Path) -> None:
    outcome = ingest_one(tmp_path, "gone.md", MiB, now=None)  # type: ignore[arg-type]
    assert outcome.rejection == "file disappeared before it could be read"


def test_symlink_inside_the_folder_is_read(tmp_path: Path) -> None:
    (tmp_path / "real.md").write_text("# R\n\nbody\n", encoding="utf-8")
    (tmp_path / "alias.md").symlink_to(tmp_path / "real.md")
    raw, _ = read_report_bytes(tmp_path, "alias.md", MiB)
    assert raw == b"# R\n\nbody\n"


def as_unprivileged_user(attempt: Callable[[], str]) -> str:
    """Run `attempt` in a forked child that drops root first (root reads anything); its message."""
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        try:
            os.close(read_end)
            if os.geteuid() == 0:
                os.setgid(65534)
                os.setuid(65534)
            os.write(write_end, attempt().encode())
        finally:
            os._exit(0)
    os.close(write_end)
    os.waitpid(child, 0)
    with os.fdopen(read_end, "rb") as pipe:
        return pipe.read().decode()


def test_unreadable_file_is_rejected_with_permission_reason() -> None:
    # A folder every user can enter (pytest's own tmp folders are private to root).
    folder = Path(tempfile.mkdtemp(prefix="reportscope-perm-"))
    folder.chmod(0o755)
    target = folder / "locked.md"
    target.write_text("# Locked\n\ntext\n", encoding="utf-8")
    target.chmod(0)

    def attempt() -> str:
        try:
            read_report_bytes(folder, "locked.md", MiB)
        except UnreadableReport as error:
            return str(error)
        return "read succeeded"

    message = as_unprivileged_user(attempt)
    shutil.rmtree(folder)
    assert message == "permission denied: the file cannot be read"


def test_materializing_twice_changes_no_row(hostile: HostileBuild) -> None:
    assert hostile.refresh().success
    assert export_all(hostile.project.settings.database) == hostile.first_export


def export_all(database: Path) -> dict[str, list[tuple]]:
    """Every table's rows, sorted, for comparison."""
    with duckdb.connect(str(database), read_only=True) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'corpus'"
            ).fetchall()
        ]
        return {
            table: sorted(
                connection.execute(f'SELECT * FROM corpus."{table}"').fetchall(), key=repr
            )
            for table in sorted(tables)
        }


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.text(max_size=40),
            st.sampled_from(
                ["# ", "## ", "### ", "**", "__", "\n", "\n\n", "===", "---", "```", "> ", "- ",
                 "1. ", "<b>", "</b>", "<!--", "[x](y)", "|a|b|\n|-|-|", "\r\n", "\t", "\\", "*"]
            ),
        ),
        max_size=40,
    ).map("".join)
)  # fmt: skip
def test_any_markdown_extracts_and_sections_cover_every_word(text: str) -> None:
    try:
        repaired = repair(text.encode("utf-8", "surrogatepass"))
    except UnreadableReport:
        return
    report = extract_sections(repaired.text, repaired.first_line)
    assert report.sections
    assert sum(count_words(s.markdown) for s in report.sections) == report.n_words


@pytest.mark.pipeline
def test_killed_run_leaves_a_readable_warehouse_and_the_next_run_equals_a_clean_build(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    for index in range(60):  # enough work that the kill lands mid-run
        seed = sorted(SEEDS.iterdir())[index % 5]
        (folder / f"r{index:04d}.md").write_bytes(
            seed.read_bytes() + f"\n\nCopy {index}.\n".encode()
        )
    bin_dir = Path(sys.executable).parent

    def run(warehouse: Path, home: Path) -> subprocess.Popen:
        home.mkdir(exist_ok=True)
        env = {
            **os.environ,
            "REPORTS_DIR": str(folder),
            "WAREHOUSE_DIR": str(warehouse),
            "DAGSTER_HOME": str(home),
        }
        # Output goes to files: a full pipe would stall the child.
        log = open(tmp_path / f"{warehouse.name}.log", "ab")  # noqa: SIM115
        return subprocess.Popen([str(bin_dir / "reportscope"), "run"], env=env, stdout=log, stderr=log)  # fmt: skip

    warehouse = tmp_path / "warehouse"
    # First a complete build, so a published snapshot exists when the next run is killed.
    assert run(warehouse, tmp_path / "home").wait(timeout=600) == 0
    published_before = export_all(warehouse / "reportscope.duckdb")
    for index in range(60, 70):
        (folder / f"r{index:04d}.md").write_bytes((SEEDS / "000_87c5db0444f7b29d.txt").read_bytes())
    victim = run(warehouse, tmp_path / "home")
    work = warehouse / ".work" / "reportscope.duckdb.wal"
    deadline = time.time() + 120
    while time.time() < deadline and victim.poll() is None and not work.exists():
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=60)
    # Readers still see the last published state, complete and consistent.
    assert export_all(warehouse / "reportscope.duckdb") == published_before
    # The next run completes, and equals a clean build of the same folder.
    assert run(warehouse, tmp_path / "home").wait(timeout=600) == 0
    assert run(tmp_path / "clean", tmp_path / "clean_home").wait(timeout=600) == 0
    recovered, clean = (
        export_all(warehouse / "reportscope.duckdb"),
        export_all(tmp_path / "clean" / "reportscope.duckdb"),
    )
    assert recovered.keys() == clean.keys()
    for table in clean:
        assert strip_times(recovered[table]) == strip_times(clean[table]), table


def strip_times(rows: list[tuple]) -> list[tuple]:
    """Rows without their timestamps (ingestion times differ between two builds)."""
    import datetime

    return sorted(
        (tuple(v for v in row if not isinstance(v, datetime.datetime)) for row in rows), key=repr
    )


# Binary content after the first 8 KiB (issue 18, fault 4).

BINARY = "binary content, not text (control bytes such as NUL found)"


def seeds_text(at_least: int) -> bytes:
    """The seed reports' text, repeated until it is at least `at_least` bytes long."""
    text = b"\n\n".join(path.read_bytes() for path in sorted(SEEDS.iterdir()))
    return text * (at_least // len(text) + 1)


@pytest.mark.parametrize(
    "tail",
    [bytes(range(256)) * 40, bytes(range(1, 32)) * 330],
    ids=["with NUL", "control bytes without NUL"],
)
def test_text_followed_by_binary_is_rejected_as_binary(tmp_path: Path, tail: bytes) -> None:
    head = seeds_text(12_000)[:12_000]
    assert BINARY not in str(ingest_one_rejection(tmp_path, "head.md", head))
    assert ingest_one_rejection(tmp_path, "mixed.md", head + tail) == BINARY


def test_binary_between_long_text_is_rejected(tmp_path: Path) -> None:
    text = seeds_text(200_000)
    mixed = text[:100_000] + bytes(range(256)) * 4 + text[100_000:200_000]
    assert ingest_one_rejection(tmp_path, "middle.md", mixed) == BINARY


def test_long_text_and_utf16_reports_still_land(tmp_path: Path) -> None:
    text = seeds_text(300_000)
    assert len(text) > 100_000
    assert ingest_one_rejection(tmp_path, "long.md", text) is None
    utf16 = text.decode("utf-8").encode("utf-16")
    assert utf16.startswith(codecs.BOM_UTF16_LE) or utf16.startswith(codecs.BOM_UTF16_BE)
    assert ingest_one_rejection(tmp_path, "utf16.md", utf16) is None


def ingest_one_rejection(folder: Path, name: str, data: bytes) -> str | None:
    """Write a report file and ingest it alone: its rejection reason, None when it lands."""
    (folder / name).write_bytes(data)
    return ingest_one(folder, name, 1 << 24, datetime.now(UTC)).rejection
