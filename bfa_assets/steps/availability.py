"""daily_availability: list every symbol's 1m files for a window and replace its rows."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import polars as pl

from bfa_assets.common.days import Window
from bfa_assets.http.client import HttpClient
from bfa_assets.steps.heap import fewer_collections
from bfa_assets.store import availability as availability_store
from bfa_assets.store import symbols as symbol_store
from bfa_assets.vision.availability import list_window


@dataclass
class AvailabilityRun:
    symbols: int  # symbols listed
    per_day: pl.DataFrame  # date, available, symbols: the window as written
    stats: dict[str, float]


async def refresh_availability(
    conn: duckdb.DuckDBPyConnection,
    vision: HttpClient,
    window: Window,
    only: Sequence[str] | None,
    log: Callable[[str], None],
) -> AvailabilityRun:
    """List each symbol's `1m/` folder once for the window (from its first 1m day), then write
    the window in one transaction; nothing is written unless every listing succeeded.

    `probe_log` records the days as checked, unless the run is restricted to some symbols.
    """
    with fewer_collections():
        first_days = symbol_store.first_days(conn, only)
        log(f"listing 1m files of {len(first_days)} symbols for {window} ({window.days} days)")
        async with vision as http:
            found = await list_window(http, first_days, window.start, window.end, log)
        checked_at = datetime.now(UTC)
        rows = availability_store.availability_parts(
            first_days, found, window.start, window.end, vision.base_url, checked_at
        )
        availability_store.replace_window(conn, rows, window.start, window.end, checked_at, only)
        per_day = availability_store.per_day_counts(conn, window.start, window.end, only)
    return AvailabilityRun(len(first_days), per_day, vision.stats.as_metadata())
