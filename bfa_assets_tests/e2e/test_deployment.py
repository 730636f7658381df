"""A production deployment on one host, for real (docs/deployment.md).

A throwaway PostgreSQL is the instance's storage (deploy/dagster.yaml), and Dagster runs as
three processes started on their own, on deploy/workspace.yaml: a code server, the webserver
and the daemon, against the simulator. The daemon's daily sensor requests its lookback run;
then a deploy of new code restarts the code server, and the next runs still work: a back-fill
of 30 days of every partitioned asset (launched through the GraphQL API the UI uses), which the
daemon turns into one run, and the release. The tables equal the simulator's ground truth, and
every run is recorded in PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from polars.testing import assert_frame_equal

from bfa_assets_tests.e2e.dagster_dev import (
    DagsterDev,
    all_runs,
    instance_env,
    launch_backfill,
    launch_run,
    run_log,
    wait_for_backfill,
    wait_for_first_run,
    wait_for_run,
)
from bfa_assets_tests.e2e.deployment import dagster_deployment
from bfa_assets_tests.pipeline import (
    assert_window_matches_truth,
    availability,
    expected_availability,
)
from bfa_assets_tests.postgres import Postgres
from bfa_assets_tests.processes import simulator_process
from bfa_assets_tests.vision_sim import build

pytestmark = pytest.mark.e2e

SYMBOLS = 8  # of the demo scenario: few, so that the runs are short
LOOKBACK_DAYS = 5
BACKFILL_DAYS = 30
PARTITIONED = ["daily_availability", "dataset_coverage", "daily_volume", "volume_rankings"]
RUN_TIMEOUT = 300
BACKFILL_TIMEOUT = 420  # the back-fill daemon ticks every 30 s, then the run itself


def test_a_deployment_on_postgres_runs_the_sensor_a_backfill_and_a_release_across_a_deploy(
    tmp_path: Path, postgres: Postgres, postgres_env: dict[str, str]
):
    today = datetime.now(UTC).date()
    yesterday = today - timedelta(days=1)
    # The simulator's clock: noon tomorrow, when both markets have published yesterday (the
    # demo's COIN-M probes publish it a day late: the sensor waits for the later market).
    clock = f"{today + timedelta(days=1)}T12:00:00+00:00"
    universe = build("demo", symbols=SYMBOLS, now=datetime.fromisoformat(clock))
    sim_args = ["--scenario", "demo", "--symbols", str(SYMBOLS), "--now", clock]
    with simulator_process(*sim_args) as (url, _):
        env = instance_env(tmp_path, f"{url}/data.binance.vision", url, storage="postgres",
                           BFA_LOOKBACK_DAYS=str(LOOKBACK_DAYS), **postgres_env)  # fmt: skip
        with dagster_deployment(tmp_path, env) as deployment:
            dev = deployment.dev
            lookback, tags = wait_for_first_run(dev, 240, RUN_TIMEOUT)
            assert_succeeded(dev, lookback)
            lookback_start = yesterday - timedelta(days=LOOKBACK_DAYS - 1)
            assert (tags["dagster/sensor_name"], tags["dagster/run_key"]) == (
                "daily_lookback", f"daily-{yesterday}")  # fmt: skip
            assert_frame_equal(
                availability(dev.duckdb_path),
                expected_availability(universe, lookback_start, yesterday),
            )

            deployment.restart_code_server()

            start = yesterday - timedelta(days=BACKFILL_DAYS - 1)
            backfill_id = launch_backfill(dev, PARTITIONED, start, yesterday)
            backfill = wait_for_backfill(dev, backfill_id, BACKFILL_TIMEOUT)
            assert backfill["status"] == "COMPLETED_SUCCESS", backfill
            (backfill_run,) = backfill["runs"]  # a single-run back-fill policy: one run
            assert_succeeded(dev, backfill_run)
            release = wait_for_run(dev, launch_run(dev, ["release_artifact"]), RUN_TIMEOUT)
            assert_succeeded(dev, release)
            runs = {r["runId"] for r in all_runs(dev)}

    assert runs == {lookback["runId"], backfill_run["runId"], release["runId"]}
    assert_window_matches_truth(tmp_path / "bfa.duckdb", universe, start, yesterday)
    stats = json.loads((tmp_path / "release" / "stats.json").read_text())
    assert stats["checked_ranges"] == [[str(start), str(yesterday)]] and stats["complete"] is False
    # The instance was PostgreSQL: the runs are there, and no SQLite storage was made.
    stored = postgres.query(postgres_env["DAGSTER_PG_DB"], "SELECT run_id, status FROM runs")
    assert dict(stored) == dict.fromkeys(runs, "SUCCESS")
    assert not (tmp_path / "dagster_home" / "history").exists()


def assert_succeeded(dev: DagsterDev, finished: dict) -> None:
    assert finished["status"] == "SUCCESS", run_log(dev, finished["runId"])
