"""The universe: deterministic lives, the clock, every quirk, and the ground truth."""

from __future__ import annotations

import hashlib
import zipfile
import zlib
from datetime import UTC, date, datetime, timedelta

import pytest

from bfa_assets_tests.test_vision_sim.zips import read_member
from bfa_assets_tests.vision_sim import build
from bfa_assets_tests.vision_sim.scenarios import (
    FIRST_1D,
    HISTORY_START,
    TINY_QUIRKS,
    snapshot_symbols,
)

DAILY = "data/futures/um/daily/klines/"
MONTHLY = "data/futures/um/monthly/klines/"


def daily(symbol: str, interval: str, day: date) -> str:
    return f"{DAILY}{symbol}/{interval}/{symbol}-{interval}-{day.isoformat()}.zip"


def test_a_late_file_appears_once_the_clock_passes_its_publication(tiny):
    symbol, day = TINY_QUIRKS["late"]
    assert tiny.object_at(daily(symbol, "1m", day)) is None
    assert tiny.object_at(daily("ETHUSDT", "1m", day)) is not None  # others are on time
    tiny.set_now(datetime(2022, 10, 11, 10, 0, tzinfo=UTC))
    assert tiny.object_at(daily(symbol, "1m", day)) is not None


def test_yesterdays_files_appear_during_the_morning(tiny):
    tiny.set_now(datetime(2022, 10, 9, 6, 0, tzinfo=UTC))
    assert tiny.object_at(daily("ETHUSDT", "1m", date(2022, 10, 8))) is None
    tiny.set_now(datetime(2022, 10, 9, 9, 1, tzinfo=UTC))
    assert tiny.object_at(daily("ETHUSDT", "1m", date(2022, 10, 8))) is not None


def test_a_reupload_changes_bytes_etag_and_last_modified(tiny):
    symbol, day, when = TINY_QUIRKS["reupload"]
    tiny.set_now(when - timedelta(hours=1))
    before = {iv: tiny.object_at(daily(symbol, iv, day)) for iv in ("1m", "1d")}
    bar_before = tiny.bar(symbol, day)
    tiny.set_now(when + timedelta(hours=1))
    after = {iv: tiny.object_at(daily(symbol, iv, day)) for iv in ("1m", "1d")}
    for iv in ("1m", "1d"):
        assert before[iv].etag != after[iv].etag
        assert after[iv].last_modified == when > before[iv].last_modified
    assert before["1d"].body() != after["1d"].body()
    assert tiny.bar(symbol, day) != bar_before


def test_a_gap_inside_a_life_has_no_files(tiny):
    symbol, day = TINY_QUIRKS["gap"]
    for iv in ("1m", "1d"):
        assert tiny.object_at(daily(symbol, iv, day)) is None
        assert tiny.object_at(daily(symbol, iv, day - timedelta(days=1))) is not None
        assert tiny.object_at(daily(symbol, iv, day + timedelta(days=1))) is not None


def test_the_oldest_symbols_have_1m_files_months_before_1d_files():
    full = build("full", symbols=40)
    assert full.first_1m_day("BTCUSDT") == HISTORY_START == date(2019, 9, 25)
    days_1d = full.published_days("BTCUSDT", "1d")
    assert date.fromordinal(days_1d[0]) == FIRST_1D == date(2019, 12, 31)


def test_a_1d_file_may_start_later_than_the_1m_files(tiny):
    symbol, first_1d = TINY_QUIRKS["late_1d_start"]
    assert tiny.object_at(daily(symbol, "1d", first_1d - timedelta(days=1))) is None
    assert tiny.object_at(daily(symbol, "1m", first_1d - timedelta(days=1))) is not None
    assert tiny.object_at(daily(symbol, "1d", first_1d)) is not None


def test_outages_are_flat_zero_volume_bars_that_tie(tiny):
    (a, b), day = TINY_QUIRKS["flat_tie"]
    for symbol in (a, b):
        bar = tiny.bar(symbol, day)
        assert bar.open == bar.high == bar.low == bar.close
        assert bar.volume == bar.quote_volume == "0" and bar.count == 0
    (c, d), day = TINY_QUIRKS["quote_tie"]
    assert tiny.bar(c, day).quote_volume == tiny.bar(d, day).quote_volume
    assert float(tiny.bar(c, day).quote_volume) > 0


