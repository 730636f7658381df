"""What an instance storage records: two overlapping ranged back-fills of a small partitioned
graph, and everything a reader of the instance then sees about its assets, comparable from one
storage to another (run ids and storage ids replaced by their order)."""

from pathlib import Path

import dagster as dg

DAYS = dg.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-02-10")
BACKFILLS = [("2024-01-01", "2024-02-09"), ("2024-01-20", "2024-02-09")]  # overlapping
# A planned and a materialization event per asset and partition, for the back-fills above.
ASSET_EVENTS = 2 * 2 * (40 + 21)


@dg.asset(partitions_def=DAYS, backfill_policy=dg.BackfillPolicy.single_run())
def upstream(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"days": len(context.partition_keys)})


@dg.asset(partitions_def=DAYS, backfill_policy=dg.BackfillPolicy.single_run(), deps=[upstream])
def downstream(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"first": context.partition_keys[0]})


@dg.asset_check(asset=upstream)
def upstream_is_fine() -> dg.AssetCheckResult:
    """Planned at the run's start for every partition of the run, evaluated once."""
    return dg.AssetCheckResult(passed=True)


def instance_at(home: Path, yaml: str) -> dg.DagsterInstance:
    """An instance in a new DAGSTER_HOME whose dagster.yaml is `yaml` ({home} filled in)."""
    home.mkdir()
    (home / "dagster.yaml").write_text(yaml.format(home=home))
    return dg.DagsterInstance.from_config(str(home))


def backfill_twice(instance: dg.DagsterInstance) -> dict:
    """Run BACKFILLS on `instance` (the second one overwrites part of the first); what it
    recorded."""
    defs = dg.Definitions(assets=[upstream, downstream], asset_checks=[upstream_is_fine])
    job = defs.resolve_implicit_global_asset_job_def()
    runs = []
    for first, last in BACKFILLS:
        result = job.execute_in_process(instance=instance, tags={
            "dagster/asset_partition_range_start": first,
            "dagster/asset_partition_range_end": last,
        })  # fmt: skip
        assert result.success
        runs.append(result.run_id)
    return recorded(instance, runs)


def recorded(instance: dg.DagsterInstance, run_ids: list[str]) -> dict:
    """Everything a reader of the instance sees about the assets."""
    run = {run_id: f"run{i}" for i, run_id in enumerate(run_ids)}
    seen = {}
    for key in (upstream.key, downstream.key):
        records = instance.fetch_materializations(key, limit=1000).records
        planned = instance.fetch_planned_materializations(key, limit=1000).records
        last = instance.get_asset_records([key])[0].asset_entry.last_materialization_record
        seen[key.to_user_string()] = {
            "materialized": sorted(instance.get_materialized_partitions(key)),
            "records": [
                (r.storage_id, run[r.run_id], r.partition_key, r.asset_materialization.metadata)
                for r in records
            ],
            "last": (last.storage_id, last.partition_key, run[last.run_id]),
            "planned": [(r.storage_id, run[r.run_id], r.partition_key) for r in planned],
        }
    history = instance.event_log_storage.get_asset_check_execution_history(
        upstream_is_fine.check_key, limit=1000
    )
    seen["check executions"] = sorted(
        ((run[r.run_id], r.partition, r.status.value, r.event.dagster_event_type) for r in history),
        key=repr,
    )
    seen["run logs"] = [
        [
            (e.dagster_event_type, e.dagster_event.partition, str(e.dagster_event.asset_key))
            for e in instance.all_logs(run_id)
            if e.dagster_event and e.dagster_event.asset_key
        ]
        for run_id in run_ids
    ]
    return _storage_ids_ranked(seen)


def _storage_ids_ranked(seen: dict) -> dict:
    """Storage ids replaced by their rank: storages number events differently (PostgreSQL's
    index holds every event, SQLite's only asset and run events), but in the same order."""
    assets = [seen[key] for key in ("upstream", "downstream")]
    ids = sorted({
        entry[0] for asset in assets for kind in ("records", "planned") for entry in asset[kind]
    } | {asset["last"][0] for asset in assets})  # fmt: skip
    rank = {storage_id: i for i, storage_id in enumerate(ids)}
    for asset in assets:
        for kind in ("records", "planned"):
            asset[kind] = [(rank[entry[0]], *entry[1:]) for entry in asset[kind]]
        asset["last"] = (rank[asset["last"][0]], *asset["last"][1:])
    return seen
