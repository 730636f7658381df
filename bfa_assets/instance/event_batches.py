"""Dagster's SQLite event log, writing a batch of asset events in one transaction per file.

A back-fill of the full history is one run over ~2,600 daily partitions, and Dagster records a
"materialization planned" and a "materialization" event per asset per partition: ~21,000
events. The stock SQLite event log stores each in its own connection and transaction on two
database files (the run's and the cross-run index), so bookkeeping alone took minutes (see
docs/benchmarks.md). When `DAGSTER_EVENT_BATCH_SIZE` is set (dagster.env), Dagster hands such
events over in batches; this event log writes each batch in one transaction per file. At the
run's start Dagster also plans each asset check for every partition of the run: one event per
check, stored as one row per partition, each row with the whole serialized event; this event
log serializes the event once and inserts the rows as one executemany instead of compiling a
statement with a set of values per partition (seconds of a full history's start:
docs/benchmarks.md).

It is built on Dagster's private API (`dagster._core…`; docs/architecture.md lists every private
name bfa uses): Dagster has no public hook for how an event log stores a batch. storage.py uses
it only after `incompatibilities` has found every private name used here, with the parameters
passed to it, so that a Dagster upgrade that renames or reshapes one of them falls back to the
stock event log (with a warning) instead of failing every write. That what a batch stores is exactly
what the stock event log stores event by event is shown by
bfa_assets_tests/test_instance_storage.py on the locked Dagster: run it after an upgrade.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from itertools import groupby

from dagster import EventLogEntry
from dagster._core.events import ASSET_EVENTS
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus
from dagster._core.storage.event_log import SqlEventLogStorageTable
from dagster._core.storage.event_log.schema import AssetCheckExecutionsTable
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory
from dagster._serdes import serialize_value

# The private methods called below, with the parameters they are called with.
CALLED = {
    "_event_to_row": ("event",),
    "run_connection": ("run_id",),
    "index_transaction": (),
    "_store_asset_event_tags": ("conn", "events", "event_ids"),
    "_store_asset_event": ("conn", "event", "event_id"),
    "_store_asset_check_evaluation_planned": ("event", "event_id"),  # overridden
    "index_connection": (),
    "_event_insert_timestamp": ("event",),
}


class BatchingSqliteEventLogStorage(SqliteEventLogStorage):
    """The stock SQLite event log, with `store_event_batch` in one transaction per shard."""

    @classmethod
    def of_storage(cls, base_dir: str) -> BatchingSqliteEventLogStorage:
        """The event log of `storage: sqlite` with this `base_dir`, same files and layout."""
        return cls(_event_logs_directory(base_dir))

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

    def _store_asset_check_evaluation_planned(
        self, event: EventLogEntry, event_id: int | None
    ) -> None:
        """The stock rows, one per planned partition, with the event serialized once."""
        planned = event.dagster_event.event_specific_data
        subset = planned.partitions_subset
        row = {
            "asset_key": planned.asset_key.to_string(),
            "check_name": planned.check_name,
            "run_id": event.run_id,
            "execution_status": AssetCheckExecutionRecordStatus.PLANNED.value,
            "evaluation_event": serialize_value(event),
            "evaluation_event_timestamp": self._event_insert_timestamp(event),
            "evaluation_event_storage_id": event_id,
        }
        keys = subset.get_partition_keys() if subset else [None]
        with self.index_connection() as conn:
            conn.execute(
                AssetCheckExecutionsTable.insert(), [row | {"partition": key} for key in keys]
            )


def incompatibilities(storage: DagsterSqliteStorage) -> list[str]:
    """What this module relies on and the installed Dagster no longer has (empty: nothing)."""
    found = []
    for name, parameters in CALLED.items():
        method = getattr(SqliteEventLogStorage, name, None)
        if method is None:
            found.append(f"SqliteEventLogStorage.{name} is gone")
        elif (actual := tuple(inspect.signature(method).parameters)[1:]) != parameters:
            found.append(f"SqliteEventLogStorage.{name} takes {actual}, not {parameters}")
    stock = type(getattr(storage, "_event_log_storage", None))
    if stock is not SqliteEventLogStorage:
        found.append(f"DagsterSqliteStorage._event_log_storage is a {stock.__name__}")
    return found


def _is_asset_event(event: EventLogEntry) -> bool:
    dagster_event = event.dagster_event
    return bool(
        dagster_event and dagster_event.event_type in ASSET_EVENTS and dagster_event.asset_key
    )
