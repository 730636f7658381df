"""Questions users ask of a released database; the `bfa query` commands.

Every answer is true for the days the release checked and says which days it could not look
at (see store.coverage): a question about an unchecked day raises `NotChecked` instead of
answering with no rows, which would read as "nothing traded". Answers are plain rows
(store.answers; DuckDB's `fetchall`), so that `bfa query` needs no data-frame library;
`Table.pl()` gives a Polars frame to Python users.

Timeline, range and delistings read the release's `daily_by_symbol` / `available_by_date` tables
(see release.layout), which are stored sorted; DuckDB keeps a scan's stored order when a query
has no ORDER BY (`preserve_insertion_order`, on by default), so those queries need no sort.
Given the release's snapshot file, the snapshot reads it instead (see store.snapshot_file).

Every answer is about one market (`market`: `um`, USD-M, unless asked otherwise, as before
COIN-M existed): its symbols, and the days checked for it (`probe_log` per market), so a day
checked for USD-M only is "not checked" for COIN-M.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from bfa_assets.common.markets import COHORTS, MARKETS, name
from bfa_assets.store.answers import (
    AVAILABLE_ROWS,
    DELISTING_DAYS,
    RANKED_BY,
    VOLUME_COLUMNS,
    Delistings,
    Table,
    snapshot_columns,
)
from bfa_assets.store.coverage import ONE_DAY, Coverage, NotChecked, NotKnown, history_start
from bfa_assets.store.engine import duckdb

if TYPE_CHECKING:
    from bfa_assets.store.snapshot_file import SnapshotFile

READ_TABLES = ("available_by_date", "daily_by_symbol")  # only a release database has them
RELEASE_INFO = "release_info"  # one row: when the release was made, the newest day it is about


class UnknownSymbol(LookupError):
    """The symbol is not in the market asked about; `hints` are the names it may have meant,
    `elsewhere` the other market when the symbol is one of its contracts (the one hint then)."""

    def __init__(
        self, symbol: str, hints: list[str], market: str = "um", elsewhere: str | None = None
    ) -> None:
        self.symbol, self.hints, self.elsewhere = symbol, hints, elsewhere
        where = f"unknown symbol {symbol!r} in {name(market)}"
        if elsewhere:
            super().__init__(
                f"{where}; it is a {name(elsewhere)} contract: add --market {elsewhere}"
            )
            return
        hint = f"; did you mean {' or '.join(map(repr, hints))}?" if hints else ""
        super().__init__(f"{where}{hint} (names are case-sensitive)")


class NotARelease(LookupError):
    """The database lacks the release's read tables (the working database, say)."""


def answer_table(conn: duckdb.DuckDBPyConnection, sql: str, **params: object) -> Table:
    result = conn.execute(sql, params)
    columns, types = zip(*((d[0], str(d[1])) for d in result.description), strict=True)
    return Table(columns, result.fetchall(), types)


def _one(conn: duckdb.DuckDBPyConnection, sql: str, **params: object) -> tuple:
    return conn.execute(sql, params).fetchall()[0]


def check_release(conn: duckdb.DuckDBPyConnection) -> None:
    """Refuse a database that is not a release (its read tables are missing), or a release of an
    older layout: queries that bind the tables and read no row are cheaper than the catalog."""
    try:
        conn.execute(f"SELECT 1 FROM {', '.join(READ_TABLES)} LIMIT 0")  # noqa: S608
    except duckdb.CatalogException:
        raise NotARelease(
            f"it is not a release database (it has no {' and '.join(READ_TABLES)} tables): "
            "bfa query reads a release's database, not the working one"
        ) from None
    try:
        conn.execute(f"SELECT 1 FROM {RELEASE_INFO} LIMIT 0")  # noqa: S608
    except duckdb.CatalogException:
        raise NotARelease(
            f"it is a release of an older layout, without the {RELEASE_INFO} table that says "
            "which days it is about: materialize release_artifact again"
        ) from None


