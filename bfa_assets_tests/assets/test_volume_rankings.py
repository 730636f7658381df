"""volume_rankings: every column equals an independent computation; run splits change nothing."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from polars.testing import assert_frame_equal

from bfa_assets_tests.conftest import pipeline_resources
from bfa_assets_tests.pipeline import materialize, metadata, query
from bfa_assets_tests.rankings_reference import COLUMNS, expected
from bfa_assets_tests.vision_sim.scenarios import TINY_END, TINY_QUIRKS, TINY_START


def rankings(db_path) -> pl.DataFrame:
    return query(
        db_path, f"SELECT {', '.join(COLUMNS)} FROM volume_rankings ORDER BY date, market, symbol"
    )


def load_all(resources, start=TINY_START, end=TINY_END):
    materialize(["futures_symbols"], resources)
    for asset in ("daily_availability", "daily_volume", "volume_rankings"):
        result = materialize([asset], resources, start, end)
    return result


def test_every_column_equals_an_independent_computation(resources, tiny, db_path):
    result = load_all(resources)
    assert_frame_equal(rankings(db_path), expected(tiny, TINY_START, TINY_END), rel_tol=1e-12)
    assert metadata(result, "volume_rankings")["days_ranked"] == 100


def test_ties_share_a_rank(resources, tiny, db_path):
    load_all(resources)
    for (a, b), day in (TINY_QUIRKS["flat_tie"], TINY_QUIRKS["quote_tie"]):
        ranks = rankings(db_path).filter(pl.col("date") == day, pl.col("symbol").is_in([a, b]))
        assert ranks.height == 2 and ranks["rank"].n_unique() == 1
    flat = rankings(db_path).filter(pl.col("date") == TINY_QUIRKS["flat_tie"][1])
    assert flat["rank"].max() == flat["rank"].n_unique()  # dense: no gaps after a tie


def test_only_usdt_perpetuals_are_ranked(resources, db_path):
    load_all(resources)
    ranked = set(rankings(db_path)["symbol"])
    assert {"BTCUSDT", "ICPUSDT_SETTLED", "币安人生USDT"} <= ranked
    assert ranked.isdisjoint({"ETHUSDC", "ETHBTC", "BTCBUSD", "BTCUSDT_220930"})


def test_rank_changes_compare_calendar_days_across_gaps(resources, db_path):
    load_all(resources)
    symbol, gap = TINY_QUIRKS["gap"]
    after_gap = rankings(db_path).filter(
        pl.col("symbol") == symbol, pl.col("date") == gap + timedelta(days=1)
    )
    assert after_gap["rank_change_1d"].to_list() == [None]  # no rank on the gap day
    assert after_gap["rank_change_7d"].to_list() != [None]
    assert after_gap["days_available"].to_list() == [29]  # 2022-07-05..08-03 minus the gap day
    first = rankings(db_path).filter(pl.col("date") == TINY_START)
    assert first["rank_change_1d"].null_count() == first.height


def test_one_ranged_run_equals_per_day_runs(sim, tiny, tmp_path):
    ranged, daily = tmp_path / "ranged.duckdb", tmp_path / "daily.duckdb"
    load_all(pipeline_resources(sim, ranged))
    per_day = pipeline_resources(sim, daily)
    materialize(["futures_symbols"], per_day)
    materialize(["daily_availability"], per_day, TINY_START, TINY_END)
    materialize(["daily_volume"], per_day, TINY_START, TINY_END)
    start = date(2022, 8, 25)
    for offset in range(12):  # across a month boundary
        materialize(["volume_rankings"], per_day, start + timedelta(days=offset))
    window = pl.col("date").is_between(start, start + timedelta(days=11))
    assert_frame_equal(rankings(daily).filter(window), rankings(ranged).filter(window))
    assert_frame_equal(
        rankings(daily), expected(tiny, start, start + timedelta(days=11)), rel_tol=1e-12
    )
