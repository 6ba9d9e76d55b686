"""Every setting in one place: environment variable, default and validation.

Each variable is read and checked here once, when a command, the code location or a test asks
for `Settings.from_env()`. A bad value stops the start with one line that names the variable
and what it accepts (`SettingError`), never a traceback deep inside a run.

| variable                   | default                 | accepted                               |
|----------------------------|-------------------------|----------------------------------------|
| REPORTS_DIR                | seeds/                  | a path                                 |
| WAREHOUSE_DIR              | warehouse/              | a path                                 |
| REPORTS_MAX_BYTES          | 16777216 (16 MiB)       | a whole number of bytes >= 1           |
| TOPICS_FILE                | pipelines/topics.toml   | a path to an existing file             |
| DUCKDB_MEMORY_LIMIT        | 1GB                     | a DuckDB size: a number and KB/MB/GB/TB (or KiB/MiB/GiB/TiB) |
| NEAR_DUPLICATE_THRESHOLD   | 0.5                     | a number > 0 and <= 1                  |
| REPORTS_SETTLE_SECONDS     | 2                       | a number of seconds >= 0               |
| REPORTS_SENSOR_INTERVAL    | 5                       | a whole number of seconds >= 1         |
| REFRESH_CRON               | 0 6 * * *               | a cron expression of five fields       |
| REPORTS_SENSOR             | on                      | on or off: whether the sensor starts running with the UI |
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SQL_DIR = PROJECT_ROOT / "sql"
REPORT_SUFFIXES = (".md", ".markdown", ".txt")
DATABASE_FILE = "reportscope.duckdb"
DEFAULT_DUCKDB_MEMORY_LIMIT = "1GB"
DEFAULT_MAX_REPORT_BYTES = 16 * 1024 * 1024
_MEMORY_SIZE = re.compile(r"^\s*\d+(\.\d+)?\s*(B|[KMGT]i?B)\s*$", re.IGNORECASE)
_CRON_FIELD = re.compile(r"^[\d*/,\-A-Za-z?LW#]+$")
T = TypeVar("T", int, float)


class SettingError(ValueError):
    """A setting's value is not one it accepts; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    """Paths, limits and schedules, from environment variables with project-relative defaults."""

    reports_dir: Path
    warehouse_dir: Path
    max_report_bytes: int = DEFAULT_MAX_REPORT_BYTES
    topics_file: Path = PROJECT_ROOT / "pipelines" / "topics.toml"
    duckdb_memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT
    near_duplicate_threshold: float = 0.5
    settle_seconds: float = 2.0
    sensor_interval_seconds: int = 5
    refresh_cron: str = "0 6 * * *"
    sensor_on: bool = True

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and validate every variable of the table above (SettingError on a bad one)."""
        env = os.environ if environ is None else environ
        return cls(
            reports_dir=_path(env, "REPORTS_DIR", PROJECT_ROOT / "seeds"),
            warehouse_dir=_path(env, "WAREHOUSE_DIR", PROJECT_ROOT / "warehouse"),
            max_report_bytes=_number(
                env, "REPORTS_MAX_BYTES", DEFAULT_MAX_REPORT_BYTES, int, 1, None,
                "a whole number of bytes >= 1",
            ),
            topics_file=_existing_file(env, "TOPICS_FILE", cls.topics_file),
            duckdb_memory_limit=_memory_size(env, "DUCKDB_MEMORY_LIMIT"),
            near_duplicate_threshold=_number(
                env, "NEAR_DUPLICATE_THRESHOLD", 0.5, float, 0.0, 1.0, "a number > 0 and <= 1",
                exclusive_low=True,
            ),
            settle_seconds=_number(
                env, "REPORTS_SETTLE_SECONDS", 2.0, float, 0.0, None, "a number of seconds >= 0"
            ),
            sensor_interval_seconds=_number(
                env, "REPORTS_SENSOR_INTERVAL", 5, int, 1, None, "a whole number of seconds >= 1"
            ),
            refresh_cron=_cron(env, "REFRESH_CRON", "0 6 * * *"),
            sensor_on=_switch(env, "REPORTS_SENSOR", True),
        )  # fmt: skip

    @property
    def database(self) -> Path:
        """The published warehouse users query (read-only snapshot)."""
        return self.warehouse_dir / DATABASE_FILE

    @property
    def charts_dir(self) -> Path:
        """Where the dashboard and one HTML file per chart are written."""
        return self.warehouse_dir / "charts"


def _invalid(variable: str, value: str, accepted: str) -> SettingError:
    """The one-line error for a bad value."""
    return SettingError(f"{variable}={value!r} is not valid: expected {accepted}")


def _path(env: Mapping[str, str], variable: str, default: Path) -> Path:
    """An absolute path from a variable (relative to the working directory)."""
    value = env.get(variable, "")
    return Path(value).expanduser().resolve() if value.strip() else default


def _existing_file(env: Mapping[str, str], variable: str, default: Path) -> Path:
    """A path that must name an existing file."""
    path = _path(env, variable, default)
    if not path.is_file():
        raise _invalid(variable, str(path), "a path to an existing file")
    return path


def _number(
    env: Mapping[str, str],
    variable: str,
    default: T,
    kind: Callable[[str], T],
    low: float | None,
    high: float | None,
    accepted: str,
    exclusive_low: bool = False,
) -> T:
    """A number from a variable, within [low, high] (low excluded when `exclusive_low`)."""
    value = env.get(variable, "").strip()
    if not value:
        return default
    try:
        number = kind(value)
    except ValueError:
        raise _invalid(variable, value, accepted) from None
    too_low = low is not None and (number <= low if exclusive_low else number < low)
    too_high = high is not None and number > high
    if too_low or too_high or number != number:  # the last: NaN
        raise _invalid(variable, value, accepted)
    return number


def _memory_size(env: Mapping[str, str], variable: str) -> str:
    """A DuckDB memory size such as 1GB, 512MB or 2GiB."""
    value = env.get(variable, "").strip()
    if not value:
        return DEFAULT_DUCKDB_MEMORY_LIMIT
    if not _MEMORY_SIZE.match(value):
        raise _invalid(variable, value, "a DuckDB size such as 512MB, 1GB or 2GiB")
    return value


def _switch(env: Mapping[str, str], variable: str, default: bool) -> bool:
    """on/off (also true/false, 1/0, yes/no)."""
    value = env.get(variable, "").strip().lower()
    if not value:
        return default
    if value in ("on", "true", "1", "yes"):
        return True
    if value in ("off", "false", "0", "no"):
        return False
    raise _invalid(variable, value, "on or off")


def _cron(env: Mapping[str, str], variable: str, default: str) -> str:
    """A five-field cron expression."""
    value = env.get(variable, "").strip()
    if not value:
        return default
    fields = value.split()
    if len(fields) != 5 or not all(_CRON_FIELD.match(f) for f in fields):
        raise _invalid(variable, value, "a cron expression of five fields, e.g. '0 6 * * *'")
    return value