def _checked(conn: duckdb.DuckDBPyConnection, day: date, market: str) -> bool:
    """Whether `day` is in `probe_log` for `market` (a point read: it is stored by date)."""
    sql = "SELECT count(*) FROM probe_log WHERE date = $day AND market = $market"
    return bool(_one(conn, sql, day=day, market=market)[0])


def require_checked(conn: duckdb.DuckDBPyConnection, day: date, market: str = "um") -> None:
    """Raise NotChecked unless `day` was checked for `market`."""
    if not _checked(conn, day, market):
        raise NotChecked(Coverage.of(conn, market), day, market, history_start(conn, market))


def snapshot(
    conn: duckdb.DuckDBPyConnection | None,
    day: date,
    snapshots: SnapshotFile | None = None,
    market: str = "um",
) -> Table:
    """Symbols of `market` with a 1m file on a checked `day`, with their volume and rank when
    known.

    From the release's snapshot file when given (one memory-mapped record batch; `conn` is
    not used and may be None), else from the released rows (a scan of their dates).
    """
    if snapshots is not None:
        return snapshots.rows(day, market)
    require_checked(conn, day, market)
    columns = ", ".join(snapshot_columns(market))
    rows = f"""SELECT {columns} FROM ({AVAILABLE_ROWS})
               WHERE date = $day AND market = $market ORDER BY symbol"""  # noqa: S608
    return answer_table(conn, rows, day=day, market=market)


def timeline(conn: duckdb.DuckDBPyConnection, symbol: str, market: str = "um") -> Table:
    """Every day of one symbol of `market` from its first 1m file to the release's newest day;
    a day without a row for it (not checked) has `checked` false and nothing else."""
    known = conn.execute(f"""
        SELECT first_1m_date, (SELECT newest_day FROM {RELEASE_INFO}) FROM symbols
        WHERE symbol = $symbol AND market = $market
    """, {"symbol": symbol, "market": market}).fetchall()  # noqa: S608  # fmt: skip
    if not known:
        raise unknown_symbol(conn, symbol, market)
    volume = ", ".join(VOLUME_COLUMNS[market])
    (first, latest), checked = known[0], answer_table(conn, f"""
        SELECT date, true AS checked, available, file_size_bytes, {volume}, rank
        FROM daily_by_symbol WHERE symbol = $symbol AND market = $market
    """, symbol=symbol, market=market)  # noqa: S608  # fmt: skip
    dates = [row[0] for row in checked.rows[:1] + checked.rows[-1:]]
    first = min(filter(None, [first, *dates]), default=None)
    last = max(filter(None, [latest, *dates]), default=None)
    return checked._replace(rows=_fill(checked.rows, first, last, len(checked.columns)))


def _fill(rows: list[tuple], first: date | None, last: date | None, width: int) -> list[tuple]:
    """`rows` (sorted by day) and a blank row of `width` for every other day of [first, last]."""
    out, day, blank = [], first, (False,) + (None,) * (width - 2)
    for row in [*rows, (last + ONE_DAY,)] if last else []:
        while day < row[0]:
            out.append((day, *blank))
            day += ONE_DAY
        out.append(row)
        day = row[0] + ONE_DAY
    return out[:-1]


def unknown_symbol(conn: duckdb.DuckDBPyConnection, symbol: str, market: str) -> UnknownSymbol:
    """The error for a symbol not in `market`: the other market when it is one of its contracts
    (names are unique across markets), else the names of `market` it may have meant."""
    import difflib  # imported here: only a mistyped name needs it

    elsewhere = conn.execute(
        "SELECT market FROM symbols WHERE symbol = $symbol", {"symbol": symbol}
    ).fetchall()
    if elsewhere:
        return UnknownSymbol(symbol, [], market, elsewhere[0][0])
    sql = "SELECT symbol FROM symbols WHERE market = $market"
    names = [s for (s,) in conn.execute(sql, {"market": market}).fetchall()]
    same_letters = [s for s in names if s.casefold() == symbol.casefold()]
    hints = same_letters or difflib.get_close_matches(symbol.upper(), names, n=3)
    return UnknownSymbol(symbol, hints, market)


