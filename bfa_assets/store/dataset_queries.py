"""Questions about Vision's datasets, answered from a release's `dataset_runs` and
`dataset_checks`: `bfa query datasets`, `coverage` and `gaps`.

As everywhere in `bfa query`, "not checked" is never "absent": a day is known to miss a file
only when it was checked for that dataset (`dataset_checks`, per market and dataset; the 1m
klines' checked days are `probe_log`'s). A question about an unchecked day is refused, with
what would answer it.

`symbol` is a dataset's folder name: a contract, except COIN-M's index klines, which are per
pair (`BTCUSD` for `BTCUSD_PERP` and the quarterlies); `datasets` shows a contract its pair's
folder too.
"""

from __future__ import annotations

import bisect
import itertools
from collections import defaultdict
from collections.abc import Iterator
from datetime import date

from bfa_assets.common.markets import name
from bfa_assets.store.answers import Table
from bfa_assets.store.coverage import ONE_DAY, Coverage, NotKnown
from bfa_assets.store.engine import duckdb
from bfa_assets.store.queries import NotARelease, answer_table, unknown_symbol

INCIDENT_CONTRACTS = 2  # a whole-dataset incident: at least this many contracts miss the days
REFILL = (
    "back-fill {days} of dataset_coverage (and daily_availability for the 1m klines), then "
    "materialize release_artifact"
)
CHECKS = """
SELECT first_date, last_date FROM dataset_checks
WHERE market = $market AND dataset = $dataset ORDER BY first_date
"""


class UnknownDataset(LookupError):
    """A dataset the release has no checked day of, in the market asked about."""


class NoSuchFolder(LookupError):
    """A symbol without a file of the dataset on any checked day."""


class DatasetNotChecked(NotKnown):
    """The day was not checked for the dataset(s) asked about."""


def _checks(conn: duckdb.DuckDBPyConnection, market: str, dataset: str) -> Coverage:
    try:
        ranges = conn.execute(CHECKS, {"market": market, "dataset": dataset}).fetchall()
    except duckdb.CatalogException:
        raise NotARelease(
            "it is a release of an older layout, without dataset coverage "
            "(dataset_runs, dataset_checks): materialize release_artifact again"
        ) from None
    return Coverage(tuple(ranges))


def known_datasets(conn: duckdb.DuckDBPyConnection, market: str) -> list[str]:
    _checks(conn, market, "")  # an older release: say so
    sql = "SELECT DISTINCT dataset FROM dataset_checks WHERE market = $market ORDER BY dataset"
    return [d for (d,) in conn.execute(sql, {"market": market}).fetchall()]


def _require_dataset(conn: duckdb.DuckDBPyConnection, dataset: str, market: str) -> Coverage:
    checks = _checks(conn, market, dataset)
    if not checks.ranges:
        known = known_datasets(conn, market)
        raise UnknownDataset(
            f"no checked day of dataset {dataset!r} in {name(market)}; the release knows "
            f"{', '.join(known) or 'no dataset'} (names are case-sensitive)"
        )
    return checks


def datasets(conn: duckdb.DuckDBPyConnection, symbol: str, market: str = "um") -> Table:
    """Per dataset of `market`: the first and last day `symbol` (or its pair's folder) had a
    file, the days with one, the checked days without one inside that life (`missing`), the
    days inside it nobody checked, and the dataset's checked range. A dataset the symbol never
    had a file in on a checked day has no first day."""
    known = conn.execute(
        "SELECT 1 FROM symbols WHERE symbol = $symbol AND market = $market",
        {"symbol": symbol, "market": market},
    ).fetchall()
    if not known:
        raise unknown_symbol(conn, symbol, market)
    known_datasets(conn, market)  # an older release: say so
    return answer_table(conn, """
        WITH runs AS (
            SELECT * FROM dataset_runs
            WHERE market = $market AND (symbol = $symbol OR (
                starts_with($symbol, symbol || '_')  -- a pair's folder (COIN-M index klines)
                AND symbol NOT IN (SELECT symbol FROM symbols WHERE market = $market)))
        ), life AS (
            SELECT dataset, symbol AS folder, min(first_date) AS first_day,
                   max(last_date) AS last_day, sum(last_date - first_date + 1) AS days
            FROM runs GROUP BY dataset, symbol
        ), checks AS (
            SELECT * FROM dataset_checks WHERE market = $market
        ), inside AS (
            SELECT l.dataset, l.folder, sum(greatest(0,
                       least(c.last_date, l.last_day) - greatest(c.first_date, l.first_day) + 1
                   )) AS checked
            FROM life l JOIN checks c USING (dataset) GROUP BY ALL
        )
        SELECT d.dataset, coalesce(l.folder, $symbol) AS folder, l.first_day, l.last_day,
               coalesce(l.days, 0)::BIGINT AS days_with_file,
               (i.checked - l.days)::BIGINT AS days_missing,
               (l.last_day - l.first_day + 1 - i.checked)::BIGINT AS days_not_checked,
               d.checked_from, d.checked_to
        FROM (SELECT dataset, min(first_date) AS checked_from, max(last_date) AS checked_to
              FROM checks GROUP BY dataset) d
        LEFT JOIN life l USING (dataset)
        LEFT JOIN inside i USING (dataset, folder)
        ORDER BY d.dataset, folder
    """, symbol=symbol, market=market)  # fmt: skip


