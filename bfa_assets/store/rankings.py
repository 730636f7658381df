"""`volume_rankings`: each market's daily ranking of its perpetuals, in SQL.

USD-M ranks its USDT-quoted perpetuals by quote volume (`quote_volume_usdt`, the original tool's
ranking, unchanged); COIN-M ranks its perpetuals by USD notional (`notional_usd` = contracts x
contract size, the only measure its contracts share: each is worth a fixed number of USD). A
market's ranks never mix with the other's.

All comparisons are in calendar days (a rank change over 7 days compares with the rank on the
date 7 days earlier, not 7 rows earlier), and every date's ranks depend only on that date's
volume rows, so a window's result does not depend on how the history was split into runs.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb
import polars as pl

from bfa_assets.common.markets import in_cohort
from bfa_assets.store import changes
from bfa_assets.store.transactions import transaction

LOOKBACK_DAYS = 30  # the longest rank change
AVAILABILITY_DAYS = 30  # days_available counts [date - 29, date]

# Each market's measure (the one home of it; the cohorts are common.markets.COHORTS).
RANKED = f"""
WITH cohort AS (
    SELECT v.date, v.market, v.symbol, v.trade_count, s.contract_size_inferred,
           CASE v.market WHEN 'um' THEN v.quote_volume
                         WHEN 'cm' THEN v.contracts * s.contract_size_usd END AS measure
    FROM daily_volume v JOIN symbols s USING (market, symbol)
    WHERE s.kind = 'perpetual' AND {in_cohort("v.market")}
      AND v.date BETWEEN $volume_from AND $end
),
ranked AS (
    SELECT date, market, symbol, measure, trade_count, contract_size_inferred,
           dense_rank() OVER by_volume AS rank,
           percent_rank() OVER by_volume * 100 AS percentile,
           measure * 100 / nullif(sum(measure) OVER (PARTITION BY date, market), 0)
               AS market_share_pct
    FROM cohort
    WINDOW by_volume AS (PARTITION BY date, market ORDER BY measure DESC)
),
recent_availability AS (
    SELECT date, market, symbol,
           count(*) FILTER (available) OVER (
               PARTITION BY market, symbol ORDER BY date
               RANGE BETWEEN INTERVAL 29 DAYS PRECEDING AND CURRENT ROW) AS days_available
    FROM daily_availability
    WHERE date BETWEEN $availability_from AND $end
)
SELECT r.date, r.market, r.symbol, r.rank::INTEGER AS rank,
       CASE WHEN r.market = 'um' THEN r.measure END AS quote_volume_usdt,
       CASE WHEN r.market = 'cm' THEN r.measure END AS notional_usd,
       r.trade_count,
       (r.rank - d1.rank)::INTEGER AS rank_change_1d,
       (r.rank - d7.rank)::INTEGER AS rank_change_7d,
       (r.rank - d14.rank)::INTEGER AS rank_change_14d,
       (r.rank - d30.rank)::INTEGER AS rank_change_30d,
       r.percentile, r.market_share_pct,
       coalesce(a.days_available, 0)::INTEGER AS days_available,
       r.contract_size_inferred,
       $generated AS generation_timestamp
FROM ranked r
LEFT JOIN ranked d1 ON d1.market = r.market AND d1.symbol = r.symbol AND d1.date = r.date - 1
LEFT JOIN ranked d7 ON d7.market = r.market AND d7.symbol = r.symbol AND d7.date = r.date - 7
LEFT JOIN ranked d14 ON d14.market = r.market AND d14.symbol = r.symbol AND d14.date = r.date - 14
LEFT JOIN ranked d30 ON d30.market = r.market AND d30.symbol = r.symbol AND d30.date = r.date - 30
LEFT JOIN recent_availability a
    ON a.market = r.market AND a.symbol = r.symbol AND a.date = r.date
WHERE r.date BETWEEN $start AND $end
ORDER BY r.date, r.market, r.rank, r.symbol
"""  # noqa: S608


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
        conn.execute(f"INSERT INTO volume_rankings BY NAME {RANKED}", params)
        changes.record(conn, "volume_rankings", start, end)
        (written,) = conn.execute(
            "SELECT count(*) FROM volume_rankings WHERE date BETWEEN $start AND $end",
            {"start": start, "end": end},
        ).fetchall()[0]
    return written


def newest_top(
    conn: duckdb.DuckDBPyConnection, market: str, end: date, n: int = 10
) -> pl.DataFrame:
    """The top `n` of `market`'s newest ranked day up to `end`, by its measure in USD."""
    return conn.sql(
        "SELECT date, rank, symbol, round(coalesce(quote_volume_usdt, notional_usd)) AS "
        "volume_usd, rank_change_1d, round(market_share_pct, 2) AS share_pct "
        "FROM volume_rankings WHERE market = $market AND date = "
        "(SELECT max(date) FROM volume_rankings WHERE market = $market AND date <= $end) "
        "ORDER BY rank, symbol LIMIT $n",
        params={"market": market, "end": end, "n": n},
    ).pl()


def per_day(conn: duckdb.DuckDBPyConnection, start: date, end: date) -> pl.DataFrame:
    """Per ranked day of [start, end], for each market: symbols ranked, the leader and its
    market share."""
    return conn.sql(
        "SELECT date, count(*) AS ranked, "
        "count(*) FILTER (market = 'um') AS um_ranked, "
        "arg_min(symbol, rank) FILTER (market = 'um') AS um_leader, "
        "round(max(market_share_pct) FILTER (market = 'um'), 4) AS um_leader_share_pct, "
        "count(*) FILTER (market = 'cm') AS cm_ranked, "
        "arg_min(symbol, rank) FILTER (market = 'cm') AS cm_leader, "
        "round(max(market_share_pct) FILTER (market = 'cm'), 4) AS cm_leader_share_pct "
        "FROM volume_rankings WHERE date BETWEEN $start AND $end GROUP BY date ORDER BY date",
        params={"start": start, "end": end},
    ).pl()
