"""`daily_availability` and `probe_log`: rows from listed files, and delete-then-insert of a
whole window."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import quote

import duckdb
import polars as pl

from bfa_assets.store import changes, runs
from bfa_assets.store.selection import EVERYTHING, WINDOW, Scope, window_params
from bfa_assets.store.transactions import stage, staging_table, transaction
from bfa_assets.vision import keys
from bfa_assets.vision.availability import FOUND_SCHEMA

AVAILABILITY_SCHEMA = {
    "date": pl.Date,
    "market": pl.String,
    "symbol": pl.String,
    "available": pl.Boolean,
    "file_size_bytes": pl.Int64,
    "last_modified": pl.Datetime("us", "UTC"),
    "etag": pl.String,
    "url": pl.String,
    "checked_at": pl.Datetime("us", "UTC"),
}


SYMBOLS_PER_PART = 100


def availability_parts(
    market: str,
    first_days: dict[str, date],
    found: Mapping[str, pl.DataFrame],
    start: date,
    end: date,
    base_url: str,
    checked_at: datetime,
    symbols_per_part: int = SYMBOLS_PER_PART,
) -> Iterator[pl.DataFrame]:
    """One row per (date, symbol) of `market` in [start, end] from the symbol's first 1m day on,
    built
    `symbols_per_part` symbols at a time; `found` holds each symbol's listed files
    (FOUND_SCHEMA). A whole history is 1.3 M rows with their URLs, and built at once it was the
    run's peak of memory."""
    days = pl.DataFrame({"date": pl.date_range(start, end, "1d", eager=True)}).lazy()
    symbols = list(first_days)
    for i in range(0, len(symbols), symbols_per_part):
        part = {s: first_days[s] for s in symbols[i : i + symbols_per_part]}
        files = pl.concat(
            [pl.DataFrame(schema=FOUND_SCHEMA), *(found[s] for s in part if s in found)]
        )
        yield _rows(days, market, part, files, base_url.rstrip("/"), checked_at)


def _rows(
    days: pl.LazyFrame,
    market: str,
    first_days: dict[str, date],
    found: pl.DataFrame,
    base: str,
    at: datetime,
) -> pl.DataFrame:
    symbols = pl.DataFrame(
        {
            "symbol": list(first_days),
            "first_day": list(first_days.values()),
            "path": [quote(s, safe="") for s in first_days],
        },
        schema={"symbol": pl.String, "first_day": pl.Date, "path": pl.String},
    )
    return (
        days.join(symbols.lazy(), how="cross")
        .filter(pl.col("date") >= pl.col("first_day"))
        .join(found.lazy(), on=["date", "symbol"], how="left")
        .with_columns(
            available=pl.col("etag").is_not_null(),
            url=pl.format(
                "{}/{}{}/1m/{}-1m-{}.zip",
                pl.lit(base),
                pl.lit(keys.klines_root(market)),
                "path",
                "path",
                pl.col("date").dt.to_string(),
            ),
            checked_at=pl.lit(at, dtype=pl.Datetime("us", "UTC")),
            market=pl.lit(market),
        )
        .select(list(AVAILABILITY_SCHEMA))
        .cast(AVAILABILITY_SCHEMA)
        .sort("date", "symbol")
        .collect()
    )


def replace_window(
    conn: duckdb.DuckDBPyConnection,
    parts: Iterable[pl.DataFrame],
    start: date,
    end: date,
    checked_at: datetime,
    scope: Scope = EVERYTHING,
) -> None:
    """Replace the window's rows (of the scope's markets and symbols) by `parts`, in one
    transaction (see `WindowWriter`)."""
    with window_writer(conn, start, end, scope) as writer:
        for part in parts:
            writer.add(part)
        writer.finish(checked_at)


@contextmanager
def window_writer(
    conn: duckdb.DuckDBPyConnection, start: date, end: date, scope: Scope = EVERYTHING
) -> Iterator[WindowWriter]:
    """A writer of the window's rows, part by part; `finish` writes them all in one
    transaction. If the block raises before that, nothing is written."""
    with staging_table(conn, "daily_availability") as staged:
        yield WindowWriter(conn, staged, start, end, scope)


@dataclass
class WindowWriter:
    """Replaces the window's rows (of the scope's markets and symbols).

    Parts are staged one at a time as they are built (see `staging_table`), so that only one
    is ever in memory. probe_log records a day as checked for a market only when every known
    symbol of that market was checked: a run restricted to some symbols claims nothing, and a
    run restricted to one market claims nothing for the other.
    """

    conn: duckdb.DuckDBPyConnection
    staged: str  # the staging table
    start: date
    end: date
    scope: Scope

    @property
    def params(self) -> dict:
        return window_params(self.start, self.end, self.scope)

    def add(self, part: pl.DataFrame) -> None:
        """Stage rows of the window (AVAILABILITY_SCHEMA)."""
        stage(self.conn, self.staged, part)

    def finish(self, checked_at: datetime) -> None:
        """In one transaction: the window's rows replaced by the staged ones, the change
        logged, and (for a run over whole markets) the days recorded as checked at
        `checked_at`."""
        touched = [(market, keys.KLINES, self.start, self.end) for market in self.scope.markets]
        with transaction(self.conn), runs.kept_up(self.conn, touched):
            self.conn.execute(
                f"DELETE FROM daily_availability WHERE {WINDOW}",  # noqa: S608
                self.params,
            )
            self.conn.execute(f"INSERT INTO daily_availability SELECT * FROM {self.staged}")  # noqa: S608
            changes.record(self.conn, "daily_availability", self.start, self.end, self.scope)
            if self.scope.whole:  # the window now holds exactly the new rows of its markets
                self.conn.execute(
                    """
                    INSERT OR REPLACE INTO probe_log
                    SELECT d::DATE, m.market, $checked,
                           count(a.symbol)::INTEGER, count(*) FILTER (a.available)::INTEGER
                    FROM generate_series($start::DATE, $end::DATE, INTERVAL 1 DAY) AS g(d)
                    CROSS JOIN unnest($markets::VARCHAR[]) AS m(market)
                    LEFT JOIN daily_availability a ON a.date = d::DATE AND a.market = m.market
                    GROUP BY d, m.market
                    """,
                    {
                        "start": self.start,
                        "end": self.end,
                        "checked": checked_at,
                        "markets": list(self.scope.markets),
                    },
                )


def per_day_counts(
    conn: duckdb.DuckDBPyConnection, start: date, end: date, scope: Scope = EVERYTHING
) -> pl.DataFrame:
    """Per date of the window (of the scope): symbols with a file, in all and per market, and
    symbols checked (those whose history had begun: the day's rows)."""
    return conn.sql(
        "SELECT date, count(*) FILTER (available) AS available_symbols, "  # noqa: S608
        "count(*) FILTER (available AND market = 'um') AS um_available_symbols, "
        "count(*) FILTER (available AND market = 'cm') AS cm_available_symbols, "
        "count(*) AS symbols_checked "
        f"FROM daily_availability WHERE {WINDOW} GROUP BY date ORDER BY date",
        params=window_params(start, end, scope),
    ).pl()
