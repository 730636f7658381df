"""Questions users ask of a released database; the `bfa query` commands.

Snapshot, timeline and range read the release's `available_by_date` / `daily_by_symbol` tables
(see release.build), which are stored sorted; DuckDB keeps a scan's stored order when a query
has no ORDER BY (`preserve_insertion_order`, on by default), so those queries need no sort.
Given the release's snapshot file, the snapshot reads it instead (see store.snapshot_file).
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from bfa_assets.store.snapshot_file import SnapshotFile


class UnknownSymbol(LookupError):
    """The symbol is not in the database."""


def _frame(conn: duckdb.DuckDBPyConnection, sql: str, **params: object) -> pl.DataFrame:
    return conn.sql(sql, params=params).pl()


def snapshot(
    conn: duckdb.DuckDBPyConnection, day: date, snapshots: SnapshotFile | None = None
) -> pl.DataFrame:
    """Symbols with a 1m file on `day`, with their volume and rank when known.

    From the release's snapshot file when given (one memory-mapped record batch, ~0.2 ms),
    else from `available_by_date` (~1–3 ms, mostly DuckDB's fixed cost per query).
    """
    if snapshots is not None:
        return snapshots.snapshot(day)
    return _frame(conn, """
        SELECT symbol, file_size_bytes, quote_volume, rank
        FROM available_by_date WHERE date = $day
    """, day=day)  # fmt: skip


def timeline(conn: duckdb.DuckDBPyConnection, symbol: str) -> pl.DataFrame:
    """Every day of one symbol, from its first file on."""
    frame = _frame(conn, """
        SELECT date, available, file_size_bytes, quote_volume, rank
        FROM daily_by_symbol WHERE symbol = $symbol
    """, symbol=symbol)  # fmt: skip
    if frame.is_empty() and not _known(conn, symbol):
        raise UnknownSymbol(symbol)
    return frame


def date_range(conn: duckdb.DuckDBPyConnection, start: date, end: date) -> pl.DataFrame:
    """Symbols available at least once in [start, end], with their first and last day there."""
    return _frame(conn, """
        SELECT symbol, min(date) AS first_available, max(date) AS last_available,
               count(*) AS days_available
        FROM available_by_date
        WHERE date BETWEEN $start AND $end
        GROUP BY symbol ORDER BY symbol
    """, start=start, end=end)  # fmt: skip


def new_listings(conn: duckdb.DuckDBPyConnection, day: date) -> pl.DataFrame:
    """Symbols whose first 1m file is of `day`."""
    return _frame(conn, """
        SELECT symbol, kind, quote_asset FROM symbols WHERE first_1m_date = $day ORDER BY symbol
    """, day=day)  # fmt: skip


def delistings(conn: duckdb.DuckDBPyConnection, day: date) -> pl.DataFrame:
    """Symbols whose last 1m file is of `day`, while later days were checked."""
    return _frame(conn, """
        SELECT symbol, last_available FROM (
            SELECT symbol, max(date) AS last_available FROM daily_availability
            WHERE available GROUP BY symbol)
        WHERE last_available = $day AND $day < (SELECT max(date) FROM daily_availability)
        ORDER BY symbol
    """, day=day)  # fmt: skip


def top(conn: duckdb.DuckDBPyConnection, day: date, n: int) -> pl.DataFrame:
    """The `n` highest-volume USDT perpetuals of `day` (ties share a rank)."""
    return _frame(conn, """
        SELECT rank, symbol, quote_volume_usdt, round(market_share_pct, 4) AS market_share_pct,
               rank_change_1d, rank_change_7d
        FROM volume_rankings WHERE date = $day AND rank <= $n
        ORDER BY rank, symbol
    """, day=day, n=n)  # fmt: skip


def summary(conn: duckdb.DuckDBPyConnection) -> dict:
    """Dates covered, symbols, rows, and the newest day's count."""
    row = conn.execute("""
        SELECT min(date), max(date), count(*), count(*) FILTER (available),
               (SELECT count(*) FROM symbols),
               (SELECT count(*) FROM symbols WHERE kind = 'delivery'),
               (SELECT count(DISTINCT date) FROM volume_rankings),
               count(*) FILTER (available AND date = (SELECT max(date) FROM daily_availability))
        FROM daily_availability
    """).fetchall()[0]  # fmt: skip
    names = ["first_date", "latest_date", "availability_rows", "available_rows", "symbols",
             "delivery_symbols", "ranked_days", "available_on_latest_date"]  # fmt: skip
    return dict(zip(names, row, strict=True))


def _known(conn: duckdb.DuckDBPyConnection, symbol: str) -> bool:
    return bool(conn.execute("SELECT 1 FROM symbols WHERE symbol = ?", [symbol]).fetchall())
