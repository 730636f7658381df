"""daily_availability: which symbols have a daily 1m file on Vision, per day."""

import asyncio
import time
from datetime import UTC, datetime

import dagster as dg
import polars as pl

from bfa_assets.defs.assets import DUCKDB_POOL, OWNERS
from bfa_assets.defs.assets.symbols import futures_symbols
from bfa_assets.defs.assets.windows import SymbolFilter, Window, check_symbols, window_of
from bfa_assets.defs.partitions import daily_partitions, single_run
from bfa_assets.defs.resources import VisionResource, Warehouse
from bfa_assets.markdown import markdown_table
from bfa_assets.store import availability as availability_store
from bfa_assets.store import symbols as symbol_store
from bfa_assets.vision.availability import availability_parts, list_window


async def _list(
    vision: VisionResource, first_days: dict, window: Window, log: dg.DagsterLogManager
) -> tuple[pl.DataFrame, dict[str, int]]:
    async with vision.vision_client() as http:
        found = await list_window(http, first_days, window.start, window.end, log.info)
        return found, http.stats.as_metadata()


@dg.asset(
    deps=[futures_symbols],
    partitions_def=daily_partitions,
    backfill_policy=single_run,
    kinds={"s3", "duckdb"},
    group_name="vision",
    owners=OWNERS,
    pool=DUCKDB_POOL,
)
def daily_availability(
    context: dg.AssetExecutionContext,
    config: SymbolFilter,
    vision: VisionResource,
    warehouse: Warehouse,
) -> dg.MaterializeResult:
    """One row per (date, symbol) from the symbol's first 1m file on: is the 1m zip on Vision?

    Each symbol's `1m/` folder is listed once for the whole window, from its first 1m day (from
    a marker, in chunks of 500 days), so a 20-day lookback costs one request per symbol. Size,
    Last-Modified and ETag come from the listing. The window is written in one transaction once
    every listing has succeeded; `probe_log` records the days checked.
    """
    started = time.monotonic()
    window = window_of(context)
    with warehouse.get_connection() as conn:
        only = check_symbols(config.symbols, symbol_store.known(conn))
        first_days = symbol_store.first_days(conn, only)
    context.log.info(
        f"listing 1m files of {len(first_days)} symbols for {window} ({window.days} days)"
    )
    found, stats = asyncio.run(_list(vision, first_days, window, context.log))
    checked_at = datetime.now(UTC)
    rows = availability_parts(
        first_days, found, window.start, window.end, vision.vision_url, checked_at
    )
    with warehouse.get_connection() as conn:
        availability_store.replace_window(conn, rows, window.start, window.end, checked_at, only)
        per_day = availability_store.per_day_counts(conn, window.start, window.end, only)
    return dg.MaterializeResult(
        metadata={
            "window": str(window),
            "rows": int(per_day["symbols"].sum()),
            "available_rows": int(per_day["available"].sum()),
            "symbols": len(first_days),
            "available_per_day": dg.MetadataValue.md(markdown_table(per_day, max_rows=31)),
            **stats,
            "duration_s": round(time.monotonic() - started, 2),
        }
    )