def coverage(
    conn: duckdb.DuckDBPyConnection, day: date, dataset: str | None = None, market: str = "um"
) -> Table:
    """The folders of `market` with a file of each dataset (or of `dataset`) on `day`.

    Only datasets checked that day answer; if none was, the day is refused (DatasetNotChecked).
    Asked about every dataset, those not checked that day are named in the answer's note."""
    names = [dataset] if dataset else known_datasets(conn, market)
    checks = {d: _require_dataset(conn, d, market) for d in names}
    checked = [d for d, c in checks.items() if c.checked(day)]
    if not checked:
        what = f"dataset {dataset}" if dataset else "any dataset"
        hint = REFILL.format(days=day.isoformat())
        raise DatasetNotChecked(
            f"{day} was not checked for {what} of {name(market)}, so which files it has is not "
            f"known; to fill it, {hint}"
        )
    answer = answer_table(conn, """
        SELECT dataset, symbol FROM dataset_runs
        WHERE market = $market AND $day BETWEEN first_date AND last_date
          AND list_contains($datasets, dataset)
        ORDER BY dataset, symbol
    """, market=market, day=day, datasets=checked)  # fmt: skip
    skipped = [d for d in names if d not in checked]
    note = f"not checked on {day}: {', '.join(skipped)}" if skipped else ""
    return answer._replace(note=note)


def gaps(
    conn: duckdb.DuckDBPyConnection, dataset: str, symbol: str | None = None, market: str = "um"
) -> Table:
    """Days inside each folder's life (between its first and last file) without the file:
    `missing` when checked, `not checked` when nobody looked; and whole-dataset incidents, days
    on which every contract that had the file the day before and the day after missed it (at
    least INCIDENT_CONTRACTS of them), marked `incident` on each contract's row and summed up
    in a row of their own (no symbol) unless one symbol is asked about."""
    checks = _require_dataset(conn, dataset, market)
    runs: dict[str, list[tuple[date, date]]] = defaultdict(list)
    rows = conn.execute(
        "SELECT symbol, first_date, last_date FROM dataset_runs "
        "WHERE market = $market AND dataset = $dataset ORDER BY symbol, first_date",
        {"market": market, "dataset": dataset},
    ).fetchall()
    for folder, first, last in rows:
        runs[folder].append((first, last))
    if symbol is not None and symbol not in runs:
        raise NoSuchFolder(
            f"{symbol!r} has no {dataset} file on a checked day in {name(market)}"
            " (names are case-sensitive; COIN-M index klines are per pair, e.g. BTCUSD)"
        )
    missing = {f: list(_missing(spans, checks)) for f, spans in runs.items()}
    incidents = _incidents(runs, missing)
    out = []
    if symbol is None:
        out = [("incident", None, a, b, (b - a).days + 1, n) for (a, b), n in incidents.items()]
    for folder in [symbol] if symbol else sorted(runs):
        for kind, a, b in missing[folder]:
            if kind == "missing" and (a, b) in incidents:
                kind = "incident"
            out.append((kind, folder, a, b, (b - a).days + 1, None))
    columns = ("kind", "symbol", "first_date", "last_date", "days", "contracts")
    types = ("VARCHAR", "VARCHAR", "DATE", "DATE", "BIGINT", "BIGINT")
    return Table(columns, out, types)


def _missing(spans: list[tuple[date, date]], checks: Coverage) -> Iterator[tuple[str, date, date]]:
    """(kind, first, last) of each stretch between a folder's runs: `missing` where checked,
    `not checked` where not."""
    for (_, last), (first, _) in itertools.pairwise(spans):
        start, end = last + ONE_DAY, first - ONE_DAY
        cursor = start
        for a, b in checks.unchecked(start, end):
            if cursor < a:
                yield "missing", cursor, a - ONE_DAY
            yield "not checked", a, b
            cursor = b + ONE_DAY
        if cursor <= end:
            yield "missing", cursor, end


def _incidents(
    runs: dict[str, list[tuple[date, date]]], missing: dict[str, list[tuple[str, date, date]]]
) -> dict[tuple[date, date], int]:
    """(first, last) -> contracts, for each stretch missed by every folder that had the file
    the day before and the day after (at least INCIDENT_CONTRACTS)."""
    shared: dict[tuple[date, date], int] = defaultdict(int)
    for stretches in missing.values():
        for kind, a, b in stretches:
            if kind == "missing":
                shared[a, b] += 1
    incidents = {}
    for (a, b), count in sorted(shared.items()):
        if count < INCIDENT_CONTRACTS:
            continue
        around = sum(_has(s, a - ONE_DAY) and _has(s, b + ONE_DAY) for s in runs.values())
        if around == count:  # every folder with the file on both sides missed these days
            incidents[a, b] = count
    return incidents


def _has(spans: list[tuple[date, date]], day: date) -> bool:
    i = bisect.bisect_right(spans, (day, date.max)) - 1
    return i >= 0 and spans[i][1] >= day
