"""futures_symbols: discovery of every folder, classification, first days, exchangeInfo."""

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
    assert sorted(table) == tiny.symbols
    assert {s: r["first_1m_date"] for s, r in table.items()} == {
        s: tiny.first_1m_day(s) for s in tiny.symbols
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
    assert (meta["symbols_listed"], meta["new_symbols"], meta["symbols_known"]) == (14, 14, 14)
    assert meta["requests"] == 1 + 14 and meta["fapi_requests"] == 1
    assert "- 龙虾USDT" in meta["new_symbol_names"]


def test_a_second_run_lists_no_first_days_and_only_refreshes_last_seen(resources, db_path):
    materialize(["futures_symbols"], resources)
    before = symbols(db_path)
    meta = metadata(materialize(["futures_symbols"], resources), "futures_symbols")
    after = symbols(db_path)
    assert meta["new_symbols"] == 0 and meta["requests"] == 1
    for name, row in after.items():
        assert row["first_seen_at"] == before[name]["first_seen_at"]
        assert row["last_seen_at"] > before[name]["last_seen_at"]
        assert row["first_1m_date"] == before[name]["first_1m_date"]


def test_a_symbol_missing_from_a_later_listing_is_kept(tiny, db_path):
    with SimServer(tiny) as sim:
        materialize(["futures_symbols"], pipeline_resources(sim, db_path))
    smaller = Universe([tiny.life(s) for s in tiny.symbols if s != "SRMUSDT"], now=TINY_NOW)
    with SimServer(smaller) as sim:
        meta = metadata(
            materialize(["futures_symbols"], pipeline_resources(sim, db_path)), "futures_symbols"
        )
    table = symbols(db_path)
    assert meta["symbols_listed"] == 13 and meta["symbols_known"] == 14
    assert table["SRMUSDT"]["last_seen_at"] < table["ETHUSDT"]["last_seen_at"]


def test_a_geo_blocked_exchange_info_does_not_fail_discovery(sim, resources, db_path):
    sim.set_faults(FaultPlan.parse("451=1@/fapi/"))
    meta = metadata(materialize(["futures_symbols"], resources), "futures_symbols")
    assert meta["exchange_info"] == "geo-blocked (HTTP 451)"
    table = symbols(db_path)
    assert len(table) == 14 and all(r["exchange_status"] is None for r in table.values())


def test_an_exchange_info_that_is_not_json_is_reported_not_fatal(sim, db_path):
    sim.set_faults(FaultPlan.parse("html=1@/fapi/"))
    resources = pipeline_resources(sim, db_path, retry_attempts=2)
    meta = metadata(materialize(["futures_symbols"], resources), "futures_symbols")
    assert "exchangeInfo is not JSON" in meta["exchange_info"]
    assert meta["symbols_known"] == 14


def test_folders_that_cannot_be_symbols_are_rejected_and_reported(db_path):
    lives = [
        SymbolLife(name, date(2022, 9, 1)) for name in ("BTCUSDT", "BTC..USDT", "BTC'USDT", "A B")
    ]
    with SimServer(Universe(lives, now=datetime(2022, 9, 5, tzinfo=UTC))) as sim:
        meta = metadata(
            materialize(["futures_symbols"], pipeline_resources(sim, db_path)), "futures_symbols"
        )
    assert list(symbols(db_path)) == ["BTCUSDT"]
    assert meta["symbols_listed"] == 1
    for name in ("BTC..USDT", "BTC'USDT", "A B"):
        assert f"`{name}`" in meta["rejected_folders"]
