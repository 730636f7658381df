"""Reads and writes of `daily_volume`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime

import duckdb
import polars as pl

from bfa_assets.store import changes
from bfa_assets.store.selection import EVERYTHING, WINDOW, Scope, window_params
from bfa_assets.store.transactions import stage, staging_table, transaction

VOLUME_COLUMNS = {
    "date": pl.Date,
    "market": pl.String,
    "symbol": pl.String,
    "open_price": pl.Float64,
    "high_price": pl.Float64,
    "low_price": pl.Float64,
    "close_price": pl.Float64,
    "volume_base": pl.Float64,
    "quote_volume": pl.Float64,
    "trade_count": pl.Int64,
    "taker_buy_volume_base": pl.Float64,
    "taker_buy_quote_volume": pl.Float64,
    "contracts": pl.Float64,
    "taker_buy_contracts": pl.Float64,
    "source_key": pl.String,
    "source_etag": pl.String,
    "sha256": pl.String,
    "fetched_at": pl.Datetime("us", "UTC"),
}
# Vision's CSV names -> the table's, where they differ, for both markets.
FROM_CSV = {
    "open": "open_price",
    "high": "high_price",
    "low": "low_price",
    "close": "close_price",
    "count": "trade_count",
}
# The four volume columns by position (named by USD-M's header) -> the table's, per market:
# COIN-M's hold contracts where USD-M's hold the base asset, and the coin where USD-M's hold the
# quote asset (its headered files name them as USD-M's do: the header is not read, only positions).
VOLUMES = {
    "um": {
        "volume": "volume_base",
        "quote_volume": "quote_volume",
        "taker_buy_volume": "taker_buy_volume_base",
        "taker_buy_quote_volume": "taker_buy_quote_volume",
    },
    "cm": {
        "volume": "contracts",
        "quote_volume": "volume_base",
        "taker_buy_volume": "taker_buy_contracts",
        "taker_buy_quote_volume": "taker_buy_volume_base",
    },
}
ISSUE_COLUMNS = {
    "date": pl.Date,
    "market": pl.String,
    "symbol": pl.String,
    "issue": pl.String,  # no_1d_file | no_bar_in_file | file_failed
    "source_key": pl.String,
    "detail": pl.String,
}


def table_rows(bars: pl.DataFrame, fetched_at: datetime) -> pl.DataFrame:
    """Vision's bars (CSV names, with their source file and market) as rows of daily_volume;
    a column the bar's market does not have is NULL."""
    volumes = {}
    for market, names in VOLUMES.items():
        for csv_name, column in names.items():
            volumes.setdefault(column, []).append((market, csv_name))
    return (
        bars.rename(FROM_CSV)
        .with_columns(_by_market(column, sources) for column, sources in volumes.items())
        .with_columns(fetched_at=pl.lit(fetched_at))
        .select(list(VOLUME_COLUMNS))
        .cast(VOLUME_COLUMNS)
    )


def _by_market(column: str, sources: list[tuple[str, str]]) -> pl.Expr:
    """`column` from the CSV column each market keeps it in (NULL for the other markets)."""
    market, csv_name = sources[0]
    expr = pl.when(pl.col("market") == market).then(pl.col(csv_name))
    for market, csv_name in sources[1:]:
        expr = expr.when(pl.col("market") == market).then(pl.col(csv_name))
    return expr.otherwise(None).alias(column)


def available_days(
    conn: duckdb.DuckDBPyConnection, start: date, end: date, scope: Scope = EVERYTHING
) -> dict[str, dict[str, list[date]]]:
    """market -> symbol -> its available days in the window: the days that need a volume row."""
    rows = conn.execute(
        f"SELECT market, symbol, list(date ORDER BY date) FROM daily_availability "  # noqa: S608
        f"WHERE available AND {WINDOW} GROUP BY market, symbol ORDER BY market, symbol",
        window_params(start, end, scope),
    ).fetchall()
    needs: dict[str, dict[str, list[date]]] = {market: {} for market in scope.markets}
    for market, symbol, days in rows:
        needs[market][symbol] = days
    return needs


def stored_sources(
    conn: duckdb.DuckDBPyConnection, start: date, end: date, scope: Scope = EVERYTHING
) -> dict[tuple[str, date], tuple[str, str]]:
    """(symbol, date) -> (source_key, source_etag) of the rows already in the window (symbol
    names are unique across markets)."""
    rows = conn.execute(
        f"SELECT symbol, date, source_key, source_etag FROM daily_volume WHERE {WINDOW}",  # noqa: S608
        window_params(start, end, scope),
    ).fetchall()
    return {(s, d): (k, e) for s, d, k, e in rows}


