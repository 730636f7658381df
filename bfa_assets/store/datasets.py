"""Dataset coverage: the files listed per window, the days checked, and the contract's views.

The working database keeps facts per file (`dataset_files`: one row per daily file, or per
monthly file of a monthly-only dataset) and per checked day (`dataset_probe_log`), because a
window can be re-checked anywhere in a run of days: a run's byte count cannot be split without
the bytes of each day. Of the contract, `dataset_checks` and `dataset_days` are views, over
those facts and over the 1m klines' own (`daily_availability`, `probe_log`), so the 1m files
are never stored twice; `dataset_runs` is a table the window writes keep up to date
(store/runs.py), since computing the runs sorts every file. The release copies the runs and
checks (release/database.py).

A run ends at a day without the file and at a day that was not checked: unchecked is never
absent, and never present either.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import duckdb
import polars as pl

from bfa_assets.common.days import Window
from bfa_assets.store import changes, runs
from bfa_assets.store.selection import Scope
from bfa_assets.store.transactions import stage, staging_table, transaction
from bfa_assets.vision.datasets import Dataset

FILES_SCHEMA = {
    "market": pl.String,
    "dataset": pl.String,
    "symbol": pl.String,
    "first_date": pl.Date,
    "last_date": pl.Date,
    "bytes": pl.Int64,
}

# The views of the contract, over the working database's facts (migrations 8 and 9).
CHECKS_VIEW = f"""
CREATE OR REPLACE VIEW dataset_checks AS
WITH days AS ({runs.CHECKED})
SELECT market, dataset, min(date) AS first_date, max(date) AS last_date
FROM (
    SELECT *, date - (row_number() OVER (PARTITION BY market, dataset ORDER BY date))::INTEGER
        AS island
    FROM days
)
GROUP BY market, dataset, island
"""  # noqa: S608 - a constant, no input
# Over `dataset_runs`, in the working database and in the release alike.
DAYS = """
SELECT CAST(d AS DATE) AS date, market, dataset, symbol
FROM dataset_runs, range(first_date, last_date + 1, INTERVAL 1 DAY) AS t(d)
"""
DAYS_VIEW = f"CREATE OR REPLACE VIEW dataset_days AS {DAYS}"


@contextmanager
def window_writer(conn: duckdb.DuckDBPyConnection, scope: Scope) -> Iterator[CoverageWriter]:
    """A writer of a window's listed files, part by part; `finish` writes them all in one
    transaction. If the block raises before that, nothing is written."""
    with staging_table(conn, "dataset_files") as staged:
        yield CoverageWriter(conn, staged, scope)


@dataclass
class Checked:
    """One dataset listed by a run: the days it covered and the folders it listed (`names`:
    every folder of the dataset, or only the run's when restricted)."""

    dataset: Dataset
    span: Window
    names: list[str]


@dataclass
class CoverageWriter:
    """Replaces the files of each listed (market, dataset) over its span, and records the span's
    days as checked when the run listed every folder (a run restricted to some symbols claims
    nothing, as for the 1m files)."""

    conn: duckdb.DuckDBPyConnection
    staged: str
    scope: Scope

    def add(self, part: pl.DataFrame) -> None:
        """Stage listed files (FILES_SCHEMA)."""
        stage(self.conn, self.staged, part)

    def finish(self, listed: list[Checked], checked_at: datetime) -> None:
        touched = [
            (item.dataset.market, item.dataset.name, item.span.start, item.span.end)
            for item in listed
        ]
        with transaction(self.conn), runs.kept_up(self.conn, touched):
            for item in listed:
                params = {
                    "market": item.dataset.market,
                    "dataset": item.dataset.name,
                    "start": item.span.start,
                    "end": item.span.end,
                }
                names = None if self.scope.whole else item.names
                self.conn.execute(
                    "DELETE FROM dataset_files WHERE market = $market AND dataset = $dataset "
                    "AND first_date BETWEEN $start AND $end "
                    "AND ($names IS NULL OR list_contains($names, symbol))",
                    {**params, "names": names},
                )
                if self.scope.whole:
                    self.conn.execute(
                        "INSERT OR REPLACE INTO dataset_probe_log "
                        "SELECT d::DATE, $market, $dataset, $checked, $folders "
                        "FROM generate_series($start::DATE, $end::DATE, INTERVAL 1 DAY) AS g(d)",
                        {**params, "checked": checked_at, "folders": len(item.names)},
                    )
            self.conn.execute(f"INSERT INTO dataset_files SELECT * FROM {self.staged}")  # noqa: S608
            if listed:
                first = min(item.span.start for item in listed)
                last = max(item.span.end for item in listed)
                changes.record(self.conn, "dataset_files", first, last, self.scope)


def per_day(
    conn: duckdb.DuckDBPyConnection, window: Window, markets: Sequence[str]
) -> pl.DataFrame:
    """Per date of the window: files found (daily datasets; a monthly file counts on each day
    it covers) in all and per dataset, and datasets checked."""
    return conn.sql(
        """
        WITH days AS (
            SELECT d::DATE AS date FROM generate_series($start::DATE, $end::DATE, INTERVAL 1 DAY)
            AS g(d)
        )
        SELECT days.date,
               count(f.symbol) AS files,
               count(DISTINCT f.market || '/' || f.dataset) AS datasets_with_files,
               (SELECT count(*) FROM dataset_probe_log p
                WHERE p.date = days.date AND list_contains($markets, p.market)) AS datasets_checked
        FROM days LEFT JOIN dataset_files f
          ON days.date BETWEEN f.first_date AND f.last_date
         AND list_contains($markets, f.market)
        GROUP BY days.date ORDER BY days.date
        """,
        params={"start": window.start, "end": window.end, "markets": list(markets)},
    ).pl()
