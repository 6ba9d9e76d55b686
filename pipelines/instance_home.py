"""The Dagster instance folder: DAGSTER_HOME (default .dagster_home/) with the project's config.

Every entry point (`reportscope run`, `make ui`) calls `ensure_dagster_home()`, so a fresh or
temporary DAGSTER_HOME still gets the project's `dagster.yaml`: the batched event log, run
monitoring and the launcher that detects killed runs.
"""

from __future__ import annotations

import os
from pathlib import Path

from pipelines.settings import PROJECT_ROOT

TEMPLATE = PROJECT_ROOT / ".dagster_home" / "dagster.yaml"


def ensure_dagster_home() -> Path:
    """Use DAGSTER_HOME (or .dagster_home/), writing the project's dagster.yaml when it has none."""
    home = Path(os.environ.get("DAGSTER_HOME") or PROJECT_ROOT / ".dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() and TEMPLATE.exists() and TEMPLATE.resolve() != config:
        config.write_text(TEMPLATE.read_text(encoding="utf-8"), encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    return home
