"""The checks of dataset_coverage: continuity per dataset, new whole-dataset incidents, and the
uniqueness the window writes keep (`dataset_files` has no primary key: store/datasets.py).

Both WARN checks are about what a user can rely on, not about broken tables: an unchecked day
is answered "not known" anyway, and an incident is Vision's. The uniqueness is an ERROR: a file
counted twice would make every run's figures wrong.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import duckdb

from bfa_assets.common.days import month_end, runs
from bfa_assets.common.markets import MARKETS, NAMES
from bfa_assets.quality.findings import (
    ERROR,
    WARN,
    Finding,
    all_rows,
    as_yaml,
    rows_by_span,
)
from bfa_assets.store.coverage import span
from bfa_assets.store.runs import CHECKED
from bfa_assets.vision.keys import KLINES

CONTINUITY = "dataset_continuity"
INCIDENTS = "dataset_incidents"
UNIQUE = "dataset_files_unique"
RECENT_DAYS = 30  # an incident is new while it lies within this many days of the newest check


CHECKED_DAYS = f"SELECT market, dataset, date FROM ({CHECKED}) ORDER BY ALL"  # noqa: S608


def _checked(conn: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], list[date]]:
    """(market, dataset) -> its checked days, sorted; the 1m klines' are the market's."""
    out: dict[tuple[str, str], list[date]] = defaultdict(list)
    for market, dataset, day in all_rows(conn, CHECKED_DAYS):
        out[market, dataset].append(day)
    return out


def continuity(conn: duckdb.DuckDBPyConnection) -> Finding:
    """Every day checked for a market's 1m klines is checked for each of its other datasets
    (a monthly one: each month that ended by the market's newest checked day and has a checked
    day). A dataset Binance adds shows here as its whole history to back-fill."""
    checked = _checked(conn)
    lines, missing = [], {}
    for market in MARKETS:
        klines = set(checked.get((market, KLINES), []))
        if not klines:
            continue
        newest = max(klines)
        for (m, dataset), days in sorted(checked.items()):
            if m != market or dataset == KLINES:
                continue
            monthly = _monthly(conn, market, dataset)
            expected = _expected(klines, newest, monthly)
            holes = runs(sorted(expected - set(days)))
            missing[f"{market}/{dataset}"] = sum((b - a).days + 1 for a, b in holes)
            config = as_yaml({"ops": {"dataset_coverage": {"config": {"markets": [market]}}}})
            lines += [
                f"{span(*hole)} {NAMES[market]} {dataset}: back-fill dataset_coverage with "
                f"the run config {config}"
                for hole in holes
            ]
    summary = (
        f"every dataset checked on every day its market's 1m klines were ({len(missing)} datasets)"
        if not lines
        else f"{len(lines)} ranges checked for the 1m klines but not for a dataset: back-fill "
        "them (dataset_coverage, the run config each line names)"
    )
    counts = {"datasets": len(missing), "days_missing": sum(missing.values())}
    return Finding(CONTINUITY, not lines, WARN, summary, counts, lines)


def _monthly(conn: duckdb.DuckDBPyConnection, market: str, dataset: str) -> bool:
    """Whether the dataset's files are monthly (their first and last days differ)."""
    rows = all_rows(
        conn,
        "SELECT first_date < last_date FROM dataset_files "
        "WHERE market = $market AND dataset = $dataset LIMIT 1",
        {"market": market, "dataset": dataset},
    )
    return bool(rows and rows[0][0])


def _expected(klines: set[date], newest: date, monthly: bool) -> set[date]:
    if not monthly:
        return klines
    months = {d.replace(day=1) for d in klines}
    out = set()
    for first in months:
        last = month_end(first)
        if last <= newest:
            out.update(first + timedelta(days=i) for i in range((last - first).days + 1))
    return out


INCIDENT_DAYS = f"""
WITH files AS (
    SELECT market, dataset, symbol, first_date AS date FROM dataset_files
    WHERE first_date = last_date AND first_date >= $since - 1
    UNION ALL
    SELECT market, '{KLINES}', symbol, date FROM daily_availability
    WHERE available AND date >= $since - 1
), checked AS (
    SELECT market, dataset, date FROM dataset_probe_log WHERE date >= $since
    UNION ALL
    SELECT market, '{KLINES}', date FROM probe_log WHERE date >= $since
)
SELECT c.market, c.dataset, c.date, count(*) AS had
FROM checked c
JOIN files p ON p.market = c.market AND p.dataset = c.dataset AND p.date = c.date - 1
LEFT JOIN files t
  ON t.market = c.market AND t.dataset = c.dataset AND t.symbol = p.symbol AND t.date = c.date
GROUP BY ALL
HAVING count(*) >= 2 AND count(t.symbol) = 0
ORDER BY c.date, c.market, c.dataset
"""  # noqa: S608 - constants only


def incidents(conn: duckdb.DuckDBPyConnection) -> Finding:
    """New whole-dataset incidents: a checked day, within RECENT_DAYS of the newest checked
    day, on which none of the folders (at least two) that had a dataset's daily file the day
    before has it. Monthly datasets are not judged (a month is one file)."""
    (newest,) = all_rows(conn, "SELECT max(date) FROM probe_log")[0]
    if newest is None:
        return Finding(INCIDENTS, True, WARN, "nothing checked yet")
    since = newest - timedelta(days=RECENT_DAYS - 1)
    found = all_rows(conn, INCIDENT_DAYS, {"since": since})
    lines = [
        f"{day} {NAMES[market]} {dataset}: missing for all {had:,} contracts that had it on "
        f"{day - timedelta(days=1)}"
        for market, dataset, day, had in found
    ]
    summary = (
        f"no dataset missing for every contract on a checked day in {span(since, newest)}"
        if not lines
        else f"{len(lines)} whole-dataset incidents in {span(since, newest)}: "
        + "; ".join(lines[:3])
        + ("; …" if len(lines) > 3 else "")
    )
    return Finding(INCIDENTS, not lines, WARN, summary, {"incidents": len(lines)}, lines)


DUPLICATES = """
SELECT market, dataset, symbol, first_date, count(*) FROM dataset_files
WHERE first_date BETWEEN $span_start AND $span_end
GROUP BY ALL HAVING count(*) > 1
"""


def unique_files(conn: duckdb.DuckDBPyConnection) -> Finding:
    """Each (market, dataset, symbol, first_date) once in dataset_files."""
    rows = rows_by_span(conn, DUPLICATES, "(SELECT first_date AS date FROM dataset_files)")
    lines = [f"{day} {NAMES[m]} {d} {s}: {n} rows" for m, d, s, day, n in rows[:50]]
    summary = (
        "every listed file once"
        if not rows
        else f"{len(rows)} files recorded more than once (a window write's bug)"
    )
    return Finding(UNIQUE, not rows, ERROR, summary, {"duplicated_files": len(rows)}, lines)
