"""Shared fixtures: the seed reports, the real-world corpus beside the checkout, temp warehouses."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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


@pytest.fixture(scope="session")
def seeds_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse built once per test session from the seeds by `reportscope run` (as `make run`)."""
    import shutil
    import subprocess
    import sys

    root = tmp_path_factory.mktemp("seeds_build")
    reports = root / "reports"
    shutil.copytree(SEEDS, reports)
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