def test_persistently_broken_files(tiny):
    symbol, day = TINY_QUIRKS["corrupt_zip"]
    broken = tiny.object_at(daily(symbol, "1d", day)).body()
    checksum = tiny.object_at(daily(symbol, "1d", day) + ".CHECKSUM").body().decode()
    assert checksum.split()[0] == hashlib.sha256(broken).hexdigest()  # matches, yet…
    with pytest.raises((zipfile.BadZipFile, zlib.error)):
        read_member(broken)
    symbol, day = TINY_QUIRKS["bad_checksum"]
    good = tiny.object_at(daily(symbol, "1d", day)).body()
    checksum = tiny.object_at(daily(symbol, "1d", day) + ".CHECKSUM").body().decode()
    assert checksum.split()[0] != hashlib.sha256(good).hexdigest()
    symbol, day = TINY_QUIRKS["no_checksum"]
    assert tiny.object_at(daily(symbol, "1d", day)) is not None
    assert tiny.object_at(daily(symbol, "1d", day) + ".CHECKSUM") is None


def test_the_same_seed_gives_the_same_bytes_and_another_seed_other_bytes():
    key = daily("BTCUSDT", "1d", date(2024, 3, 1))
    now = datetime(2025, 1, 1, tzinfo=UTC)
    one, two = build("full", now=now, symbols=30), build("full", now=now, symbols=30)
    other = build("full", now=now, symbols=30, seed=7)
    assert one.object_at(key).body() == two.object_at(key).body()
    assert one.object_at(key).body() != other.object_at(key).body()
    assert one.symbols == two.symbols


def test_the_full_scenario_holds_every_real_name_and_every_kind_of_contract():
    perpetual, delivery = snapshot_symbols()
    full = build("full", now=datetime(2026, 11, 1, tzinfo=UTC))
    assert len(full.symbols) == len(perpetual) + len(delivery) == 1007
    lives = [full.life(s) for s in full.symbols]
    assert sum(life.delivery for life in lives) == 50
    assert {life.quote for life in lives} >= {"USDT", "USDC", "BUSD", "BTC", "USD1", None}
    assert sum(life.last_day is not None for life in lives) > 100  # delisted
    assert (
        sum(bool(life.late) for life in lives) >= 1
        and sum(bool(life.reuploads) for life in lives) >= 1
    )
    assert sum(bool(life.gaps) for life in lives) > 100


def test_availability_truth_has_a_row_per_day_from_the_first_file_on(tiny):
    rows = tiny.availability_truth(date(2022, 7, 1), date(2022, 10, 8))
    by_symbol = {}
    for row in rows:
        by_symbol.setdefault(row["symbol"], []).append(row)
    assert (
        len(by_symbol["ETHUSDT"]) == 100 and sum(r["available"] for r in by_symbol["ETHUSDT"]) == 99
    )
    assert len(by_symbol["龙虾USDT"]) == 55 and not by_symbol["龙虾USDT"][-1]["available"]
    srm = by_symbol["SRMUSDT"]  # delisted 2022-08-20: rows continue, unavailable
    assert len(srm) == 100 and sum(r["available"] for r in srm) == 51
    assert by_symbol["我踏马来了USDT"][0]["date"] == date(2022, 9, 20)


def test_volume_truth_picks_monthly_files_where_published_and_skips_broken_days(tiny):
    rows = {
        (r["symbol"], r["date"]): r for r in tiny.volume_truth(date(2022, 7, 1), date(2022, 10, 8))
    }
    assert rows[("ETHUSDT", date(2022, 9, 3))]["source_key"].startswith(MONTHLY)
    assert rows[("DOGEUSDT", date(2022, 9, 3))]["source_key"].startswith(
        DAILY
    )  # monthly not out yet
    assert ("DOGEUSDT", date(2022, 10, 4)) not in rows and (
        "DOGEUSDT",
        date(2022, 10, 5),
    ) not in rows
    assert ("ETHUSDT", date(2022, 10, 3)) in rows  # no CHECKSUM, still verifiable by ETag
    assert ("BTCUSDT", date(2022, 7, 14)) not in rows and ("BTCUSDT", date(2022, 7, 15)) in rows
    assert rows[("BTCBUSD", date(2022, 8, 9))]["source_key"].startswith(DAILY)  # unpadded monthly
