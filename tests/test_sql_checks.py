"""The SQL behind the asset checks (sql/checks/) names every column its Python family defines."""

from __future__ import annotations

import pytest

from pipelines.settings import SQL_DIR
from pipelines.text.readability.formulas import METRIC_COLUMNS
from pipelines.text.redundancy.gopher import REPETITION_COLUMNS

CHECKS = SQL_DIR / "checks"


def check_sql(name: str) -> str:
    """The text of one check query."""
    return (CHECKS / f"{name}.sql").read_text(encoding="utf-8")


def test_every_check_file_belongs_to_a_check_of_the_code_location() -> None:
    from pipelines.definitions import defs

    names = {key.name for key in defs().resolve_asset_graph().asset_check_keys}
    files = {path.stem for path in CHECKS.glob("*.sql")}
    assert files and files <= names, files - names


@pytest.mark.parametrize("column", METRIC_COLUMNS)
def test_finite_check_covers_every_readability_formula(column: str) -> None:
    assert check_sql("readability_is_finite_when_reliable").count(f"isfinite({column})") == 1


@pytest.mark.parametrize("column", [c for c in REPETITION_COLUMNS if c != "compression_ratio"])
def test_unit_range_check_covers_every_repetition_fraction(column: str) -> None:
    assert check_sql("repetition_fractions_in_unit_range").count(f"({column} BETWEEN 0 AND 1)") == 1


def test_checks_read_only_the_corpus_schema() -> None:
    for path in CHECKS.glob("*.sql"):
        text = path.read_text(encoding="utf-8").upper()
        assert not any(word in text for word in ("INSERT ", "DELETE ", "UPDATE ", "CREATE ")), path
