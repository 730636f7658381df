"""Answers as Polars frames: every column has its own type, never one guessed from its rows."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import polars as pl

from bfa_assets.store import queries
from bfa_assets.store.answers import Table
from bfa_assets.store.snapshot_file import SnapshotFile

TIMELINE_TYPES = {"date": pl.Date, "checked": pl.Boolean, "available": pl.Boolean,
                  "file_size_bytes": pl.Int64, "quote_volume": pl.Float64,
                  "rank": pl.Int32}  # fmt: skip


def test_a_column_of_nulls_first_keeps_its_type():
    """The demo's timeline: years of unchecked days (nulls) before the first checked one; a
    frame built by guessing from the first rows failed on the first `true`."""
    day = date(2019, 9, 25)
    rows = [(day + timedelta(n), False, None) for n in range(1500)] + [(day, True, True)]
    frame = Table(("date", "checked", "available"), rows, ("DATE", "BOOLEAN", "BOOLEAN")).pl()
    assert frame.schema == {"date": pl.Date, "checked": pl.Boolean, "available": pl.Boolean}
    assert frame["available"].null_count() == 1500 and frame["available"][-1] is True


def test_every_answer_carries_its_columns_types(released):
    with duckdb.connect(str(released.release_dir / "availability.duckdb"), read_only=True) as c:
        timeline = queries.timeline(c, "ETHUSDT").pl()
        top = queries.top(c, date(2022, 9, 5), 3).pl()
        sql_snapshot = queries.snapshot(c, date(2022, 9, 5)).pl()
    assert timeline.schema == TIMELINE_TYPES
    assert timeline.filter(~pl.col("checked"))["available"].null_count() > 1000  # to yesterday
    assert top.schema["rank"] == pl.Int32 and top.schema["quote_volume_usdt"] == pl.Float64
    days = SnapshotFile(released.release_dir / "available-by-date.arrow")
    from_file = days.rows(date(2022, 9, 5)).pl()
    assert from_file.equals(sql_snapshot) and from_file.schema == sql_snapshot.schema