def date_range(
    conn: duckdb.DuckDBPyConnection, start: date, end: date, market: str = "um"
) -> Table:
    """Symbols of `market` with a file on at least one checked day of [start, end], with their
    first and last such day; `unchecked` names the days of [start, end] the answer could not
    see."""
    answer = answer_table(conn, """
        SELECT symbol, min(date) AS first_available, max(date) AS last_available,
               count(*) AS days_available
        FROM available_by_date
        WHERE date BETWEEN $start AND $end AND market = $market
          AND date IN (SELECT date FROM probe_log
                       WHERE market = $market AND date BETWEEN $start AND $end)
        GROUP BY symbol ORDER BY symbol
    """, start=start, end=end, market=market)  # fmt: skip
    return answer._replace(unchecked=Coverage.of(conn, market).unchecked(start, end))


def new_listings(conn: duckdb.DuckDBPyConnection, day: date, market: str = "um") -> Table:
    """Symbols of `market` whose first 1m file on Vision is of `day`.

    `symbols.first_1m_date` comes from listing the symbol's folder from its start, so it is
    the first file whether or not the days around it were checked; what can be missing are
    symbols not discovered yet, so the answer needs a discovery run after `day`'s files were
    published (the next day).
    """
    (discovered,) = _one(conn, "SELECT epoch(max(last_seen_at)) FROM symbols")
    discovered_at = datetime.fromtimestamp(discovered, UTC) if discovered is not None else None
    if discovered_at is None or discovered_at.date() <= day:
        ran = f"ran at {discovered_at:%Y-%m-%d %H:%M} UTC" if discovered_at else "never ran"
        raise NotKnown(
            f"symbols first listed on {day} are not known yet: the latest discovery "
            f"(futures_symbols) {ran}, before {day}'s files were published (the day after); "
            "materialize futures_symbols, then release_artifact"
        )
    answer = answer_table(conn, """
        SELECT symbol, kind, quote_asset FROM symbols
        WHERE first_1m_date = $day AND market = $market ORDER BY symbol
    """, day=day, market=market)  # fmt: skip
    if _checked(conn, day, market):
        return answer
    return answer._replace(
        note=f"{day} was not checked for {name(market)}, and this answer holds all the same: a "
        "symbol's first file comes from listing its folder from the start, not from the checked "
        "days"
    )


def delistings(conn: duckdb.DuckDBPyConnection, day: date, market: str = "um") -> Delistings:
    """Symbols of `market` whose last 1m file is of `day`, split by whether the
    `DELISTING_DAYS` days after it were checked for them (a row in daily_availability, each
    without a file).

    Vision misses single days inside a symbol's life and publishes some files days late, so
    one day without a file proves nothing; a week without one is a delisting.
    """
    require_checked(conn, day, market)
    answer = answer_table(conn, """
        WITH last_file AS (  -- a file on the day and none after it
            SELECT symbol FROM available_by_date WHERE date >= $day AND market = $market
            GROUP BY symbol HAVING max(date) = $day)
        SELECT l.symbol, s.kind, count(a.date) AS days_checked_after
        FROM last_file l JOIN symbols s ON s.market = $market AND s.symbol = l.symbol
        LEFT JOIN daily_availability a ON a.market = $market
            AND a.symbol = l.symbol AND a.date > $day AND a.date <= $day + $days
        GROUP BY ALL ORDER BY l.symbol
    """, day=day, days=DELISTING_DAYS, market=market)  # fmt: skip
    sure = [row for row in answer.rows if row[-1] >= DELISTING_DAYS]
    unsure = [row for row in answer.rows if row[-1] < DELISTING_DAYS]
    return Delistings(day, answer._replace(rows=sure), answer._replace(rows=unsure), DELISTING_DAYS)


def top(conn: duckdb.DuckDBPyConnection, day: date, n: int, market: str = "um") -> Table:
    """The `n` highest-volume perpetuals of `market` on a checked `day` (ties share a rank):
    USD-M's USDT perpetuals by quote volume, COIN-M's perpetuals by USD notional."""
    require_checked(conn, day, market)
    answer = answer_table(conn, f"""
        SELECT rank, symbol, {RANKED_BY[market]},
               round(market_share_pct, 4) AS market_share_pct,
               rank_change_1d, rank_change_7d, rank_change_30d
        FROM volume_rankings WHERE date = $day AND market = $market AND rank <= $n
        ORDER BY rank, symbol
    """, day=day, n=n, market=market)  # noqa: S608  # fmt: skip
    if not answer.rows:
        _require_ranked(conn, day, market)
    return answer


