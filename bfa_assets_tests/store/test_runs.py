"""`dataset_runs` is kept up to date by the window writes: whatever windows are written, in any
order, re-checked, restricted to some symbols or leaving holes, the table holds exactly the
runs an independent computation finds in the facts (the files of checked days)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from itertools import groupby

import polars as pl
import pytest

from bfa_assets.common.days import Window, month_end
from bfa_assets.store import datasets
from bfa_assets.store.selection import Scope
from bfa_assets.vision.datasets import Dataset, checked_span

START = date(2024, 1, 1)
DAYS = 150
SYMBOLS = ("AUSDT", "BUSDT", "CUSDT")
DAILY = Dataset("um", "aggTrades", "daily")
MONTHLY = Dataset("um", "fundingRate", "monthly")
AT = datetime(2024, 7, 1, tzinfo=UTC)


def expected_runs(conn) -> list[tuple]:
    """Runs found in Python from the facts: files on checked days, split where a day (a month)
    is not followed by the next."""
    kept = conn.execute(
        "SELECT f.market, f.dataset, f.symbol, f.first_date, f.last_date, f.bytes "
        "FROM dataset_files f JOIN dataset_probe_log p "
        "ON p.market = f.market AND p.dataset = f.dataset AND p.date = f.first_date "
        "ORDER BY ALL"
    ).fetchall()
    out = []
    for key, rows in groupby(kept, key=lambda r: r[:3]):
        run: list[tuple] = []
        for row in rows:
            if run and row[3] != run[-1][4] + timedelta(days=1):
                out.append(_run(key, run))
                run = []
            run.append(row)
        out.append(_run(key, run))
    return sorted(out)


def _run(key: tuple, rows: list[tuple]) -> tuple:
    return (*key, rows[0][3], rows[-1][4], len(rows), sum(r[5] for r in rows))


def stored_runs(conn) -> list[tuple]:
    return conn.execute("SELECT * FROM dataset_runs ORDER BY ALL").fetchall()


def write(conn, window: Window, present, symbols: tuple[str, ...] | None = None) -> None:
    """One window write of both datasets, as dataset_coverage does; `present(symbol, day)`
    says whether a file exists, and its size is the day's ordinal plus the symbol's."""
    names = list(symbols or SYMBOLS)
    scope = Scope.of(symbols=symbols)
    rows = []
    spans = []
    for dataset in (DAILY, MONTHLY):
        span = checked_span(dataset, window)
        if span is None:
            continue
        spans.append(datasets.Checked(dataset, span, names))
        for symbol in names:
            for first, last in _files(dataset, span):
                if present(symbol, first):
                    size = first.toordinal() + len(symbol) * SYMBOLS.index(symbol)
                    rows.append((dataset.market, dataset.name, symbol, first, last, size))
    part = pl.DataFrame(rows, schema=datasets.FILES_SCHEMA, orient="row")
    with datasets.window_writer(conn, scope) as writer:
        writer.add(part)
        writer.finish(spans, AT)


def _files(dataset: Dataset, span: Window) -> list[tuple[date, date]]:
    days = [span.start + timedelta(n) for n in range((span.end - span.start).days + 1)]
    if dataset.monthly:
        return [(d, month_end(d)) for d in days if d.day == 1]
    return [(d, d) for d in days]


def test_one_window_gives_the_runs_of_its_files(conn):
    holes = {date(2024, 1, 10), date(2024, 2, 1)}
    write(conn, Window(START, date(2024, 3, 31)), lambda s, d: d not in holes)
    runs = [r for r in stored_runs(conn) if r[2] == "AUSDT"]
    assert [(r[1], r[3], r[4], r[5]) for r in runs] == [
        ("aggTrades", date(2024, 1, 1), date(2024, 1, 9), 9),
        ("aggTrades", date(2024, 1, 11), date(2024, 1, 31), 21),
        ("aggTrades", date(2024, 2, 2), date(2024, 3, 31), 59),
        ("fundingRate", date(2024, 1, 1), date(2024, 1, 31), 1),  # February is a hole
        ("fundingRate", date(2024, 3, 1), date(2024, 3, 31), 1),
    ]
    assert stored_runs(conn) == expected_runs(conn)


def test_a_window_between_two_checked_ones_joins_their_runs(conn):
    write(conn, Window(START, date(2024, 1, 31)), lambda s, d: True)
    write(conn, Window(date(2024, 3, 1), date(2024, 3, 31)), lambda s, d: True)
    assert len(stored_runs(conn)) == 2 * 2 * len(SYMBOLS)  # February is not checked
    write(conn, Window(date(2024, 2, 1), date(2024, 2, 29)), lambda s, d: True)
    assert [r[3:6] for r in stored_runs(conn) if r[:3] == ("um", "aggTrades", "BUSDT")] == [
        (START, date(2024, 3, 31), 91)
    ]
    assert stored_runs(conn) == expected_runs(conn)


def test_a_re_checked_window_inside_a_run_cuts_it_where_files_went_missing(conn):
    write(conn, Window(START, date(2024, 4, 30)), lambda s, d: True)
    gone = date(2024, 2, 14)
    write(conn, Window(date(2024, 2, 1), date(2024, 2, 29)), lambda s, d: d != gone)
    daily = [r[3:7] for r in stored_runs(conn) if r[:3] == ("um", "aggTrades", "CUSDT")]
    assert [r[:3] for r in daily] == [(START, gone - timedelta(1), 44), (gone + timedelta(1),
                                      date(2024, 4, 30), 76)]  # fmt: skip
    assert stored_runs(conn) == expected_runs(conn)


@pytest.mark.parametrize("seed", range(12))
def test_any_order_of_windows_restricted_runs_and_late_files_keeps_the_runs_exact(conn, seed):
    rng = random.Random(seed)
    end = START + timedelta(DAYS - 1)
    for turn in range(14):
        first = START + timedelta(rng.randrange(DAYS))
        last = min(end, first + timedelta(rng.choice((0, 1, 6, 20, 45, 90))))
        missing = {START + timedelta(rng.randrange(DAYS)) for _ in range(rng.randrange(12))}
        late = turn  # files of a day can appear (or vanish) between two checks

        def present(symbol: str, day: date, missing=missing, late=late) -> bool:
            return day not in missing and (day.toordinal() + late) % 37 != len(symbol)

        restricted = rng.random() < 0.3
        symbols = (rng.choice(SYMBOLS),) if restricted else None
        write(conn, Window(first, last), present, symbols)
        assert stored_runs(conn) == expected_runs(conn), (turn, first, last, symbols)
