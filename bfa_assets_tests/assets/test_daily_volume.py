"""daily_volume: every bar exact, verified, monthly and daily paths, nothing fetched twice."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from polars.testing import assert_frame_equal

from bfa_assets_tests.conftest import pipeline_resources
from bfa_assets_tests.pipeline import (
    availability,
    expected_volume,
    materialize,
    metadata,
    query,
    volume,
)
from bfa_assets_tests.vision_sim import FaultPlan
from bfa_assets_tests.vision_sim.scenarios import (
    TINY_CM_QUIRKS,
    TINY_END,
    TINY_QUIRKS,
    TINY_START,
)

MONTHLY = "/monthly/klines/"  # in the key of a monthly file of either market


def load(resources, start=TINY_START, end=TINY_END):
    materialize(["futures_symbols"], resources)
    materialize(["daily_availability"], resources, start, end)
    return materialize(["daily_volume"], resources, start, end)


def test_every_bar_of_the_tiny_history_equals_the_simulator(resources, tiny, db_path):
    result = load(resources)
    got, expected = volume(db_path), expected_volume(tiny, TINY_START, TINY_END)
    assert_frame_equal(got, expected)
    monthly = pl.col("source_key").str.contains(MONTHLY, literal=True)
    for market in ("um", "cm"):  # both the monthly and the daily path are used, in each market
        rows = got.filter(pl.col("market") == market)
        assert 0 < rows.filter(monthly).height < rows.height, market
    monthly_rows = got.filter(monthly).height
    meta = metadata(result, "daily_volume")
    monthly_files = got.filter(monthly)["source_key"].n_unique()
    daily_files = got.height - monthly_rows
    assert meta["rows_written"] == got.height and meta["monthly_files_downloaded"] == monthly_files
    assert meta["files_downloaded"] == monthly_files + daily_files
    assert meta["files_unchanged_skipped"] == 0


def test_headered_and_headerless_files_give_the_same_kind_of_rows(resources, tiny, db_path):
    load(resources, date(2022, 10, 1), TINY_END)  # daily files: headered since 2022-08-11
    load(resources, TINY_START, date(2022, 7, 31))  # monthly files
    island_symbol, island_day = "BTCUSDT", date(2022, 7, 21)  # a headered island before the switch
    got = volume(db_path).filter(pl.col("symbol") == island_symbol, pl.col("date") == island_day)
    assert got["quote_volume"].to_list() == [
        float(tiny.bar(island_symbol, island_day).quote_volume)
    ]
    assert_frame_equal(
        volume(db_path),
        expected_volume(tiny, TINY_START, date(2022, 7, 31))
        .vstack(expected_volume(tiny, date(2022, 10, 1), TINY_END))
        .sort("date", "market", "symbol"),
    )


def test_coin_m_bars_are_stored_in_contracts_and_coin_never_as_quote_volume(
    resources, tiny, db_path
):
    """COIN-M's headered files name their columns as USD-M's do (`quote_volume`) though they
    hold the coin: the table names them by meaning, and leaves USD-M's quote columns empty."""
    symbol, day = TINY_CM_QUIRKS["header_island"]
    load(resources, day, day)  # from the month's file, headered (as every one since 2022-01)
    got = volume(db_path).filter(pl.col("symbol") == symbol).row(0, named=True)
    bar = tiny.bar(symbol, day)
    assert (got["contracts"], got["taker_buy_contracts"]) == (
        float(bar.volume),
        float(bar.taker_buy_volume),
    )
    assert (got["volume_base"], got["taker_buy_volume_base"]) == (
        float(bar.quote_volume),
        float(bar.taker_buy_quote_volume),
    )
    assert got["quote_volume"] is None and got["taker_buy_quote_volume"] is None
    usd_m = volume(db_path).filter(pl.col("market") == "um")
    assert usd_m["contracts"].null_count() == usd_m.height > 0


def test_broken_files_are_reported_and_never_stored(resources, db_path):
    result = load(resources)
    meta = metadata(result, "daily_volume")
    for quirk in ("corrupt_zip", "bad_checksum"):
        symbol, day = TINY_QUIRKS[quirk]
        assert (
            f"| {symbol} | {day}..{day} | data/futures/um/daily/klines/{symbol}/1d/"
            in meta["failed_files"]
        )
        assert (
            query(
                db_path,
                "SELECT * FROM daily_volume WHERE symbol=$s AND date=$d",
                {"s": symbol, "d": day},
            ).height
            == 0
        )
    assert (
        "zip does not open" in meta["failed_files"]
        and "does not match the CHECKSUM" in meta["failed_files"]
    )
    assert meta["files_failed"] == 2


