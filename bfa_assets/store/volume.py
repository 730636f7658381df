"""Reads and writes of `daily_volume`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

import duckdb
import polars as pl

from bfa_assets.store.transactions import stage, staging_table, transaction

# The window (and optional symbol subset) every statement here works on. It is a constant and
# all values are bound parameters, hence the S608 exemptions below.
_FILTER = "date BETWEEN $start AND $end AND ($symbols IS NULL OR list_contains($symbols, symbol))"


def _params(start: date, end: date, symbols: Sequence[str] | None) -> dict:
    return {"start": start, "end": end, "symbols": list(symbols) if symbols else None}


def available_days(
    conn: duckdb.DuckDBPyConnection, start: date, end: date, symbols: Sequence[str] | None = None
) -> dict[str, list[date]]:
    """The available days of each symbol in the window: the days that need a volume row."""
    rows = conn.execute(
        f"SELECT symbol, list(date ORDER BY date) FROM daily_availability "  # noqa: S608
        f"WHERE available AND {_FILTER} GROUP BY symbol ORDER BY symbol",
        _params(start, end, symbols),
    ).fetchall()
    return dict(rows)


def stored_sources(
    conn: duckdb.DuckDBPyConnection, start: date, end: date, symbols: Sequence[str] | None = None
) -> dict[tuple[str, date], tuple[str, str]]:
    """(symbol, date) -> (source_key, source_etag) of the rows already in the window."""
    rows = conn.execute(
        f"SELECT symbol, date, source_key, source_etag FROM daily_volume WHERE {_FILTER}",  # noqa: S608
        _params(start, end, symbols),
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
        yield WindowWriter(conn, staged, _params(start, end, symbols))


@dataclass
class WindowWriter:
    """Replaces the window's rows of the fetched (symbol, date)s.

    Rows whose source did not change (and so was not fetched) stay as they are, and so does a
    row whose new file failed verification: a bad re-upload does not erase a verified bar.
    """

    conn: duckdb.DuckDBPyConnection
    staged: str  # the staging table
    params: dict

    def add_rows(self, rows: pl.DataFrame) -> None:
        """Stage rows that replace the stored rows of their (symbol, date)s."""
        stage(self.conn, self.staged, rows)

    def finish(self, files: pl.DataFrame, issues: pl.DataFrame) -> int:
        """In one transaction: replace the stored rows by the staged ones, drop rows of days no
        longer available, record every file read (so an unchanged one is not fetched again)
        and replace the window's record of why available days have no row. Returns the number
        of rows dropped."""
        with transaction(self.conn) as conn:
            conn.execute(
                f"DELETE FROM daily_volume v WHERE {_FILTER} AND EXISTS (SELECT 1 FROM "  # noqa: S608
                f"{self.staged} f WHERE f.symbol = v.symbol AND f.date = v.date)",
                self.params,
            )
            (gone,) = conn.execute(
                f"DELETE FROM daily_volume v WHERE {_FILTER} AND NOT EXISTS (SELECT 1 FROM "  # noqa: S608
                "daily_availability a WHERE a.symbol = v.symbol AND a.date = v.date "
                "AND a.available)",
                self.params,
            ).fetchall()[0]
            conn.execute(f"INSERT INTO daily_volume SELECT * FROM {self.staged}")  # noqa: S608
            conn.register("files", files)
            conn.execute("INSERT OR REPLACE INTO volume_files BY NAME SELECT * FROM files")
            conn.execute(f"DELETE FROM volume_issues WHERE {_FILTER}", self.params)  # noqa: S608
            conn.register("issues", issues)
            conn.execute(
                "INSERT INTO volume_issues BY NAME SELECT *, now() AS checked_at FROM issues"
            )
            for name in ("files", "issues"):
                conn.unregister(name)
        return gone
