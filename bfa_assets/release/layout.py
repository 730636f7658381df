"""What the release database holds: stored tables, each with its order, and views over them.

Every working table is released with its columns, except the provenance columns in `DROPPED`:
the ETags of the 1m and 1d files and the SHA-256s of the 1d files are random hex, so they were
what gzip could not shrink (about a quarter of the gzipped file), and readers do not query them.
They stay in the working database, where the pipeline uses them to skip unchanged files; a
reader who wants to check a file has its key (`source_key`) and Vision's `.CHECKSUM` beside it.
The URL of a 1m file follows from its date and symbol, so the view computes it.

`daily_volume` is stored in `daily_rows`, one row per (date, symbol) of availability or volume
sorted by symbol and date: a symbol's bars side by side compress to a fifth less than a day's
bars of all symbols, and `daily_by_symbol`, the rows `bfa query timeline` reads in stored order,
is the same table under another name. `daily_volume` and `daily_by_symbol` are views of it.
Both markets are in every table (a `market` column); `daily_rows` carries COIN-M's ranked
`notional_usd` beside its rank, from volume_rankings (where it is computed, once).

The other tables are sorted by date (rankings by date and rank), so date filters skip most row
groups. `available_by_date`, the available (date, symbol) pairs in date order that `bfa query`'s
range, delistings and summary read, holds no volume: its quote volumes, a copy of the bars' in
another order, were a tenth of the gzipped file, and the one answer that wants them by date, a
snapshot, reads the snapshot file (store/snapshot_file.py). Every stored table holds either
whole small tables (`dated=False`) or rows of dates; an incremental build replaces the dated
rows from its first changed day on (see database.py), which keeps each table in the order a full
build writes it.

All SQL here is made of constants and the working schema's column names (hence the S608
exemptions); the one value, `$since`, is a bound parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from bfa_assets.store import datasets
from bfa_assets.store.queries import RELEASE_INFO

if TYPE_CHECKING:
    import duckdb

LAYOUT = 8  # bump on any change here: a release of another layout is then rebuilt whole
# The release database's storage format: the oldest that keeps its size and its features, so
# that every DuckDB from 1.1 on opens it (DuckDB 1.x refuses a file in 2.0's format, "created
# with a newer version of DuckDB"). docs/release.md says who can read it; docs/benchmarks.md
# gives the sizes per format.
STORAGE_VERSION = "v1.1.0"
DOWNLOAD_URL = "https://data.binance.vision/"  # Binance's public download host for Vision keys
DROPPED = {
    "daily_availability": ("etag", "url"),
    "daily_volume": ("source_etag", "sha256"),
    "volume_files": ("source_etag", "sha256"),
}


def _without(table: str) -> str:
    dropped = DROPPED.get(table)
    return f"* EXCLUDE ({', '.join(dropped)})" if dropped else "*"


@dataclass(frozen=True)
class Stored:
    """A table of the release: `select` reads the working database `{src}` (or tables of the
    release made before it); a dated table's `select` takes the rows from `$since` on. `columns`
    declares the table when its columns are not just those of `select` (generated ones)."""

    name: str
    select: str
    dated: bool
    columns: str | None = None

    def query(self, source: str) -> str:
        return self.select.format(src=source)


def _copy(
    table: str, order: str, dated: bool, columns: str | None = None, replace: str = ""
) -> Stored:
    since = " WHERE date >= $since" if dated else ""
    select = f"SELECT {_without(table)}{replace} FROM {{src}}.main.{table}{since} ORDER BY {order}"  # noqa: S608
    return Stored(table, select, dated, columns)


# The original tool's readers query `daily_availability` for its columns `status_code`, `url`
# and `probe_timestamp`, and read `last_modified` as a TIMESTAMP in UTC (a TIMESTAMPTZ needs
# pytz in DuckDB's Python client). So the released table stores its times in UTC without a
# zone, like `release_info`, and computes the three columns when read (VIRTUAL: no storage).
KLINE_URL = f"""'{DOWNLOAD_URL}' || 'data/futures/' || market || '/daily/klines/'
    || url_encode(symbol) || '/1m/' || url_encode(symbol) || '-1m-'
    || strftime(date, '%Y-%m-%d') || '.zip'"""
DAILY_AVAILABILITY = f"""
    date DATE NOT NULL,
    market VARCHAR NOT NULL,
    symbol VARCHAR NOT NULL,
    available BOOLEAN NOT NULL,
    file_size_bytes BIGINT,
    last_modified TIMESTAMP,
    checked_at TIMESTAMP NOT NULL,
    status_code INTEGER GENERATED ALWAYS AS (CASE WHEN available THEN 200 ELSE 404 END) VIRTUAL,
    url VARCHAR GENERATED ALWAYS AS ({KLINE_URL}) VIRTUAL,
    probe_timestamp TIMESTAMP GENERATED ALWAYS AS (checked_at) VIRTUAL
