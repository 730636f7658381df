"""futures_symbols: discover each market's universe on Vision and record it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import duckdb

from bfa_assets.common.markets import MARKETS
from bfa_assets.exchange.info import ExchangeInfo, try_exchange_info
from bfa_assets.http.client import HttpClient
from bfa_assets.store import symbols as symbol_store
from bfa_assets.vision.discovery import Discovery, discover_symbols, first_1m_days


@dataclass
class MarketDiscovery:
    """What one market's discovery found."""

    discovery: Discovery
    new: list[str]  # listed for the first time
    first_days: dict[str, date | None]  # looked up this run: new symbols and unresolved ones
    exchange_symbols: int | None  # None when exchangeInfo could not be read
    exchange_problem: str | None


@dataclass
class SymbolsRun:
    markets: dict[str, MarketDiscovery]
    known: dict[str, int]  # symbols of each market in the table afterwards
    stats: dict[str, float] = field(default_factory=dict)

    @property
    def new(self) -> list[str]:
        return [s for found in self.markets.values() for s in found.new]

    @property
    def first_days(self) -> dict[str, date | None]:
        return {s: d for found in self.markets.values() for s, d in found.first_days.items()}


async def refresh_symbols(
    conn: duckdb.DuckDBPyConnection,
    vision: HttpClient,
    apis: dict[str, HttpClient],
) -> SymbolsRun:
    """For each market (concurrently): list the symbol folders, look up the first 1m day of new
    (and still unresolved) symbols, enrich with the market's exchangeInfo when it answers, and
    upsert; never deletes a symbol."""
    async with vision as http:
        found = await asyncio.gather(*(_discover(conn, http, apis[m], m) for m in MARKETS))
    seen_at = datetime.now(UTC)
    for market, (result, exchange) in zip(MARKETS, found, strict=True):
        symbol_store.record_discovery(
            conn,
            market,
            result.discovery.symbols,
            result.first_days,
            seen_at,
            exchange.symbols if exchange else None,
        )
    return SymbolsRun(
        {m: result for m, (result, _) in zip(MARKETS, found, strict=True)},
        {m: len(symbol_store.known(conn, [m])) for m in MARKETS},
        {
            **vision.stats.as_metadata(),
            **{f"{api.name}_requests": api.stats.requests for api in apis.values()},
        },
    )


async def _discover(
    conn: duckdb.DuckDBPyConnection, http: HttpClient, api: HttpClient, market: str
) -> tuple[MarketDiscovery, ExchangeInfo | None]:
    known = symbol_store.known(conn, [market])
    unresolved = symbol_store.missing_first_day(conn, market)
    discovery = await discover_symbols(http, market)
    new = sorted(s for s in discovery.symbols if s not in known)
    first_days = await first_1m_days(http, market, new + unresolved)
    async with api:
        exchange, problem = await try_exchange_info(api, market)
    count = len(exchange.symbols) if exchange else None
    return MarketDiscovery(discovery, new, first_days, count, problem), exchange
