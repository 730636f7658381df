"""The COIN-M market beside USD-M: its key tree, contract bars, /dapi/ and ground truth."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from bfa_assets_tests.test_vision_sim.s3xml import get_page, walk_v1
from bfa_assets_tests.test_vision_sim.zips import member_rows
from bfa_assets_tests.vision_sim import FaultPlan, Universe, build
from bfa_assets_tests.vision_sim.content import KLINE_HEADER
from bfa_assets_tests.vision_sim.scenarios import TINY_CM_QUIRKS, TINY_END, TINY_START

CM = "data/futures/cm/daily/klines/"
CM_MONTHLY = "data/futures/cm/monthly/klines/"
TINY_CM = [
    "BNBUSD_PERP",
    "BTCUSD_220930",
    "BTCUSD_221230",
    "BTCUSD_230331",
    "BTCUSD_PERP",
    "EOSUSD_PERP",
    "ETHUSD_220930",
    "ETHUSD_221230",
    "ETHUSD_PERP",
]
LIVE_IN_DAPI = {
    "BNBUSD_PERP",
    "BTCUSD_221230",
    "BTCUSD_230331",
    "BTCUSD_PERP",
    "ETHUSD_221230",
    "ETHUSD_PERP",
}


@pytest.fixture
def http():
    with httpx.Client(timeout=10) as client:
        yield client


def _daily_key(symbol: str, interval: str, day: date) -> str:
    return f"{CM}{symbol}/{interval}/{symbol}-{interval}-{day.isoformat()}.zip"


def _listed_days(http: httpx.Client, url: str, symbol: str) -> list[date]:
    """The days of `symbol`'s daily 1m zips, as the bucket lists them."""
    keys = [k for p in walk_v1(http, url, prefix=f"{CM}{symbol}/1m/") for k in p.keys]
    return [date.fromisoformat(k[-14:-4]) for k in keys if k.endswith(".zip")]


def test_the_bucket_lists_a_cm_tree_beside_um(sim, http):
    assert get_page(http, sim.vision_url, prefix="data/futures/", delimiter="/").prefixes == [
        "data/futures/cm/",
        "data/futures/um/",
    ]
    page = get_page(http, sim.vision_url, prefix=CM, delimiter="/")
    assert page.prefixes == [f"{CM}{s}/" for s in TINY_CM]
    um = get_page(http, sim.vision_url, prefix="data/futures/um/daily/klines/", delimiter="/")
    assert not any("USD_" in p for p in um.prefixes) and len(um.prefixes) == 14
    monthly = get_page(http, sim.vision_url, prefix=f"{CM_MONTHLY}BTCUSD_PERP/1d/")
    assert f"{CM_MONTHLY}BTCUSD_PERP/1d/BTCUSD_PERP-1d-2022-09.zip" in monthly.keys


def test_a_cm_symbol_is_not_under_the_um_tree_nor_a_um_symbol_under_cm(sim, http):
    day = date(2022, 9, 1)
    um_key = _daily_key("BTCUSD_PERP", "1d", day).replace("/cm/", "/um/")
    assert http.get(f"{sim.vision_url}/{um_key}").status_code == 404
    cm_key = _daily_key("BTCUSDT", "1d", day)
    assert http.get(f"{sim.vision_url}/{cm_key}").status_code == 404


def test_a_cm_1d_file_counts_contracts_and_holds_base_asset_volume(sim, http):
    universe = sim.universe
    for symbol in ("BTCUSD_PERP", "ETHUSD_221230"):
        response = http.get(f"{sim.vision_url}/{_daily_key(symbol, '1d', date(2022, 9, 1))}")
        _, rows = member_rows(response.content)
        (row,) = [r for r in rows if r[0] != "open_time"]
        assert len(row) == 12
        contracts, base, taker, taker_base = int(row[5]), float(row[7]), int(row[9]), float(row[10])
        assert str(contracts) == row[5] and str(taker) == row[9] and 0 < taker <= contracts
        assert len(row[7].split(".")[1]) == 8
        usd = contracts * universe.contract_size(symbol)
        low, high = float(row[3]), float(row[2])
        assert base * low <= usd * 1.000001 and usd <= base * high * 1.000001
        assert taker_base == pytest.approx(base * taker / contracts, rel=1e-6)
    assert (
        universe.contract_size("BTCUSD_PERP") == 100 and universe.contract_size("ETHUSD_PERP") == 10
    )


def test_a_cm_1m_file_matches_its_listed_size_and_counts_whole_contracts(sim, http):
    key = _daily_key("ETHUSD_PERP", "1m", date(2022, 9, 1))
    listed = get_page(http, sim.vision_url, prefix=key).objects[key]
    response = http.get(f"{sim.vision_url}/{key}")
    assert len(response.content) == listed["size"]
    _, rows = member_rows(response.content)
    body = [r for r in rows if r[0] != "open_time"]
    assert len(body) == 1440 and all(r[5].isdigit() and r[9].isdigit() for r in body)
    contracts, base, price = int(body[0][5]), float(body[0][7]), float(body[0][1])
    assert base * price == pytest.approx(contracts * 10, rel=1e-6)


