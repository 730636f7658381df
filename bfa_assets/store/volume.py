"""Reads and writes of `daily_volume`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime

import duckdb
import polars as pl

from bfa_assets.store import changes
from bfa_assets.store.selection import WINDOW, window_params
from bfa_assets.store.transactions import stage, staging_table, transaction

VOLUME_COLUMNS = {
    "date": pl.Date,
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
    "source_key": pl.String,
    "source_etag": pl.String,
    "sha256": pl.String,
    "fetched_at": pl.Datetime("us", "UTC"),
}
# Vision's CSV names -> the table's, where they differ.
FROM_CSV = {
    "open": "open_price",
    "high": "high_price",
    "low": "low_price",
    "close": "close_price",
    "volume": "volume_base",
    "count": "trade_count",
    "taker_buy_volume": "taker_buy_volume_base",
}
ISSUE_COLUMNS = {
    "date": pl.Date,
    "symbol": pl.String,
    "issue": pl.String,  # no_1d_file | no_bar_in_file | file_failed
    "source_key": pl.String,
    "detail": pl.String,
}


def table_rows(bars: pl.DataFrame, fetched_at: datetime) -> pl.DataFrame:
    """Vision's bars (CSV names, with their source file) as rows of daily_volume."""
    return (
        bars.rename(FROM_CSV)
        .with_columns(fetched_at=pl.lit(fetched_at))
        .select(list(VOLUME_COLUMNS))
        .cast(VOLUME_COLUMNS)
    )


def available_days(
    conn: duckdb.DuckDBPyConnection, start: date, end: date, symbols: Sequence[str] | None = None
) -> dict[str, list[date]]:
    """The available days of each symbol in the window: the days that need a volume row."""
    rows = conn.execute(
        f"SELECT symbol, list(date ORDER BY date) FROM daily_availability "  # noqa: S608
        f"WHERE available AND {WINDOW} GROUP BY symbol ORDER BY symbol",
        window_params(start, end, symbols),
    ).fetchall()
    return dict(rows)


def stored_sources(
    conn: duckdb.DuckDBPyConnection, start: date, end: date, symbols: Sequence[str] | None = None
) -> dict[tuple[str, date], tuple[str, str]]:
    """(symbol, date) -> (source_key, source_etag) of the rows already in the window."""
    rows = conn.execute(
        f"SELECT symbol, date, source_key, source_etag FROM daily_volume WHERE {WINDOW}",  # noqa: S608
        window_params(start, end, symbols),
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
    conn: duckdb.DuckDBPyConnection, start: date, end: date, symbols: Sequence[str] | None = None
) -> Iterator[WindowWriter]:
    """A writer of the window's rows, part by part; `finish` writes them all in one
    transaction. If the block raises before that, nothing is written."""
    with staging_table(conn, "daily_volume") as staged:
        yield WindowWriter(conn, staged, window_params(start, end, symbols), datetime.now(UTC))


@dataclass
class WindowWriter:
    """Replaces the window's rows of the fetched (symbol, date)s.

    Rows whose source did not change (and so was not fetched) stay as they are, and so does a
    row whose new file failed verification: a bad re-upload does not erase a verified bar.
    """

    conn: duckdb.DuckDBPyConnection
    staged: str  # the staging table
    params: dict
    fetched_at: datetime

    def add_bars(self, bars: pl.DataFrame) -> None:
        """Stage bars that replace the stored rows of their (symbol, date)s."""
        stage(self.conn, self.staged, table_rows(bars, self.fetched_at))

    def finish(self, files: pl.DataFrame, issues: list[tuple]) -> int:
        """In one transaction: replace the stored rows by the staged ones, drop rows of days no
        longer available, record every file read (`files`: source_key, source_etag, sha256,
        symbol, bar_days), so an unchanged one is not fetched again, and replace the window's
        record of why available days have no row (`issues`: ISSUE_COLUMNS tuples). Returns the
        number of rows dropped."""
        files = files.with_columns(fetched_at=pl.lit(self.fetched_at))
        issues = pl.DataFrame(issues, schema=ISSUE_COLUMNS, orient="row")
        with transaction(self.conn) as conn:
            conn.execute(
                f"DELETE FROM daily_volume v WHERE {WINDOW} AND EXISTS (SELECT 1 FROM "  # noqa: S608
                f"{self.staged} f WHERE f.symbol = v.symbol AND f.date = v.date)",
                self.params,
            )
            (gone,) = conn.execute(
                f"DELETE FROM daily_volume v WHERE {WINDOW} AND NOT EXISTS (SELECT 1 FROM "  # noqa: S608
                "daily_availability a WHERE a.symbol = v.symbol AND a.date = v.date "
                "AND a.available)",
                self.params,
            ).fetchall()[0]
            conn.execute(f"INSERT INTO daily_volume SELECT * FROM {self.staged}")  # noqa: S608
            window = (self.params["start"], self.params["end"], self.params["symbols"])
            changes.record(conn, "daily_volume", *window)
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
    conn: duckdb.DuckDBPyConnection, start: date, end: date, symbols: Sequence[str] | None = None
) -> pl.DataFrame:
    """Per day of the window: bars stored, and the quote volume of the USDT-quoted contracts
    (other quote assets are not comparable)."""
    return conn.sql(
        "SELECT v.date, count(*) AS bars, "  # noqa: S608
        "coalesce(sum(v.quote_volume) FILTER (s.quote_asset = 'USDT'), 0) AS usdt_quote_volume "
        f"FROM (SELECT * FROM daily_volume WHERE {WINDOW}) v JOIN symbols s USING (symbol) "
        "GROUP BY v.date ORDER BY v.date",
        params=window_params(start, end, symbols),
    ).pl()
