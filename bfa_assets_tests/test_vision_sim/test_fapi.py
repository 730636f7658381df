"""The simulated USD-M REST API: exchangeInfo, klines, weights and errors."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from bfa_assets_tests.vision_sim import FaultPlan


@pytest.fixture
def http():
    with httpx.Client(timeout=10) as client:
        yield client


def test_exchange_info_lists_trading_and_settling_contracts_but_not_expired_ones(sim, http):
    response = http.get(f"{sim.fapi_url}/fapi/v1/exchangeInfo")
    assert response.status_code == 200 and int(response.headers["x-mbx-used-weight-1m"]) >= 1
    body = response.json()
    assert set(body) >= {
        "timezone",
        "serverTime",
        "rateLimits",
        "exchangeFilters",
        "assets",
        "symbols",
    }
    entries = {s["symbol"]: s for s in body["symbols"]}
    btc = entries["BTCUSDT"]
    assert (btc["status"], btc["contractType"], btc["quoteAsset"]) == (
        "TRADING",
        "PERPETUAL",
        "USDT",
    )
    assert btc["deliveryDate"] == 4133404800000 and btc["onboardDate"] == 1567931700000
    assert entries["SRMUSDT"]["status"] == "SETTLING"
    assert entries["NEWUSDT"]["status"] == "PENDING_TRADING"
    assert entries["ETHBTC"]["quoteAsset"] == "BTC" and entries["ETHUSDC"]["quoteAsset"] == "USDC"
    assert "BTCUSDT_220930" not in entries  # expired 2022-09-30
    assert "ICPUSDT_SETTLED" not in entries and "AERGOUSDTSETTLED" not in entries
    assert entries["币安人生USDT"]["status"] == "TRADING"


def test_klines_answer_bars_with_numbers_as_numbers_and_the_rest_as_strings(sim, http):
    start = int(datetime(2022, 9, 1, tzinfo=UTC).timestamp() * 1000)
    response = http.get(
        f"{sim.fapi_url}/fapi/v1/klines",
        params={"symbol": "ETHUSDT", "interval": "1d", "startTime": start, "limit": 3},
    )
    assert response.headers["x-mbx-used-weight-1m"] == "1"
    bars = response.json()
    assert len(bars) == 3 and bars[0][0] == start and isinstance(bars[0][8], int)
    assert isinstance(bars[0][1], str) and len(bars[0]) == 12
    truth = sim.universe.bar("ETHUSDT", datetime(2022, 9, 1).date())
    assert bars[0][7] == truth.quote_volume
    minutes = http.get(
        f"{sim.fapi_url}/fapi/v1/klines",
        params={"symbol": "ETHUSDT", "interval": "1m", "startTime": start, "limit": 600},
    )
    assert len(minutes.json()) == 600 and minutes.headers["x-mbx-used-weight-1m"] == "6"


def test_unknown_symbols_and_intervals_are_400_with_binance_codes(sim, http):
    bad = http.get(f"{sim.fapi_url}/fapi/v1/klines", params={"symbol": "NOPE", "interval": "1d"})
    assert bad.status_code == 400 and bad.json() == {"code": -1121, "msg": "Invalid symbol."}
    bad = http.get(f"{sim.fapi_url}/fapi/v1/klines", params={"symbol": "ETHUSDT", "interval": "7x"})
    assert bad.json()["code"] == -1120


def test_weight_over_2400_a_minute_is_429_then_418(sim, http):
    sim.app.weights.clock = lambda: 120.0  # one frozen minute
    params = {"symbol": "ETHUSDT", "interval": "1d", "limit": 1500}  # weight 10
    codes = [
        http.get(f"{sim.fapi_url}/fapi/v1/klines", params=params).status_code for _ in range(245)
    ]
    assert codes[:240] == [200] * 240
    assert codes[240:243] == [429] * 3 and codes[244] == 418
    limited = http.get(f"{sim.fapi_url}/fapi/v1/ping")
    assert int(limited.headers["retry-after"]) > 0


def test_a_geo_block_answers_451(sim, http):
    sim.set_faults(FaultPlan.parse("451=1@/fapi/"))
    assert http.get(f"{sim.fapi_url}/fapi/v1/exchangeInfo").status_code == 451
    assert (
        http.get(f"{sim.vision_url}?prefix=data/").status_code == 200
    )  # the bucket is not blocked
