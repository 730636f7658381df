"""Comparing two release folders by content: what a reader can get out of them, not their bytes."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from bfa_assets.common.markets import MARKETS
from bfa_assets.release.files import (
    COIN_M_PARQUET,
    PARQUET,
    PICTURE_PNG,
    PICTURE_SVG,
    SNAPSHOT,
    STATS,
)
from bfa_assets.store.queries import RELEASE_INFO
from bfa_assets.store.snapshot_file import FIRST_DATE, SnapshotFile

# What differs between two builds of the same data: when and how each was made (the time is
# also in the table release_info).
BUILD_KEYS = ("generated_at", "build")


def relations(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """Every table and view of a release database."""
    return [r[0] for r in conn.execute("SELECT table_name FROM information_schema.tables "
                                       "ORDER BY table_name").fetchall()]  # fmt: skip


def assert_same_release(built: Path, reference: Path) -> None:
    """Same rows in every table and view; the read tables in the order `bfa query` reads them;
    the same snapshot file day by day, the same Parquet rows, the same pictures and figures."""
    with (
        duckdb.connect(str(built / "availability.duckdb"), read_only=True) as a,
        duckdb.connect(str(reference / "availability.duckdb"), read_only=True) as b,
    ):
        assert relations(a) == relations(b)
        for name in relations(b):
            columns = "* EXCLUDE (generated_at)" if name == RELEASE_INFO else "*"
            rows = f"SELECT {columns} FROM {name} ORDER BY ALL"
            assert a.execute(rows).fetchall() == b.execute(rows).fetchall(), name
        stored = "SELECT * FROM available_by_date"  # stored order = snapshot and range order
        assert a.execute(stored).fetchall() == b.execute(stored).fetchall()
        symbols = [s for (s,) in b.execute("SELECT symbol FROM symbols").fetchall()]
        timeline = "SELECT * FROM daily_by_symbol WHERE symbol = ?"  # as `bfa query` asks
        for symbol in symbols:
            assert (
                a.execute(timeline, [symbol]).fetchall() == b.execute(timeline, [symbol]).fetchall()
            ), symbol
    assert_same_snapshots(built / SNAPSHOT, reference / SNAPSHOT)
    for parquet in (PARQUET, COIN_M_PARQUET):
        assert pq.read_table(built / parquet).equals(pq.read_table(reference / parquet)), parquet
    for picture in (PICTURE_PNG, PICTURE_SVG):
        assert (built / picture).read_bytes() == (reference / picture).read_bytes(), picture
    figures = [json.loads((f / STATS).read_text()) for f in (built, reference)]
    for stats in figures:
        for key in BUILD_KEYS:
            del stats[key]
    assert figures[0] == figures[1]


def assert_same_snapshots(built: Path, reference: Path) -> None:
    """The same checked days per market, and the same rows of each market for every day the
    files span and a week either side (an unchecked day is refused by both)."""
    with ipc.open_file(str(reference)) as file:
        first = date.fromisoformat(file.schema.metadata[FIRST_DATE].decode())
    a, b = SnapshotFile(built), SnapshotFile(reference)
    assert a.row_count() == b.row_count() and a.coverages == b.coverages
    for market in MARKETS:
        for n in range(-7, b.days_stored() + 7):
            day = first + timedelta(days=n)
            if a.coverages[market].checked(day):
                assert a.snapshot(day, market).equals(b.snapshot(day, market)), (market, day)
