"""Writes of `daily_availability` and `probe_log`: delete-then-insert of a whole window."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import duckdb
import polars as pl

from bfa_assets.store.transactions import transaction


def replace_window(
    conn: duckdb.DuckDBPyConnection,
    rows: pl.DataFrame,
    start: date,
    end: date,
    checked_at: datetime,
    symbols: Sequence[str] | None = None,
) -> None:
    """Replace the window's rows (of `symbols` only, if given) in one transaction.

    A run restricted to some symbols does not claim the days as probed: probe_log records only
    days on which every known symbol was checked.
    """
    with transaction(conn):
        conn.register("new_rows", rows)
        conn.execute(
            "DELETE FROM daily_availability WHERE date BETWEEN $start AND $end "
            "AND ($symbols IS NULL OR list_contains($symbols, symbol))",
            {"start": start, "end": end, "symbols": list(symbols) if symbols else None},
        )
        conn.execute("INSERT INTO daily_availability BY NAME SELECT * FROM new_rows")
        if not symbols:
            conn.execute(
                """
                INSERT OR REPLACE INTO probe_log
                SELECT d::DATE, $checked,
                       count(r.symbol)::INTEGER, count(*) FILTER (r.available)::INTEGER
                FROM generate_series($start::DATE, $end::DATE, INTERVAL 1 DAY) AS g(d)
                LEFT JOIN new_rows r ON r.date = d::DATE
                GROUP BY d
            """,
                {"start": start, "end": end, "checked": checked_at},
            )
        conn.unregister("new_rows")
