"""futures_symbols: the symbol universe, from Vision's folder list plus exchangeInfo."""

import asyncio
import time

import dagster as dg

from bfa_assets.common.markdown import bullets
from bfa_assets.defs.assets import warehouse_asset
from bfa_assets.defs.resources import FapiResource, VisionResource, Warehouse
from bfa_assets.steps.symbols import refresh_symbols


@warehouse_asset(
    daily=False,
    kinds={"s3", "duckdb"},
    group_name="vision",
)
def futures_symbols(
    context: dg.AssetExecutionContext,
    vision: VisionResource,
    fapi: FapiResource,
    warehouse: Warehouse,
) -> dg.MaterializeResult:
    """Every USD-M symbol that has a folder on Binance Vision, delisted ones included.

    Lists `data/futures/um/daily/klines/` (all pages), records kind, quote asset and the day of
    the first 1m file for new symbols, and enriches with exchangeInfo when the API answers (a
    451 geo-block or an outage is noted, not fatal). Symbols are never deleted.
    """
    started = time.monotonic()
    with warehouse.get_connection() as conn:
        run = asyncio.run(refresh_symbols(conn, vision.client(), fapi.client()))
    found = run.discovery
    if found.rejected:
        context.log.warning(f"folders that are not valid symbols: {found.rejected}")
    if run.exchange_problem:
        context.log.warning(f"exchangeInfo unavailable, enrichment skipped: {run.exchange_problem}")
    context.log.info(f"{len(found.symbols)} symbols listed, {len(run.new)} new, {run.known} known")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": run.known,
            "symbols_listed": len(found.symbols),
            "symbols_known": run.known,
            "new_symbols": len(run.new),
            "new_symbol_names": dg.MetadataValue.md(bullets(run.new)),
            # read by the new-symbol back-fill sensor (the working database may be locked)
            "new_symbols_first_days": dg.MetadataValue.json(
                {s: str(d) if (d := run.first_days.get(s)) else None for s in run.new}
            ),
            "rejected_folders": dg.MetadataValue.md(
                bullets([f"`{k}`: {v}" for k, v in found.rejected.items()])
            ),
            "listing_pages": found.pages,
            "exchange_info": run.exchange_problem or f"{run.exchange_symbols} symbols",
            **run.stats,
            "duration_s": round(time.monotonic() - started, 2),
        }
    )
