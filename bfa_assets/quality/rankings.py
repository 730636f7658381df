"""The check of volume_rankings, per market: dense ranks, shares summing to 100, the cohort."""

from __future__ import annotations

import duckdb

from bfa_assets.common.markets import in_cohort
from bfa_assets.quality.findings import ERROR, Finding, all_rows, of_market


def ranking_sanity(conn: duckdb.DuckDBPyConnection) -> Finding:
    """Each market's ranks dense from 1 each day, its shares summing to 100, only its cohort
    ranked (USD-M: USDT perpetuals; COIN-M: perpetuals)."""
    dense = all_rows(conn, """
        SELECT date, market, min(rank), max(rank), count(DISTINCT rank) FROM volume_rankings
        GROUP BY date, market HAVING min(rank) <> 1 OR max(rank) <> count(DISTINCT rank)
        ORDER BY date, market
    """)  # fmt: skip
    shares = all_rows(conn, """
        SELECT date, market, sum(market_share_pct) FROM volume_rankings
        WHERE market_share_pct IS NOT NULL
        GROUP BY date, market HAVING abs(sum(market_share_pct) - 100) > 0.01 ORDER BY date, market
    """)  # fmt: skip
    outsiders = all_rows(conn, f"""
        SELECT DISTINCT r.symbol, s.kind, s.quote_asset FROM volume_rankings r
        LEFT JOIN symbols s USING (market, symbol)
        WHERE s.kind IS DISTINCT FROM 'perpetual' OR NOT coalesce({in_cohort("r.market")}, false)
        ORDER BY 1
    """)  # noqa: S608  # fmt: skip
    lines = [
        f"{d}{of_market(m)}: ranks {lo}..{hi} with {n} distinct values (not dense from 1)"
        for d, m, lo, hi, n in dense
    ]
    lines += [f"{d}{of_market(m)}: market shares sum to {total:.4f}" for d, m, total in shares]
    lines += [
        f"{s} is ranked but is {kind or 'unknown'} / {quote or 'unknown quote'}"
        for s, kind, quote in outsiders
    ]
    counts = {
        "dates_not_dense": len(dense),
        "dates_bad_share_sum": len(shares),
        "symbols_outside_cohort": len(outsiders),
    }
    summary = "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in counts.items() if v) or (
        "ranks dense from 1, shares sum to 100, only each market's cohort"
    )
    return Finding("ranking_sanity", not lines, ERROR, summary, counts, lines)
