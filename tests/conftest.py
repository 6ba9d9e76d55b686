"""Shared fixtures: the seed reports, the real-world corpus beside the checkout, temp warehouses."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
CORPUS = ROOT.parent / "shared" / "corpus"


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
