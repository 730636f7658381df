"""`bfa query --market`: each market's answers against the simulator's truth, and a history whose
checked days differ per market (a run restricted to USD-M leaves COIN-M's days unchecked).

`released` (conftest) checked every day of `tiny` for both markets; `mixed` here checks
MIXED_BOTH for both and MIXED_UM_ONLY for USD-M alone, so COIN-M must refuse those days.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bfa_assets_tests.cli_run import as_json, bfa
from bfa_assets_tests.rankings_reference import expected_rankings

DAY = date(2022, 9, 5)
MIXED_BOTH = (date(2022, 9, 1), date(2022, 9, 10))
MIXED_UM_ONLY = (date(2022, 9, 11), date(2022, 9, 20))
UM_ONLY = {"config": {"markets": ["um"]}}


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """A partial release of `tiny`: both markets over MIXED_BOTH, USD-M alone over
    MIXED_UM_ONLY."""
    import dagster as dg

    from bfa_assets_tests.conftest import pipeline_resources
    from bfa_assets_tests.pipeline import materialize
    from bfa_assets_tests.vision_sim import SimServer, build

    folder, data = tmp_path_factory.mktemp("mixed"), ["daily_availability", "daily_volume"]
    with SimServer(build("tiny")) as sim, dg.DagsterInstance.ephemeral() as instance:
        resources = pipeline_resources(sim, folder / "bfa.duckdb")
        materialize(["futures_symbols"], resources, instance=instance)
        materialize([*data, "volume_rankings"], resources, *MIXED_BOTH, instance=instance)
        um_only = {"ops": {"daily_availability": UM_ONLY, "daily_volume": UM_ONLY}}
        materialize(data, resources, *MIXED_UM_ONLY, run_config=um_only, instance=instance)
        partial = {"ops": {"release_artifact": {"config": {"allow_partial": True}}}}
        materialize(["release_artifact"], resources, run_config=partial, instance=instance)
    return folder / "release"


def test_a_coin_m_snapshot_lists_exactly_its_contracts_and_usd_m_is_the_default(capsys, released):
    universe = released.universe
    for market in ("um", "cm"):
        rows = as_json(capsys, released.release_dir, "snapshot", str(DAY), "--market", market)
        truth = universe.availability_truth(DAY, DAY, market=market)
        assert [r["symbol"] for r in rows] == sorted(r["symbol"] for r in truth if r["available"])
    default = as_json(capsys, released.release_dir, "snapshot", str(DAY))
    assert default == as_json(capsys, released.release_dir, "snapshot", str(DAY), "--market", "um")
    coin = as_json(capsys, released.release_dir, "snapshot", str(DAY), "--market", "cm")
    assert list(coin[0]) == ["symbol", "file_size_bytes", "contracts", "notional_usd", "rank"]
    ranks = {r["symbol"]: r["rank"] for r in expected_rankings(universe, DAY, DAY, "cm")}
    assert {r["symbol"]: r["rank"] for r in coin if r["rank"] is not None} == ranks


def test_top_ranks_coin_m_perpetuals_by_notional(capsys, released):
    rows = as_json(capsys, released.release_dir, "top", str(DAY), "--market", "cm", "-n", "9")
    expected = sorted(
        expected_rankings(released.universe, DAY, DAY, "cm"), key=lambda r: (r["rank"], r["symbol"])
    )
    assert [(r["rank"], r["symbol"]) for r in rows] == [(r["rank"], r["symbol"]) for r in expected]
    assert [r["notional_usd"] for r in rows] == pytest.approx([r["notional_usd"] for r in expected])
    assert "quote_volume_usdt" not in rows[0]


def test_a_coin_m_timeline_shows_contracts_and_notional(capsys, released):
    rows = as_json(capsys, released.release_dir, "timeline", "BTCUSD_PERP", "--market", "cm")
    assert list(rows[0]) == ["date", "checked", "available", "file_size_bytes", "contracts",
                             "notional_usd", "rank"]  # fmt: skip
    days = released.universe.availability_truth(date(2022, 7, 1), date(2022, 10, 8), market="cm")
    truth = {r["date"]: r["available"] for r in days if r["symbol"] == "BTCUSD_PERP"}
    assert {date.fromisoformat(r["date"]): r["available"] for r in rows if r["checked"]} == truth


def test_a_symbol_of_the_other_market_gets_one_hint_naming_it(capsys, released):
    reply = bfa(capsys, released.release_dir, "timeline", "BTCUSD_PERP")
    assert reply.code == 1 and reply.err == (
        "bfa: unknown symbol 'BTCUSD_PERP' in USD-M; it is a COIN-M contract: add --market cm\n"
    )
    back = bfa(capsys, released.release_dir, "timeline", "BTCUSDT", "--market", "cm").err
    assert "it is a USD-M contract: add --market um" in back and "did you mean" not in back


def test_coin_m_listings_and_delistings_are_its_own(capsys, released):
    listed = as_json(capsys, released.release_dir, "new-listings", "2022-09-30", "--market", "cm")
    assert [r["symbol"] for r in listed] == ["BTCUSD_230331"]
    gone = as_json(capsys, released.release_dir, "delistings", "2022-09-30", "--market", "cm")
    assert [r["symbol"] for r in gone["delisted"]] == ["BTCUSD_220930", "ETHUSD_220930"]
    facts = as_json(capsys, released.release_dir, "summary", "--market", "cm")
    assert facts["symbols_discovered"] == len(released.universe.symbols_of("cm")) == 9


def test_a_day_checked_for_usd_m_only_is_not_checked_for_coin_m(capsys, mixed):
    for day in (MIXED_UM_ONLY[0] + timedelta(n) for n in range(10)):
        assert bfa(capsys, mixed, "snapshot", str(day), "--json").code == 0
        reply = bfa(capsys, mixed, "snapshot", str(day), "--market", "cm")
        assert (reply.code, reply.out) == (3, "")
        assert reply.err.startswith(f"bfa: {day} was not checked for COIN-M (the release's latest")
        assert "with the run config `markets: [cm]`" in reply.err
    ranged = bfa(capsys, mixed, "range", "2022-09-05", "2022-09-15", "--market", "cm", "--json")
    assert ranged.code == 3 and ranged.err.startswith(
        "bfa: not checked for COIN-M: 2022-09-11 … 2022-09-15 (5 days); the rows"
    )
    um, cm = (as_json(capsys, mixed, "summary", "--market", m) for m in ("um", "cm"))
    assert (um["checked_days"], cm["checked_days"]) == (20, 10)
    assert cm["latest_checked_date"] == "2022-09-10" and cm["history"][0] == "2022-07-01"


def test_help_says_usd_m_is_the_default(capsys):
    from bfa_assets.cli.main import main

    with pytest.raises(SystemExit):
        main(["query", "--help"])
    assert "without --market, USD-M" in " ".join(capsys.readouterr().out.split())
