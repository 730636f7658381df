"""Listing a window's 1m files: exact against the simulator, and no key listed twice or in vain."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import polars as pl
from polars.testing import assert_frame_equal

from bfa_assets.http.client import HttpClient
from bfa_assets.store.availability import availability_parts
from bfa_assets.vision.availability import list_window
from bfa_assets_tests.vision_sim.scenarios import TINY_END, TINY_START

HISTORY_START = date(2019, 9, 25)


def listed(sim, first_days: dict[str, date], start: date, end: date):
    found: dict[str, pl.DataFrame] = {}

    def take(symbol: str, files: pl.DataFrame) -> None:
        assert symbol not in found  # each symbol handed on once
        found[symbol] = files

    async def go():
        async with HttpClient(sim.vision_url) as http:
            await list_window(http, "um", first_days, start, end, take)
        assert sorted(found) == sorted(first_days)  # one frame per symbol
        return pl.concat(found[s] for s in first_days), http.stats

    return asyncio.run(go())


def published(universe, symbol: str, start: date, end: date) -> list[date]:
    days = [date.fromordinal(d) for d in universe.published_days(symbol, "1m")]
    return [d for d in days if start <= d <= end]


def test_a_whole_history_is_listed_from_each_symbols_first_day(sim, tiny):
    first_days = {s: tiny.first_1m_day(s) for s in tiny.symbols if tiny.first_1m_day(s)}
    found, stats = listed(sim, first_days, HISTORY_START, TINY_END)
    for symbol in first_days:
        got = sorted(found.filter(pl.col("symbol") == symbol)["date"])
        assert got == published(tiny, symbol, HISTORY_START, TINY_END), symbol
    truth = {(r["date"], r["symbol"]): r for r in tiny.availability_truth(HISTORY_START, TINY_END)}
    for row in found.iter_rows(named=True):
        expected = truth[(row["date"], row["symbol"])]
        assert (row["file_size_bytes"], row["etag"]) == (
            expected["file_size_bytes"],
            expected["etag"],
        )
    # three years before the first symbol cost nothing: one request per symbol
    assert stats.requests == len(first_days)
    # and each request asked for no more keys than its days can hold (a zip and a CHECKSUM)
    assert found.height <= sim.app.stats["listed_keys"] <= 2 * found.height


def test_a_20_day_lookback_is_one_request_for_40_keys_per_symbol(sim, tiny):
    start = date.fromordinal(TINY_END.toordinal() - 19)
    first_days = {s: tiny.first_1m_day(s) for s in tiny.symbols if tiny.first_1m_day(s)}
    found, stats = listed(sim, first_days, start, TINY_END)
    assert sorted(found.select("symbol", "date").iter_rows()) == sorted(
        (s, d) for s in first_days for d in published(tiny, s, start, TINY_END)
    )
    assert stats.requests == len(first_days)
    assert sim.app.stats["listed_keys"] <= 40 * len(first_days)


def test_rows_built_in_parts_are_the_rows_built_at_once(sim, tiny):
    first_days = {s: tiny.first_1m_day(s) for s in tiny.symbols if tiny.first_1m_day(s)}
    found, _ = listed(sim, first_days, TINY_START, TINY_END)
    by_symbol = {s: found.filter(pl.col("symbol") == s) for s in first_days}
    args = ("um", first_days, by_symbol, TINY_START, TINY_END, sim.vision_url, datetime.now(UTC))
    parts = list(availability_parts(*args, symbols_per_part=3))
    assert len(parts) == 5 and max(p["symbol"].n_unique() for p in parts) == 3
    (whole,) = availability_parts(*args, symbols_per_part=len(first_days))
    assert_frame_equal(pl.concat(parts).sort("date", "symbol"), whole)
