"""The `symbols` table: every folder ever discovered, never deleted."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import duckdb
import polars as pl

from bfa_assets.exchange.fapi import ExchangeSymbol
from bfa_assets.store.selection import SYMBOLS, symbol_params
from bfa_assets.store.transactions import transaction
from bfa_assets.vision import keys


def known(conn: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT symbol FROM symbols").fetchall()}


def record_discovery(
    conn: duckdb.DuckDBPyConnection,
    names: Sequence[str],
    first_days: dict[str, date | None],
    seen_at: datetime,
    exchange: Sequence[ExchangeSymbol] | None,
) -> None:
    """Insert new symbols, refresh last_seen_at of listed ones, and apply exchangeInfo if any.

    Symbols missing from this listing keep their rows: a folder that disappears is still history,
    and a first 1m day found for it (it was unknown before) is recorded all the same.
    """
    new = pl.DataFrame(
        {
            "symbol": list(names),
            "kind": [keys.kind(s) for s in names],
            "quote_asset": [keys.quote_asset(s) for s in names],
            "delivery_date": [keys.delivery_date(s) for s in names],
            "first_1m_date": [first_days.get(s) for s in names],
        },
        schema={
            "symbol": pl.String,
            "kind": pl.String,
            "quote_asset": pl.String,
            "delivery_date": pl.Date,
            "first_1m_date": pl.Date,
        },
    )
    with transaction(conn):
        conn.register("discovered", new)
        conn.execute(
            """
            INSERT INTO symbols (symbol, kind, quote_asset, delivery_date, first_1m_date,
                                 first_seen_at, last_seen_at)
            SELECT symbol, kind, quote_asset, delivery_date, first_1m_date, $seen, $seen
            FROM discovered
            ON CONFLICT (symbol) DO UPDATE SET
                last_seen_at = excluded.last_seen_at,
                first_1m_date = coalesce(symbols.first_1m_date, excluded.first_1m_date)
        """,
            {"seen": seen_at},
        )
        conn.unregister("discovered")
        _fill_first_days(conn, first_days)
        if exchange is not None:
            _apply_exchange_info(conn, exchange, seen_at)


def _apply_exchange_info(
    conn: duckdb.DuckDBPyConnection, exchange: Sequence[ExchangeSymbol], checked_at: datetime
) -> None:
    info = pl.DataFrame(
        {
            "symbol": [e.symbol for e in exchange],
            "status": [e.status for e in exchange],
            "contract_type": [e.contract_type for e in exchange],
            "quote_asset": [e.quote_asset for e in exchange],
            "onboard_date": [e.onboard_date for e in exchange],
        },
        schema={
            "symbol": pl.String,
            "status": pl.String,
            "contract_type": pl.String,
            "quote_asset": pl.String,
            "onboard_date": pl.Datetime("us", "UTC"),
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
            exchange_checked_at = $checked
        FROM exchange_info e WHERE symbols.symbol = e.symbol
    """,
        {"checked": checked_at},
    )
    conn.unregister("exchange_info")


def missing_first_day(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """Known symbols whose first 1m day is still unknown (e.g. listed before any file appeared)."""
    rows = conn.execute("SELECT symbol FROM symbols WHERE first_1m_date IS NULL ORDER BY symbol")
    return [r[0] for r in rows.fetchall()]


def _fill_first_days(conn: duckdb.DuckDBPyConnection, first_days: dict[str, date | None]) -> None:
    """Set the first 1m day of known symbols that had none."""
    found = [(day, symbol) for symbol, day in first_days.items() if day is not None]
    if found:
        conn.executemany(
            "UPDATE symbols SET first_1m_date = ? WHERE symbol = ? AND first_1m_date IS NULL", found
        )


def first_days(
    conn: duckdb.DuckDBPyConnection, only: Sequence[str] | None = None
) -> dict[str, date]:
    """First 1m day of every known symbol that has one (optionally only of `only`)."""
    rows = conn.execute(
        f"SELECT symbol, first_1m_date FROM symbols WHERE first_1m_date IS NOT NULL "  # noqa: S608
        f"AND {SYMBOLS} ORDER BY symbol",
        symbol_params(only),
    ).fetchall()
    return dict(rows)
