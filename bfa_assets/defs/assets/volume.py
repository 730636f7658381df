"""daily_volume: the daily bar of every available (symbol, date), from Vision's 1d klines."""

import asyncio
import time

import dagster as dg

from bfa_assets.common.markdown import table
from bfa_assets.defs.assets import warehouse_asset
from bfa_assets.defs.assets.availability import daily_availability
from bfa_assets.defs.assets.windows import (
    SymbolFilter,
    report_per_day,
    report_run,
    scope_of,
    window_of,
)
from bfa_assets.defs.resources import VisionResource, Warehouse
from bfa_assets.steps.volume import VolumeRun, refresh_volume
from bfa_assets.store import volume as volume_store


def _failures(run: VolumeRun) -> str:
    rows = [
        (f.source.symbol, f"{f.source.days[0]}..{f.source.days[-1]}", f.source.key, f.reason)
        for f in run.failures
    ]
    return table(["symbol", "days", "key", "reason"], rows, max_rows=20) if rows else "(none)"


@warehouse_asset(
    daily=True,
    deps=[daily_availability],
    kinds={"s3", "duckdb", "polars"},
    group_name="vision",
)
def daily_volume(
    context: dg.AssetExecutionContext,
    config: SymbolFilter,
    vision: VisionResource,
    warehouse: Warehouse,
) -> dg.MaterializeResult:
    """OHLC, volumes, trade count and taker-buy volumes of every available (market, symbol,
    date), both markets unless the run config restricts it.

    USD-M's volumes are in the base and the quote asset; COIN-M's in contracts and in the coin
    (`contracts`, `volume_base`; its USD notional is contracts x contract size).

    A whole month comes from its monthly 1d file when Vision has one, other days from daily 1d
    files. Every zip is verified against its CHECKSUM before parsing; a mismatch or a broken zip
    is fetched again, then reported here (symbol, days, key) and never stored. Files whose ETag
    equals the stored one are not downloaded again. Days that are available but have no 1d file
    (e.g. before 2019-12-31 for the oldest symbols) get no row. Availability is never touched.

    Each day's partition carries that day's bars (per market), USD-M's USDT quote volume and
    COIN-M's USD notional; the run's own figures
    are on the newest day of the window.
    """
    started = time.monotonic()
    window = window_of(context)
    with warehouse.get_connection() as conn:
        scope = scope_of(config, conn)
        run = asyncio.run(refresh_volume(conn, vision.client(), window, scope, context.log.info))
        per_day = volume_store.per_day(conn, window.start, window.end, scope)
    for failure in run.failures:
        context.log.warning(f"not stored: {failure.source.key}: {failure.reason}")
    report_per_day(context, per_day, row_count="bars")
    report_run(
        context,
        {
            "rows_written": run.downloaded.rows,
            "rows_dropped_unavailable": run.rows_dropped,
            "files_downloaded": len(run.downloaded.sources),
            "monthly_files_downloaded": sum(s.monthly for s in run.downloaded.sources),
            "files_unchanged_skipped": len(run.plan.sources) - run.to_fetch,
            "files_failed": len(run.failures),
            "failed_files": dg.MetadataValue.md(_failures(run)),
            "available_days_without_1d_file": run.days_without_file,
            "days_without_bar_in_file": run.downloaded.days_without_bar,
            **run.stats,
            "duration_s": round(time.monotonic() - started, 2),
        },
    )
    return dg.MaterializeResult(metadata={"window": str(window)})
