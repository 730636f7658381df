"""A database written before COIN-M (schema version 6) is migrated in place: every row becomes
USD-M's and keeps every value it had.

The fixture `fixtures/schema-v6.duckdb.gz` was written by bfa at commit 05b8749 from the
simulator's `tiny` universe (fixtures/make_schema_v6.py says how); it is the real file format of
that version, not rows made up here.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import duckdb
import pytest

from bfa_assets.store.schema import MIGRATIONS, migrate

FIXTURE = Path(__file__).parent / "fixtures" / "schema-v6.duckdb.gz"
TABLES = ("symbols", "daily_availability", "probe_log", "daily_volume", "volume_rankings",
          "volume_files", "volume_issues", "change_log")  # fmt: skip


@pytest.fixture
def v6(tmp_path: Path) -> Path:
    path = tmp_path / "v6.duckdb"
    with gzip.open(FIXTURE) as packed, path.open("wb") as out:
        shutil.copyfileobj(packed, out)
    return path


def rows(conn: duckdb.DuckDBPyConnection, table: str, columns: list[str]) -> list[tuple]:
    return conn.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY ALL").fetchall()


def columns(conn: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [r[0] for r in conn.execute(f"DESCRIBE {table}").fetchall()]


def test_the_fixture_is_a_version_6_database(v6):
    with duckdb.connect(str(v6), read_only=True) as conn:
        assert conn.execute("SELECT max(version) FROM schema_version").fetchall() == [(6,)]
        assert all(conn.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in TABLES)


def test_every_row_becomes_usd_m_and_keeps_its_values(v6):
    with duckdb.connect(str(v6)) as conn:
        before = {t: (columns(conn, t), rows(conn, t, columns(conn, t))) for t in TABLES}
        assert migrate(conn) == len(MIGRATIONS) == 9
        for table, (old_columns, old_rows) in before.items():
            assert rows(conn, table, old_columns) == old_rows, table
            if table != "change_log":
                assert conn.execute(f"SELECT DISTINCT market FROM {table}").fetchall() == [("um",)]


def test_the_1m_files_of_checked_days_become_runs_of_dataset_coverage(v6):
    with duckdb.connect(str(v6)) as conn:
        migrate(conn)
        (files, runs, days) = conn.execute(
            "SELECT sum(files), count(*), (SELECT count(*) FROM dataset_days) FROM dataset_runs"
        ).fetchall()[0]
        (checked,) = conn.execute(
            "SELECT count(*) FROM daily_availability JOIN probe_log USING (date, market) "
            "WHERE available"
        ).fetchall()[0]
        assert files == days == checked > runs > 0


def test_keys_include_the_market(v6):
    with duckdb.connect(str(v6)) as conn:
        migrate(conn)
        row = conn.execute("SELECT * FROM daily_availability LIMIT 1").fetchall()[0]
        names = columns(conn, "daily_availability")
        coin = dict(zip(names, row, strict=True)) | {"market": "cm"}
        marks = ", ".join("?" for _ in names)
        conn.execute(f"INSERT INTO daily_availability VALUES ({marks})", list(coin.values()))
        with pytest.raises(duckdb.ConstraintException):
            conn.execute(f"INSERT INTO daily_availability VALUES ({marks})", list(coin.values()))


def test_migrating_twice_changes_nothing(v6):
    with duckdb.connect(str(v6)) as conn:
        migrate(conn)
        once = {t: rows(conn, t, columns(conn, t)) for t in TABLES}
        migrate(conn)
        assert {t: rows(conn, t, columns(conn, t)) for t in TABLES} == once
