"""The Dagster instance's storage: SQLite, as by default, but asset events are written in batches.

A back-fill of the full history is one run over ~2,600 daily partitions, and Dagster records a
"materialization planned" and a "materialization" event per asset per partition: ~21,000
events. The stock SQLite event log stores each in its own connection and transaction on two
database files (the run's and the cross-run index), 6–12 ms apiece, so bookkeeping alone took
several minutes. Dagster already hands such events over in batches when
`DAGSTER_EVENT_BATCH_SIZE` is set (as its Postgres storage expects); this storage enables that
and writes each batch in one transaction per file. What is stored is exactly what the stock
storage stores (bfa_assets_tests/test_instance_storage.py compares the two).

dagster.yaml selects it with `storage: custom: {module: bfa_assets.instance_storage, …}`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from itertools import groupby

from dagster._core.events import ASSET_EVENTS
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log import SqlEventLogStorageTable
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory
from dagster._serdes import ConfigurableClassData

EVENT_BATCH_SIZE = "1000"


class BatchingSqliteEventLogStorage(SqliteEventLogStorage):
    """The stock SQLite event log, with `store_event_batch` in one transaction per shard."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        super().__init__(base_dir, inst_data)
        # Dagster reads this at every event; without it, it never hands us a batch.
        os.environ.setdefault("DAGSTER_EVENT_BATCH_SIZE", EVENT_BATCH_SIZE)

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> BatchingSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        for batchable, group in groupby(events, _is_asset_event):
            group = list(group)
            if batchable and len(group) > 1:
                for _, same_run in groupby(group, lambda event: event.run_id):
                    self._store_asset_events(list(same_run))
            else:
                for event in group:
                    self.store_event(event)

    def _store_asset_events(self, events: list[EventLogEntry]) -> None:
        """What `store_event` does for each, in two transactions instead of 2 × len(events)."""
        rows = [self._event_to_row(event) for event in events]
        with self.run_connection(events[0].run_id) as conn:
            conn.execute(SqlEventLogStorageTable.insert(), rows)
        with self.index_transaction() as conn:
            inserted = conn.execute(
                SqlEventLogStorageTable.insert().returning(
                    SqlEventLogStorageTable.c.id, sort_by_parameter_order=True
                ),
                rows,
            )
            ids = [row.id for row in inserted]
            self._store_asset_event_tags(conn, events, ids)
            # Each event overwrites its asset's summary row; the last one of each kind decides.
            last = {
                (e.dagster_event.asset_key, e.dagster_event_type): i for i, e in enumerate(events)
            }
            for i in sorted(last.values()):
                self._store_asset_event(conn, events[i], ids[i])


class BatchingSqliteStorage(DagsterSqliteStorage):
    """`storage: sqlite` with the batching event log; same files, same layout."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        super().__init__(base_dir, inst_data)
        self._event_log_storage = BatchingSqliteEventLogStorage(_event_logs_directory(base_dir))

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> BatchingSqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)


def _is_asset_event(event: EventLogEntry) -> bool:
    dagster_event = event.dagster_event
    return bool(
        dagster_event and dagster_event.event_type in ASSET_EVENTS and dagster_event.asset_key
    )