def test_headered_cm_files_use_usd_m_header_names(sim, http):
    island = TINY_CM_QUIRKS["header_island"][1]
    for day, headered in ((island, True), (island - timedelta(days=1), False)):
        _, rows = member_rows(
            http.get(f"{sim.vision_url}/{_daily_key('BTCUSD_PERP', '1d', day)}").content
        )
        assert (rows[0] == KLINE_HEADER.split(",")) is headered
    _, rows = member_rows(
        http.get(f"{sim.vision_url}/{_daily_key('BTCUSD_PERP', '1d', date(2022, 8, 11))}").content
    )
    assert rows[0][7] == "quote_volume" and rows[0][10] == "taker_buy_quote_volume"


def test_quarterlies_stop_at_delivery_and_start_when_listed(sim, http):
    (btc, eth), delivered = TINY_CM_QUIRKS["delivered"]
    assert _listed_days(http, sim.vision_url, btc)[-1] == delivered
    assert _listed_days(http, sim.vision_url, eth)[-1] == delivered
    listed, first = TINY_CM_QUIRKS["listed"]
    assert _listed_days(http, sim.vision_url, listed)[0] == first
    delisted, last = TINY_CM_QUIRKS["delisted"]
    assert _listed_days(http, sim.vision_url, delisted)[-1] == last


def test_dapi_exchange_info_lists_live_contracts_with_contract_status_and_size(sim, http):
    response = http.get(f"{sim.dapi_url}/dapi/v1/exchangeInfo")
    assert response.status_code == 200 and response.headers["x-mbx-used-weight-1m"] == "1"
    body = response.json()
    assert body["futuresType"] == "COIN_MARGINED"
    entries = {e["symbol"]: e for e in body["symbols"]}
    assert set(entries) == LIVE_IN_DAPI  # not the delivered quarterlies nor EOSUSD_PERP
    btc = entries["BTCUSD_PERP"]
    assert "status" not in btc and btc["contractStatus"] == "TRADING"
    assert (btc["contractSize"], btc["marginAsset"], btc["baseAsset"], btc["quoteAsset"]) == (
        100,
        "BTC",
        "BTC",
        "USD",
    )
    assert (btc["pair"], btc["contractType"], btc["deliveryDate"]) == (
        "BTCUSD",
        "PERPETUAL",
        4133404800000,
    )
    assert entries["ETHUSD_PERP"]["contractSize"] == 10
    assert entries["BTCUSD_221230"]["contractType"] == "CURRENT_QUARTER"
    assert entries["BTCUSD_230331"]["contractType"] == "NEXT_QUARTER"
    assert entries["BTCUSD_221230"]["deliveryDate"] == int(
        datetime(2022, 12, 30, 8, tzinfo=UTC).timestamp() * 1000
    )
    fapi = http.get(f"{sim.fapi_url}/fapi/v1/exchangeInfo").json()
    assert not any(e["symbol"].endswith("USD_PERP") for e in fapi["symbols"])


def test_dapi_klines_serve_live_contracts_and_refuse_expired_ones(sim, http):
    day = date(2022, 9, 1)
    start = int(datetime(2022, 9, 1, tzinfo=UTC).timestamp() * 1000)
    params = {"symbol": "BTCUSD_PERP", "interval": "1d", "startTime": start, "limit": 1}
    (bar,) = http.get(f"{sim.dapi_url}/dapi/v1/klines", params=params).json()
    truth = sim.universe.bar("BTCUSD_PERP", day)
    assert (bar[5], bar[7]) == (truth.volume, truth.quote_volume)
    expired = http.get(
        f"{sim.dapi_url}/dapi/v1/klines", params={**params, "symbol": "BTCUSD_220930"}
    )
    assert expired.status_code == 400 and expired.json()["code"] == -1121
    on_fapi = http.get(f"{sim.fapi_url}/fapi/v1/klines", params=params)
    assert on_fapi.status_code == 400 and on_fapi.json()["code"] == -1121
    assert http.get(f"{sim.dapi_url}/dapi/v1/ping").json() == {}


def test_dapi_takes_the_same_faults_as_fapi(sim, http):
    sim.set_faults(FaultPlan.parse("451=1@/dapi/"))
    response = http.get(f"{sim.dapi_url}/dapi/v1/exchangeInfo")
    assert response.status_code == 451 and response.json()["code"] == 0
    assert http.get(f"{sim.fapi_url}/fapi/v1/exchangeInfo").status_code == 200
    sim.set_faults(FaultPlan.parse("503=1,429=0"))
    response = http.get(f"{sim.dapi_url}/dapi/v1/ping")
    assert response.status_code == 503 and response.json()["code"] == -1001
    sim.set_faults(FaultPlan.parse("429=1"))
    response = http.get(f"{sim.dapi_url}/dapi/v1/ping")
    assert response.status_code == 429 and response.headers["retry-after"] == "1"
    assert http.get(f"{sim.url}/_sim/stats").json()["dapi"] == 3


