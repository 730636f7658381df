"""futures_symbols: the symbol universe, from Vision's folder list plus exchangeInfo."""

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import dagster as dg

from bfa_assets.defs.assets import DUCKDB_POOL, OWNERS
from bfa_assets.defs.partitions import single_run
from bfa_assets.defs.resources import VisionResource, Warehouse
from bfa_assets.fapi import ExchangeInfo, try_exchange_info
from bfa_assets.markdown import bullet_list
from bfa_assets.store import symbols as symbol_store
from bfa_assets.vision.discovery import Discovery, discover_symbols, first_1m_days


@dataclass
class _Found:
    discovery: Discovery
    first_days: dict[str, date | None]
    exchange: ExchangeInfo | None
    exchange_problem: str | None
    stats: dict[str, int] = field(default_factory=dict)


async def _discover(vision: VisionResource, known: set[str], unresolved: list[str]) -> _Found:
    async with vision.vision_client() as http, vision.fapi_client() as fapi:
        discovery = await discover_symbols(http)
        todo = [s for s in discovery.symbols if s not in known] + unresolved
        first_days = await first_1m_days(http, todo)
        exchange, problem = await try_exchange_info(fapi)
        return _Found(
            discovery,
            first_days,
            exchange,
            problem,
            {**http.stats.as_metadata(), "fapi_requests": fapi.stats.requests},
        )


@dg.asset(
    kinds={"s3", "duckdb"},
    group_name="vision",
    owners=OWNERS,
    pool=DUCKDB_POOL,
    backfill_policy=single_run,
)  # lets one CLI run pair it with a partition range
def futures_symbols(
    context: dg.AssetExecutionContext, vision: VisionResource, warehouse: Warehouse
) -> dg.MaterializeResult:
    """Every USD-M symbol that has a folder on Binance Vision, delisted ones included.

    Lists `data/futures/um/daily/klines/` (all pages), records kind, quote asset and the day of
    the first 1m file for new symbols, and enriches with exchangeInfo when the API answers (a
    451 geo-block or an outage is noted, not fatal). Symbols are never deleted.
    """
    started = time.monotonic()
    with warehouse.get_connection() as conn:
        known = symbol_store.known(conn)
        unresolved = symbol_store.missing_first_day(conn)
    found = asyncio.run(_discover(vision, known, unresolved))
    seen_at = datetime.now(UTC)
    new = sorted(s for s in found.discovery.symbols if s not in known)
    with warehouse.get_connection() as conn:
        symbol_store.record_discovery(
            conn,
            found.discovery.symbols,
            found.first_days,
            seen_at,
            found.exchange.symbols if found.exchange else None,
        )
        total = len(symbol_store.known(conn))
    if found.discovery.rejected:
        context.log.warning(f"folders that are not valid symbols: {found.discovery.rejected}")
    if found.exchange_problem:
        context.log.warning(
            f"exchangeInfo unavailable, enrichment skipped: {found.exchange_problem}"
        )
    context.log.info(
        f"{len(found.discovery.symbols)} symbols listed, {len(new)} new, {total} known"
    )
    return dg.MaterializeResult(
        metadata={
            "symbols_listed": len(found.discovery.symbols),
            "symbols_known": total,
            "new_symbols": len(new),
            "new_symbol_names": dg.MetadataValue.md(bullet_list(new)),
            # read by the new-symbol back-fill sensor (the working database may be locked)
            "new_symbols_first_days": dg.MetadataValue.json(
                {s: str(d) if (d := found.first_days.get(s)) else None for s in new}
            ),
            "rejected_folders": dg.MetadataValue.md(
                bullet_list([f"`{k}`: {v}" for k, v in found.discovery.rejected.items()])
            ),
            "listing_pages": found.discovery.pages,
            "exchange_info": found.exchange_problem
            or f"{len(found.exchange.symbols) if found.exchange else 0} symbols",
            **found.stats,
            "duration_s": round(time.monotonic() - started, 2),
        }
    )
