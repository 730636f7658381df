"""The embedded instance's storage: `storage: sqlite`, with asset events written in batches.

dagster.yaml selects it with `storage: custom: {module: bfa_assets.instance.storage, …}`. It is
Dagster's SQLite storage (same files, same layout) whose event log writes a batch of asset
events at once (event_batches.py). Both modules use Dagster's private API, each guarded:

- this one subclasses `DagsterSqliteStorage`, the class `storage: sqlite` builds (it has no
  public name). Should a Dagster upgrade move it, every Dagster process that loads dagster.yaml
  stops at start-up with an ImportError that says so and how to go on: replace the `storage:`
  block of `$DAGSTER_HOME/dagster.yaml` with `storage: {sqlite: {base_dir: {env: DAGSTER_HOME}}}`
  (Dagster's stock storage, the same files) until bfa follows the move;
- the batching event log checks, when the storage loads, every private name it relies on; if
  anything has changed it logs a warning and this storage keeps Dagster's stock SQLite event log,
  which is slower but stores the same.

Dagster hands events over in batches only when `DAGSTER_EVENT_BATCH_SIZE` is set in the
environment (dagster.env); without it this storage behaves exactly as the stock one.
A production instance uses PostgreSQL instead (deploy/dagster.yaml, docs/deployment.md).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

try:  # `storage: sqlite` builds this class; subclassing it is what keeps the files and layout
    from dagster._core.storage.sqlite_storage import DagsterSqliteStorage
except ImportError as error:
    raise ImportError(
        "bfa's batching SQLite storage (bfa_assets.instance.storage) subclasses Dagster's "
        f"DagsterSqliteStorage, which this Dagster no longer has where it was ({error}). "
        "Replace the `storage:` block of $DAGSTER_HOME/dagster.yaml with "
        "`storage: {sqlite: {base_dir: {env: DAGSTER_HOME}}}` (Dagster's stock storage, the "
        "same files) until bfa is updated."
    ) from error

if TYPE_CHECKING:
    from dagster._serdes import ConfigurableClassData

logger = logging.getLogger(__name__)


class BatchingSqliteStorage(DagsterSqliteStorage):
    """`storage: sqlite` with the batching event log when the installed Dagster allows it."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        super().__init__(base_dir, inst_data)
        try:
            from bfa_assets.instance import event_batches as batches
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
