"""Dagster settings that live in environment variables or module constants, not dagster.yaml.

Imported by `pipelines/event_log.py`, which `.dagster_home/dagster.yaml` names, so they apply in
every process that opens the instance (`reportscope run`, `dg dev`'s webserver and daemon,
run workers) before Dagster reads them:

- `DAGSTER_EVENT_BATCH_SIZE`: a step's per-partition asset events are handed to the event log
  in batches (written in one transaction by the batching storage);
- `DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS`: one "planned" event per asset and run,
  not one per partition;
- the backfill daemon's loop interval, 30 s in Dagster and not configurable: a "Materialize
  all" from the UI is a backfill of two runs (the per-report assets, then the corpus-wide
  ones), and waited up to three whole intervals (before, between and after its runs), 43 s of
  an 82 s backfill whose runs worked for 14 s. At 2 s the daemon polls a SQLite row a little
  more often. This is a private constant: `tests/test_definitions.py` fails if it moves.
"""

import os

import dagster._daemon.controller as daemon_controller

BACKFILL_DAEMON_INTERVAL_SECONDS = 2

os.environ.setdefault("DAGSTER_EVENT_BATCH_SIZE", "10000")
os.environ.setdefault("DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS", "1")
daemon_controller.DEFAULT_DAEMON_INTERVAL_SECONDS = BACKFILL_DAEMON_INTERVAL_SECONDS
