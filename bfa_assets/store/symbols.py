"""The `symbols` table: every folder ever discovered, per market, never deleted."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import duckdb
import polars as pl

from bfa_assets.common.markets import MARKETS
from bfa_assets.exchange.info import ExchangeSymbol
from bfa_assets.store.selection import SYMBOLS
from bfa_assets.store.transactions import transaction
from bfa_assets.vision import keys


def known(conn: duckdb.DuckDBPyConnection, markets: Sequence[str] = MARKETS) -> set[str]:
    """The names of every known symbol of `markets` (names are unique across markets)."""
    rows = conn.execute(
        "SELECT symbol FROM symbols WHERE list_contains($markets, market)",
        {"markets": list(markets)},
    )
    return {row[0] for row in rows.fetchall()}


def record_discovery(
    conn: duckdb.DuckDBPyConnection,
    market: str,
    names: Sequence[str],
    first_days: dict[str, date | None],
    seen_at: datetime,
    exchange: Sequence[ExchangeSymbol] | None,
) -> None:
    """Insert `market`'s new symbols, refresh last_seen_at of listed ones, and apply its
    exchangeInfo if any.

    Symbols missing from this listing keep their rows: a folder that disappears is still history,
    and a first 1m day found for it (it was unknown before) is recorded all the same. A COIN-M
    contract's size starts from Binance's rule (marked inferred) until exchangeInfo states it.
    """
    coin = market == "cm"
    new = pl.DataFrame(
        {
            "symbol": list(names),
            "kind": [keys.kind(s) for s in names],
            "quote_asset": [keys.quote_asset(s, market) for s in names],
            "delivery_date": [keys.delivery_date(s) for s in names],
            "first_1m_date": [first_days.get(s) for s in names],
            "contract_size_usd": [keys.coin_m_contract_size(s) if coin else None for s in names],
        },
        schema={
            "symbol": pl.String,
            "kind": pl.String,
            "quote_asset": pl.String,
            "delivery_date": pl.Date,
            "first_1m_date": pl.Date,
            "contract_size_usd": pl.Float64,
        },
    )
    with transaction(conn):
        conn.register("discovered", new)
        conn.execute(
            """
            INSERT INTO symbols (market, symbol, kind, quote_asset, delivery_date, first_1m_date,
                                 first_seen_at, last_seen_at, contract_size_usd,
                                 contract_size_inferred)
            SELECT $market, symbol, kind, quote_asset, delivery_date, first_1m_date, $seen, $seen,
                   contract_size_usd, CASE WHEN contract_size_usd IS NOT NULL THEN true END
            FROM discovered
            ON CONFLICT (market, symbol) DO UPDATE SET
                last_seen_at = excluded.last_seen_at,
                first_1m_date = coalesce(symbols.first_1m_date, excluded.first_1m_date)
        """,
            {"seen": seen_at, "market": market},
        )
        conn.unregister("discovered")
        _fill_first_days(conn, market, first_days)
        if exchange is not None:
            _apply_exchange_info(conn, market, exchange, seen_at)


def _apply_exchange_info(
    conn: duckdb.DuckDBPyConnection,
    market: str,
    exchange: Sequence[ExchangeSymbol],
    checked_at: datetime,
) -> None:
    info = pl.DataFrame(
        {
            "symbol": [e.symbol for e in exchange],
            "status": [e.status for e in exchange],
            "contract_type": [e.contract_type for e in exchange],
            "quote_asset": [e.quote_asset for e in exchange],
            "onboard_date": [e.onboard_date for e in exchange],
            "contract_size": [e.contract_size for e in exchange],
        },
        schema={
            "symbol": pl.String,
            "status": pl.String,
            "contract_type": pl.String,
            "quote_asset": pl.String,
            "onboard_date": pl.Datetime("us", "UTC"),
            "contract_size": pl.Float64,
        },
    )
    conn.register("exchange_info", info)
    conn.execute(
        """
        UPDATE symbols SET
            exchange_status = e.status,
            contract_type = e.contract_type,
            quote_asset = coalesce(e.quote_asset, symbols.quote_asset),
            onboard_date = e.onboard_date,
            exchange_checked_at = $checked,
            contract_size_usd = coalesce(e.contract_size, symbols.contract_size_usd),
            contract_size_inferred = CASE WHEN e.contract_size IS NOT NULL THEN false
                                          ELSE symbols.contract_size_inferred END
        FROM exchange_info e WHERE symbols.market = $market AND symbols.symbol = e.symbol
    """,
        {"checked": checked_at, "market": market},
    )
    conn.unregister("exchange_info")


def missing_first_day(conn: duckdb.DuckDBPyConnection, market: str) -> list[str]:
    """Known symbols of `market` whose first 1m day is still unknown (e.g. listed before any
    file appeared)."""
    rows = conn.execute(
        "SELECT symbol FROM symbols WHERE market = $market AND first_1m_date IS NULL "
        "ORDER BY symbol",
        {"market": market},
    )
    return [r[0] for r in rows.fetchall()]


def _fill_first_days(
    conn: duckdb.DuckDBPyConnection, market: str, first_days: dict[str, date | None]
) -> None:
    """Set the first 1m day of known symbols that had none."""
    found = [(day, market, symbol) for symbol, day in first_days.items() if day is not None]
    if found:
        conn.executemany(
            "UPDATE symbols SET first_1m_date = ? WHERE market = ? AND symbol = ? "
            "AND first_1m_date IS NULL",
            found,
        )


def first_days(
    conn: duckdb.DuckDBPyConnection, market: str, only: Sequence[str] | None = None
) -> dict[str, date]:
    """First 1m day of every known symbol of `market` that has one (optionally only of
    `only`)."""
    rows = conn.execute(
        "SELECT symbol, first_1m_date FROM symbols WHERE market = $market "  # noqa: S608
        f"AND first_1m_date IS NOT NULL AND {SYMBOLS} ORDER BY symbol",
        {"market": market, "symbols": list(only) if only else None},
    ).fetchall()
    return dict(rows)
