"""The snapshot file answers exactly what the SQL snapshot answers, for every day, refuses the
days the release did not check as the SQL snapshot does, and refuses what it cannot read."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.ipc
import pytest
from polars.testing import assert_frame_equal

from bfa_assets.common.markets import MARKETS
from bfa_assets.release.files import SNAPSHOT
from bfa_assets.store import queries
from bfa_assets.store.coverage import Coverage, NotChecked
from bfa_assets.store.snapshot_file import (
    SnapshotFile,
    SnapshotFileError,
    write_snapshot_file,
)

DAY = date(2024, 3, 1)
INSERT = "INSERT INTO daily_rows (date, symbol, available, file_size_bytes, quote_volume, rank)"


@pytest.fixture
def opened(released):
    """The session's release: its database, and its snapshot file."""
    with duckdb.connect(str(released.release_dir / "availability.duckdb"), read_only=True) as conn:
        yield conn, SnapshotFile(released.release_dir / SNAPSHOT)


@pytest.mark.parametrize("market", MARKETS)
@pytest.mark.parametrize("release", ["released", "released_with_holes"])
def test_every_day_equals_the_sql_snapshot_and_an_unchecked_day_is_refused_alike(
    request, release, market
):
    folder = request.getfixturevalue(release).release_dir
    snapshots = SnapshotFile(folder / SNAPSHOT)
    with duckdb.connect(str(folder / "availability.duckdb"), read_only=True) as conn:
        assert snapshots.coverages[market] == Coverage.of(conn, market)
        first, last = conn.execute("SELECT min(date), max(date) FROM probe_log").fetchall()[0]
        rows = refused = 0
        for n in range(-3, (last - first).days + 4):  # and a few days outside the data
            day = first + timedelta(days=n)
            try:
                expected = queries.snapshot(conn, day, market=market)
            except NotChecked as sql_refusal:
                with pytest.raises(NotChecked) as file_refusal:
                    queries.snapshot(conn, day, snapshots, market)
                assert str(file_refusal.value) == str(sql_refusal)
                refused += 1
                continue
            assert queries.snapshot(conn, day, snapshots, market) == expected
            assert snapshots.snapshot(day, market).columns == list(expected.columns)
            rows += len(expected.rows)
        (available,) = conn.execute(
            "SELECT count(*) FROM available_by_date WHERE market = ?", [market]
        ).fetchall()[0]
    assert rows == available > 300 and snapshots.row_count() > available
    assert refused == {"released": 6, "released_with_holes": 6 + 31 + 1}[release]


def test_any_arrow_reader_reads_it_whole_as_the_available_rows_by_date(opened, released):
    conn, _ = opened
    whole = pl.read_ipc(released.release_dir / SNAPSHOT)
    by_date = conn.sql(
        "SELECT date, market, symbol, file_size_bytes, quote_volume, contracts, notional_usd, rank "
        "FROM daily_by_symbol WHERE available ORDER BY market DESC, date, symbol"  # um, then cm
    )
    assert whole.height > 600
    assert_frame_equal(whole, by_date.pl())


def available_by_date(
    tmp_path, rows: list[tuple[date, str]], checked: list[date] | None = None
) -> duckdb.DuckDBPyConnection:
    """A database with the two tables the snapshot file is written from: `rows` as available
    rows (and an unavailable one on each of their days), and the checked days (those of `rows`
    unless given)."""
    conn = duckdb.connect(str(tmp_path / "release.duckdb"))
    conn.execute(
        "CREATE TABLE daily_rows (date DATE, symbol VARCHAR, available BOOLEAN, "
        "file_size_bytes BIGINT, quote_volume DOUBLE, rank INTEGER, market VARCHAR DEFAULT 'um', "
        "contracts DOUBLE, notional_usd DOUBLE)"
    )
    conn.execute("CREATE TABLE symbols (market VARCHAR, first_1m_date DATE)")
    conn.execute("CREATE TABLE probe_log (date DATE, market VARCHAR DEFAULT 'um')")
    for row in rows:
        conn.execute(
            f"{INSERT} VALUES (?, ?, true, 100, 1.5, 1)",
            row,
        )
        conn.execute(
            f"{INSERT} VALUES (?, 'ZZZ' || ?, false, NULL, NULL, NULL)",
            row,
        )
    for day in sorted({d for d, _ in rows} if checked is None else set(checked)):
        conn.execute("INSERT INTO probe_log (date) VALUES (?)", [day])
    return conn