def test_a_zip_without_checksum_is_verified_by_its_etag(resources, tiny, db_path):
    load(resources)
    symbol, day = TINY_QUIRKS["no_checksum"]
    row = volume(db_path).filter(pl.col("symbol") == symbol, pl.col("date") == day)
    assert row["quote_volume"].to_list() == [float(tiny.bar(symbol, day).quote_volume)]


def test_available_days_without_a_1d_file_get_no_row(resources, db_path):
    symbol, first_1d = TINY_QUIRKS["late_1d_start"]
    load(resources)
    days = volume(db_path).filter(pl.col("symbol") == symbol)["date"]
    assert days.min() == first_1d
    assert availability(db_path).filter(pl.col("symbol") == symbol)["date"].min() < first_1d


def test_every_available_day_without_a_row_is_explained_and_a_rerun_keeps_it(resources, db_path):
    load(resources)
    without_row = query(db_path, """
        SELECT date, market, symbol FROM daily_availability a WHERE available
        AND NOT EXISTS (SELECT 1 FROM daily_volume v
                        WHERE v.date = a.date AND v.market = a.market AND v.symbol = a.symbol)
        ORDER BY ALL""")  # fmt: skip
    issues = "SELECT date, market, symbol, issue, source_key FROM volume_issues ORDER BY ALL"
    explained = query(db_path, issues)
    assert_frame_equal(explained.select("date", "market", "symbol"), without_row)
    assert set(explained["issue"]) == {"no_bar_in_file", "file_failed"}
    rerun = metadata(materialize(["daily_volume"], resources, TINY_START, TINY_END), "daily_volume")
    assert rerun["files_downloaded"] == 0  # so the reasons now come from the files read before
    assert_frame_equal(query(db_path, issues), explained)


def test_a_rerun_downloads_nothing_and_a_reupload_is_picked_up(sim, resources, tiny, db_path):
    symbol, day, when = TINY_QUIRKS["reupload"]
    tiny.set_now(when - timedelta(hours=2))
    load(resources, date(2022, 9, 20), day + timedelta(days=3))
    again = metadata(
        materialize(["daily_volume"], resources, date(2022, 9, 20), day + timedelta(days=3)),
        "daily_volume",
    )
    assert again["files_downloaded"] == 0 and again["rows_written"] == 0
    old = volume(db_path).filter(pl.col("symbol") == symbol, pl.col("date") == day)
    tiny.set_now(when + timedelta(hours=2))
    materialize(["daily_availability"], resources, day, day)
    meta = metadata(
        materialize(["daily_volume"], resources, date(2022, 9, 20), day + timedelta(days=3)),
        "daily_volume",
    )
    new = volume(db_path).filter(pl.col("symbol") == symbol, pl.col("date") == day)
    assert meta["files_downloaded"] == 1 and meta["rows_written"] == 1
    assert new["source_etag"].to_list() != old["source_etag"].to_list()
    assert new["quote_volume"].to_list() != old["quote_volume"].to_list()
    assert new["quote_volume"].to_list() == [float(tiny.bar(symbol, day).quote_volume)]


def test_availability_is_never_touched(resources, db_path):
    materialize(["futures_symbols"], resources)
    materialize(["daily_availability"], resources, TINY_START, TINY_END)
    before = availability(db_path, ["*"])
    materialize(["daily_volume"], resources, TINY_START, TINY_END)
    assert_frame_equal(availability(db_path, ["*"]), before)


def test_one_ranged_run_equals_single_day_runs(sim, tmp_path):
    ranged, daily = tmp_path / "ranged.duckdb", tmp_path / "daily.duckdb"
    start, end = date(2022, 9, 27), date(2022, 10, 3)
    load(pipeline_resources(sim, ranged), start, end)
    load(pipeline_resources(sim, daily), start, start)
    for offset in range(1, (end - start).days + 1):
        day = start + timedelta(days=offset)
        materialize(["daily_availability"], pipeline_resources(sim, daily), day)
        materialize(["daily_volume"], pipeline_resources(sim, daily), day)
    assert_frame_equal(volume(ranged), volume(daily))
    assert volume(ranged).height > 60


def test_transiently_corrupt_downloads_are_fetched_again(sim, tiny, db_path):
    resources = pipeline_resources(sim, db_path, retry_attempts=10)
    materialize(["futures_symbols"], resources)
    materialize(["daily_availability"], resources, TINY_START, TINY_END)
    # each file gets three downloads: at these rates a file fails all three about once in 1,000
    sim.set_faults(FaultPlan.parse("corrupt=0.05,checksum=0.05,truncate=0.05", seed=0))
    materialize(["daily_volume"], resources, TINY_START, TINY_END)
    assert_frame_equal(volume(db_path), expected_volume(tiny, TINY_START, TINY_END))
    assert sim.app.faults.injected["corrupt"] > 3 and sim.app.faults.injected["checksum"] > 3
