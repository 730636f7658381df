"""Writing a window of daily_volume part by part: one transaction, rows replaced by key."""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl
import pytest

from bfa_assets.store import volume as volume_store
from bfa_assets.store.schema import migrate
from bfa_assets.vision.volume.bars import parse_bars

DAY = date(2024, 3, 1)


def bars(symbols: list[str], close: float) -> pl.DataFrame:
    """Bars as Vision's files hold them (the CSV's column names), one per symbol."""
    row = {
        "date": DAY,
        "open": 1.0,
        "high": 2.0,
        "low": 0.5,
        "close": close,
        "volume": 10.0,
        "quote_volume": 15.0,
        "count": 3,
        "taker_buy_volume": 4.0,
        "taker_buy_quote_volume": 6.0,
        "source_key": "k",
        "source_etag": "e",
        "sha256": "s",
    }
    return pl.DataFrame([row | {"market": "um", "symbol": s} for s in symbols])


@pytest.fixture
def conn(tmp_path):
    with duckdb.connect(str(tmp_path / "bfa.duckdb")) as conn:
        migrate(conn)
        conn.execute(
            "INSERT INTO daily_availability (date, market, symbol, available, checked_at) "
            "SELECT $day, 'um', unnest(['AUSDT', 'BUSDT', 'CUSDT']), true, now()",
            {"day": DAY},
        )
        yield conn


def closes(conn) -> dict[str, float]:
    return dict(conn.execute("SELECT symbol, close_price FROM daily_volume").fetchall())


def no_files() -> pl.DataFrame:
    return parse_bars([]).files


def test_parts_replace_their_own_rows_and_keep_the_others(conn):
    with volume_store.window_writer(conn, DAY, DAY) as writer:
        writer.add_bars(bars(["AUSDT", "BUSDT", "CUSDT"], close=1.0))
        writer.finish(no_files(), [])
    with volume_store.window_writer(conn, DAY, DAY) as writer:
        writer.add_bars(bars(["AUSDT"], close=2.0))
        writer.add_bars(bars(["CUSDT"], close=3.0))
        assert writer.finish(no_files(), []) == 0
    assert closes(conn) == {"AUSDT": 2.0, "BUSDT": 1.0, "CUSDT": 3.0}


def test_a_failure_after_some_parts_writes_nothing(conn):
    with pytest.raises(RuntimeError), volume_store.window_writer(conn, DAY, DAY) as writer:
        writer.add_bars(bars(["AUSDT"], close=1.0))
        writer.add_bars(bars(["BUSDT"], close=1.0))
        raise RuntimeError("the fetch failed half-way")
    assert closes(conn) == {}


def test_rows_of_days_no_longer_available_are_dropped_at_the_end(conn):
    with volume_store.window_writer(conn, DAY, DAY) as writer:
        writer.add_bars(bars(["AUSDT", "BUSDT"], close=1.0))
        writer.finish(no_files(), [])
    conn.execute("UPDATE daily_availability SET available = false WHERE symbol = 'BUSDT'")
    with volume_store.window_writer(conn, DAY, DAY) as writer:
        assert writer.finish(no_files(), []) == 1
    assert closes(conn) == {"AUSDT": 1.0}
