"""daily_availability: which symbols of each market have a daily 1m file on Vision, per day."""

import time

import dagster as dg

from bfa_assets.defs.assets import warehouse_asset
from bfa_assets.defs.assets.symbols import futures_symbols
from bfa_assets.defs.assets.windows import (
    SymbolFilter,
    listed_over_window,
    report_per_day,
    report_run,
    window_of,
)
from bfa_assets.defs.resources import VisionResource, Warehouse
from bfa_assets.steps.availability import refresh_availability


@warehouse_asset(
    daily=True,
    deps=[futures_symbols],
    kinds={"s3", "duckdb"},
    group_name="vision",
)
def daily_availability(
    context: dg.AssetExecutionContext,
    config: SymbolFilter,
    vision: VisionResource,
    warehouse: Warehouse,
) -> dg.MaterializeResult:
    """One row per (date, market, symbol) from the symbol's first 1m file on: is the 1m zip on
    Vision? Both markets (USD-M `um`, COIN-M `cm`) unless the run config restricts it.

    Each symbol's `1m/` folder is listed once for the whole window, from its first 1m day (from
    a marker, in chunks of 500 days), so a 20-day lookback costs one request per symbol. Size,
    Last-Modified and ETag come from the listing. The window is written in one transaction once
    every listing has succeeded; `probe_log` records the days checked, per market.

    Each day's partition carries that day's figures (available symbols, in all and per market,
    symbols with a row); the run's own figures (requests, retries, duration) are on the newest
    day of the window.
    """
    started = time.monotonic()
    run, scope = listed_over_window(context, config, vision, warehouse, refresh_availability)
    report_per_day(context, run.per_day, row_count="symbols_checked")
    report_run(
        context,
        {
            "rows": int(run.per_day["symbols_checked"].sum()),
            "available_rows": int(run.per_day["available_symbols"].sum()),
            "symbols": sum(run.symbols.values()),
            **{f"{market}_symbols": count for market, count in run.symbols.items()},
            "markets": str(scope),
            **run.stats,
            "duration_s": round(time.monotonic() - started, 2),
        },
    )
    return dg.MaterializeResult(metadata={"window": str(window_of(context))})
