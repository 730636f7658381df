"""Checks that join two dated tables run a span of days at a time (their memory must not grow
with the history): the rows are those of one query over every day, in the same order."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb

from bfa_assets.quality.findings import SPAN_DAYS, rows_by_span

QUERY = """
    SELECT date, n FROM days WHERE n % 3 = 0 AND date BETWEEN $span_start AND $span_end
    ORDER BY date
"""


def days_table(days: list[date]) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    conn.execute("CREATE TABLE days (date DATE, n INTEGER)")
    if days:
        conn.executemany("INSERT INTO days VALUES (?, ?)", [(d, i) for i, d in enumerate(days)])
    return conn


def test_a_history_of_several_years_is_judged_whole_and_in_order():
    first = date(2019, 9, 25)
    days = [first + timedelta(days=5 * i) for i in range(600)]  # ~8 years, with holes
    conn = days_table(days)
    whole = conn.execute(QUERY, {"span_start": days[0], "span_end": days[-1]}).fetchall()
    assert (days[-1] - days[0]).days > 7 * SPAN_DAYS  # several spans
    assert rows_by_span(conn, QUERY, "days") == whole and len(whole) == 200


def test_a_history_shorter_than_a_span_and_an_empty_table():
    conn = days_table([date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 4), date(2024, 1, 5)])
    assert rows_by_span(conn, QUERY, "days") == [(date(2024, 1, 1), 0), (date(2024, 1, 5), 3)]
    assert rows_by_span(days_table([]), QUERY, "days") == []
