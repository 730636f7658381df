"""Availability: which symbols have a daily 1m file on which day, for a whole window."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import date, datetime
from urllib.parse import quote

import polars as pl

from bfa_assets.vision import keys
from bfa_assets.vision.daily_files import DayFile, list_daily_files
from bfa_assets.vision.http import HttpClient

AVAILABILITY_SCHEMA = {
    "date": pl.Date,
    "symbol": pl.String,
    "available": pl.Boolean,
    "file_size_bytes": pl.Int64,
    "last_modified": pl.Datetime("us", "UTC"),
    "etag": pl.String,
    "url": pl.String,
    "checked_at": pl.Datetime("us", "UTC"),
}


FOUND_SCHEMA = {
    "date": pl.Date,
    "symbol": pl.String,
    "file_size_bytes": pl.Int64,
    "last_modified": pl.Datetime("us", "UTC"),
    "etag": pl.String,
}


def found_frame(files: list[DayFile]) -> pl.DataFrame:
    """The listed 1m files as columns: a whole history is 1.3 M files, far smaller as a frame
    than as Python objects."""
    return pl.DataFrame(
        {
            "date": [f.day for f in files],
            "symbol": [f.symbol for f in files],
            "file_size_bytes": [f.size for f in files],
            "last_modified": [f.last_modified for f in files],
            "etag": [f.etag for f in files],
        },
        schema=FOUND_SCHEMA,
    )


def availability_rows(
    first_days: dict[str, date],
    found: pl.DataFrame,
    start: date,
    end: date,
    base_url: str,
    checked_at: datetime,
) -> pl.DataFrame:
    """One row per (date, symbol) in [start, end] from the symbol's first 1m day on; `found`
    holds the listed files (FOUND_SCHEMA)."""
    symbols = pl.DataFrame(
        {
            "symbol": list(first_days),
            "first_day": list(first_days.values()),
            "path": [quote(s, safe="") for s in first_days],
        },
        schema={"symbol": pl.String, "first_day": pl.Date, "path": pl.String},
    )
    days = pl.DataFrame({"date": pl.date_range(start, end, "1d", eager=True)})
    return (
        days.lazy()
        .join(symbols.lazy(), how="cross")
        .filter(pl.col("date") >= pl.col("first_day"))
        .join(found.lazy(), on=["date", "symbol"], how="left")
        .with_columns(
            available=pl.col("etag").is_not_null(),
            url=pl.format(
                "{}/{}{}/1m/{}-1m-{}.zip",
                pl.lit(base_url.rstrip("/")),
                pl.lit(keys.DAILY_KLINES),
                "path",
                "path",
                pl.col("date").dt.to_string(),
            ),
            checked_at=pl.lit(checked_at, dtype=pl.Datetime("us", "UTC")),
        )
        .select(list(AVAILABILITY_SCHEMA))
        .cast(AVAILABILITY_SCHEMA)
        .sort("date", "symbol")
        .collect()
    )


SYMBOLS_PER_PART = 100


def availability_parts(
    first_days: dict[str, date],
    found: pl.DataFrame,
    start: date,
    end: date,
    base_url: str,
    checked_at: datetime,
    symbols_per_part: int = SYMBOLS_PER_PART,
) -> Iterator[pl.DataFrame]:
    """availability_rows, `symbols_per_part` symbols at a time: a whole history is 1.3 M rows
    with their URLs, and built at once it was the run's peak of memory."""
    by_symbol = found.partition_by("symbol", as_dict=True)
    symbols = list(first_days)
    for i in range(0, len(symbols), symbols_per_part):
        part = {s: first_days[s] for s in symbols[i : i + symbols_per_part]}
        files = pl.concat([found.clear(), *(by_symbol[(s,)] for s in part if (s,) in by_symbol)])
        yield availability_rows(part, files, start, end, base_url, checked_at)


class WindowFailed(Exception):
    """Some symbols could not be listed for the window; nothing of the window may be written."""


async def list_window(
    http: HttpClient,
    first_days: dict[str, date],
    start: date,
    end: date,
    on_progress: Callable[[str], None] = lambda _: None,
) -> pl.DataFrame:
    """The 1m files of every symbol for [start, end] (FOUND_SCHEMA), or WindowFailed naming
    each failure.

    A symbol is listed from its first 1m day on: rows start there, so earlier keys are not needed.
    """
    symbols = list(first_days)
    done = 0
    step = max(1, len(symbols) // 10)

    async def one(symbol: str) -> pl.DataFrame:
        nonlocal done
        first = max(start, first_days[symbol])
        files = await list_daily_files(http, symbol, "1m", first, end) if first <= end else []
        done += 1
        if done % step == 0 or done == len(symbols):
            on_progress(
                f"listed 1m files of {done}/{len(symbols)} symbols "
                f"({http.stats.requests} requests, {http.stats.retries} retries)"
            )
        return found_frame(files)

    results = await asyncio.gather(*(one(s) for s in symbols), return_exceptions=True)
    failures = {s: r for s, r in zip(symbols, results, strict=True) if isinstance(r, BaseException)}
    if failures:
        details = "; ".join(f"{s}: {e}" for s, e in list(failures.items())[:5])
        raise WindowFailed(
            f"listing 1m files for {start}..{end} failed for {len(failures)} symbol(s): {details}"
        )
    return pl.concat([found_frame([]), *results])  # type: ignore[list-item]
