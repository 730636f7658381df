"""`python -m bfa_assets_tests.vision_sim` serves a scenario from the command line."""

from __future__ import annotations

import subprocess
import sys
from urllib.parse import quote

import httpx

from bfa_assets_tests.processes import simulator_process
from bfa_assets_tests.test_vision_sim.s3xml import walk_v1

KLINES = "data/futures/um/daily/klines/"


def test_the_full_scenario_answers_discovery_with_1007_prefixes_over_two_pages():
    with simulator_process("--scenario", "full") as (url, _), httpx.Client(timeout=10) as http:
        pages = walk_v1(http, f"{url}/data.binance.vision", prefix=KLINES, delimiter="/")
        assert [len(p.prefixes) for p in pages] == [1000, 7]
        health = http.get(f"{url}/_sim/health").json()
        assert health == {
            "scenario": "full",
            "symbols": 1007,
            "contracts": {"cm": 272, "um": 1007},
        }


def test_latency_faults_and_clock_come_from_the_options():
    args = [
        "--scenario",
        "tiny",
        "--latency-ms",
        "5",
        "--faults",
        "503=1@/fapi/",
        "--now",
        "2022-10-11T10:00:00+00:00",
    ]
    with simulator_process(*args) as (url, _), httpx.Client(timeout=10) as http:
        assert http.get(f"{url}/fapi/v1/exchangeInfo").status_code == 503
        late = (
            f"{url}/data.binance.vision/{quote(KLINES + '龙虾USDT/1m/龙虾USDT-1m-2022-10-08.zip')}"
        )
        assert http.head(late).status_code == 200  # the late file is out by 2022-10-11
        http.put(f"{url}/_sim/now", params={"at": "2022-10-09T10:00:00+00:00"})
        assert http.head(late).status_code == 404
        assert http.get(f"{url}/_sim/stats").json()["requests"] >= 3


def test_a_bad_option_is_refused():
    result = subprocess.run(
        [sys.executable, "-m", "bfa_assets_tests.vision_sim", "--scenario", "huge"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "invalid choice: 'huge'" in result.stderr


def test_a_prerendered_simulator_lists_what_a_plain_one_does():
    prefix = f"{KLINES}BTCUSDT/1m/"
    with (
        simulator_process("--scenario", "tiny", "--prerender") as (url, _),
        simulator_process("--scenario", "tiny") as (plain, _),
        httpx.Client(timeout=10) as http,
    ):
        rendered = walk_v1(http, f"{url}/data.binance.vision", prefix=prefix, max_keys=20)
        expected = walk_v1(http, f"{plain}/data.binance.vision", prefix=prefix, max_keys=20)
    assert [p.raw for p in rendered] == [p.raw for p in expected] and len(rendered) > 3
