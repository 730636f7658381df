"""daily_availability: list every symbol's 1m files for a window and replace its rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial

import duckdb
import polars as pl

from bfa_assets.common.days import Window
from bfa_assets.http.client import HttpClient
from bfa_assets.steps.heap import fewer_collections
from bfa_assets.steps.staging import Stager
from bfa_assets.store import availability as availability_store
from bfa_assets.store import symbols as symbol_store
from bfa_assets.store.availability import SYMBOLS_PER_PART, WindowWriter, availability_parts
from bfa_assets.store.selection import Scope
from bfa_assets.vision.availability import list_window


@dataclass
class AvailabilityRun:
    symbols: dict[str, int]  # symbols listed, per market
    per_day: pl.DataFrame  # date, available (in all, per market), symbols: the window as written
    stats: dict[str, float]


async def refresh_availability(
    conn: duckdb.DuckDBPyConnection,
    vision: HttpClient,
    window: Window,
    scope: Scope,
    log: Callable[[str], None],
) -> AvailabilityRun:
    """List each symbol's `1m/` folder once for the window (from its first 1m day), every
    market of the scope at once, staging each symbol's rows as its listing completes, then
    write the window in one transaction; nothing is written unless every listing succeeded.

    `probe_log` records the days as checked (at the time the listing began) for each market of
    the scope, unless the run is restricted to some symbols.
    """
    with fewer_collections():
        first_days = {m: symbol_store.first_days(conn, m, scope.symbols) for m in scope.markets}
        counts = ", ".join(f"{len(days)} {m}" for m, days in first_days.items())
        log(f"listing 1m files of {counts} symbols for {window} ({window.days} days)")
        checked_at = datetime.now(UTC)
        with availability_store.window_writer(conn, window.start, window.end, scope) as writer:
            stage = partial(_stage, writer, first_days, window, vision.base_url, checked_at)
            stager = Stager(stage, SYMBOLS_PER_PART)
            async with vision as http:
                await stager.run(
                    list_window(
                        http, m, days, window.start, window.end, partial(stager.listed, m), log
                    )
                    for m, days in first_days.items()
                )
            writer.finish(checked_at)
        per_day = availability_store.per_day_counts(conn, window.start, window.end, scope)
    symbols = {market: len(days) for market, days in first_days.items()}
    return AvailabilityRun(symbols, per_day, vision.stats.as_metadata())


def _stage(
    writer: WindowWriter,
    first_days: dict[str, dict[str, date]],  # market -> symbol -> its first 1m day
    window: Window,
    base_url: str,
    checked_at: datetime,
    market: str,
    found: dict[str, pl.DataFrame],
) -> None:
    """Stage the rows of the listed symbols of `market` (in the staging thread)."""
    days = {symbol: first_days[market][symbol] for symbol in found}
    for part in availability_parts(
        market, days, found, window.start, window.end, base_url, checked_at
    ):
        writer.add(part)
