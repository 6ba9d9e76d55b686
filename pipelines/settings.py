"""Configuration in one place: every command and asset reads its paths and limits from here."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SQL_DIR = PROJECT_ROOT / "sql"
REPORT_SUFFIXES = (".md", ".markdown", ".txt")
DATABASE_FILE = "reportscope.duckdb"


@dataclass(frozen=True)
class Settings:
    """Paths and limits, from environment variables with project-relative defaults."""

    reports_dir: Path
    warehouse_dir: Path
    max_report_bytes: int
    topics_file: Path
    duckdb_memory_limit: str = "1GB"

    @classmethod
    def from_env(cls) -> Settings:
        """Read REPORTS_DIR, WAREHOUSE_DIR, REPORTS_MAX_BYTES, TOPICS_FILE, DUCKDB_MEMORY_LIMIT."""
        return cls(
            reports_dir=_path("REPORTS_DIR", PROJECT_ROOT / "seeds"),
            warehouse_dir=_path("WAREHOUSE_DIR", PROJECT_ROOT / "warehouse"),
            max_report_bytes=int(os.environ.get("REPORTS_MAX_BYTES", str(16 * 1024 * 1024))),
            topics_file=_path("TOPICS_FILE", PROJECT_ROOT / "pipelines" / "topics.toml"),
            duckdb_memory_limit=os.environ.get("DUCKDB_MEMORY_LIMIT", "1GB"),
        )

    @property
    def database(self) -> Path:
        """The published warehouse users query (read-only snapshot)."""
        return self.warehouse_dir / DATABASE_FILE

    @property
    def charts_dir(self) -> Path:
        """Where the dashboard and one HTML file per chart are written."""
        return self.warehouse_dir / "charts"


def _path(variable: str, default: Path) -> Path:
    """An absolute path from an environment variable (relative to the working directory)."""
    value = os.environ.get(variable)
    return Path(value).expanduser().resolve() if value else default
