"""Schema by numbered migrations: a database at any older version is brought up to date.

Facts from different sources live in different tables (availability from 1m listings, volume
from 1d files), so re-checking one never erases the other, which the original tool did.
"""

from __future__ import annotations

import duckdb

MIGRATIONS: list[str] = [
    # 1: symbols, availability and the log of probed days
    """
    CREATE TABLE symbols (
        symbol VARCHAR PRIMARY KEY,
        kind VARCHAR NOT NULL,                -- perpetual | delivery
        quote_asset VARCHAR,                  -- exchangeInfo's quoteAsset, else from the name
        delivery_date DATE,                   -- dated contracts only
        first_1m_date DATE,                   -- day of the first daily 1m file
        first_seen_at TIMESTAMPTZ NOT NULL,   -- first discovery run that listed the folder
        last_seen_at TIMESTAMPTZ NOT NULL,    -- latest discovery run that listed the folder
        exchange_status VARCHAR,              -- exchangeInfo status (TRADING, SETTLING, …)
        contract_type VARCHAR,                -- exchangeInfo contractType
        onboard_date TIMESTAMPTZ,             -- exchangeInfo onboardDate
        exchange_checked_at TIMESTAMPTZ       -- when exchangeInfo last answered for this symbol
    );
    CREATE TABLE daily_availability (
        date DATE NOT NULL,
        symbol VARCHAR NOT NULL,
        available BOOLEAN NOT NULL,
        file_size_bytes BIGINT,
        last_modified TIMESTAMPTZ,
        etag VARCHAR,
        url VARCHAR,
        checked_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (date, symbol)
    );
    CREATE TABLE probe_log (
        date DATE PRIMARY KEY,
        checked_at TIMESTAMPTZ NOT NULL,
        symbols_checked INTEGER NOT NULL,
        available_count INTEGER NOT NULL
    );
    """,
]


def migrate(conn: duckdb.DuckDBPyConnection) -> int:
    """Apply pending migrations, each in its own transaction; returns the schema version."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_version "
        "(version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)"
    )
    version = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]
    for number, sql in enumerate(MIGRATIONS[version:], start=version + 1):
        conn.execute("BEGIN TRANSACTION")
        try:
            conn.execute(sql)
            conn.execute("INSERT INTO schema_version VALUES (?, now())", [number])
            conn.execute("COMMIT")
        except Exception:
            conn.execute("ROLLBACK")
            raise
    return len(MIGRATIONS)
