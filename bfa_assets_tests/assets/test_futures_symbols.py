"""futures_symbols: discovery of every folder of both markets, classification, first days,
exchangeInfo."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bfa_assets_tests.conftest import pipeline_resources
from bfa_assets_tests.pipeline import materialize, metadata, query
from bfa_assets_tests.vision_sim import FaultPlan, SimServer, SymbolLife, Universe
from bfa_assets_tests.vision_sim.scenarios import TINY_NOW


def symbols(db_path) -> dict[str, dict]:
    frame = query(db_path, "SELECT * FROM symbols ORDER BY symbol")
    return {row["symbol"]: row for row in frame.iter_rows(named=True)}


def test_discovery_records_every_folder_with_kind_quote_first_day_and_exchange_facts(
    resources, tiny, db_path
):
    result = materialize(["futures_symbols"], resources)
    table = symbols(db_path)
    assert sorted(s for s, r in table.items() if r["market"] == "um") == tiny.symbols_of("um")
    assert sorted(s for s, r in table.items() if r["market"] == "cm") == tiny.symbols_of("cm")
    assert {s: r["first_1m_date"] for s, r in table.items()} == {
        s: tiny.first_1m_day(s) for m in tiny.markets for s in tiny.symbols_of(m)
    }
    delivery = table["BTCUSDT_220930"]
    assert (delivery["kind"], delivery["delivery_date"]) == ("delivery", date(2022, 9, 30))
    assert {
        s: table[s]["quote_asset"]
        for s in ("ETHBTC", "ETHUSDC", "BTCBUSD", "币安人生USDT", "ICPUSDT_SETTLED")
    } == {
        "ETHBTC": "BTC",
        "ETHUSDC": "USDC",
        "BTCBUSD": "BUSD",
        "币安人生USDT": "USDT",
        "ICPUSDT_SETTLED": "USDT",
    }
    assert table["SRMUSDT"]["exchange_status"] == "SETTLING"
    assert (table["BTCUSDT"]["exchange_status"], table["BTCUSDT"]["contract_type"]) == (
        "TRADING",
        "PERPETUAL",
    )
    assert table["BTCUSDT"]["onboard_date"] == datetime(2019, 9, 8, 8, 35, tzinfo=UTC)
    assert table["ICPUSDT_SETTLED"]["exchange_status"] is None  # exchangeInfo no longer lists it
    assert "NEWUSDT" not in table  # exchangeInfo alone never adds a symbol: Vision is the universe
    meta = metadata(result, "futures_symbols")
    assert (meta["symbols_listed"], meta["new_symbols"], meta["symbols_known"]) == (23, 23, 23)
    assert (meta["um_symbols_known"], meta["cm_symbols_known"]) == (14, 9)
    assert meta["requests"] == 2 + 23  # a folder list per market, a first day per symbol
    assert meta["fapi_requests"] == meta["dapi_requests"] == 1
    assert "- 龙虾USDT" in meta["new_symbol_names"] and "- BTCUSD_PERP" in meta["new_symbol_names"]


def test_coin_m_contracts_carry_kind_quote_and_their_contract_size(resources, tiny, db_path):
    materialize(["futures_symbols"], resources)
    table = symbols(db_path)
    facts = {
        s: (r["kind"], r["quote_asset"], r["contract_size_usd"], r["contract_size_inferred"])
        for s, r in table.items()
        if s in ("BTCUSD_PERP", "ETHUSD_PERP", "BTCUSD_220930", "EOSUSD_PERP")
    }
    assert facts == {
        "BTCUSD_PERP": ("perpetual", "USD", 100.0, False),  # exchangeInfo says 100
        "ETHUSD_PERP": ("perpetual", "USD", 10.0, False),
        "BTCUSD_220930": ("delivery", "USD", 100.0, True),  # delivered: only the rule is left
        "EOSUSD_PERP": ("perpetual", "USD", 10.0, True),  # delisted: not in exchangeInfo
    }
    assert table["BTCUSD_221230"]["contract_type"] == "CURRENT_QUARTER"
    assert table["BTCUSD_PERP"]["exchange_status"] == "TRADING"  # from contractStatus
    assert all(r["contract_size_usd"] is None for r in table.values() if r["market"] == "um")


def test_a_second_run_lists_no_first_days_and_only_refreshes_last_seen(resources, db_path):
    materialize(["futures_symbols"], resources)
    before = symbols(db_path)
    meta = metadata(materialize(["futures_symbols"], resources), "futures_symbols")
    after = symbols(db_path)
    assert meta["new_symbols"] == 0 and meta["requests"] == 2  # one folder list per market
    for name, row in after.items():
        assert row["first_seen_at"] == before[name]["first_seen_at"]
        assert row["last_seen_at"] > before[name]["last_seen_at"]
        assert row["first_1m_date"] == before[name]["first_1m_date"]


def test_a_symbol_missing_from_a_later_listing_is_kept(tiny, db_path):
    with SimServer(tiny) as sim:
        materialize(["futures_symbols"], pipeline_resources(sim, db_path))
    lives = [tiny.life(s) for m in tiny.markets for s in tiny.symbols_of(m) if s != "SRMUSDT"]
    smaller = Universe(lives, now=TINY_NOW)
    with SimServer(smaller) as sim:
        meta = metadata(
            materialize(["futures_symbols"], pipeline_resources(sim, db_path)), "futures_symbols"
        )
    table = symbols(db_path)
    assert meta["um_symbols_listed"] == 13 and meta["um_symbols_known"] == 14
    assert table["SRMUSDT"]["last_seen_at"] < table["ETHUSDT"]["last_seen_at"]


def test_a_geo_blocked_exchange_info_does_not_fail_discovery(sim, resources, db_path):
    sim.set_faults(FaultPlan.parse("451=1@/fapi/,451=1@/dapi/"))
    meta = metadata(materialize(["futures_symbols"], resources), "futures_symbols")
    assert meta["um_exchange_info"] == meta["cm_exchange_info"] == "geo-blocked (HTTP 451)"
    table = symbols(db_path)
    assert len(table) == 23 and all(r["exchange_status"] is None for r in table.values())
    # a COIN-M size then comes from the rule, and says so
    assert (
        table["BTCUSD_PERP"]["contract_size_usd"],
        table["BTCUSD_PERP"]["contract_size_inferred"],
    ) == (100.0, True)


def test_one_market_geo_blocked_leaves_the_other_enriched(sim, resources, db_path):
    sim.set_faults(FaultPlan.parse("451=1@/dapi/"))
    meta = metadata(materialize(["futures_symbols"], resources), "futures_symbols")
    assert meta["cm_exchange_info"] == "geo-blocked (HTTP 451)"
    assert meta["um_exchange_info"].endswith("symbols")
    table = symbols(db_path)
    assert table["BTCUSDT"]["exchange_status"] == "TRADING"
    assert table["BTCUSD_PERP"]["exchange_status"] is None


def test_an_exchange_info_that_is_not_json_is_reported_not_fatal(sim, db_path):
    sim.set_faults(FaultPlan.parse("html=1@/fapi/"))
    resources = pipeline_resources(sim, db_path, retry_attempts=2)
    meta = metadata(materialize(["futures_symbols"], resources), "futures_symbols")
    assert "exchangeInfo is not JSON" in meta["um_exchange_info"]
    assert meta["symbols_known"] == 23


def test_folders_that_cannot_be_symbols_are_rejected_and_reported(db_path):
    lives = [
        SymbolLife(name, date(2022, 9, 1)) for name in ("BTCUSDT", "BTC..USDT", "BTC'USDT", "A B")
    ]
    with SimServer(Universe(lives, now=datetime(2022, 9, 5, tzinfo=UTC))) as sim:
        meta = metadata(
            materialize(["futures_symbols"], pipeline_resources(sim, db_path)), "futures_symbols"
        )
    assert list(symbols(db_path)) == ["BTCUSDT"]
    assert meta["um_symbols_listed"] == 1
    for name in ("BTC..USDT", "BTC'USDT", "A B"):
        assert f"`um/{name}`" in meta["rejected_folders"]
