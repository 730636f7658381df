"""daily_volume: the daily bar of every available (symbol, date), from Vision's 1d klines."""

import asyncio
import time
from datetime import UTC, datetime

import dagster as dg
import polars as pl

from bfa_assets.assets import DUCKDB_POOL, OWNERS
from bfa_assets.assets.availability import daily_availability
from bfa_assets.assets.windows import SymbolFilter, Window, check_symbols, window_of
from bfa_assets.metadata import markdown_table
from bfa_assets.partitions import daily_partitions, single_run
from bfa_assets.resources import VisionResource, Warehouse
from bfa_assets.store import symbols as symbol_store
from bfa_assets.store import volume as volume_store
from bfa_assets.vision.http import combined_metadata
from bfa_assets.vision.volume import (
    Downloaded,
    Failed,
    Plan,
    Source,
    day_issues,
    fetch_and_parse,
    plan_sources,
    unchanged,
    unchanged_without_bar,
)


async def _plan(vision: VisionResource, needs: dict) -> tuple[Plan, dict]:
    async with vision.vision_client() as http:
        return await plan_sources(http, needs, datetime.now(UTC).date()), http.stats.as_metadata()


async def _fetch(
    vision: VisionResource,
    todo: list[Source],
    log: dg.DagsterLogManager,
    writer: volume_store.WindowWriter,
) -> tuple[Downloaded, dict]:
    async with vision.vision_client() as http:
        downloaded = await fetch_and_parse(http, todo, log.info, writer.add_rows)
        return downloaded, http.stats.as_metadata()


def _failure_table(failures: list[Failed]) -> str:
    frame = pl.DataFrame(
        [(f.source.symbol, f"{f.source.days[0]}..{f.source.days[-1]}", f.source.key, f.reason)
         for f in failures],
        schema=["symbol", "days", "key", "reason"], orient="row",
    )  # fmt: skip
    return markdown_table(frame, max_rows=20)


@dg.asset(
    deps=[daily_availability],
    partitions_def=daily_partitions,
    backfill_policy=single_run,
    kinds={"s3", "duckdb", "polars"},
    group_name="vision",
    owners=OWNERS,
    pool=DUCKDB_POOL,
)
def daily_volume(
    context: dg.AssetExecutionContext,
    config: SymbolFilter,
    vision: VisionResource,
    warehouse: Warehouse,
) -> dg.MaterializeResult:
    """OHLC, volumes, trade count and taker-buy volumes of every available (symbol, date).

    A whole month comes from its monthly 1d file when Vision has one, other days from daily 1d
    files. Every zip is verified against its CHECKSUM before parsing; a mismatch or a broken zip
    is fetched again, then reported here (symbol, days, key) and never stored. Files whose ETag
    equals the stored one are not downloaded again. Days that are available but have no 1d file
    (e.g. before 2019-12-31 for the oldest symbols) get no row. Availability is never touched.
    """
    started = time.monotonic()
    window: Window = window_of(context)
    with warehouse.get_connection() as conn:
        only = check_symbols(config.symbols, symbol_store.known(conn))
        needs = volume_store.available_days(conn, window.start, window.end, only)
    plan, listing_stats = asyncio.run(_plan(vision, needs))
    with warehouse.get_connection() as conn:
        stored = volume_store.stored_sources(conn, window.start, window.end, only)
        known = volume_store.known_files(conn, [s.key for s in plan.sources])
    todo = [s for s in plan.sources if not unchanged(s, known, stored)]
    context.log.info(f"{len(plan.sources)} 1d files cover {window}; {len(todo)} are new or changed")
    with (
        warehouse.get_connection() as conn,
        volume_store.window_writer(conn, window.start, window.end, only) as writer,
    ):
        downloaded, fetch_stats = asyncio.run(_fetch(vision, todo, context.log, writer))
        failures = downloaded.failures
        fetched = {source.key for source in todo}
        skipped = [source for source in plan.sources if source.key not in fetched]
        without_bar = unchanged_without_bar(skipped, known) | downloaded.without_bar()
        dropped = writer.finish(downloaded.files, day_issues(plan, failures, without_bar))
    for failure in failures:
        context.log.warning(f"not stored: {failure.source.key}: {failure.reason}")
    no_file = sum(len(days) for days in plan.days_without_file.values())
    return dg.MaterializeResult(metadata={
        "window": str(window),
        "rows_written": downloaded.rows,
        "rows_dropped_unavailable": dropped,
        "files_downloaded": len(downloaded.sources),
        "monthly_files_downloaded": sum(s.monthly for s in downloaded.sources),
        "files_unchanged_skipped": len(plan.sources) - len(todo),
        "files_failed": len(failures),
        "failed_files": dg.MetadataValue.md(_failure_table(failures) if failures else "(none)"),
        "available_days_without_1d_file": no_file,
        "days_without_bar_in_file": downloaded.days_without_bar,
        **combined_metadata(listing_stats, fetch_stats),
        "duration_s": round(time.monotonic() - started, 2),
    })  # fmt: skip
