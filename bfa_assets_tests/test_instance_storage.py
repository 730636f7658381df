"""The batching instance storage records exactly what Dagster's stock SQLite storage records."""

import os
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from bfa_assets.instance_storage import BatchingSqliteEventLogStorage

PROJECT = Path(__file__).resolve().parents[1]
DAYS = dg.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-02-10")
STOCK_YAML = "storage:\n  sqlite:\n    base_dir: {home}\ntelemetry:\n  enabled: false\n"


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


def test_a_ranged_backfill_is_recorded_exactly_as_by_the_stock_storage(
    tmp_path, monkeypatch, store_event_calls
):
    monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", "16")  # batches end mid-run, too
    project_yaml = (PROJECT / "dagster.yaml").read_text()
    batching = _instance(tmp_path / "batching", project_yaml.replace("env: DAGSTER_HOME", "{home}"))
    stock = _instance(tmp_path / "stock", STOCK_YAML)
    assert isinstance(batching.event_log_storage, BatchingSqliteEventLogStorage)

    recorded = {}
    for name, instance in (("batching", batching), ("stock", stock)):
        store_event_calls.clear()
        runs = [
            _backfill(instance, "2024-01-01", "2024-02-09"),
            _backfill(instance, "2024-01-20", "2024-02-09"),  # overlaps: newer rows win
        ]
        recorded[name] = _recorded(instance, runs)
        recorded[f"{name} single writes"] = len(store_event_calls)

    assert recorded["batching"] == recorded["stock"]
    assert recorded["batching"]["upstream"]["materialized"] == DAYS.get_partition_keys()[:40]
    assert len(recorded["batching"]["downstream"]["records"]) == 40 + 21
    assert recorded["batching"]["upstream"]["last"][1:] == ("2024-02-09", "run1")
    # 2 × (40 + 21) planned and materialization events per asset went in batches.
    asset_events = 2 * 2 * (40 + 21)
    assert recorded["stock single writes"] - recorded["batching single writes"] == asset_events


def test_loading_the_storage_turns_on_dagsters_event_batches(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_EVENT_BATCH_SIZE", raising=False)
    BatchingSqliteEventLogStorage(str(tmp_path))
    assert int(os.environ["DAGSTER_EVENT_BATCH_SIZE"]) >= 100
