"""The daemon at work: the daily sensor launches the lookback run, and runs that write queue
behind the DuckDB pool instead of failing on the database lock."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from polars.testing import assert_frame_equal

from bfa_assets_tests.e2e.dagster_dev import (
    dagster_dev,
    instance_env,
    launch_run,
    run,
    run_log,
    wait_for_first_run,
    wait_for_run,
)
from bfa_assets_tests.pipeline import availability, expected_availability, expected_volume, volume
from bfa_assets_tests.processes import simulator_process, wait_until
from bfa_assets_tests.vision_sim import build

pytestmark = pytest.mark.e2e

HISTORY = ["daily_availability", "daily_volume", "volume_rankings", "release_artifact"]
RUN_TIMEOUT = 300


def ranged(start: date, end: date) -> dict[str, str]:
    return {"dagster/asset_partition_range_start": str(start),
            "dagster/asset_partition_range_end": str(end)}  # fmt: skip


TICKS_QUERY = """
query Ticks($selector: SensorSelector!) { sensorOrError(sensorSelector: $selector) {
    __typename ... on Sensor { sensorState { ticks(limit: 50) {
        status skipReason runIds error { message }
    } } }
} }
"""


def daily_ticks(dev) -> list[dict]:
    """The daily sensor's finished ticks, newest first (one may be in progress)."""
    selector = {"repositoryLocationName": dev.location, "repositoryName": "__repository__",
                "sensorName": "daily_lookback"}  # fmt: skip
    found = dev.graphql(TICKS_QUERY, selector=selector)["sensorOrError"]
    ticks = found["sensorState"]["ticks"] if found["__typename"] == "Sensor" else []
    return [t for t in ticks if t["status"] != "STARTED"]


def test_the_daily_sensor_skips_through_an_outage_then_its_lookback_run_succeeds(tmp_path: Path):
    """Vision answers 503 to everything: every tick is skipped, saying why (none fails on
    Dagster's 60 s tick deadline); once Vision answers, the next tick requests the run."""
    today = datetime.now(UTC).date()
    # The simulator's clock: noon tomorrow, when both markets have published yesterday (the
    # demo's COIN-M probes publish it a day late: the sensor waits for the later market).
    clock = f"{today + timedelta(days=1)}T12:00:00+00:00"
    sim_args = ["--scenario", "demo", "--symbols", "12", "--now", clock, "--faults", "503=1.0"]
    with simulator_process(*sim_args) as (url, _):
        env = instance_env(tmp_path, f"{url}/data.binance.vision", url, BFA_LOOKBACK_DAYS="5",
                           BFA_SENSOR_INTERVAL_SECONDS="5")  # fmt: skip
        with dagster_dev(tmp_path, env) as dev:
            wait_until(lambda: len(daily_ticks(dev)) >= 3, 240, "three ticks during the outage")
            during = daily_ticks(dev)
            assert {t["status"] for t in during} == {"SKIPPED"}, during
            assert all("Vision did not answer the publication probe" in t["skipReason"]
                       for t in during)  # fmt: skip
            httpx.put(f"{url}/_sim/faults", params={"spec": ""}, timeout=10).raise_for_status()
            finished, tags = wait_for_first_run(dev, 240, RUN_TIMEOUT)
            assert finished["status"] == "SUCCESS", run_log(dev, finished["runId"])
            ticks = daily_ticks(dev)
    assert not [t for t in ticks if t["status"] == "FAILURE"], ticks
    requested = [t for t in ticks if t["runIds"]]
    assert len(requested) == 1 and ticks[ticks.index(requested[0]) + 1]["status"] == "SKIPPED"
    yesterday = today - timedelta(days=1)
    assert tags["dagster/sensor_name"] == "daily_lookback"
    assert tags["dagster/run_key"] == f"daily-{yesterday}"
    start = yesterday - timedelta(days=4)
    assert (
        tags["dagster/asset_partition_range_start"],
        tags["dagster/asset_partition_range_end"],
    ) == (str(start), str(yesterday))
    universe = build("demo", symbols=12, now=datetime.fromisoformat(clock))
    assert_frame_equal(
        availability(tmp_path / "bfa.duckdb"), expected_availability(universe, start, yesterday)
    )
    assert (tmp_path / "release" / "SHA256SUMS").is_file()


def test_two_runs_at_once_run_one_after_the_other_and_queries_keep_working(tmp_path: Path):
    first, second = (date(2022, 9, 1), date(2022, 9, 20)), (date(2022, 9, 10), date(2022, 9, 30))
    with simulator_process("--scenario", "tiny", "--latency-ms", "40") as (url, _):
        env = instance_env(tmp_path, f"{url}/data.binance.vision", url)
        with dagster_dev(tmp_path, env) as dev:
            symbols = launch_run(dev, ["futures_symbols"])
            assert wait_for_run(dev, symbols, RUN_TIMEOUT)["status"] == "SUCCESS"
            runs = [
                launch_run(dev, HISTORY, ranged(*first)),
                launch_run(dev, HISTORY, ranged(*second)),
            ]
            overlapped, queried = watch(dev, runs, tmp_path / "release" / "availability.duckdb")
            statuses = [run(dev, r)["status"] for r in runs]
            assert statuses == ["SUCCESS", "SUCCESS"], "\n".join(run_log(dev, r) for r in runs)
    assert not overlapped, "two runs that write the database ran at the same time"
    assert queried, "bfa query was not tried while the second run was writing"
    universe = build("tiny")
    db = tmp_path / "bfa.duckdb"
    assert_frame_equal(availability(db), expected_availability(universe, first[0], second[1]))
    assert_frame_equal(volume(db), expected_volume(universe, first[0], second[1]))


def watch(dev, runs: list[str], release_db: Path) -> tuple[bool, bool]:
    """Poll until both runs end; whether they ever ran together, and whether `bfa query`
    answered from the release while the second one was running."""
    overlapped = queried = False
    deadline = time.monotonic() + 2 * RUN_TIMEOUT
    while time.monotonic() < deadline:
        statuses = [run(dev, r)["status"] for r in runs]
        overlapped |= statuses.count("STARTED") > 1
        if statuses[1] == "STARTED" and release_db.exists() and not queried:
            done = subprocess.run([str(Path(sys.executable).with_name("bfa")), "query", "summary",
                                   "--db", str(release_db)], capture_output=True, text=True,
                                  timeout=60)  # fmt: skip
            assert done.returncode == 0, done.stderr
            assert "latest_checked_date: 2022-09-20" in done.stdout
            queried = True
        if all(s in ("SUCCESS", "FAILURE", "CANCELED") for s in statuses):
            return overlapped, queried
        time.sleep(0.5)
    raise TimeoutError(f"runs not finished: {statuses}")
