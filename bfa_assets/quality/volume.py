"""The checks of daily_volume: bars that cannot be, and available days without a bar."""

from __future__ import annotations

import duckdb

from bfa_assets.common.markets import MARKETS, NAMES
from bfa_assets.quality.findings import ERROR, WARN, Finding, all_rows, of_market, rows_by_span

# What makes a bar impossible, as (label, SQL condition). Columns of the other market are NULL
# (USD-M has no contracts, COIN-M no quote volume), and NULL makes no condition true: each
# market is judged on its own columns.
IMPOSSIBLE = [
    ("OHLC outside [low, high]",
     "low_price > least(open_price, close_price) OR "
     "high_price < greatest(open_price, close_price) OR low_price > high_price"),
    ("negative value",
     "least(open_price, high_price, low_price, close_price, volume_base, quote_volume, "
     "taker_buy_volume_base, taker_buy_quote_volume, contracts, taker_buy_contracts) < 0 "
     "OR trade_count < 0"),
    ("taker-buy above total",
     "taker_buy_volume_base > volume_base OR taker_buy_quote_volume > quote_volume"),
    ("taker-buy contracts above contracts", "taker_buy_contracts > contracts"),
]  # fmt: skip


def volume_sanity(conn: duckdb.DuckDBPyConnection) -> Finding:
    """Bars that cannot be, in each market: OHLC outside [low, high], negative values (COIN-M:
    contracts too), taker-buy above total (COIN-M: taker-buy contracts above contracts)."""
    labels = ", ".join(f"CASE WHEN {cond} THEN '{label}' END" for label, cond in IMPOSSIBLE)
    rows = all_rows(conn, f"""
        SELECT date, market, symbol, concat_ws(', ', {labels}) AS problems FROM daily_volume
        WHERE {" OR ".join(f"({cond})" for _, cond in IMPOSSIBLE)}
        ORDER BY date, market, symbol
    """)  # fmt: skip  # noqa: S608 - constants only
    bars = dict(all_rows(conn, "SELECT market, count(*) FROM daily_volume GROUP BY market"))
    lines = [f"{d}{of_market(m)} {s}: {problems}" for d, m, s, problems in rows]
    bad = {m: sum(row[1] == m for row in rows) for m in MARKETS}
    summary = "; ".join(
        f"{NAMES[m]}: {bad[m]} of {bars.get(m, 0)} bars are impossible"
        if bad[m]
        else f"{NAMES[m]}: all {bars.get(m, 0)} bars are sane"
        for m in MARKETS
    )
    counts = {
        "bars": sum(bars.values()),
        "bad_bars": len(rows),
        **{f"{m}_bad_bars": bad[m] for m in MARKETS},
    }
    return Finding("volume_sanity", not rows, ERROR, summary, counts, lines)


def volume_on_available_days(conn: duckdb.DuckDBPyConnection) -> Finding:
    """Every volume row sits on an available day of its market and symbol in
    daily_availability (the original tool's publish gate): a bar of a day without a file is
    a row the pipeline should never have written."""
    rows = rows_by_span(conn, """
        SELECT v.date, v.market, v.symbol,
               CASE WHEN a.symbol IS NULL THEN 'no availability row'
                    ELSE 'the day is not available (no 1m file)' END
        FROM daily_volume v LEFT JOIN daily_availability a
            ON a.date = v.date AND a.market = v.market AND a.symbol = v.symbol
           AND a.date BETWEEN $span_start AND $span_end
        WHERE a.available IS DISTINCT FROM true AND v.date BETWEEN $span_start AND $span_end
        ORDER BY v.date, v.market, v.symbol
    """, "daily_volume")  # fmt: skip
    lines = [f"{d} {NAMES[m]} {s}: a volume row, but {why}" for d, m, s, why in rows]
    summary = (
        f"{len(rows)} volume rows are not on an available day"
        if rows
        else "every volume row is on an available day"
    )
    return Finding("volume_on_available_days", not rows, ERROR, summary, {"rows": len(rows)}, lines)


def volume_coverage(conn: duckdb.DuckDBPyConnection) -> Finding:
    """Every available day with a 1d file on Vision has a volume row.

    Days are excused when the latest volume run found no 1d file or no bar for them; a day
    whose file failed verification, or that no volume run has covered, is listed.
    """
    rows = rows_by_span(conn, """
        SELECT a.date, a.market, a.symbol, coalesce(i.issue || coalesce(': ' || i.detail, ''),
                                          'no volume run has covered this day') AS why
        FROM daily_availability a
        ANTI JOIN daily_volume v ON v.date = a.date AND v.market = a.market AND v.symbol = a.symbol
                                AND v.date BETWEEN $span_start AND $span_end
        LEFT JOIN volume_issues i
            ON i.date = a.date AND i.market = a.market AND i.symbol = a.symbol
        WHERE a.available AND a.date BETWEEN $span_start AND $span_end
          AND coalesce(i.issue, '') NOT IN ('no_1d_file', 'no_bar_in_file')
        ORDER BY a.date, a.market, a.symbol
    """, "daily_volume")  # fmt: skip
    lines = [f"{d}{of_market(m)} {s}: {why}" for d, m, s, why in rows]
    summary = (
        f"{len(rows)} available days with a 1d file have no volume row"
        if rows
        else "every available day with a 1d file has a volume row"
    )
    return Finding("volume_coverage", not rows, WARN, summary, {"days_missing": len(rows)}, lines)
