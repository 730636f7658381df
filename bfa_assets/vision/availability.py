"""Availability: which daily 1m files Vision lists for a window, per symbol."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import polars as pl

from bfa_assets.common import markets
from bfa_assets.http.client import HttpClient
from bfa_assets.vision.daily_files import DayFile, list_daily_files
from bfa_assets.vision.windows import list_each

FOUND_SCHEMA = {
    "date": pl.Date,
    "symbol": pl.String,
    "file_size_bytes": pl.Int64,
    "last_modified": pl.Datetime("us", "UTC"),
    "etag": pl.String,
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def found_frame(files: list[DayFile]) -> pl.DataFrame:
    """The listed 1m files as columns: a whole history is 1.3 M files, far smaller as a frame
    than as Python objects."""
    return pl.DataFrame(
        {
            "date": [f.day for f in files],
            "symbol": [f.symbol for f in files],
            "file_size_bytes": [f.size for f in files],
            # As integers: Polars converts time-zone-aware datetimes several times slower.
            "last_modified": pl.Series(
                [(f.last_modified - _EPOCH) // _MICROSECOND for f in files], dtype=pl.Int64
            ).cast(FOUND_SCHEMA["last_modified"]),
            "etag": [f.etag for f in files],
        },
        schema=FOUND_SCHEMA,
    )


async def list_window(
    http: HttpClient,
    market: str,
    first_days: dict[str, date],
    start: date,
    end: date,
    on_listed: Callable[[str, pl.DataFrame], None],
    on_progress: Callable[[str], None] = lambda _: None,
) -> None:
    """List each symbol's (of `market`) 1m files for [start, end] and hand them to `on_listed`
    (symbol, FOUND_SCHEMA frame) as each listing completes; raise WindowFailed (windows.py)
    naming each failure once every listing has ended.

    A symbol is listed from its first 1m day on: rows start there, so earlier keys are not needed.
    Nothing is kept here: a whole history's listed files, held until the window is written, would
    be the run's peak of memory and grow with the history (docs/benchmarks.md, memory).
    """
    symbols = list(first_days)
    done = 0
    step = max(1, len(symbols) // 10)

    async def one(symbol: str) -> None:
        nonlocal done
        first = max(start, first_days[symbol])
        listed = first <= end
        files = await list_daily_files(http, market, symbol, "1m", first, end) if listed else []
        on_listed(symbol, found_frame(files))
        done += 1
        if done % step == 0 or done == len(symbols):
            on_progress(
                f"listed 1m files of {done}/{len(symbols)} {markets.name(market)} symbols "
                f"({http.stats.requests} requests, {http.stats.retries} retries)"
            )

    what = f"{markets.name(market)} 1m files for {start}..{end}"
    await list_each(symbols, one, what, "symbol")
