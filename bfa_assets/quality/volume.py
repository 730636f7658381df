"""The checks of daily_volume: bars that cannot be, and available days without a bar."""

from __future__ import annotations

import duckdb

from bfa_assets.quality.findings import ERROR, WARN, Finding, all_rows


def volume_sanity(conn: duckdb.DuckDBPyConnection) -> Finding:
    """Bars that cannot be: OHLC outside [low, high], negative values, taker-buy above total."""
    rows = all_rows(conn, """
        SELECT date, symbol, concat_ws(', ',
            CASE WHEN low_price > least(open_price, close_price) OR
                      high_price < greatest(open_price, close_price) OR low_price > high_price
                 THEN 'OHLC outside [low, high]' END,
            CASE WHEN least(open_price, high_price, low_price, close_price, volume_base,
                            quote_volume, taker_buy_volume_base, taker_buy_quote_volume) < 0
                      OR trade_count < 0 THEN 'negative value' END,
            CASE WHEN taker_buy_volume_base > volume_base OR taker_buy_quote_volume > quote_volume
                 THEN 'taker-buy above total' END) AS problems
        FROM daily_volume
        WHERE low_price > least(open_price, close_price)
           OR high_price < greatest(open_price, close_price) OR low_price > high_price
           OR least(open_price, high_price, low_price, close_price, volume_base, quote_volume,
                    taker_buy_volume_base, taker_buy_quote_volume) < 0 OR trade_count < 0
           OR taker_buy_volume_base > volume_base OR taker_buy_quote_volume > quote_volume
        ORDER BY date, symbol
    """)  # fmt: skip
    (total,) = all_rows(conn, "SELECT count(*) FROM daily_volume")[0]
    lines = [f"{d} {s}: {problems}" for d, s, problems in rows]
    summary = (
        f"{len(rows)} of {total} bars are impossible" if rows else f"all {total} bars are sane"
    )
    return Finding(
        "volume_sanity", not rows, ERROR, summary, {"bars": total, "bad_bars": len(rows)}, lines
    )


def volume_coverage(conn: duckdb.DuckDBPyConnection) -> Finding:
    """Every available day with a 1d file on Vision has a volume row.

    Days are excused when the latest volume run found no 1d file or no bar for them; a day
    whose file failed verification, or that no volume run has covered, is listed.
    """
    rows = all_rows(conn, """
        SELECT a.date, a.symbol, coalesce(i.issue || coalesce(': ' || i.detail, ''),
                                          'no volume run has covered this day') AS why
        FROM daily_availability a
        ANTI JOIN daily_volume v ON v.date = a.date AND v.market = a.market AND v.symbol = a.symbol
        LEFT JOIN volume_issues i
            ON i.date = a.date AND i.market = a.market AND i.symbol = a.symbol
        WHERE a.available AND a.date BETWEEN (SELECT min(date) FROM daily_volume)
                                         AND (SELECT max(date) FROM daily_volume)
          AND coalesce(i.issue, '') NOT IN ('no_1d_file', 'no_bar_in_file')
        ORDER BY a.date, a.symbol
    """)  # fmt: skip
    lines = [f"{d} {s}: {why}" for d, s, why in rows]
    summary = (
        f"{len(rows)} available days with a 1d file have no volume row"
        if rows
        else "every available day with a 1d file has a volume row"
    )
    return Finding("volume_coverage", not rows, WARN, summary, {"days_missing": len(rows)}, lines)
