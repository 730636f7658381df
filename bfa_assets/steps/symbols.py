"""futures_symbols: discover the universe on Vision and record it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import duckdb

from bfa_assets.exchange.fapi import try_exchange_info
from bfa_assets.http.client import HttpClient
from bfa_assets.store import symbols as symbol_store
from bfa_assets.vision.discovery import Discovery, discover_symbols, first_1m_days


@dataclass
class SymbolsRun:
    discovery: Discovery
    new: list[str]  # listed for the first time
    first_days: dict[str, date | None]  # looked up this run: new symbols and unresolved ones
    known: int  # symbols in the table afterwards
    exchange_symbols: int | None  # None when exchangeInfo could not be read
    exchange_problem: str | None
    stats: dict[str, float] = field(default_factory=dict)


async def refresh_symbols(
    conn: duckdb.DuckDBPyConnection, vision: HttpClient, fapi: HttpClient
) -> SymbolsRun:
    """List the symbol folders, look up the first 1m day of new (and still unresolved)
    symbols, enrich with exchangeInfo when it answers, and upsert; never deletes a symbol."""
    known = symbol_store.known(conn)
    unresolved = symbol_store.missing_first_day(conn)
    async with vision as http, fapi as api:
        discovery = await discover_symbols(http)
        new = sorted(s for s in discovery.symbols if s not in known)
        first_days = await first_1m_days(http, new + unresolved)
        exchange, problem = await try_exchange_info(api)
    symbol_store.record_discovery(
        conn,
        discovery.symbols,
        first_days,
        datetime.now(UTC),
        exchange.symbols if exchange else None,
    )
    return SymbolsRun(
        discovery,
        new,
        first_days,
        len(symbol_store.known(conn)),
        len(exchange.symbols) if exchange else None,
        problem,
        {**vision.stats.as_metadata(), "fapi_requests": fapi.stats.requests},
    )
