"""daily_availability: list every symbol's 1m files for a window and replace its rows."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import polars as pl

from bfa_assets.common.days import Window
from bfa_assets.http.client import HttpClient
from bfa_assets.steps.heap import fewer_collections
from bfa_assets.store import availability as availability_store
from bfa_assets.store import symbols as symbol_store
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
    market of the scope at once, then write the window in one transaction; nothing is written
    unless every listing succeeded.

    `probe_log` records the days as checked for each market of the scope, unless the run is
    restricted to some symbols.
    """
    with fewer_collections():
        first_days = {m: symbol_store.first_days(conn, m, scope.symbols) for m in scope.markets}
        counts = ", ".join(f"{len(days)} {m}" for m, days in first_days.items())
        log(f"listing 1m files of {counts} symbols for {window} ({window.days} days)")
        async with vision as http:
            found = await asyncio.gather(
                *(
                    list_window(http, m, days, window.start, window.end, log)
                    for m, days in first_days.items()
                )
            )
        checked_at = datetime.now(UTC)

        def parts() -> Iterator[pl.DataFrame]:
            for (market, days), files in zip(first_days.items(), found, strict=True):
                yield from availability_store.availability_parts(
                    market, days, files, window.start, window.end, vision.base_url, checked_at
                )

        availability_store.replace_window(
            conn, parts(), window.start, window.end, checked_at, scope
        )
        per_day = availability_store.per_day_counts(conn, window.start, window.end, scope)
    symbols = {market: len(days) for market, days in first_days.items()}
    return AvailabilityRun(symbols, per_day, vision.stats.as_metadata())
