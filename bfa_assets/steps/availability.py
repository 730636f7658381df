"""daily_availability: list every symbol's 1m files for a window and replace its rows."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial

import duckdb
import polars as pl

from bfa_assets.common.days import Window
from bfa_assets.http.client import HttpClient
from bfa_assets.steps.heap import fewer_collections
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
            stager = _Stager(writer, first_days, window, vision.base_url, checked_at)
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


@dataclass
class _Stager:
    """Listed symbols' rows, built and staged SYMBOLS_PER_PART symbols at a time in one thread
    beside the event loop (Polars and DuckDB release the GIL): the listings go on meanwhile,
    and memory holds a part or two, not a whole history's listed files."""

    writer: WindowWriter
    first_days: dict[str, dict[str, date]]  # market -> symbol -> its first 1m day
    window: Window
    base_url: str
    checked_at: datetime
    _pending: dict[str, dict[str, pl.DataFrame]] = field(default_factory=dict)
    _staged: list[asyncio.Future[None]] = field(default_factory=list)
    _thread: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="bfa-stage")
    )

    async def run(self, listings: Iterable[Awaitable[None]]) -> None:
        """Await the `listings` (which call `listed`), then stage what is left; no thread is
        left staging when this returns or raises."""
        try:
            await asyncio.gather(*listings)
            for market in list(self._pending):
                self._hand_over(market)
        finally:
            await asyncio.gather(*self._staged, return_exceptions=True)
            self._thread.shutdown()
        for staging in self._staged:
            staging.result()  # a part that failed to stage fails the window

    def listed(self, market: str, symbol: str, files: pl.DataFrame) -> None:
        pending = self._pending.setdefault(market, {})
        pending[symbol] = files
        if len(pending) >= SYMBOLS_PER_PART:
            self._hand_over(market)

    def _hand_over(self, market: str) -> None:
        found = self._pending.pop(market, {})
        loop = asyncio.get_running_loop()
        self._staged.append(loop.run_in_executor(self._thread, self._stage, market, found))

    def _stage(self, market: str, found: dict[str, pl.DataFrame]) -> None:  # in the thread
        days = {symbol: self.first_days[market][symbol] for symbol in found}
        for part in availability_parts(
            market, days, found, self.window.start, self.window.end, self.base_url, self.checked_at
        ):
            self.writer.add(part)
