"""The check of volume_rankings: dense ranks, shares summing to 100, the cohort."""

from __future__ import annotations

import duckdb

from bfa_assets.quality.findings import ERROR, Finding, all_rows


def ranking_sanity(conn: duckdb.DuckDBPyConnection) -> Finding:
    """Ranks dense from 1 each day, shares summing to 100, only USDT perpetuals ranked."""
    dense = all_rows(conn, """
        SELECT date, min(rank), max(rank), count(DISTINCT rank) FROM volume_rankings
        GROUP BY date HAVING min(rank) <> 1 OR max(rank) <> count(DISTINCT rank) ORDER BY date
    """)  # fmt: skip
    shares = all_rows(conn, """
        SELECT date, sum(market_share_pct) FROM volume_rankings WHERE market_share_pct IS NOT NULL
        GROUP BY date HAVING abs(sum(market_share_pct) - 100) > 0.01 ORDER BY date
    """)  # fmt: skip
    outsiders = all_rows(conn, """
        SELECT DISTINCT r.symbol, s.kind, s.quote_asset FROM volume_rankings r
        LEFT JOIN symbols s USING (symbol)
        WHERE s.kind IS DISTINCT FROM 'perpetual' OR s.quote_asset IS DISTINCT FROM 'USDT'
        ORDER BY 1
    """)  # fmt: skip
    lines = [
        f"{d}: ranks {lo}..{hi} with {n} distinct values (not dense from 1)"
        for d, lo, hi, n in dense
    ]
    lines += [f"{d}: market shares sum to {total:.4f}" for d, total in shares]
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
        "ranks dense from 1, shares sum to 100, only USDT perpetuals"
    )
    return Finding("ranking_sanity", not lines, ERROR, summary, counts, lines)
