"""The release opens where its users are: in DuckDB 1.x, and in the original tool's query CLI.

Both readers are real packages from PyPI, each in its own environment (`make readers`, which
`make test` runs): DuckDB 1.1.0, the oldest that the release's storage format and views
promise, and `binance-futures-availability` 1.5.0 with DuckDB 1.5.6, the newest 1.x. The
original tool opens its database for writing and adds its own schema objects (an index, a
table, volume columns), so it is pointed at a copy, as docs/release.md tells its users.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, date, timedelta
from pathlib import Path

import pytest

from bfa_assets.release.files import DATABASE
from bfa_assets.release.layout import STORAGE_VERSION

READERS = Path(__file__).resolve().parents[2] / ".readers"
MARKETS = ("um", "cm")

# Every table and view of the release, each row as text (times in UTC), sorted: the same
# script runs under each DuckDB, so the two dumps must be equal.
DUMP = """
import json, sys, duckdb
conn = duckdb.connect(sys.argv[1], read_only=True)
conn.execute("SET TimeZone = 'UTC'")
names = [r[0] for r in conn.execute(
    "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() UNION "
    "SELECT view_name FROM duckdb_views() WHERE database_name = current_database() "
    "AND NOT internal ORDER BY 1").fetchall()]
dump = {n: [list(r) for r in conn.execute(
    f'SELECT CAST(COLUMNS(*) AS VARCHAR) FROM "{n}" ORDER BY ALL').fetchall()] for n in names}
try:  # the storage version is shown from DuckDB 1.2 on
    (tags,) = conn.execute("SELECT tags FROM duckdb_databases() "
                           "WHERE database_name = current_database()").fetchone()
except duckdb.Error:
    tags = {}
print(json.dumps({"version": duckdb.__version__, "storage": tags.get("storage_version"),
                  "objects": dump}))
"""


def reader(name: str) -> Path:
    python = READERS / name / "bin" / "python"
    assert python.exists(), f"{python} is missing: run `make readers` (make test does)"
    return python


def dump(python: Path | str, database: Path) -> dict:
    out = subprocess.run(
        [str(python), "-c", DUMP, str(database)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def test_the_release_opens_in_duckdb_1_1_and_reads_as_bfa_reads_it(released):
    database = released.release_dir / DATABASE
    old = dump(reader("duckdb-1.1"), database)
    new = dump(sys.executable, database)
    assert old["version"] == "1.1.0" and new["version"].startswith("2.")
    assert STORAGE_VERSION.startswith("v1.") and new["storage"].startswith("v1.")
    assert {"daily_availability", "availability_with_volume", "dataset_days"} <= set(old["objects"])
    assert all(old["objects"][name] for name in ("daily_by_symbol", "dataset_runs"))
    assert old["objects"] == new["objects"]


@pytest.fixture(scope="module")
def original(released, tmp_path_factory):
    """The original tool's CLI, run on a copy of the release database: `original(*args)`."""
    copy = tmp_path_factory.mktemp("original") / DATABASE
    shutil.copyfile(released.release_dir / DATABASE, copy)
    program = reader("original").parent / "binance-futures-availability"
    env = {**os.environ, "DB_PATH": str(copy), "HOME": str(copy.parent)}

    def run(*args: str) -> str:
        done = subprocess.run([program, *args], capture_output=True, text=True, env=env)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    return run


@pytest.fixture(scope="module")
def truth(released) -> list[dict]:
    """Every (date, market, symbol) row the release's daily_availability must hold."""
    start, end = released.windows[0]
    return [
        row | {"market": m}
        for m in MARKETS
        for row in released.universe.availability_truth(start, end, market=m)
    ]


def available(truth: list[dict], day: date) -> list[dict]:
    return sorted((r for r in truth if r["date"] == day and r["available"]),
                  key=lambda r: r["symbol"])  # fmt: skip


def test_its_snapshot_lists_each_file_of_the_day_with_its_size_and_utc_time(original, truth):
    day = date(2022, 9, 14)
    answer = json.loads(original("query", "snapshot", day.isoformat(), "--json"))
    expected = [
        {
            "symbol": r["symbol"],
            "file_size_bytes": r["file_size_bytes"],
            "last_modified": str(r["last_modified"].astimezone(UTC).replace(tzinfo=None)),
        }
        for r in available(truth, day)
    ]
    assert len(expected) > 5 and answer == expected


def test_its_timeline_has_every_checked_day_of_a_symbol_with_a_status_code(
    original, truth, released
):
    symbol = next(r["symbol"] for r in truth if not r["available"] and r["market"] == "um")
    answer = json.loads(original("query", "timeline", symbol, "--json"))
    expected = [
        {
            "date": r["date"].isoformat(),
            "available": r["available"],
            "file_size_bytes": r["file_size_bytes"],
            "status_code": 200 if r["available"] else 404,
        }
        for r in sorted(truth, key=lambda r: r["date"])
        if r["symbol"] == symbol
    ]
    assert any(e["status_code"] == 404 for e in expected) and answer == expected


def test_its_range_and_summary_count_the_files(original, truth):
    first, last = date(2022, 9, 1), date(2022, 9, 3)
    answer = json.loads(original("query", "range", first.isoformat(), last.isoformat(), "--json"))
    assert answer == sorted(
        {r["symbol"] for r in truth if r["available"] and first <= r["date"] <= last}
    )
    summary = json.loads(original("query", "analytics", "summary", "--json"))
    days = sorted({r["date"] for r in truth if r["available"]})
    assert summary == [
        {"date": d.isoformat(), "available_count": len(available(truth, d))} for d in days
    ]


def test_its_new_listings_and_delistings_are_the_first_and_the_missing_days(original, truth):
    days = sorted({r["date"] for r in truth})
    seen: set[str] = set()
    listed, delisted = {}, {}
    for day in days:
        today = {r["symbol"] for r in available(truth, day)}
        yesterday = {r["symbol"] for r in available(truth, day - timedelta(days=1))}
        listed[day], delisted[day] = sorted(today - seen), sorted(yesterday - today)
        seen |= today
    new_day = next(d for d in days[1:] if listed[d])
    gone_day = next(d for d in days[1:] if delisted[d])
    for command, day, symbols, title in (
        ("new-listings", new_day, listed[new_day], "New listings"),
        ("delistings", gone_day, delisted[gone_day], "Delistings"),
    ):
        answer = original("query", "analytics", command, day.isoformat())
        lines = [f"{title} on {day}: {len(symbols)}", *(f"  - {s}" for s in symbols)]
        assert answer.splitlines() == lines
