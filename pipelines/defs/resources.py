"""Bind the resources every asset, check and sensor uses, configured from settings.py."""

import dagster as dg

from pipelines.resources import resources_from_env


@dg.definitions
def resources() -> dg.Definitions:
    """The reports folder, the warehouse and the taxonomy."""
    return dg.Definitions(resources=resources_from_env())
