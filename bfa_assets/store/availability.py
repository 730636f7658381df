"""Writes of `daily_availability` and `probe_log`: delete-then-insert of a whole window."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

import duckdb
import polars as pl

from bfa_assets.store.transactions import stage, staging_table, transaction


def replace_window(
    conn: duckdb.DuckDBPyConnection,
    parts: Iterable[pl.DataFrame],
    start: date,
    end: date,
    checked_at: datetime,
    symbols: Sequence[str] | None = None,
) -> None:
    """Replace the window's rows (of `symbols` only, if given) in one transaction. `parts` are
    staged one at a time (see `staging_table`), so that only one part is ever built in memory.

    A run restricted to some symbols does not claim the days as probed: probe_log records only
    days on which every known symbol was checked.
    """
    window = {"start": start, "end": end}
    with staging_table(conn, "daily_availability") as staged:
        for part in parts:
            stage(conn, staged, part)
        with transaction(conn):
            conn.execute(
                "DELETE FROM daily_availability WHERE date BETWEEN $start AND $end "
                "AND ($symbols IS NULL OR list_contains($symbols, symbol))",
                window | {"symbols": list(symbols) if symbols else None},
            )
            conn.execute(f"INSERT INTO daily_availability SELECT * FROM {staged}")  # noqa: S608
            if not symbols:  # the window now holds exactly the new rows of every symbol
                conn.execute(
                    """
                    INSERT OR REPLACE INTO probe_log
                    SELECT d::DATE, $checked,
                           count(a.symbol)::INTEGER, count(*) FILTER (a.available)::INTEGER
                    FROM generate_series($start::DATE, $end::DATE, INTERVAL 1 DAY) AS g(d)
                    LEFT JOIN daily_availability a ON a.date = d::DATE
                    GROUP BY d
                    """,
                    window | {"checked": checked_at},
                )


def per_day_counts(
    conn: duckdb.DuckDBPyConnection, start: date, end: date, symbols: Sequence[str] | None = None
) -> pl.DataFrame:
    """Available and all rows per date of the window (of `symbols` only, if given)."""
    return conn.sql(
        "SELECT date, count(*) FILTER (available) AS available, count(*) AS symbols "
        "FROM daily_availability WHERE date BETWEEN $start AND $end "
        "AND ($symbols IS NULL OR list_contains($symbols, symbol)) GROUP BY date ORDER BY date",
        params={"start": start, "end": end, "symbols": list(symbols) if symbols else None},
    ).pl()