def known_files(
    conn: duckdb.DuckDBPyConnection, keys: Sequence[str]
) -> dict[str, tuple[str, set[date]]]:
    """source_key -> (ETag, days with a bar) of files read and verified before."""
    rows = conn.execute(
        "SELECT source_key, source_etag, bar_days FROM volume_files "
        "WHERE list_contains($keys, source_key)",
        {"keys": list(keys)},
    ).fetchall()
    return {key: (etag, set(days)) for key, etag, days in rows}


@contextmanager
def window_writer(
    conn: duckdb.DuckDBPyConnection, start: date, end: date, scope: Scope = EVERYTHING
) -> Iterator[WindowWriter]:
    """A writer of the window's rows, part by part; `finish` writes them all in one
    transaction. If the block raises before that, nothing is written."""
    with staging_table(conn, "daily_volume") as staged:
        yield WindowWriter(conn, staged, start, end, scope, datetime.now(UTC))


@dataclass
class WindowWriter:
    """Replaces the window's rows of the fetched (symbol, date)s.

    Rows whose source did not change (and so was not fetched) stay as they are, and so does a
    row whose new file failed verification: a bad re-upload does not erase a verified bar.
    """

    conn: duckdb.DuckDBPyConnection
    staged: str  # the staging table
    start: date
    end: date
    scope: Scope
    fetched_at: datetime

    @property
    def params(self) -> dict:
        return window_params(self.start, self.end, self.scope)

    def add_bars(self, bars: pl.DataFrame) -> None:
        """Stage bars that replace the stored rows of their (symbol, date)s."""
        stage(self.conn, self.staged, table_rows(bars, self.fetched_at))

    def finish(self, files: pl.DataFrame, issues: list[tuple]) -> int:
        """In one transaction: replace the stored rows by the staged ones, drop rows of days no
        longer available, record every file read (`files`: source_key, source_etag, sha256,
        market, symbol, bar_days), so an unchanged one is not fetched again, and replace the
        window's record of why available days have no row (`issues`: ISSUE_COLUMNS tuples).
        Returns the number of rows dropped."""
        files = files.with_columns(fetched_at=pl.lit(self.fetched_at))
        issues = pl.DataFrame(issues, schema=ISSUE_COLUMNS, orient="row")
        with transaction(self.conn) as conn:
            conn.execute(
                f"DELETE FROM daily_volume v WHERE {WINDOW} AND EXISTS (SELECT 1 FROM "  # noqa: S608
                f"{self.staged} f WHERE f.market = v.market AND f.symbol = v.symbol "
                "AND f.date = v.date)",
                self.params,
            )
            # `a.date` bounded too: else the join hashes every available day of the history.
            (gone,) = conn.execute(
                f"DELETE FROM daily_volume v WHERE {WINDOW} AND NOT EXISTS (SELECT 1 FROM "  # noqa: S608
                "daily_availability a WHERE a.market = v.market AND a.symbol = v.symbol "
                "AND a.date = v.date AND a.available AND a.date BETWEEN $start AND $end)",
                self.params,
            ).fetchall()[0]
            conn.execute(f"INSERT INTO daily_volume SELECT * FROM {self.staged}")  # noqa: S608
            changes.record(conn, "daily_volume", self.start, self.end, self.scope)
            conn.register("files", files)
            conn.execute("INSERT OR REPLACE INTO volume_files BY NAME SELECT * FROM files")
            conn.execute(f"DELETE FROM volume_issues WHERE {WINDOW}", self.params)  # noqa: S608
            conn.register("issues", issues)
            conn.execute(
                "INSERT INTO volume_issues BY NAME SELECT *, now() AS checked_at FROM issues"
            )
            for name in ("files", "issues"):
                conn.unregister(name)
        return gone


def per_day(
    conn: duckdb.DuckDBPyConnection, start: date, end: date, scope: Scope = EVERYTHING
) -> pl.DataFrame:
    """Per day of the window: bars stored (in all, and per market), the quote volume of USD-M's
    USDT-quoted contracts (other quote assets are not comparable) and COIN-M's volume in USD
    (contracts x contract size)."""
    return conn.sql(
        "SELECT v.date, count(*) AS bars, "  # noqa: S608
        "count(*) FILTER (v.market = 'um') AS um_bars, "
        "count(*) FILTER (v.market = 'cm') AS cm_bars, "
        "coalesce(sum(v.quote_volume) FILTER (s.quote_asset = 'USDT'), 0) AS usdt_quote_volume, "
        "coalesce(sum(v.contracts * s.contract_size_usd), 0) AS cm_notional_usd "
        f"FROM (SELECT * FROM daily_volume WHERE {WINDOW}) v "
        "JOIN symbols s USING (market, symbol) GROUP BY v.date ORDER BY v.date",
        params=window_params(start, end, scope),
    ).pl()