def test_a_checked_day_without_symbols_is_empty_and_later_days_stay_in_place(tmp_path):
    later = DAY + timedelta(days=3)
    checked = [DAY + timedelta(n) for n in range(4)]
    conn = available_by_date(tmp_path, [(DAY, "AUSDT"), (DAY, "BUSDT"), (later, "CUSDT")], checked)
    assert write_snapshot_file(conn, tmp_path / SNAPSHOT) == 3
    snapshots = SnapshotFile(tmp_path / SNAPSHOT)
    symbols = {d: snapshots.snapshot(d)["symbol"].to_list() for d in (DAY, DAY + timedelta(1))}
    assert symbols == {DAY: ["AUSDT", "BUSDT"], DAY + timedelta(1): []}
    assert snapshots.snapshot(later)["symbol"].to_list() == ["CUSDT"]
    assert snapshots.rows(later) == queries.snapshot(conn, later)


def test_an_unchecked_day_is_refused_even_inside_the_file(tmp_path):
    later = DAY + timedelta(days=3)
    conn = available_by_date(tmp_path, [(DAY, "AUSDT"), (later, "CUSDT")])
    write_snapshot_file(conn, tmp_path / SNAPSHOT)
    snapshots = SnapshotFile(tmp_path / SNAPSHOT)
    assert snapshots.coverage == Coverage(((DAY, DAY), (later, later)))
    with pytest.raises(NotChecked, match=f"{DAY + timedelta(1)} was not checked"):
        snapshots.batch(DAY + timedelta(1))
    with pytest.raises(NotChecked):
        snapshots.snapshot(later + timedelta(1))


def test_an_empty_table_gives_a_file_where_every_checked_day_is_empty(tmp_path):
    conn = available_by_date(tmp_path, [], checked=[DAY])
    assert write_snapshot_file(conn, tmp_path / SNAPSHOT) == 0
    snapshots = SnapshotFile(tmp_path / SNAPSHOT)
    assert snapshots.rows(DAY) == queries.snapshot(conn, DAY) and snapshots.rows(DAY).rows == []
    assert snapshots.snapshot(DAY).is_empty()


def test_rows_stored_out_of_date_order_are_written_to_their_own_days(tmp_path):
    conn = available_by_date(tmp_path, [(DAY, "C"), (DAY + timedelta(1), "B"), (DAY, "A")])
    assert write_snapshot_file(conn, tmp_path / SNAPSHOT) == 3
    snapshots = SnapshotFile(tmp_path / SNAPSHOT)
    assert [snapshots.snapshot(DAY + timedelta(n))["symbol"].to_list() for n in (0, 1)] == [
        ["A", "C"],
        ["B"],
    ]
    assert snapshots.rows(DAY) == queries.snapshot(conn, DAY)


@pytest.mark.parametrize(
    "content",
    [b"", b"not arrow at all", b"ARROW1\x00\x00" + b"\x00" * 64, "other arrow"],
    ids=["empty", "text", "bad-arrow", "arrow-without-its-metadata"],
)
def test_a_file_that_is_not_a_snapshot_file_is_a_clear_error(tmp_path, content):
    path = tmp_path / SNAPSHOT
    if content == "other arrow":
        pl.DataFrame({"date": [DAY]}).write_ipc(path)  # Arrow, without first and checked days
    else:
        path.write_bytes(content)
    with pytest.raises(SnapshotFileError, match=f"cannot read the snapshot file {path}"):
        SnapshotFile(path)


