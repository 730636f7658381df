"""Data-quality findings over the whole database: the logic behind the asset checks.

Each function reads whole tables (fast on DuckDB) and returns a Finding that says whether the
invariant holds, and if not, which dates or symbols break it, so an operator can act without
opening a terminal. WARN findings are about the data (Vision is late or incomplete); ERROR
findings are broken invariants of our own tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import duckdb

from bfa_assets.fapi import ExchangeInfo
from bfa_assets.markdown import bullets
from bfa_assets.store.coverage import Coverage, span

WARN, ERROR = "WARN", "ERROR"


@dataclass(frozen=True)
class Finding:
    """A check's verdict on the tables, with what an operator needs to act on it."""

    name: str
    passed: bool
    severity: str
    summary: str
    counts: dict[str, int | float | str] = field(default_factory=dict)
    details: list[str] = field(default_factory=list)  # the offending dates/symbols, as lines
    source: str = ""  # where the verdict was recorded (e.g. a run), when read back
    skipped: bool = False  # the check could not look (`summary` says why): neither verdict

    def details_markdown(self) -> str:
        return bullets(self.details)

    @property
    def outcome(self) -> str:
        if self.skipped:
            return "skipped"
        return "passed" if self.passed else f"FAILED ({self.severity})"


def _rows(conn: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> list[tuple]:
    return conn.execute(sql, params or {}).fetchall()


# --- daily_availability ----------------------------------------------------------------------


def continuity(conn: duckdb.DuckDBPyConnection) -> Finding:
    """Every day from the first to the newest checked day was checked for all symbols."""
    covered = Coverage.of(conn)
    if not covered.ranges:
        return Finding("continuity", True, ERROR, "nothing checked yet")
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
    return Finding("continuity", not holes, ERROR, summary, counts, [span(*h) for h in holes])


def completeness(
    conn: duckdb.DuckDBPyConnection, max_drop: float = 0.2, pending_days: int = 1
) -> Finding:
    """Available symbols per day against the median of the 7 days before.

    Days whose count falls by more than `max_drop` are listed. The newest `pending_days` may
    still be filling up (Vision publishes late), so their shortfalls are listed as pending and
    do not fail the check.
    """
    rows = _rows(conn, """
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
    (newest,) = _rows(conn, "SELECT max(date) FROM daily_availability")[0]
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
    available = {s for (s,) in _rows(conn, """
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


# --- daily_volume ----------------------------------------------------------------------------


def volume_sanity(conn: duckdb.DuckDBPyConnection) -> Finding:
    """Bars that cannot be: OHLC outside [low, high], negative values, taker-buy above total."""
    rows = _rows(conn, """
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
    (total,) = _rows(conn, "SELECT count(*) FROM daily_volume")[0]
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
    rows = _rows(conn, """
        SELECT a.date, a.symbol, coalesce(i.issue || coalesce(': ' || i.detail, ''),
                                          'no volume run has covered this day') AS why
        FROM daily_availability a
        ANTI JOIN daily_volume v ON v.date = a.date AND v.symbol = a.symbol
        LEFT JOIN volume_issues i ON i.date = a.date AND i.symbol = a.symbol
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


# --- volume_rankings -------------------------------------------------------------------------


def ranking_sanity(conn: duckdb.DuckDBPyConnection) -> Finding:
    """Ranks dense from 1 each day, shares summing to 100, only USDT perpetuals ranked."""
    dense = _rows(conn, """
        SELECT date, min(rank), max(rank), count(DISTINCT rank) FROM volume_rankings
        GROUP BY date HAVING min(rank) <> 1 OR max(rank) <> count(DISTINCT rank) ORDER BY date
    """)  # fmt: skip
    shares = _rows(conn, """
        SELECT date, sum(market_share_pct) FROM volume_rankings WHERE market_share_pct IS NOT NULL
        GROUP BY date HAVING abs(sum(market_share_pct) - 100) > 0.01 ORDER BY date
    """)  # fmt: skip
    outsiders = _rows(conn, """
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
