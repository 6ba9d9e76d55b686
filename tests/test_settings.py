"""Every setting is validated at start: a bad value fails with one line naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.settings import DEFAULT_DUCKDB_MEMORY_LIMIT, SettingError, Settings

BAD_VALUES = [
    ("REPORTS_MAX_BYTES", "-1"),
    ("REPORTS_MAX_BYTES", "0"),
    ("REPORTS_MAX_BYTES", "16MB"),
    ("DUCKDB_MEMORY_LIMIT", "garbage"),
    ("DUCKDB_MEMORY_LIMIT", "-1GB"),
    ("NEAR_DUPLICATE_THRESHOLD", "2"),
    ("NEAR_DUPLICATE_THRESHOLD", "0"),
    ("NEAR_DUPLICATE_THRESHOLD", "abc"),
    ("NEAR_DUPLICATE_THRESHOLD", "nan"),
    ("REPORTS_SETTLE_SECONDS", "-3"),
    ("REPORTS_SENSOR_INTERVAL", "0"),
    ("REPORTS_SENSOR_INTERVAL", "1.5"),
    ("REFRESH_CRON", "every day"),
    ("TOPICS_FILE", "/nonexistent/topics.toml"),
    ("REPORTS_SENSOR", "maybe"),
]


def test_defaults_when_nothing_is_set() -> None:
    settings = Settings.from_env({})
    assert settings.max_report_bytes == 16 * 1024 * 1024
    assert settings.duckdb_memory_limit == DEFAULT_DUCKDB_MEMORY_LIMIT == "1GB"
    assert settings.near_duplicate_threshold == 0.5
    assert settings.refresh_cron == "0 6 * * *"
    assert settings.topics_file.name == "topics.toml" and settings.topics_file.is_file()


def test_good_values_are_read() -> None:
    settings = Settings.from_env(
        {
            "REPORTS_MAX_BYTES": "1024",
            "DUCKDB_MEMORY_LIMIT": "512MB",
            "NEAR_DUPLICATE_THRESHOLD": "1",
            "REPORTS_SENSOR_INTERVAL": "30",
            "REFRESH_CRON": "*/15 * * * 1-5",
        }
    )
    assert (settings.max_report_bytes, settings.duckdb_memory_limit) == (1024, "512MB")
    assert settings.near_duplicate_threshold == 1.0
    assert settings.sensor_interval_seconds == 30
    assert settings.refresh_cron == "*/15 * * * 1-5"
    assert Settings.from_env({"REPORTS_SENSOR": "off"}).sensor_on is False


@pytest.mark.parametrize(("variable", "value"), BAD_VALUES)
def test_bad_value_names_the_variable_and_what_it_accepts(variable: str, value: str) -> None:
    with pytest.raises(SettingError) as error:
        Settings.from_env({variable: value})
    message = str(error.value)
    assert message.startswith(f"{variable}=") and "expected" in message
    assert "\n" not in message


@pytest.mark.pipeline
def test_cli_fails_at_start_with_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "NEAR_DUPLICATE_THRESHOLD": "abc", "DAGSTER_HOME": str(tmp_path)}
    cli = Path(sys.executable).parent / "reportscope"
    done = subprocess.run([str(cli), "run"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "reportscope: NEAR_DUPLICATE_THRESHOLD='abc' is not valid: expected a number > 0 and <= 1"
    ]