def _require_ranked(conn: duckdb.DuckDBPyConnection, day: date, market: str) -> None:
    """An empty ranking is an answer only if no perpetual of the cohort had a file that day."""
    condition, cohort_name = COHORTS[market]
    (cohort,) = _one(conn, f"""
        SELECT count(*) FROM available_by_date JOIN symbols USING (market, symbol)
        WHERE date = $day AND market = $market AND kind = 'perpetual' AND {condition}
    """, day=day, market=market)  # noqa: S608  # fmt: skip
    if cohort:
        raise NotKnown(
            f"{day} was checked and {cohort} {cohort_name} had a file, but the release has no "
            f"ranking for it: materialize daily_volume and volume_rankings for {day}, then "
            "release_artifact"
        )


SUMMARY = """
SELECT (SELECT count(*) FROM symbols WHERE market = $market),
       (SELECT count(*) FROM symbols WHERE market = $market AND kind = 'perpetual'),
       (SELECT count(*) FROM symbols WHERE market = $market AND kind = 'delivery'),
       count(DISTINCT symbol),
       (SELECT count(DISTINCT symbol) FROM available_by_date WHERE market = $market),
       count(*),
       -- the available rows, counted
       (SELECT count(*) FROM available_by_date WHERE market = $market),
       (SELECT count(*) FROM available_by_date WHERE date = $latest AND market = $market),
       -- every ranked day has a rank 1 (dense ranks): far fewer dates to tell apart
       (SELECT count(DISTINCT date) FROM volume_rankings WHERE rank = 1 AND market = $market),
       (SELECT max(date) FROM volume_rankings WHERE market = $market)
FROM daily_availability WHERE market = $market
"""
SUMMARY_FIGURES = ("symbols_discovered", "perpetual_symbols_discovered",
                   "delivery_symbols_discovered", "symbols_checked", "symbols_with_files",
                   "availability_rows", "available_rows", "available_on_latest_checked_date",
                   "ranked_days", "latest_ranked_date")  # fmt: skip


def freshness(conn: duckdb.DuckDBPyConnection) -> tuple[datetime, dict[str, date | None]]:
    """When the release was made (UTC, without a zone), and each market's newest checked day
    (None for a market it never checked)."""
    (made,) = _one(conn, f"SELECT generated_at FROM {RELEASE_INFO}")  # noqa: S608
    return made, {market: Coverage.of(conn, market).latest for market in MARKETS}


def summary(conn: duckdb.DuckDBPyConnection, market: str = "um") -> dict:
    """What a release knows of `market`, figure by figure: the one home of the figures that
    stats.json, RELEASE_NOTES.md, the release's metadata in the UI and `bfa query summary`
    show, each named for what it counts (cli.output.SUMMARY_FACTS says what each means).

    The history runs from the market's first day (see coverage.history_start) to the release's
    newest day (the day before it was made), so the days after the latest checked day are
    among the unchecked ones.
    """
    about = f"SELECT generated_at, newest_day FROM {RELEASE_INFO}"  # noqa: S608
    generated_at, newest = _one(conn, about)
    checked, first = Coverage.of(conn, market), history_start(conn, market)
    unchecked = checked.history_gaps(newest, first)
    figures = _one(conn, SUMMARY, latest=checked.latest, market=market)
    return {
        "generated_at": f"{generated_at:%Y-%m-%d %H:%M:%S} UTC",
        "history": (first, newest),
        "checked_days": checked.days,
        "checked_ranges": list(checked.ranges),
        "latest_checked_date": checked.latest,
        "unchecked_days": sum((b - a).days + 1 for a, b in unchecked),
        "unchecked_ranges": unchecked,
        "complete": not unchecked,
        **dict(zip(SUMMARY_FIGURES, figures, strict=True)),
    }
