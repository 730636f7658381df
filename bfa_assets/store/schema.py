"""Schema by numbered migrations: a database at any older version is brought up to date.

Facts from different sources live in different tables (availability from 1m listings, volume
from 1d files), so re-checking one never erases the other, which the original tool did.

Migration 7 made the market (`um` = USD-M, `cm` = COIN-M) a column of every table and a part of
every key; the rows of an older database are USD-M's, and keep every value they had.
"""

from __future__ import annotations

import duckdb

from bfa_assets.store import datasets, runs

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
    # 2: daily bars from the 1d kline files, one row per available (date, symbol)
    """
    CREATE TABLE daily_volume (
        date DATE NOT NULL,
        symbol VARCHAR NOT NULL,
        open_price DOUBLE NOT NULL,
        high_price DOUBLE NOT NULL,
        low_price DOUBLE NOT NULL,
        close_price DOUBLE NOT NULL,
        volume_base DOUBLE NOT NULL,
        quote_volume DOUBLE NOT NULL,
        trade_count BIGINT NOT NULL,
        taker_buy_volume_base DOUBLE NOT NULL,
        taker_buy_quote_volume DOUBLE NOT NULL,
        source_key VARCHAR NOT NULL,          -- the daily or monthly 1d zip the bar came from
        source_etag VARCHAR NOT NULL,         -- its ETag: an unchanged object is not fetched again
        sha256 VARCHAR NOT NULL,              -- the verified SHA-256 of that zip
        fetched_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (date, symbol)
    );
    """,
    # 3: the daily ranking of USDT-quoted perpetuals by quote volume
    """
    CREATE TABLE volume_rankings (
        date DATE NOT NULL,
        symbol VARCHAR NOT NULL,
        rank INTEGER NOT NULL,                -- dense rank of quote volume, 1 = highest
        quote_volume_usdt DOUBLE NOT NULL,
        trade_count BIGINT NOT NULL,
        rank_change_1d INTEGER,               -- rank today minus rank N calendar days earlier
        rank_change_7d INTEGER,
        rank_change_14d INTEGER,
        rank_change_30d INTEGER,
        percentile DOUBLE NOT NULL,           -- percent rank x 100, 0 = top
        market_share_pct DOUBLE,              -- NULL on a day whose cohort traded nothing
        days_available INTEGER NOT NULL,      -- available days in [date - 29, date]
        generation_timestamp TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (date, symbol)
    );
    """,
    # 4: every 1d file read and verified, so an unchanged file is never fetched twice
    """
    CREATE TABLE volume_files (
        source_key VARCHAR PRIMARY KEY,
        source_etag VARCHAR NOT NULL,
        sha256 VARCHAR NOT NULL,
        symbol VARCHAR NOT NULL,
        bar_days DATE[] NOT NULL,             -- the days the file holds a bar for
        fetched_at TIMESTAMPTZ NOT NULL
    );
    """,
    # 5: why an available day has no volume row, as of the latest volume run over it
    """
    CREATE TABLE volume_issues (
        date DATE NOT NULL,
        symbol VARCHAR NOT NULL,
        issue VARCHAR NOT NULL,               -- no_1d_file | no_bar_in_file | file_failed
        source_key VARCHAR,
        detail VARCHAR,
        checked_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (date, symbol)
    );
    """,
    # 6: every committed write of a released table, so a release rebuilds only what changed
    # (see store/changes.py); the first row stands for everything written before the log began
    """
    CREATE TABLE change_log (
        seq BIGINT PRIMARY KEY,               -- 1, 2, … in commit order
        token UUID NOT NULL,                  -- random: this database's change, not a copy's
        table_name VARCHAR NOT NULL,
        first_date DATE,                      -- the window written; NULL = every date
        last_date DATE,
        symbols VARCHAR[],                    -- the symbols written; NULL = every symbol
        written_at TIMESTAMPTZ NOT NULL
    );
    INSERT INTO change_log VALUES (1, uuid(), '*', NULL, NULL, NULL, now());
    """,
    # 7: the market (um = USD-M, cm = COIN-M) in every table and key; older rows are USD-M's.
    # DuckDB cannot change a primary key in place: each table is rebuilt and its rows copied.
    # COIN-M's own facts: contract sizes (symbols), volume in contracts (daily_volume) and the
    # USD notional its perpetuals are ranked by (volume_rankings); USD-M leaves them NULL.
    """
    CREATE TABLE symbols_7 (
        market VARCHAR NOT NULL,              -- um | cm
        symbol VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        quote_asset VARCHAR,
        delivery_date DATE,
        first_1m_date DATE,
        first_seen_at TIMESTAMPTZ NOT NULL,
        last_seen_at TIMESTAMPTZ NOT NULL,
        exchange_status VARCHAR,              -- status (USD-M) or contractStatus (COIN-M)
        contract_type VARCHAR,
        onboard_date TIMESTAMPTZ,
        exchange_checked_at TIMESTAMPTZ,
        contract_size_usd DOUBLE,             -- COIN-M: USD per contract
        contract_size_inferred BOOLEAN,       -- COIN-M: true = from the rule, not exchangeInfo
        PRIMARY KEY (market, symbol)
    );
    INSERT INTO symbols_7 SELECT 'um', *, NULL, NULL FROM symbols;
    DROP TABLE symbols;
    ALTER TABLE symbols_7 RENAME TO symbols;

    CREATE TABLE daily_availability_7 (
        date DATE NOT NULL,
        market VARCHAR NOT NULL,
        symbol VARCHAR NOT NULL,
        available BOOLEAN NOT NULL,
        file_size_bytes BIGINT,
        last_modified TIMESTAMPTZ,
        etag VARCHAR,
        url VARCHAR,
        checked_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (date, market, symbol)
    );
    INSERT INTO daily_availability_7 SELECT date, 'um', * EXCLUDE (date) FROM daily_availability;
    DROP TABLE daily_availability;
    ALTER TABLE daily_availability_7 RENAME TO daily_availability;

    CREATE TABLE probe_log_7 (
        date DATE NOT NULL,
        market VARCHAR NOT NULL,              -- checked for this market only
        checked_at TIMESTAMPTZ NOT NULL,
        symbols_checked INTEGER NOT NULL,
        available_count INTEGER NOT NULL,
        PRIMARY KEY (date, market)
    );
    INSERT INTO probe_log_7 SELECT date, 'um', * EXCLUDE (date) FROM probe_log;
    DROP TABLE probe_log;
    ALTER TABLE probe_log_7 RENAME TO probe_log;

    CREATE TABLE daily_volume_7 (
        date DATE NOT NULL,
        market VARCHAR NOT NULL,
        symbol VARCHAR NOT NULL,
        open_price DOUBLE NOT NULL,
        high_price DOUBLE NOT NULL,
        low_price DOUBLE NOT NULL,
        close_price DOUBLE NOT NULL,
        volume_base DOUBLE NOT NULL,          -- base asset (USD-M) / coin (COIN-M)
        quote_volume DOUBLE,                  -- USD-M: in the quote asset; COIN-M: NULL
        trade_count BIGINT NOT NULL,
        taker_buy_volume_base DOUBLE NOT NULL,
        taker_buy_quote_volume DOUBLE,        -- USD-M only
        contracts DOUBLE,                     -- COIN-M only: volume in contracts
        taker_buy_contracts DOUBLE,           -- COIN-M only
        source_key VARCHAR NOT NULL,
        source_etag VARCHAR NOT NULL,
        sha256 VARCHAR NOT NULL,
        fetched_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (date, market, symbol)
    );
    INSERT INTO daily_volume_7 BY NAME SELECT 'um' AS market, * FROM daily_volume;
    DROP TABLE daily_volume;
    ALTER TABLE daily_volume_7 RENAME TO daily_volume;

    CREATE TABLE volume_rankings_7 (
        date DATE NOT NULL,
        market VARCHAR NOT NULL,
        symbol VARCHAR NOT NULL,
        rank INTEGER NOT NULL,                -- dense rank of the market's measure, 1 = highest
        quote_volume_usdt DOUBLE,             -- USD-M's measure: quote volume (USDT)
        notional_usd DOUBLE,                  -- COIN-M's measure: contracts x contract size
        trade_count BIGINT NOT NULL,
        rank_change_1d INTEGER,
        rank_change_7d INTEGER,
        rank_change_14d INTEGER,
        rank_change_30d INTEGER,
        percentile DOUBLE NOT NULL,
        market_share_pct DOUBLE,
        days_available INTEGER NOT NULL,
        contract_size_inferred BOOLEAN,       -- COIN-M: the size came from the rule
        generation_timestamp TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (date, market, symbol)
    );
    INSERT INTO volume_rankings_7 BY NAME SELECT 'um' AS market, * FROM volume_rankings;
    DROP TABLE volume_rankings;
    ALTER TABLE volume_rankings_7 RENAME TO volume_rankings;

    ALTER TABLE volume_files ADD COLUMN market VARCHAR NOT NULL DEFAULT 'um';

    CREATE TABLE volume_issues_7 (
        date DATE NOT NULL,
        market VARCHAR NOT NULL,
        symbol VARCHAR NOT NULL,
        issue VARCHAR NOT NULL,
        source_key VARCHAR,
        detail VARCHAR,
        checked_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (date, market, symbol)
    );
    INSERT INTO volume_issues_7 SELECT date, 'um', * EXCLUDE (date) FROM volume_issues;
    DROP TABLE volume_issues;
    ALTER TABLE volume_issues_7 RENAME TO volume_issues;

    ALTER TABLE change_log ADD COLUMN markets VARCHAR[];  -- the markets written; NULL = both
    """,
    # 8: dataset coverage (store/datasets.py): the files of every dataset but the 1m klines, the
    # days checked per (market, dataset), and the view of the checked days.
    # No primary key on the files: DuckDB pins key indexes in memory, and the window writes
    # keep (market, dataset, symbol, first_date) unique (a check verifies it).
    """
    CREATE TABLE dataset_files (
        market VARCHAR NOT NULL,
        dataset VARCHAR NOT NULL,             -- the folder under data/futures/{market}/{period}/
        symbol VARCHAR NOT NULL,              -- the folder name: a contract (or a pair)
        first_date DATE NOT NULL,             -- the day the file covers (a monthly file: its
        last_date DATE NOT NULL,              -- month's first and last day)
        bytes BIGINT NOT NULL                 -- the zip's size
    );
    CREATE TABLE dataset_probe_log (
        date DATE NOT NULL,
        market VARCHAR NOT NULL,
        dataset VARCHAR NOT NULL,
        checked_at TIMESTAMPTZ NOT NULL,      -- when the listing that checked the day began
        folders INTEGER NOT NULL,             -- folders of the dataset listed
        PRIMARY KEY (date, market, dataset)
    );
    """
    + datasets.CHECKS_VIEW,
    # 9: the runs of dataset coverage become a table the window writes keep (store/runs.py),
    # built here from the facts; `dataset_days` reads it.
    """
    DROP VIEW IF EXISTS dataset_days;
    DROP VIEW IF EXISTS dataset_runs;
    CREATE TABLE dataset_runs (
        market VARCHAR NOT NULL,
        dataset VARCHAR NOT NULL,
        symbol VARCHAR NOT NULL,
        first_date DATE NOT NULL,             -- a run of checked days with the file
        last_date DATE NOT NULL,
        files BIGINT NOT NULL,
        bytes BIGINT                          -- NULL: no size known for any of its files
    );
    """
    + runs.REBUILD
    + datasets.DAYS_VIEW,
]


def migrate(conn: duckdb.DuckDBPyConnection) -> int:
    """Apply pending migrations, each in its own transaction; returns the schema version."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_version "
        "(version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)"
    )
    (version,) = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()[0]
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
