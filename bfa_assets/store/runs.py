"""`dataset_runs`, kept up to date by the window writes instead of computed at each read.

A run is a maximal stretch of checked days on which a folder has its file (store/datasets.py
says what the contract promises). Computing every run from the files sorts every file of the
history, and the release, its check and the queries each read the runs; so the table holds
them, and each window write cuts and mends only the runs it touches, in its own transaction:

1. Before the window's facts are replaced (`kept_up` entering): the runs that overlap the window
   or end or start next to it are taken out, and what lies outside the window is kept as
   *fragments*. A fragment's files and bytes are the run's minus those of its files in and after
   the window (both are read from the window on, not from the run's first day).
2. After (`kept_up` leaving): the fragments and the files now in the window on checked days are
   the pieces; pieces whose days follow each other merge into one run.

Pieces merge by one window function: within a run, each piece starts the day after the
previous one ends, so `last_date - (days covered so far)` is the same for all of a run's pieces
and different for the next run's. Daily files cover a day, monthly files their month, and
fragments their stretch: one rule for all. Rebuilding from nothing (`REBUILD`, the migration)
is the same two steps over every date, without any run to cut.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date

import duckdb

from bfa_assets.vision.keys import KLINES

# Every file, the 1m klines' from their own table (they are never stored twice).
FILES = f"""
    SELECT market, dataset, symbol, first_date, last_date, bytes FROM dataset_files
    UNION ALL
    SELECT market, '{KLINES}', symbol, date, date, file_size_bytes
    FROM daily_availability WHERE available
"""  # noqa: S608 - a constant, no input
# Every checked day of every (market, dataset).
CHECKED = f"""
    SELECT date, market, dataset FROM dataset_probe_log
    UNION ALL
    SELECT date, market, '{KLINES}' FROM probe_log
"""  # noqa: S608 - a constant, no input

# The windows a write replaces, per (market, dataset): `runs_touched(market, dataset, start, stop)`.
TOUCHED = "CREATE OR REPLACE TEMP TABLE runs_touched "
# 1. Take out the runs the windows touch, keep their fragments outside the windows.
CUT = f"""
CREATE OR REPLACE TEMP TABLE runs_cut AS
SELECT r.*, t.start, t.stop FROM dataset_runs r JOIN runs_touched t USING (market, dataset)
WHERE r.last_date >= t.start - 1 AND r.first_date <= t.stop + 1;

DELETE FROM dataset_runs r USING runs_cut c
WHERE r.market = c.market AND r.dataset = c.dataset AND r.symbol = c.symbol
  AND r.first_date = c.first_date;

CREATE OR REPLACE TEMP TABLE runs_fragments AS
WITH files AS ({FILES}), later AS (  -- each cut run's files from its window on
    SELECT c.market, c.dataset, c.symbol, c.first_date,
           count(*) FILTER (f.first_date <= c.stop) AS inside_files,
           coalesce(sum(f.bytes) FILTER (f.first_date <= c.stop), 0) AS inside_bytes,
           count(*) FILTER (f.first_date > c.stop) AS after_files,
           coalesce(sum(f.bytes) FILTER (f.first_date > c.stop), 0) AS after_bytes
    FROM runs_cut c JOIN files f
      ON f.market = c.market AND f.dataset = c.dataset AND f.symbol = c.symbol
     AND f.first_date BETWEEN greatest(c.first_date, c.start) AND c.last_date
    WHERE f.first_date >= (SELECT min(start) FROM runs_touched)
    GROUP BY ALL
)
SELECT c.market, c.dataset, c.symbol, c.first_date, c.start - 1 AS last_date,
       c.files - coalesce(l.inside_files + l.after_files, 0) AS files,
       c.bytes - coalesce(l.inside_bytes + l.after_bytes, 0) AS bytes
FROM runs_cut c LEFT JOIN later l USING (market, dataset, symbol, first_date)
WHERE c.first_date < c.start
UNION ALL
SELECT c.market, c.dataset, c.symbol, c.stop + 1, c.last_date, l.after_files, l.after_bytes
FROM runs_cut c JOIN later l USING (market, dataset, symbol, first_date)
WHERE c.last_date > c.stop;
"""  # noqa: S608 - constants, no input
# 2. Merge the fragments with the windows' files on checked days.
MERGE = f"""
INSERT INTO dataset_runs
WITH files AS ({FILES}), checked AS ({CHECKED}), pieces AS (
    SELECT market, dataset, symbol, first_date, last_date, files, bytes FROM runs_fragments
    UNION ALL
    SELECT f.market, f.dataset, f.symbol, f.first_date, f.last_date, 1, f.bytes
    FROM files f
    JOIN runs_touched t ON t.market = f.market AND t.dataset = f.dataset
     AND f.first_date BETWEEN t.start AND t.stop
    JOIN checked c ON c.market = f.market AND c.dataset = f.dataset AND c.date = f.first_date
    WHERE f.first_date >= (SELECT min(start) FROM runs_touched)
)
SELECT market, dataset, symbol, min(first_date), max(last_date), sum(files)::BIGINT,
       sum(bytes)::BIGINT
FROM (
    SELECT *, last_date - (sum(last_date - first_date + 1) OVER (
        PARTITION BY market, dataset, symbol ORDER BY first_date ROWS UNBOUNDED PRECEDING
    ))::INTEGER AS run
    FROM pieces
)
GROUP BY market, dataset, symbol, run;

DROP TABLE runs_touched;
DROP TABLE runs_cut;
DROP TABLE runs_fragments;
"""  # noqa: S608 - constants, no input
# Every run from nothing: every (market, dataset) checked, over every date.
REBUILD = f"""
{TOUCHED} AS SELECT DISTINCT market, dataset, DATE '0001-01-01' AS start, DATE '9999-12-31' AS stop
FROM ({CHECKED});
DELETE FROM dataset_runs;
{CUT}{MERGE}"""  # noqa: S608 - constants, no input


@contextmanager
def kept_up(
    conn: duckdb.DuckDBPyConnection, touched: Sequence[tuple[str, str, date, date]]
) -> Iterator[None]:
    """Around the replacement of windows' facts (files, checked days), inside its transaction:
    `touched` holds (market, dataset, first day, last day) per window replaced."""
    if not touched:
        yield
        return
    conn.execute(f"{TOUCHED} (market VARCHAR, dataset VARCHAR, start DATE, stop DATE)")
    conn.executemany("INSERT INTO runs_touched VALUES (?, ?, ?, ?)", list(touched))
    conn.execute(CUT)
    yield
    conn.execute(MERGE)
