"""The embedded instance's storage: `storage: sqlite`, with asset events written in batches.

dagster.yaml selects it with `storage: custom: {module: bfa_assets.instance_storage, …}`. It is
Dagster's SQLite storage (same files, same layout) whose event log writes a batch of asset
events at once (bfa_assets/sqlite_event_batches.py), which is built on Dagster's private API.
So that a Dagster upgrade that changes that API cannot break the webserver, the daemon and
every run, the storage checks it when it loads; if anything it relies on has changed, it logs a
warning and keeps Dagster's stock SQLite event log, which is slower but stores the same.

Dagster hands events over in batches only when `DAGSTER_EVENT_BATCH_SIZE` is set in the
environment (dagster.env); without it this storage behaves exactly as the stock one.
A production instance uses PostgreSQL instead (deploy/dagster.yaml, docs/deployment.md).
"""

from __future__ import annotations

import logging

# `storage: sqlite` builds this class; subclassing it is what keeps the files and layout.
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage
from dagster._serdes import ConfigurableClassData

logger = logging.getLogger(__name__)


class BatchingSqliteStorage(DagsterSqliteStorage):
    """`storage: sqlite` with the batching event log when the installed Dagster allows it."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        super().__init__(base_dir, inst_data)
        try:
            from bfa_assets import sqlite_event_batches as batches
        except ImportError as error:  # a private name it imports is gone
            problems = [str(error)]
        else:
            problems = batches.incompatibilities(self)
        if problems:
            logger.warning(
                "bfa: Dagster's private API that the batching SQLite event log relies on has "
                "changed (%s); using Dagster's stock SQLite event log, which writes asset "
                "events one at a time",
                "; ".join(problems),
            )
            return
        self._event_log_storage.dispose()
        self._event_log_storage = batches.BatchingSqliteEventLogStorage.of_storage(base_dir)

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> BatchingSqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)
