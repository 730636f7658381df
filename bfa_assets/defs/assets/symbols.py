"""futures_symbols: both markets' symbol universe, from Vision's folder lists plus exchangeInfo."""

import asyncio
import time

import dagster as dg

from bfa_assets.common import markets
from bfa_assets.common.markdown import bullets
from bfa_assets.defs.assets import warehouse_asset
from bfa_assets.defs.resources import DapiResource, FapiResource, VisionResource, Warehouse
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
    dapi: DapiResource,
    warehouse: Warehouse,
) -> dg.MaterializeResult:
    """Every USD-M and COIN-M symbol that has a folder on Binance Vision, delisted ones included.

    Lists `data/futures/um/daily/klines/` and `data/futures/cm/daily/klines/` (all pages),
    records kind, quote asset and the day of the first 1m file for new symbols, and enriches
    each market from its own exchangeInfo (USD-M's fapi, COIN-M's dapi, which also states the
    contract size) when the API answers: a 451 geo-block or an outage is noted, not fatal.
    Symbols are never deleted.
    """
    started = time.monotonic()
    with warehouse.get_connection() as conn:
        run = asyncio.run(
            refresh_symbols(conn, vision.client(), {"um": fapi.client(), "cm": dapi.client()})
        )
    figures: dict[str, object] = {}
    for market, found in run.markets.items():
        listed = found.discovery
        if listed.rejected:
            context.log.warning(f"{market} folders that are not valid symbols: {listed.rejected}")
        if found.exchange_problem:
            context.log.warning(
                f"{markets.name(market)} exchangeInfo unavailable, enrichment skipped: "
                f"{found.exchange_problem}"
            )
        context.log.info(
            f"{markets.name(market)}: {len(listed.symbols)} symbols listed, "
            f"{len(found.new)} new, {run.known[market]} known"
        )
        figures |= {
            f"{market}_symbols_listed": len(listed.symbols),
            f"{market}_symbols_known": run.known[market],
            f"{market}_new_symbols": len(found.new),
            f"{market}_exchange_info": found.exchange_problem
            or f"{found.exchange_symbols} symbols",
        }
    rejected = {
        f"{market}/{name}": why
        for market, found in run.markets.items()
        for name, why in found.discovery.rejected.items()
    }
    known = sum(run.known.values())
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": known,
            "symbols_listed": sum(len(f.discovery.symbols) for f in run.markets.values()),
            "symbols_known": known,
            "new_symbols": len(run.new),
            "new_symbol_names": dg.MetadataValue.md(bullets(run.new)),
            # read by the new-symbol back-fill sensor (the working database may be locked)
            "new_symbols_first_days": dg.MetadataValue.json(
                {s: str(d) if (d := run.first_days.get(s)) else None for s in run.new}
            ),
            "rejected_folders": dg.MetadataValue.md(
                bullets([f"`{k}`: {v}" for k, v in rejected.items()])
            ),
            "listing_pages": sum(f.discovery.pages for f in run.markets.values()),
            **figures,
            **run.stats,
            "duration_s": round(time.monotonic() - started, 2),
        }
    )
