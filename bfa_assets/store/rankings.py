"""`volume_rankings`: the daily ranking of USDT-quoted perpetuals by quote volume, in SQL.

All comparisons are in calendar days (a rank change over 7 days compares with the rank on the
date 7 days earlier, not 7 rows earlier), and every date's ranks depend only on that date's
volume rows, so a window's result does not depend on how the history was split into runs.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb
import polars as pl

from bfa_assets.store import changes
from bfa_assets.store.transactions import transaction

LOOKBACK_DAYS = 30  # the longest rank change
AVAILABILITY_DAYS = 30  # days_available counts [date - 29, date]

RANKED = """
WITH cohort AS (
    SELECT v.date, v.symbol, v.quote_volume, v.trade_count
    FROM daily_volume v JOIN symbols s USING (symbol)
    WHERE s.kind = 'perpetual' AND s.quote_asset = 'USDT'
      AND v.date BETWEEN $volume_from AND $end
),
ranked AS (
    SELECT date, symbol, quote_volume, trade_count,
           dense_rank() OVER by_volume AS rank,
           percent_rank() OVER by_volume * 100 AS percentile,
           quote_volume * 100 / nullif(sum(quote_volume) OVER (PARTITION BY date), 0)
               AS market_share_pct
    FROM cohort
    WINDOW by_volume AS (PARTITION BY date ORDER BY quote_volume DESC)
),
recent_availability AS (
    SELECT date, symbol,
           count(*) FILTER (available) OVER (
               PARTITION BY symbol ORDER BY date
               RANGE BETWEEN INTERVAL 29 DAYS PRECEDING AND CURRENT ROW) AS days_available
    FROM daily_availability
    WHERE date BETWEEN $availability_from AND $end
)
SELECT r.date, r.symbol, r.rank::INTEGER AS rank, r.quote_volume AS quote_volume_usdt,
       r.trade_count,
       (r.rank - d1.rank)::INTEGER AS rank_change_1d,
       (r.rank - d7.rank)::INTEGER AS rank_change_7d,
       (r.rank - d14.rank)::INTEGER AS rank_change_14d,
       (r.rank - d30.rank)::INTEGER AS rank_change_30d,
       r.percentile, r.market_share_pct,
       coalesce(a.days_available, 0)::INTEGER AS days_available,
       $generated AS generation_timestamp
FROM ranked r
LEFT JOIN ranked d1 ON d1.symbol = r.symbol AND d1.date = r.date - 1
LEFT JOIN ranked d7 ON d7.symbol = r.symbol AND d7.date = r.date - 7
LEFT JOIN ranked d14 ON d14.symbol = r.symbol AND d14.date = r.date - 14
LEFT JOIN ranked d30 ON d30.symbol = r.symbol AND d30.date = r.date - 30
LEFT JOIN recent_availability a ON a.symbol = r.symbol AND a.date = r.date
WHERE r.date BETWEEN $start AND $end
ORDER BY r.date, r.rank, r.symbol
"""


def replace_window(
    conn: duckdb.DuckDBPyConnection, start: date, end: date, generated: datetime
) -> int:
    """Recompute the rankings of [start, end] from volume of [start - 30, end]; rows written."""
    params = {
        "start": start,
        "end": end,
        "volume_from": start - timedelta(days=LOOKBACK_DAYS),
        "availability_from": start - timedelta(days=AVAILABILITY_DAYS - 1),
        "generated": generated,
    }
    with transaction(conn):
        conn.execute(
            "DELETE FROM volume_rankings WHERE date BETWEEN $start AND $end",
            {"start": start, "end": end},
        )
        conn.execute(f"INSERT INTO volume_rankings {RANKED}", params)
        changes.record(conn, "volume_rankings", start, end)
        (written,) = conn.execute(
            "SELECT count(*) FROM volume_rankings WHERE date BETWEEN $start AND $end",
            {"start": start, "end": end},
        ).fetchall()[0]
    return written


def newest_top(conn: duckdb.DuckDBPyConnection, end: date, n: int = 10) -> pl.DataFrame:
    """The top `n` of the newest ranked day up to `end`."""
    return conn.sql(
        "SELECT date, rank, symbol, round(quote_volume_usdt) AS quote_volume_usdt, "
        "rank_change_1d, round(market_share_pct, 2) AS share_pct FROM volume_rankings "
        "WHERE date = (SELECT max(date) FROM volume_rankings WHERE date <= $end) "
        "ORDER BY rank, symbol LIMIT $n",
        params={"end": end, "n": n},
    ).pl()


def per_day(conn: duckdb.DuckDBPyConnection, start: date, end: date) -> pl.DataFrame:
    """Per ranked day of [start, end]: symbols ranked, the leader and its market share."""
    return conn.sql(
        "SELECT date, count(*) AS ranked, arg_min(symbol, rank) AS leader, "
        "round(max(market_share_pct), 4) AS leader_share_pct "
        "FROM volume_rankings WHERE date BETWEEN $start AND $end GROUP BY date ORDER BY date",
        params={"start": start, "end": end},
    ).pl()
