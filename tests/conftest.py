"""Shared fixtures: the seed reports, the real-world corpus beside the checkout, temp warehouses."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from filelock import FileLock

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
CORPUS = ROOT.parent / "shared" / "corpus"
# Temporary Dagster instances for tests: nothing is reported anywhere.
NO_TELEMETRY = {"telemetry": {"enabled": False}}


def corpus_dir() -> Path:
    """`../shared/corpus`; only a user's clone without it may skip, CI never does."""
    if CORPUS.is_dir():
        return CORPUS
    if os.environ.get("CI"):
        pytest.fail(f"{CORPUS} is missing: CI must run the corpus robustness tests")
    pytest.skip(f"{CORPUS} not beside this checkout")


def corpus_files() -> list[Path]:
    """Every report of the shared corpus (empty when it is absent; tests then ask corpus_dir)."""
    return sorted(CORPUS.glob("*.md")) if CORPUS.is_dir() else []


@pytest.fixture
def corpus() -> Path:
    """The shared corpus folder."""
    return corpus_dir()


@pytest.fixture
def seeds() -> Path:
    """The five seed reports."""
    return SEEDS


# What `make check` leaves out (marker `pipeline`): tests that use a fixture which runs the
# pipeline, a server, a browser or a kernel; every test of a module that runs the CLI or
# Dagster throughout; end-to-end tests; and tests marked `pipeline` explicitly.
PIPELINE_FIXTURES = {
    "seeds_warehouse", "project", "hostile", "dagster_dev", "executed", "db", "con",
    "copied_warehouse",
}  # fmt: skip
PIPELINE_MODULES = {"test_cli", "test_faults_folder", "test_event_log"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that needs the pipeline (see above) as `pipeline`."""
    for item in items:
        uses_fixture = PIPELINE_FIXTURES & set(getattr(item, "fixturenames", ()))
        in_module = Path(str(item.fspath)).stem in PIPELINE_MODULES
        if uses_fixture or in_module or item.get_closest_marker("e2e"):
            item.add_marker(pytest.mark.pipeline)


def build_seeds_warehouse(root: Path) -> Path:
    """Run `reportscope run` (as `make run`) on a copy of the seeds under `root`."""
    reports = root / "reports"
    shutil.copytree(SEEDS, reports)
    return build_warehouse(root, reports)


def build_warehouse(root: Path, reports: Path) -> Path:
    """Run `reportscope run` (as `make run`) on the folder `reports`; the warehouse under `root`."""
    env = {
        **os.environ,
        "REPORTS_DIR": str(reports),
        "WAREHOUSE_DIR": str(root / "warehouse"),
        "DAGSTER_HOME": str(root / "dagster_home"),
    }
    done = subprocess.run(
        [str(Path(sys.executable).parent / "reportscope"), "run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return root / "warehouse"


@pytest.fixture(scope="session")
def seeds_warehouse(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """The seeds warehouse, built once per test run and shared read-only by every worker."""
    if worker_id == "master":  # not under xdist
        return build_seeds_warehouse(tmp_path_factory.mktemp("seeds_build"))
    # Under xdist every worker has its own basetemp; their common parent is shared.
    shared = tmp_path_factory.getbasetemp().parent / "seeds_build"
    with FileLock(str(shared) + ".lock"):
        if not (shared / "warehouse" / "reportscope.duckdb").exists():
            shutil.rmtree(shared, ignore_errors=True)
            shared.mkdir()
            build_seeds_warehouse(shared)
    return shared / "warehouse"
