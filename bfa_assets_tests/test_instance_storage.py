"""The embedded instance's storage records exactly what Dagster's stock SQLite storage records,
in batches; and when the Dagster it runs on has changed the private API it relies on, it is the
stock storage, with a warning, and still records the same."""

import os
import sys
from pathlib import Path

import dagster as dg
import dagster._core.events
import pytest
from dagster._core.storage.event_log.sql_event_log import SqlEventLogStorage
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

import bfa_assets
from bfa_assets.sqlite_event_batches import BatchingSqliteEventLogStorage

PROJECT = Path(__file__).resolve().parents[1]
DAYS = dg.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-02-10")
STOCK_YAML = "storage:\n  sqlite:\n    base_dir: {home}\ntelemetry:\n  enabled: false\n"
PROJECT_YAML = (PROJECT / "dagster.yaml").read_text().replace("env: DAGSTER_HOME", "{home}")
# 2 × (40 + 21) planned and materialization events per asset, for the two back-fills below.
ASSET_EVENTS = 2 * 2 * (40 + 21)


@dg.asset(partitions_def=DAYS, backfill_policy=dg.BackfillPolicy.single_run())
def upstream(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"days": len(context.partition_keys)})


@dg.asset(partitions_def=DAYS, backfill_policy=dg.BackfillPolicy.single_run(), deps=[upstream])
def downstream(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"first": context.partition_keys[0]})


def _instance(home: Path, yaml: str) -> dg.DagsterInstance:
    home.mkdir()
    (home / "dagster.yaml").write_text(yaml.format(home=home))
    return dg.DagsterInstance.from_config(str(home))


def _backfill(instance: dg.DagsterInstance, first: str, last: str) -> str:
    job = dg.Definitions(assets=[upstream, downstream]).resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(
        instance=instance,
        tags={
            "dagster/asset_partition_range_start": first,
            "dagster/asset_partition_range_end": last,
        },
    )
    assert result.success
    return result.run_id


def _recorded(instance: dg.DagsterInstance, run_ids: list[str]) -> dict:
    """Everything a reader of the instance sees about the assets, run ids made comparable."""
    names = {run_id: f"run{i}" for i, run_id in enumerate(run_ids)}
    seen = {}
    for key in (upstream.key, downstream.key):
        records = instance.fetch_materializations(key, limit=1000).records
        entry = instance.get_asset_records([key])[0].asset_entry
        seen[key.to_user_string()] = {
            "materialized": sorted(instance.get_materialized_partitions(key)),
            "records": [
                (r.storage_id, names[r.run_id], r.partition_key, r.asset_materialization.metadata)
                for r in records
            ],
            "last": (
                entry.last_materialization_record.storage_id,
                entry.last_materialization_record.partition_key,
                names[entry.last_run_id],
            ),
            "planned": [
                (r.storage_id, names[r.run_id], r.partition_key)
                for r in instance.fetch_planned_materializations(key, limit=1000).records
            ],
        }
    seen["run logs"] = [
        [
            (e.dagster_event_type, e.dagster_event.partition, str(e.dagster_event.asset_key))
            for e in instance.all_logs(run_id)
            if e.dagster_event and e.dagster_event.asset_key
        ]
        for run_id in run_ids
    ]
    return seen


@pytest.fixture
def store_event_calls(monkeypatch) -> list:
    """Every event Dagster's stock storage writes one by one."""
    calls = []
    original = SqliteEventLogStorage.store_event

    def counted(self, event):
        calls.append(event)
        return original(self, event)

    monkeypatch.setattr(SqliteEventLogStorage, "store_event", counted)
    return calls


@pytest.fixture
def backfill_twice(monkeypatch, store_event_calls):
    """Two overlapping ranged back-fills on an instance: what it recorded, and how many events
    it wrote one by one."""
    monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", "16")  # batches end mid-run, too

    def run(instance: dg.DagsterInstance) -> tuple[dict, int]:
        store_event_calls.clear()
        runs = [
            _backfill(instance, "2024-01-01", "2024-02-09"),
            _backfill(instance, "2024-01-20", "2024-02-09"),  # overlaps: newer rows win
        ]
        return _recorded(instance, runs), len(store_event_calls)

    return run


def test_a_ranged_backfill_is_recorded_exactly_as_by_the_stock_storage(tmp_path, backfill_twice):
    batching = _instance(tmp_path / "batching", PROJECT_YAML)
    assert type(batching.event_log_storage) is BatchingSqliteEventLogStorage

    recorded, single_writes = backfill_twice(batching)
    stock_recorded, stock_single_writes = backfill_twice(_instance(tmp_path / "stock", STOCK_YAML))

    assert recorded == stock_recorded
    assert recorded["upstream"]["materialized"] == DAYS.get_partition_keys()[:40]
    assert len(recorded["downstream"]["records"]) == 40 + 21
    assert recorded["upstream"]["last"][1:] == ("2024-02-09", "run1")
    assert stock_single_writes - single_writes == ASSET_EVENTS  # these went in batches


@pytest.fixture(params=["a method takes other parameters", "a name is gone"])
def upgraded_dagster(request, monkeypatch) -> str:
    """Dagster as an upgrade could leave it for the batching event log, the stock storage still
    working: what the storage's warning must name."""
    if request.param == "a method takes other parameters":
        original = SqlEventLogStorage._store_asset_event

        def reshaped(self, connection, entry, storage_id):
            return original(self, connection, entry, storage_id)

        monkeypatch.setattr(SqlEventLogStorage, "_store_asset_event", reshaped)
        return (
            "SqliteEventLogStorage._store_asset_event takes ('connection', 'entry', 'storage_id')"
        )
    # Dagster's own modules hold their reference; the batching module is imported afresh.
    monkeypatch.delattr(dagster._core.events, "ASSET_EVENTS")
    monkeypatch.delitem(sys.modules, "bfa_assets.sqlite_event_batches")
    monkeypatch.delattr(bfa_assets, "sqlite_event_batches")
    return "cannot import name 'ASSET_EVENTS'"


def test_on_a_changed_dagster_the_storage_warns_and_is_the_stock_one(
    tmp_path, upgraded_dagster, backfill_twice, caplog
):
    instance = _instance(tmp_path / "upgraded", PROJECT_YAML)

    assert type(instance.event_log_storage) is SqliteEventLogStorage
    (warning,) = [r for r in caplog.records if r.name == "bfa_assets.instance_storage"]
    assert warning.levelname == "WARNING"
    assert upgraded_dagster in warning.getMessage()
    assert "stock SQLite event log" in warning.getMessage()

    recorded, single_writes = backfill_twice(instance)
    stock_recorded, stock_single_writes = backfill_twice(_instance(tmp_path / "stock", STOCK_YAML))
    assert recorded == stock_recorded
    assert single_writes == stock_single_writes > ASSET_EVENTS  # one by one, as the stock one


def test_loading_the_storage_leaves_the_batch_size_to_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_EVENT_BATCH_SIZE", raising=False)
    instance = _instance(tmp_path / "batching", PROJECT_YAML)
    assert type(instance.event_log_storage) is BatchingSqliteEventLogStorage
    assert "DAGSTER_EVENT_BATCH_SIZE" not in os.environ  # dagster.env sets it, see test_dagster_env
