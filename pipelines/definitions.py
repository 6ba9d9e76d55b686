"""The code location: everything under pipelines/defs/, loaded the dg way."""

from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    """Load every asset, check, sensor, schedule and resource defined under defs/."""
    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
