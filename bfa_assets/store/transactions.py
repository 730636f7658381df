"""Helpers for all-or-nothing writes of big windows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
import polars as pl


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Commit if the block succeeds, roll back if it raises: a window is written whole or not."""
    conn.execute("BEGIN TRANSACTION")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextmanager
def staging_table(conn: duckdb.DuckDBPyConnection, like: str) -> Iterator[str]:
    """An empty scratch table with the columns of `like` (no constraints), dropped afterwards.

    Rows built part by part are staged here, each part committed on its own, then moved in one
    INSERT … SELECT inside the window's transaction. Many INSERTs inside one transaction keep
    every row in DuckDB's transaction-local storage, in memory; one INSERT … SELECT writes whole
    row groups to disk as it goes (docs/benchmarks.md, memory).
    """
    name = f"staged_{like}"
    conn.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {like} LIMIT 0")  # noqa: S608
    try:
        yield name
    finally:
        conn.execute(f"DROP TABLE IF EXISTS {name}")


def stage(conn: duckdb.DuckDBPyConnection, table: str, rows: pl.DataFrame) -> None:
    """Append `rows` to the staging table `table` (committed on its own)."""
    conn.register("part", rows)
    conn.execute(f"INSERT INTO {table} BY NAME SELECT * FROM part")  # noqa: S608
    conn.unregister("part")
