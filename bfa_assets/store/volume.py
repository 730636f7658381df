"""Reads and writes of `daily_volume`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import duckdb
import polars as pl

from bfa_assets.store.transactions import transaction

# The window (and optional symbol subset) every statement here works on. It is a constant and
# all values are bound parameters, hence the S608 exemptions below.
_FILTER = "date BETWEEN $start AND $end AND ($symbols IS NULL OR list_contains($symbols, symbol))"


def _params(start: date, end: date, symbols: Sequence[str] | None) -> dict:
    return {"start": start, "end": end, "symbols": list(symbols) if symbols else None}


def available_days(
    conn: duckdb.DuckDBPyConnection, start: date, end: date, symbols: Sequence[str] | None = None
) -> dict[str, list[date]]:
    """The available days of each symbol in the window: the days that need a volume row."""
    rows = conn.execute(
        f"SELECT symbol, list(date ORDER BY date) FROM daily_availability "  # noqa: S608
        f"WHERE available AND {_FILTER} GROUP BY symbol ORDER BY symbol",
        _params(start, end, symbols),
    ).fetchall()
    return dict(rows)


def stored_sources(
    conn: duckdb.DuckDBPyConnection, start: date, end: date, symbols: Sequence[str] | None = None
) -> dict[tuple[str, date], tuple[str, str]]:
    """(symbol, date) -> (source_key, source_etag) of the rows already in the window."""
    rows = conn.execute(
        f"SELECT symbol, date, source_key, source_etag FROM daily_volume WHERE {_FILTER}",  # noqa: S608
        _params(start, end, symbols),
    ).fetchall()
    return {(s, d): (k, e) for s, d, k, e in rows}


def known_files(
    conn: duckdb.DuckDBPyConnection, keys: Sequence[str]
) -> dict[str, tuple[str, set[date]]]:
    """source_key -> (ETag, days with a bar) of files read and verified before."""
    rows = conn.execute(
        "SELECT source_key, source_etag, bar_days FROM volume_files "
        "WHERE list_contains($keys, source_key)",
        {"keys": list(keys)},
    ).fetchall()
    return {key: (etag, set(days)) for key, etag, days in rows}


def write_window(
    conn: duckdb.DuckDBPyConnection,
    rows: pl.DataFrame,
    files: pl.DataFrame,
    issues: pl.DataFrame,
    start: date,
    end: date,
    symbols: Sequence[str] | None = None,
) -> int:
    """Replace the rows of the fetched (symbol, date)s; drop rows of days no longer available.

    Rows whose source did not change (and so was not fetched) stay as they are, and so does a
    row whose new file failed verification: a bad re-upload does not erase a verified bar.
    `files` records every file read, so an unchanged one is not fetched again; `issues` replaces
    the window's record of why available days have no row.
    Returns the number of rows deleted for days that are no longer available.
    """
    with transaction(conn):
        conn.register("fresh", rows)
        params = _params(start, end, symbols)
        conn.execute(
            f"DELETE FROM daily_volume v WHERE {_FILTER} AND EXISTS "  # noqa: S608
            "(SELECT 1 FROM fresh f WHERE f.symbol = v.symbol AND f.date = v.date)",
            params,
        )
        (gone,) = conn.execute(
            f"DELETE FROM daily_volume v WHERE {_FILTER} AND NOT EXISTS (SELECT 1 FROM "  # noqa: S608
            "daily_availability a WHERE a.symbol = v.symbol AND a.date = v.date AND a.available)",
            params,
        ).fetchall()[0]
        conn.execute("INSERT INTO daily_volume BY NAME SELECT * FROM fresh")
        conn.register("files", files)
        conn.execute("INSERT OR REPLACE INTO volume_files BY NAME SELECT * FROM files")
        conn.execute(f"DELETE FROM volume_issues WHERE {_FILTER}", params)  # noqa: S608
        conn.register("issues", issues)
        conn.execute("INSERT INTO volume_issues BY NAME SELECT *, now() AS checked_at FROM issues")
        for name in ("fresh", "files", "issues"):
            conn.unregister(name)
    return gone
