"""Writing the release database: whole, or by bringing a copy of the previous one up to date.

A full build creates every table of `layout.STORED` from the working database. An incremental
build starts from a copy of the previous release's file and, in each dated table, deletes the
rows from `since` (the first day written since that release) on and appends them anew, sorted;
small tables are replaced whole. Replacing a suffix of dates rather than only the changed rows
keeps every table in the order `bfa query` reads without sorting: the rows left are all older
than `since`, so the appended rows, in their order, follow them — a date-sorted table stays
sorted, and each symbol's rows of `daily_rows` stay in date order. Its cost is that of the days
from `since` on, not of the history.

The primary keys are enforced where rows are written, in the working database; a read-only copy
without their indexes is half the size, so it is copied, compressed, hashed and downloaded in
half the time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb

from bfa_assets.release.layout import (
    RELEASE_INFO,
    STORAGE_VERSION,
    STORED,
    TABLES,
    About,
    views,
)
from bfa_assets.store import memory

READ_TABLES = ("daily_by_symbol", "available_by_date")

EVERY_DAY = date.min  # `since` of a full build


def open_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """The release database at `path`, read-only, its cache bounded by `memory.READ_LIMIT`."""
    return duckdb.connect(str(path), read_only=True, config={"memory_limit": memory.READ_LIMIT})


@contextmanager
def _attached(conn: duckdb.DuckDBPyConnection, target: Path) -> Iterator[str]:
    """Attach `target` as the default catalog, in the release's storage format (an existing file
    in a newer one is refused: DuckDB cannot lower it); yields the working database's quoted
    name."""
    (name,) = conn.execute("SELECT current_database()").fetchall()[0]
    source = '"' + name.replace('"', '""') + '"'  # a quoted identifier
    conn.execute(
        f"ATTACH $path AS release_copy (STORAGE_VERSION '{STORAGE_VERSION}')",
        {"path": str(target)},
    )
    try:
        conn.execute("USE release_copy")
        yield source
    finally:
        conn.execute(f"USE {source}")
        conn.execute("DETACH release_copy")


def create(conn: duckdb.DuckDBPyConnection, target: Path, about: About) -> None:
    """A new release database at `target` with every table and view."""
    with _attached(conn, target) as source:
        about.create(conn)
        for table in STORED:
            params = {"since": EVERY_DAY} if table.dated else None
            if table.columns is None:
                conn.execute(f"CREATE TABLE {table.name} AS {table.query(source)}", params)
            else:
                conn.execute(f"CREATE TABLE {table.name} ({table.columns})")
                conn.execute(f"INSERT INTO {table.name} BY NAME {table.query(source)}", params)
        columns = _columns(conn, source, "daily_volume")
        for name, query in views(columns).items():
            conn.execute(f"CREATE VIEW {name} AS {query}")


def refresh(
    conn: duckdb.DuckDBPyConnection, target: Path, since: date | None, about: About
) -> None:
    """Bring the copy of a previous release at `target` up to date: every dated table from
    `since` on (nothing dated when None), the small tables whole, and what it says of itself.

    Everything to replace is removed first and checkpointed, so that the new rows reuse the
    blocks the old ones held: DuckDB does not zero a freed block, and stale blocks left in the
    file would be compressed and downloaded with it.
    """
    dated = {"since": since}
    with _attached(conn, target) as source:
        conn.execute(f"DROP TABLE {RELEASE_INFO}")
        for table in STORED:
            if not table.dated:
                conn.execute(f"DROP TABLE {table.name}")
            elif since is not None:
                conn.execute(f"DELETE FROM {table.name} WHERE date >= $since", dated)  # noqa: S608
        conn.execute("CHECKPOINT release_copy")
        about.create(conn)
        for table in STORED:
            if not table.dated:
                conn.execute(f"CREATE TABLE {table.name} AS {table.query(source)}")
            elif since is not None:
                conn.execute(f"INSERT INTO {table.name} BY NAME {table.query(source)}", dated)


def _columns(conn: duckdb.DuckDBPyConnection, source: str, table: str) -> list[str]:
    return [row[0] for row in conn.execute(f"DESCRIBE {source}.main.{table}").fetchall()]


def table_counts(conn: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows of the tables users know, in a working or a released database."""
    return {t: _count(conn, t) for t in TABLES}


def expected_counts(working: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """What a release of the working database holds: its tables' rows, and the read tables'."""
    (rows, available) = working.execute(
        "SELECT count(*), count(*) FILTER (available) FROM daily_availability"
    ).fetchall()[0]
    return table_counts(working) | {"daily_by_symbol": rows, "available_by_date": available}


def released_counts(release: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return table_counts(release) | {t: _count(release, t) for t in READ_TABLES}


def _count(conn: duckdb.DuckDBPyConnection, table: str) -> int:
    return conn.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]  # noqa: S608