def test_cm_availability_truth_is_what_the_bucket_lists(sim, http):
    universe = sim.universe
    rows = universe.availability_truth(TINY_START, TINY_END, market="cm")
    assert {r["symbol"] for r in rows} == set(TINY_CM)
    assert set(rows[0]) == set(universe.availability_truth(TINY_START, TINY_END)[0])
    for symbol in TINY_CM:
        listed = _listed_days(http, sim.vision_url, symbol)
        assert [r["date"] for r in rows if r["symbol"] == symbol and r["available"]] == listed
    missing = {
        (r["symbol"], r["date"])
        for r in rows
        if not r["available"] and universe.life(r["symbol"]).alive_on(r["date"])
    }
    assert missing == {TINY_CM_QUIRKS["gap"], TINY_CM_QUIRKS["late"]}
    served = http.get(
        f"{sim.url}/_sim/truth/availability",
        params={"start": "2022-08-25", "end": "2022-08-25", "market": "cm"},
    ).text.splitlines()
    served_rows = [json.loads(line) for line in served]  # not BTCUSD_230331, listed 2022-09-30
    assert {r["symbol"] for r in served_rows} == set(TINY_CM) - {"BTCUSD_230331"}
    assert {r["symbol"] for r in served_rows if not r["available"]} == {
        "ETHUSD_PERP",  # its gap day
        "EOSUSD_PERP",  # delisted on 2022-08-20
    }


def test_cm_volume_truth_is_the_bucket_s_1d_row(sim, http):
    rows = sim.universe.volume_truth(date(2022, 9, 28), date(2022, 10, 8), market="cm")
    assert {r["symbol"] for r in rows} == set(TINY_CM) - {"EOSUSD_PERP"}
    for row in rows[::7]:
        _, csv_rows = member_rows(http.get(f"{sim.vision_url}/{row['source_key']}").content)
        match = [r for r in csv_rows if r[0] == str(row["bar"].open_time)]
        assert match == [row["bar"].csv_row().split(",")]
        assert row["source_key"].startswith("data/futures/cm/")


def test_existing_calls_still_mean_usd_m(tiny: Universe):
    assert len(tiny.symbols) == 14 and tiny.symbols_of("um") == tiny.symbols
    assert tiny.symbols_of("cm") == TINY_CM and tiny.markets == ("cm", "um")
    assert all("/um/" in f for f in tiny.history_folders())
    assert all("/cm/" in f for f in tiny.history_folders(market="cm"))
    assert {r["symbol"] for r in tiny.volume_truth(TINY_START, TINY_END)} <= set(tiny.symbols)
    assert tiny.first_1m_day("BTCUSD_230331") == date(2022, 9, 30)
    assert tiny.life("BTCUSD_PERP").market == "cm" and tiny.life("BTCUSDT").market == "um"
    with pytest.raises(ValueError):
        tiny.contract_size("BTCUSDT")


def test_health_counts_contracts_per_market(sim, http):
    health = http.get(f"{sim.url}/_sim/health").json()
    assert health == {"scenario": "tiny", "symbols": 14, "contracts": {"cm": 9, "um": 14}}


def test_full_has_every_real_cm_contract_with_its_known_gaps():
    full = build("full", now=datetime(2026, 11, 21, 10, tzinfo=UTC))
    cm = full.symbols_of("cm")
    assert len(full.symbols) == 1007 and len(cm) == 272
    assert sum(s.endswith("_PERP") for s in cm) == 50
    assert sum(full.life(s).delivery for s in cm) == 222
    btc_quarter = full.life("BTCUSD_240329")
    assert btc_quarter.last_day == date(2024, 3, 29) and full.contract_size("BTCUSD_240329") == 100
    assert full.life("KNCUSD_PERP").last_day == date(2024, 5, 20)
    assert full.first_1m_day("BTCUSD_PERP") == date(2020, 8, 11)
    for day in (date(2023, 9, 25), date(2024, 6, 11), date(2024, 6, 12)):
        assert full.object_at(_daily_key("BTCUSD_PERP", "1d", day)) is None
    assert full.object_at(_daily_key("BTCUSD_PERP", "1m", date(2020, 11, 3))) is None
    assert full.object_at(_daily_key("BTCUSD_PERP", "1d", date(2020, 11, 3))) is not None
    assert full.object_at(_daily_key("BTCUSD_PERP", "1m", date(2020, 11, 7))) is not None


def test_capped_universes_keep_cm_in_proportion_unless_told():
    now = datetime(2026, 11, 21, 10, tzinfo=UTC)
    capped = build("full", now=now, symbols=30)
    assert len(capped.symbols_of("cm")) == 8
    assert {"BTCUSD_PERP", "ETHUSD_PERP", "BNBUSD_PERP"} <= set(capped.symbols_of("cm"))
    assert len(build("full", now=now, symbols=30, cm_symbols=20).symbols_of("cm")) == 20
    assert len(build("demo", now=now).symbols_of("cm")) == 40
