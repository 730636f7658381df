"""The checks of daily_availability: continuity, completeness, and exchangeInfo's view."""

from __future__ import annotations

from datetime import timedelta

import duckdb

from bfa_assets.exchange.info import ExchangeInfo
from bfa_assets.quality.findings import ERROR, WARN, Finding, all_rows
from bfa_assets.store.coverage import Coverage, span

CONTINUITY = "continuity"  # the check the release does not defer to: it judges holes itself


def continuity(conn: duckdb.DuckDBPyConnection) -> Finding:
    """Every day from the first to the newest checked day was checked for all symbols."""
    covered = Coverage.of(conn)
    if not covered.ranges:
        return Finding(CONTINUITY, True, ERROR, "nothing checked yet")
    first, last = covered.ranges[0][0], covered.latest
    holes = covered.holes
    missing = sum((b - a).days + 1 for a, b in holes)
    summary = (
        f"{covered.days:,} days checked, {span(first, last)}, no gap"
        if not holes
        else f"{missing:,} days in {span(first, last)} never checked, in {len(holes)} ranges: "
        "back-fill them (all partitioned assets)"
    )
    counts = {
        "first_date": str(first),
        "last_date": str(last),
        "days_checked": covered.days,
        "days_missing": missing,
    }
    return Finding(CONTINUITY, not holes, ERROR, summary, counts, [span(*h) for h in holes])


def completeness(
    conn: duckdb.DuckDBPyConnection, max_drop: float = 0.2, pending_days: int = 1
) -> Finding:
    """Available symbols per day against the median of the 7 days before.

    Days whose count falls by more than `max_drop` are listed. The newest `pending_days` may
    still be filling up (Vision publishes late), so their shortfalls are listed as pending and
    do not fail the check.
    """
    rows = all_rows(conn, """
        WITH per_day AS (
            SELECT date, count(*) FILTER (available) AS available FROM daily_availability
            GROUP BY date),
        judged AS (
            SELECT date, available,
                   median(available) OVER (ORDER BY date ROWS BETWEEN 7 PRECEDING AND 1 PRECEDING)
                       AS usual,
                   count(*) OVER (ORDER BY date ROWS BETWEEN 7 PRECEDING AND 1 PRECEDING) AS seen
            FROM per_day)
        SELECT date, available, usual FROM judged
        WHERE seen = 7 AND available < usual * (1 - $drop) ORDER BY date
    """, {"drop": max_drop})  # fmt: skip
    (newest,) = all_rows(conn, "SELECT max(date) FROM daily_availability")[0]
    if newest is None:
        return Finding("completeness", True, WARN, "nothing probed yet")
    cutoff = newest - timedelta(days=pending_days - 1)
    short = [r for r in rows if r[0] < cutoff]
    pending = [r for r in rows if r[0] >= cutoff]
    lines = [f"{d}: {n} available, usual {u:g}" for d, n, u in short]
    lines += [
        f"{d}: {n} available, usual {u:g} (newest day, may still be publishing)"
        for d, n, u in pending
    ]
    summary = (
        f"{len(short)} days fall more than {max_drop:.0%} below the 7-day median"
        if short
        else f"no day falls more than {max_drop:.0%} below the 7-day median"
    )
    if pending:
        summary += f"; {len(pending)} newest day(s) short, likely still publishing"
    counts = {"days_short": len(short), "days_pending": len(pending), "max_drop": max_drop}
    return Finding("completeness", not short, WARN, summary, counts, lines)


def exchange_cross_check(
    conn: duckdb.DuckDBPyConnection,
    exchange: ExchangeInfo | None,
    problem: str | None,
    min_match: float = 0.95,
) -> Finding:
    """exchangeInfo's TRADING USDT perpetuals against the USDT perpetuals available on Vision.

    Compared on the newest complete day: two days before the exchange's own date, so Vision
    has published it (comparing yesterday, as the original tool did, fails most mornings).
    """
    name = "exchange_info_cross_check"
    if exchange is None:
        return Finding(name, True, WARN, f"exchangeInfo unavailable ({problem})", skipped=True)
    day = exchange.server_time.date() - timedelta(days=2)
    listed = {
        e.symbol
        for e in exchange.symbols
        if e.status == "TRADING"
        and e.contract_type == "PERPETUAL"
        and e.quote_asset == "USDT"
        and e.onboard_date is not None
        and e.onboard_date.date() < day
    }
    available = {s for (s,) in all_rows(conn, """
        SELECT a.symbol FROM daily_availability a JOIN symbols s USING (symbol)
        WHERE a.date = $day AND a.available AND s.kind = 'perpetual' AND s.quote_asset = 'USDT'
    """, {"day": day})}  # fmt: skip
    if not available:
        return Finding(name, True, WARN, f"{day} was not checked: nothing to compare", skipped=True)
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
    return Finding(name, match >= min_match, WARN, summary, counts, lines)
