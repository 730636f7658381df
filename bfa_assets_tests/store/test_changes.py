"""The change log: every committed window write, recorded in the write's own transaction."""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb
import polars as pl
import pytest

from bfa_assets.store import availability, changes, rankings
from bfa_assets.store import volume as volume_store
from bfa_assets.store.changes import Change, Mark
from bfa_assets.store.schema import migrate
from bfa_assets.store.selection import Scope
from bfa_assets.vision.volume.bars import parse_bars

DAY = date(2024, 3, 1)
NOW = datetime(2024, 3, 2, tzinfo=UTC)


def logged(conn) -> list[tuple]:
    return conn.execute(
        "SELECT seq, table_name, first_date, last_date, symbols, markets FROM change_log "
        "ORDER BY seq"
    ).fetchall()


def availability_rows(symbols: list[str]) -> pl.DataFrame:
    """Rows of `DAY` (the other columns are NULL: staging inserts by name)."""
    n = len(symbols)
    return pl.DataFrame(
        {
            "date": [DAY] * n,
            "market": ["um"] * n,
            "symbol": symbols,
            "available": [True] * n,
            "checked_at": [NOW] * n,
        }
    )


def test_the_log_begins_with_a_row_for_everything_written_before_it(conn):
    """A database migrated from before the log may hold any rows: its first row says so."""
    assert logged(conn) == [(1, "*", None, None, None, None)]


def test_each_writer_logs_its_window_markets_and_symbols(conn):
    rows = availability_rows(["AUSDT", "BUSDT"])
    availability.replace_window(conn, [rows], DAY, DAY, NOW)
    availability.replace_window(conn, [rows.head(1)], DAY, DAY, NOW, Scope.of(symbols=["AUSDT"]))
    availability.replace_window(conn, [], DAY, DAY, NOW, Scope.of(["cm"]))
    with volume_store.window_writer(conn, DAY, DAY, Scope.of(symbols=["BUSDT"])) as writer:
        writer.finish(parse_bars([]).files, [])
    rankings.replace_window(conn, date(2024, 2, 1), DAY, NOW)
    assert logged(conn)[1:] == [
        (2, "daily_availability", DAY, DAY, None, None),
        (3, "daily_availability", DAY, DAY, ["AUSDT"], None),
        (4, "daily_availability", DAY, DAY, None, ["cm"]),
        (5, "daily_volume", DAY, DAY, ["BUSDT"], None),
        (6, "volume_rankings", date(2024, 2, 1), DAY, None, None),
    ]


def test_a_write_that_fails_logs_nothing(conn):
    """The change is recorded inside the write's transaction: rolled back with it."""
    with volume_store.window_writer(conn, DAY, DAY) as writer:  # noqa: SIM117
        with pytest.raises(duckdb.Error):
            writer.finish(pl.DataFrame({"not_a_column": [1]}), [])
    assert logged(conn) == [(1, "*", None, None, None, None)]


def test_the_changes_after_a_mark_and_a_mark_of_another_database(conn, tmp_path):
    availability.replace_window(conn, [availability_rows(["AUSDT"])], DAY, DAY, NOW)
    mark = changes.newest(conn)
    assert mark.seq == 2 and changes.since(conn, mark) == []
    rankings.replace_window(conn, DAY, DAY, NOW)
    assert changes.since(conn, mark) == [Change(3, "volume_rankings", DAY, DAY, None)]
    with duckdb.connect(str(tmp_path / "other.duckdb")) as other:
        migrate(other)
        availability.replace_window(other, [availability_rows(["AUSDT"])], DAY, DAY, NOW)
        assert changes.newest(other).seq == mark.seq  # the same number, another database
        assert changes.since(other, mark) is None
    assert changes.since(conn, Mark(mark.seq, changes.newest(conn).token)) is None
