"""SQLite event log storage that writes a step's batch of asset events in one transaction.

A single-run backfill over N report partitions yields N materialization events per asset.
Dagster's SQLite storage writes each one on its own (a new engine, an insert into the run
shard, another into the index shard and an upsert of the asset row): about 15 ms an event,
minutes for 10,000 reports. `dagster-postgres` already implements `store_event_batch`; this
class does the same for SQLite. Dagster hands it batches when `DAGSTER_EVENT_BATCH_SIZE` is
set, which importing this module does (through `pipelines/instance_settings.py`). Every process
that opens the instance (`reportscope run`, `dg dev`'s webserver and daemon, run workers)
imports this module through `.dagster_home/dagster.yaml`, so the settings travel with it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from itertools import groupby
from typing import Any

import dagster as dg
from dagster._core.events import DagsterEventType
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log import SqlEventLogStorageTable, SqliteEventLogStorage
from dagster._serdes import ConfigurableClassData

import pipelines.instance_settings  # noqa: F401  (environment and daemon settings, before use)

# Rows per executemany call, so one call's parameter list stays small.
_ROWS_PER_INSERT = 1000

# Asset events that Dagster's SQLite storage stores alike (run shard, index shard, tags, asset
# row): a run's planned materializations (one per asset, ~40 at the start of every refresh, 15 ms
# each) as well as a backfill's materializations.
_BATCHABLE = {
    DagsterEventType.ASSET_MATERIALIZATION,
    DagsterEventType.ASSET_OBSERVATION,
    DagsterEventType.ASSET_MATERIALIZATION_PLANNED,
}


class BatchingSqliteEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` with a `store_event_batch` like dagster-postgres's."""

    def __init__(self, base_dir: str | None = None, inst_data: ConfigurableClassData | None = None):
        home = os.environ.get("DAGSTER_HOME", ".")
        super().__init__(base_dir or os.path.join(home, "history", "runs"), inst_data)

    @classmethod
    def config_type(cls) -> dict[str, dg.Field]:
        return {"base_dir": dg.Field(dg.StringSource, is_required=False)}

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> BatchingSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        """Store each run of consecutive asset events of one kind and run in two transactions,
        not 3×N; any other event one by one, in order."""
        for (kind, run_id), group in groupby(
            events, key=lambda e: (e.dagster_event_type, e.run_id)
        ):
            same = list(group)
            if kind in _BATCHABLE and len(same) > 1:
                self._store_run_batch(run_id, same)
            else:
                super().store_event_batch(same)

    def _store_run_batch(self, run_id: str, events: list[EventLogEntry]) -> None:
        rows = [self._event_to_row(e) for e in events]
        with self.run_connection(run_id) as conn:
            for start in range(0, len(rows), _ROWS_PER_INSERT):
                conn.execute(
                    SqlEventLogStorageTable.insert(), rows[start : start + _ROWS_PER_INSERT]
                )
        # The index shard mirrors asset events; its ids key the asset tags and asset rows.
        with self.index_transaction() as conn:
            ids: list[int] = []
            for start in range(0, len(rows), _ROWS_PER_INSERT):
                chunk = rows[start : start + _ROWS_PER_INSERT]
                statement = SqlEventLogStorageTable.insert().returning(
                    SqlEventLogStorageTable.c.id, sort_by_parameter_order=True
                )
                ids += [int(row[0]) for row in conn.execute(statement, chunk).fetchall()]
            self._store_asset_event_tags(conn, events, ids)
            # The asset row keeps only the latest event per asset key, as in dagster-postgres.
            latest: dict[str, tuple[EventLogEntry, int]] = {}
            for event, event_id in zip(events, ids, strict=True):
                key = event.get_dagster_event().asset_key
                if key is not None:
                    latest[key.to_string()] = (event, event_id)
            for event, event_id in latest.values():
                self._store_asset_event(conn, event, event_id)
