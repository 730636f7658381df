"""The freshness alarm with the daemon: the daily sensor is off, so no release follows the
first one, the daemon's freshness evaluation finds release_artifact stale at its deadline, and
notify_stale_release pushes it to (a fake) Pushover, once.

The deadline is every minute and the window one minute (BFA_FRESHNESS_DEADLINE,
BFA_FRESHNESS_WINDOW_MINUTES) instead of 14:00 UTC and a day, so that staleness comes within
two minutes; the daemon evaluates every 5 s (FRESHNESS_DAEMON_INTERVAL_SECONDS, Dagster's own).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bfa_assets_tests.e2e.dagster_dev import dagster_dev, instance_env, launch_run, wait_for_run
from bfa_assets_tests.fake_pushover import serve_fake_pushover
from bfa_assets_tests.processes import simulator_process, wait_until

pytestmark = pytest.mark.e2e


def test_with_the_daily_sensor_off_the_stale_release_is_pushed_to_pushover(tmp_path: Path):
    with (
        simulator_process("--scenario", "tiny") as (url, _),
        serve_fake_pushover() as pushover,
    ):
        env = instance_env(
            tmp_path, f"{url}/data.binance.vision", url,
            BFA_DAILY_SENSOR="off", BFA_SENSOR_INTERVAL_SECONDS="5",
            BFA_FRESHNESS_DEADLINE="* * * * *", BFA_FRESHNESS_WINDOW_MINUTES="1",
            FRESHNESS_DAEMON_INTERVAL_SECONDS="5",
            PUSHOVER_TOKEN="app-token", PUSHOVER_USER="user-key", BFA_PUSHOVER_URL=pushover.url,
        )  # fmt: skip
        with dagster_dev(tmp_path, env) as dev:
            run_id = launch_run(dev, ["futures_symbols", "release_artifact"])
            assert wait_for_run(dev, run_id, 300)["status"] == "SUCCESS"
            released = time.monotonic()

            def stale() -> list[dict]:
                return [m for m in pushover.messages if m["title"] == "bfa: the release is stale"]

            wait_until(lambda: stale(), 240, "a stale-release notification", None)
            time.sleep(15)  # three more evaluations and sensor ticks: still one message
    (message,) = stale()
    assert time.monotonic() - released >= 50  # not before the first deadline after the release
    assert "release_artifact was not materialized in the 0:01:00 before" in message["message"]
    assert "Is the daily_lookback sensor on" in message["message"]