def test_a_snapshot_file_from_before_checked_days_were_recorded_says_so(tmp_path):
    path = tmp_path / SNAPSHOT
    schema = pa.schema([("date", pa.date32())], metadata={b"first_date": str(DAY).encode()})
    with pa.ipc.new_file(str(path), schema) as writer:
        writer.write_table(pa.table({"date": [DAY]}, schema=schema))
    with pytest.raises(
        SnapshotFileError, match=r"no days and no markets in its metadata .*release_arti"
    ):
        SnapshotFile(path)


def test_a_truncated_file_is_a_clear_error(opened, tmp_path):
    conn, _ = opened
    write_snapshot_file(conn, tmp_path / "whole.arrow")
    whole = (tmp_path / "whole.arrow").read_bytes()
    (tmp_path / SNAPSHOT).write_bytes(whole[: len(whole) // 2])
    with pytest.raises(SnapshotFileError):
        SnapshotFile(tmp_path / SNAPSHOT)


def test_a_damaged_table_of_batches_is_a_clear_error_when_a_day_is_read(opened, tmp_path):
    conn, _ = opened
    path = tmp_path / SNAPSHOT
    write_snapshot_file(conn, path)
    data = bytearray(path.read_bytes())
    data[-1000:-744] = bytes(256)  # inside the footer's list of record batches
    path.write_bytes(data)
    with pytest.raises(SnapshotFileError, match=r"cannot read (batch|the snapshot file)"):
        snapshots = SnapshotFile(path)
        for market in MARKETS:
            for n in range(snapshots.days_stored()):
                snapshots.stored_batch(n, market)


def same_days(a: SnapshotFile, b: SnapshotFile) -> bool:
    return (a.first_day, a.days_stored(), a.coverages) == (
        b.first_day,
        b.days_stored(),
        b.coverages,
    ) and all(
        a.stored_batch(i, m).equals(b.stored_batch(i, m))
        for m in MARKETS
        for i in range(b.days_stored())
    )


@pytest.mark.parametrize(
    ("since", "changed"),
    [
        (DAY + timedelta(2), [(DAY + timedelta(2), "DUSDT"), (DAY + timedelta(6), "EUSDT")]),
        (DAY + timedelta(5), [(DAY + timedelta(6), "EUSDT")]),  # after the previous last day
        (None, []),  # nothing dated changed
        (DAY - timedelta(3), [(DAY - timedelta(3), "AUSDT")]),  # before its first day: whole
    ],
    ids=["inside", "after-its-last-day", "no-change", "before-its-first-day"],
)
def test_an_update_from_the_previous_file_equals_a_whole_write(tmp_path, since, changed):
    before = [(DAY, "AUSDT"), (DAY, "BUSDT"), (DAY + timedelta(3), "CUSDT")]
    conn = available_by_date(tmp_path, before, [DAY + timedelta(n) for n in range(4)])
    write_snapshot_file(conn, tmp_path / "previous.arrow")
    if since is not None:  # the pipeline rewrites every row from `since` on
        conn.execute("DELETE FROM daily_rows WHERE date >= ?", [since])
        for row in [r for r in before if r[0] >= since] + changed:
            conn.execute(
                f"{INSERT} VALUES (?, ?, true, 200, 2.5, 2)",
                row,
            )
        checked = {d for (d,) in conn.execute("SELECT date FROM probe_log").fetchall()}
        for day in sorted({d for d, _ in changed} - checked):
            conn.execute("INSERT INTO probe_log (date) VALUES (?)", [day])
    rows = write_snapshot_file(conn, tmp_path / "updated.arrow", tmp_path / "previous.arrow", since)
    assert rows == write_snapshot_file(conn, tmp_path / "whole.arrow") == len(before) + len(changed)
    assert same_days(
        SnapshotFile(tmp_path / "updated.arrow"), SnapshotFile(tmp_path / "whole.arrow")
    )