"""


DAILY_ROWS = f"""
SELECT date, market, symbol, a.available, a.file_size_bytes, r.rank, r.notional_usd,
       v.* EXCLUDE (date, market, symbol, {", ".join(DROPPED["daily_volume"])})
FROM (SELECT date, market, symbol, available, file_size_bytes
      FROM {{src}}.main.daily_availability WHERE date >= $since) a
FULL JOIN (SELECT * FROM {{src}}.main.daily_volume WHERE date >= $since) v
    USING (date, market, symbol)
LEFT JOIN (SELECT date, market, symbol, rank, notional_usd FROM {{src}}.main.volume_rankings
           WHERE date >= $since) r
    USING (date, market, symbol)
ORDER BY market, symbol, date
"""  # noqa: S608
# In this order: available_by_date is made from daily_rows (a third less time than joining again).
STORED = [
    _copy("schema_version", "version", dated=False),
    _copy("symbols", "market, symbol", dated=False),
    _copy("probe_log", "market, date", dated=False),
    _copy("volume_files", "source_key", dated=False),
    _copy(
        "daily_availability",
        "date",
        dated=True,
        columns=DAILY_AVAILABILITY,
        replace=" REPLACE (timezone('UTC', last_modified) AS last_modified, "
        "timezone('UTC', checked_at) AS checked_at)",
    ),
    _copy("volume_rankings", "date, market, rank, symbol", dated=True),
    Stored("daily_rows", DAILY_ROWS, dated=True),
    Stored(
        "available_by_date",
        "SELECT date, market, symbol, file_size_bytes FROM daily_rows "
        "WHERE available AND date >= $since ORDER BY date, market, symbol",
        dated=True,
    ),
    # dataset coverage: the working database's views, materialized (a few rows per folder)
    _copy("dataset_runs", "market, dataset, symbol, first_date", dated=False),
    _copy("dataset_checks", "market, dataset, first_date", dated=False),
]


@dataclass(frozen=True)
class About:
    """What a release says of itself, in its one-row table `release_info`: when it was made,
    and the newest day it is about (the days after its latest checked day up to this one were
    not checked, and its answers say so)."""

    generated_at: datetime
    newest_day: date

    def create(self, conn: duckdb.DuckDBPyConnection) -> None:
        """The table, with the time in UTC (a TIMESTAMP: read the same in every time zone)."""
        conn.execute(
            f"CREATE TABLE {RELEASE_INFO} AS "
            "SELECT $at::TIMESTAMP AS generated_at, $newest::DATE AS newest_day",
            {
                "at": self.generated_at.astimezone(UTC).replace(tzinfo=None),
                "newest": self.newest_day,
            },
        )


# What `bfa query` shows per (date, symbol); stored sorted for point reads (DuckDB skips row
# groups by their min/max), so a day's snapshot or a symbol's timeline reads one or two row
# groups instead of joining three tables.
READ_VIEWS = {
    "daily_by_symbol": "SELECT date, market, symbol, available, file_size_bytes, quote_volume, "
    "contracts, notional_usd, rank FROM daily_rows WHERE available IS NOT NULL",
}
# The original tool's 17 columns, for users of its file: USD-M's rows only (COIN-M has no USDT
# quote volume to put in them; its rows are in the tables).
AVAILABILITY_WITH_VOLUME = """
SELECT a.date, a.symbol, a.available, a.file_size_bytes, a.last_modified, a.url,
       a.status_code, a.probe_timestamp, v.quote_volume AS quote_volume_usdt, v.trade_count,
       v.volume_base, v.taker_buy_volume_base,
       v.taker_buy_quote_volume AS taker_buy_quote_volume_usdt, v.open_price, v.high_price,
       v.low_price, v.close_price
FROM daily_availability a
LEFT JOIN daily_volume v USING (date, market, symbol)
WHERE a.market = 'um'
"""
# The tables users know from the working database, with their released row counts.
TABLES = [
    "symbols",
    "daily_availability",
    "probe_log",
    "daily_volume",
    "volume_rankings",
    "volume_files",
    "dataset_runs",
    "dataset_checks",
]


def views(volume_columns: list[str]) -> dict[str, str]:
    """Every view, by name; `volume_columns` are the working `daily_volume`'s, in order."""
    kept = [c for c in volume_columns if c not in DROPPED["daily_volume"]]
    volume = f"SELECT {', '.join(kept)} FROM daily_rows WHERE fetched_at IS NOT NULL"  # noqa: S608
    return {
        **READ_VIEWS,
        "daily_volume": volume,
        "availability_with_volume": AVAILABILITY_WITH_VOLUME,
        "dataset_days": datasets.DAYS,
    }
