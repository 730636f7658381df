"""The embedded instance's storage records exactly what Dagster's stock SQLite storage records,
in batches; and when the Dagster it runs on has changed the private API it relies on, it is the
stock storage, with a warning, and still records the same."""

import importlib
import os
import sys

import dagster._core.events
import pytest
from dagster._core.storage.event_log.sql_event_log import SqlEventLogStorage
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

import bfa_assets.instance
from bfa_assets.instance.event_batches import BatchingSqliteEventLogStorage
from bfa_assets_tests.instance_records import ASSET_EVENTS, DAYS, backfill_twice, instance_at
from bfa_assets_tests.instances import EMBEDDED_YAML

STOCK_YAML = "storage:\n  sqlite:\n    base_dir: {home}\ntelemetry:\n  enabled: false\n"
PROJECT_YAML = EMBEDDED_YAML.read_text().replace("env: DAGSTER_HOME", "{home}")


@pytest.fixture
def single_writes(monkeypatch) -> list:
    """Every event Dagster's stock SQLite event log writes one by one, with batches handed
    over as dagster.env makes Dagster do (small ones, so that they also end mid-run)."""
    monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", "16")
    calls = []
    original = SqliteEventLogStorage.store_event

    def counted(self, event):
        calls.append(event)
        return original(self, event)

    monkeypatch.setattr(SqliteEventLogStorage, "store_event", counted)
    return calls


def _stock(tmp_path, single_writes: list) -> tuple[dict, int]:
    """What Dagster's stock SQLite storage records, and how many single writes it made."""
    single_writes.clear()
    recorded = backfill_twice(instance_at(tmp_path / "stock", STOCK_YAML))
    return recorded, len(single_writes)


def test_a_ranged_backfill_is_recorded_exactly_as_by_the_stock_storage(tmp_path, single_writes):
    batching = instance_at(tmp_path / "batching", PROJECT_YAML)
    assert type(batching.event_log_storage) is BatchingSqliteEventLogStorage

    recorded = backfill_twice(batching)
    batching_single_writes = len(single_writes)
    stock_recorded, stock_single_writes = _stock(tmp_path, single_writes)

    assert recorded == stock_recorded
    assert recorded["upstream"]["materialized"] == DAYS.get_partition_keys()[:40]
    assert len(recorded["downstream"]["records"]) == 40 + 21
    # the check planned for every partition of each run (one row each), then evaluated once
    assert len(recorded["check executions"]) == 40 + 21 + 2
    assert recorded["upstream"]["last"][1:] == ("2024-02-09", "run1")
    assert stock_single_writes - batching_single_writes == ASSET_EVENTS  # went in batches


@pytest.fixture(params=["a method takes other parameters", "a name is gone"])
def upgraded_dagster(request, monkeypatch) -> str:
    """Dagster as an upgrade could leave it for the batching event log, the stock storage still
    working: what the storage's warning must name."""
    if request.param == "a method takes other parameters":
        original = SqlEventLogStorage._store_asset_event

        def reshaped(self, connection, entry, storage_id):
            return original(self, connection, entry, storage_id)

        monkeypatch.setattr(SqlEventLogStorage, "_store_asset_event", reshaped)
        return "_store_asset_event takes ('connection', 'entry', 'storage_id')"
    # Dagster's own modules hold their reference; the batching module is imported afresh.
    monkeypatch.delattr(dagster._core.events, "ASSET_EVENTS")
    monkeypatch.delitem(sys.modules, "bfa_assets.instance.event_batches")
    monkeypatch.delattr(bfa_assets.instance, "event_batches")
    return "cannot import name 'ASSET_EVENTS'"


def test_on_a_changed_dagster_the_storage_warns_and_is_the_stock_one(
    tmp_path, upgraded_dagster, single_writes, caplog
):
    instance = instance_at(tmp_path / "upgraded", PROJECT_YAML)

    assert type(instance.event_log_storage) is SqliteEventLogStorage
    (warning,) = [r for r in caplog.records if r.name == "bfa_assets.instance.storage"]
    assert warning.levelname == "WARNING"
    assert upgraded_dagster in warning.getMessage()
    assert "stock SQLite event log" in warning.getMessage()

    recorded = backfill_twice(instance)
    upgraded_single_writes = len(single_writes)
    stock_recorded, stock_single_writes = _stock(tmp_path, single_writes)
    assert recorded == stock_recorded
    assert upgraded_single_writes == stock_single_writes > ASSET_EVENTS  # one by one


def test_loading_the_storage_leaves_the_batch_size_to_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_EVENT_BATCH_SIZE", raising=False)
    instance = instance_at(tmp_path / "batching", PROJECT_YAML)
    assert type(instance.event_log_storage) is BatchingSqliteEventLogStorage
    assert "DAGSTER_EVENT_BATCH_SIZE" not in os.environ  # dagster.env sets it: test_dagster_env


def test_if_dagster_moved_its_sqlite_storage_the_error_says_how_to_go_on(monkeypatch):
    import dagster._core.storage.sqlite_storage as stock

    monkeypatch.delattr(stock, "DagsterSqliteStorage")
    monkeypatch.delitem(sys.modules, "bfa_assets.instance.storage")
    with pytest.raises(ImportError) as raised:
        importlib.import_module("bfa_assets.instance.storage")
    assert "storage: {sqlite: {base_dir: {env: DAGSTER_HOME}}}" in str(raised.value)
    assert "DagsterSqliteStorage" in str(raised.value)
