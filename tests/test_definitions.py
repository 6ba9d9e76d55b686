"""The code location as Dagster loads it: executors, scopes, jobs and the daily refresh."""

from __future__ import annotations

import os

import dagster as dg
import pytest

from pipelines.definitions import defs
from pipelines.partitions import CORPUS_JOB, PARALLEL_JOB, REFRESH_JOB, reports_partitions


@pytest.fixture(scope="module")
def definitions() -> dg.Definitions:
    """The loaded code location."""
    return defs()


def test_runs_launched_from_the_ui_execute_in_one_process(definitions: dg.Definitions) -> None:
    # Materialize all / one asset / a partition range use the implicit asset job.
    assert definitions.resolve_implicit_global_asset_job_def().executor_def.name == "in_process"
    assert definitions.resolve_job_def(REFRESH_JOB).executor_def.name == "in_process"
    assert definitions.resolve_job_def(CORPUS_JOB).executor_def.name == "in_process"
    assert definitions.resolve_job_def(PARALLEL_JOB).executor_def.name == "multiprocess"


def test_every_asset_is_per_report_or_in_the_corpus_refresh(definitions: dg.Definitions) -> None:
    graph = definitions.resolve_asset_graph()
    corpus = set(definitions.resolve_job_def(CORPUS_JOB).asset_layer.executable_asset_keys)
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        per_report = node.partitions_def == reports_partitions
        assert per_report == (node.tags.get("scope") == "report"), key
        assert (key in corpus) != per_report, key
    assert {"published_warehouse", "dashboard", "topic_frequency"} <= {k.path[-1] for k in corpus}


def test_per_report_assets_backfill_in_a_single_run(definitions: dg.Definitions) -> None:
    graph = definitions.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if node.partitions_def is not None:
            assert node.backfill_policy == dg.BackfillPolicy.single_run(), key


def test_the_instance_settings_reach_dagster() -> None:
    import dagster._daemon.controller as daemon_controller

    import pipelines.event_log  # noqa: F401  (what dagster.yaml makes every process import)
    from pipelines.instance_settings import BACKFILL_DAEMON_INTERVAL_SECONDS

    assert daemon_controller.DEFAULT_DAEMON_INTERVAL_SECONDS == BACKFILL_DAEMON_INTERVAL_SECONDS
    assert os.environ["DAGSTER_EVENT_BATCH_SIZE"] == "10000"
