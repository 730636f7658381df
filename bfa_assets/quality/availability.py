"""The checks of daily_availability: continuity, completeness, and exchangeInfo's view."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb

from bfa_assets.common.markets import MARKETS, NAMES
from bfa_assets.exchange.info import ExchangeInfo
from bfa_assets.quality.findings import (
    ERROR,
    WARN,
    Finding,
    all_rows,
    as_yaml,
    of_market,
    scoped_run_config,
)
from bfa_assets.store.coverage import Coverage, span

CONTINUITY = "continuity"  # the check the release does not defer to: it judges holes itself


def continuity(conn: duckdb.DuckDBPyConnection) -> Finding:
    """Every day from the first to the newest checked day (of either market) was checked for
    every symbol of each market, from the market's own first day on (COIN-M began in 2020).

    A hole of one market is that market's finding, with the run config that fills it: the
    other market's days are checked already.
    """
    covered = {market: Coverage.of(conn, market) for market in MARKETS}
    checked = [c for c in covered.values() if c.ranges]
    if not checked:
        return Finding(CONTINUITY, True, ERROR, "nothing checked yet")
    first, last = min(c.ranges[0][0] for c in checked), max(c.latest for c in checked)
    holes = {
        market: covered[market].unchecked(max(first, start), last)
        for market, start in _market_starts(conn, covered).items()
    }
    lines = [
        f"{span(*hole)}{of_market(market)}: back-fill with the run config "
        f"{as_yaml(scoped_run_config([market]))}"
        for market, market_holes in holes.items()
        for hole in market_holes
    ]
    missing = {market: sum((b - a).days + 1 for a, b in h) for market, h in holes.items()}
    summary = (
        f"{(last - first).days + 1:,} days checked, {span(first, last)}, no gap"
        if not lines
        else f"{len(lines)} unchecked ranges in {span(first, last)} ("
        + ", ".join(f"{NAMES[m]}: {n:,} days" for m, n in missing.items() if n)
        + "): back-fill them (all partitioned assets, the run config each line names)"
    )
    counts = {
        "first_date": str(first),
        "last_date": str(last),
        **{f"{market}_days_checked": covered[market].days for market in MARKETS},
        **{f"{market}_days_missing": missing.get(market, 0) for market in MARKETS},
        "days_missing": sum(missing.values()),
    }
    return Finding(CONTINUITY, not lines, ERROR, summary, counts, lines)


def _market_starts(
    conn: duckdb.DuckDBPyConnection, covered: dict[str, Coverage]
) -> dict[str, date]:
    """Each market's first day: its earliest 1m file (discovery), else its first checked day;
    a market neither discovered nor checked is not judged."""
    known = dict(all_rows(conn, """
        SELECT market, min(first_1m_date) FROM symbols GROUP BY market
    """))  # fmt: skip
    starts = {m: known.get(m) or (c.ranges[0][0] if c.ranges else None) for m, c in covered.items()}
    return {market: start for market, start in starts.items() if start is not None}


def completeness(
    conn: duckdb.DuckDBPyConnection, max_drop: float = 0.2, pending_days: int = 1
) -> Finding:
    """Each market's available symbols per day against its own median of the 7 days before.

    Days whose count falls by more than `max_drop` are listed. The newest `pending_days` of
    each market may still be filling up (Vision publishes late), so their shortfalls are listed
    as pending and do not fail the check.
    """
    rows = all_rows(conn, """
        WITH per_day AS (
            SELECT date, market, count(*) FILTER (available) AS available
            FROM daily_availability GROUP BY date, market),
        judged AS (
            SELECT date, market, available,
                   median(available) OVER seven AS usual, count(*) OVER seven AS seen,
                   max(date) OVER (PARTITION BY market) - date AS age
            FROM per_day
            WINDOW seven AS (PARTITION BY market ORDER BY date
                             ROWS BETWEEN 7 PRECEDING AND 1 PRECEDING))
        SELECT date, market, available, usual, age < $pending AS pending FROM judged
        WHERE seen = 7 AND available < usual * (1 - $drop) ORDER BY date, market
    """, {"drop": max_drop, "pending": pending_days})  # fmt: skip
    (probed,) = all_rows(conn, "SELECT count(*) FROM daily_availability")[0]
    if not probed:
        return Finding("completeness", True, WARN, "nothing probed yet")
    short = [r for r in rows if not r[-1]]
    pending = [r for r in rows if r[-1]]
    lines = [f"{d}{of_market(m)}: {n} available, usual {u:g}" for d, m, n, u, _ in short]
    lines += [
        f"{d}{of_market(m)}: {n} available, usual {u:g} (newest day, may still be publishing)"
        for d, m, n, u, _ in pending
    ]
    summary = (
        f"{len(short)} days fall more than {max_drop:.0%} below their market's 7-day median"
        if short
        else f"no day falls more than {max_drop:.0%} below its market's 7-day median"
    )
    if pending:
        summary += f"; {len(pending)} newest day(s) short, likely still publishing"
    counts = {
        "days_short": len(short),
        "days_pending": len(pending),
        **{f"{m}_days_short": sum(r[1] == m for r in short) for m in MARKETS},
        "max_drop": max_drop,
    }
    return Finding("completeness", not short, WARN, summary, counts, lines)


def file_size_when_available(conn: duckdb.DuckDBPyConnection) -> Finding:
    """A file size exactly on the available rows (the original tool's publish gate): an
    available day without a size, or a size on a day without a file, is a row our pipeline
    wrote wrong."""
    rows = all_rows(conn, """
        SELECT date, market, symbol, available, file_size_bytes FROM daily_availability
        WHERE available = (file_size_bytes IS NULL) ORDER BY date, market, symbol
    """)  # fmt: skip
    lines = [
        f"{d} {NAMES[m]} {s}: "
        + ("available, but no file size" if ok else f"not available, but {size:,} bytes")
        for d, m, s, ok, size in rows
    ]
    summary = (
        f"{len(rows)} rows have a file size without a file or a file without a size"
        if rows
        else "a file size on every available row and on no other"
    )
    return Finding("file_size_when_available", not rows, ERROR, summary, {"rows": len(rows)}, lines)


CROSS_CHECK = "exchange_info_cross_check"
# Each market's cohort on Vision: the contracts its exchangeInfo lists as TRADING perpetuals.
VISION_COHORT = {
    "um": "s.kind = 'perpetual' AND s.quote_asset = 'USDT'",
    "cm": "s.kind = 'perpetual'",
}
QUOTE_ASSET = {"um": "USDT", "cm": None}  # USD-M: USDT perpetuals only; COIN-M: every perpetual


def exchange_cross_check(
    conn: duckdb.DuckDBPyConnection,
    views: dict[str, tuple[ExchangeInfo | None, str | None]],
    min_match: float = 0.95,
) -> Finding:
    """Each market's exchangeInfo (`views`: market -> (exchangeInfo or None, why not)) against
    Vision's files of that market, judged separately: one market's API answering 451 leaves the
    other's verdict standing. Skipped only when no market could be compared."""
    findings = {m: market_cross_check(conn, m, *views[m], min_match) for m in views}
    judged = {m: f for m, f in findings.items() if not f.skipped}
    summary = "; ".join(f"{NAMES[m]}: {f.summary}" for m, f in findings.items())
    if not judged:
        return Finding(CROSS_CHECK, True, WARN, summary, skipped=True)
    counts = {f"{m}_{key}": value for m, f in judged.items() for key, value in f.counts.items()}
    counts["jaccard"] = min(f.counts["jaccard"] for f in judged.values())
    lines = [line for f in judged.values() for line in f.details]
    passed = all(f.passed for f in judged.values())
    return Finding(CROSS_CHECK, passed, WARN, summary, counts, lines)


def market_cross_check(
    conn: duckdb.DuckDBPyConnection,
    market: str,
    exchange: ExchangeInfo | None,
    problem: str | None,
    min_match: float = 0.95,
) -> Finding:
    """One market's TRADING perpetuals on its exchangeInfo (USD-M: those quoted in USDT)
    against its perpetuals (USD-M: USDT ones) available on Vision.

    Compared on the newest complete day: two days before the exchange's own date, so Vision
    has published it (comparing yesterday, as the original tool did, fails most mornings).
    """
    if exchange is None:
        return Finding(
            CROSS_CHECK, True, WARN, f"exchangeInfo unavailable ({problem})", skipped=True
        )
    day = exchange.server_time.date() - timedelta(days=2)
    quote = QUOTE_ASSET[market]
    listed = {
        e.symbol
        for e in exchange.symbols
        if e.status == "TRADING"
        and e.contract_type == "PERPETUAL"
        and (quote is None or e.quote_asset == quote)
        and e.onboard_date is not None
        and e.onboard_date.date() < day
    }
    available = {s for (s,) in all_rows(conn, f"""
        SELECT a.symbol FROM daily_availability a JOIN symbols s USING (market, symbol)
        WHERE a.date = $day AND a.market = $market AND a.available AND {VISION_COHORT[market]}
    """, {"day": day, "market": market})}  # fmt: skip  # noqa: S608 - a constant per market
    if not available:
        return Finding(
            CROSS_CHECK, True, WARN, f"{day} was not checked: nothing to compare", skipped=True
        )
    union = listed | available
    match = len(listed & available) / len(union)
    only_exchange, only_vision = sorted(listed - available), sorted(available - listed)
    lines = [f"trading on the exchange, no file on Vision: {s}" for s in only_exchange]
    lines += [f"file on Vision, not trading on the exchange: {s}" for s in only_vision]
    counts = {
        "date": str(day),
        "jaccard": round(match, 4),
        "exchange_symbols": len(listed),
        "vision_symbols": len(available),
        "only_exchange": len(only_exchange),
        "only_vision": len(only_vision),
    }
    summary = f"{match:.1%} match on {day} ({len(only_exchange)} + {len(only_vision)} differ)"
    return Finding(CROSS_CHECK, match >= min_match, WARN, summary, counts, lines)
