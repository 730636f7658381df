"""The shapes of query answers: plain rows, so that printing them needs no data-frame library;
and which released rows a snapshot is made of, shared by the SQL snapshot and the snapshot file.

Named tuples rather than dataclasses: `bfa query snapshot` from the snapshot file imports
this module beside pyarrow alone, and `dataclasses` (it imports `inspect`) would add a good
part of pyarrow's own import time to that command (docs/benchmarks.md).
"""

from __future__ import annotations

from collections import namedtuple

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (the idiom of PEP 781)
if TYPE_CHECKING:
    import polars as pl

DELISTING_DAYS = 7  # checked days without a file after the last one, before "delisted"
# A day's volume as each market states it (the one home of the choice): USD-M in its quote
# asset; COIN-M in contracts, and the USD notional its perpetuals are ranked by (stored with the
# rankings: computed once, in store/rankings.py). COIN-M has no quote volume to show.
VOLUME_COLUMNS = {"um": ("quote_volume",), "cm": ("contracts", "notional_usd")}
# What the top answer ranks by, per market (volume_rankings' column).
RANKED_BY = {"um": "quote_volume_usdt", "cm": "notional_usd"}


def snapshot_columns(market: str) -> tuple[str, ...]:
    """A snapshot's answer in `market`."""
    return ("symbol", "file_size_bytes", *VOLUME_COLUMNS[market], "rank")


SNAPSHOT_COLUMNS = snapshot_columns("um")  # USD-M's, as before COIN-M
# Every market's columns, in one order: the snapshot file's (one schema for all its batches).
EVERY_VOLUME = tuple(dict.fromkeys(c for columns in VOLUME_COLUMNS.values() for c in columns))
STORED_COLUMNS = ("market", "symbol", "file_size_bytes", *EVERY_VOLUME, "rank")
# A released database's available (date, market, symbol) rows with every snapshot column: what
# the snapshot file holds, and what a snapshot without it reads.
AVAILABLE_ROWS = f"SELECT date, {', '.join(STORED_COLUMNS)} FROM daily_rows WHERE available"  # noqa: S608


# The Polars type of each DuckDB type an answer's column can have: `Table.pl()` never guesses.
POLARS_TYPES = {"BOOLEAN": "Boolean", "INTEGER": "Int32", "BIGINT": "Int64", "DOUBLE": "Float64",
                "VARCHAR": "String", "DATE": "Date", "TIMESTAMP": "Datetime"}  # fmt: skip


class Table(
    namedtuple("Table", ["columns", "rows", "types", "unchecked", "note"], defaults=[(), ""])
):
    """Rows of an answer (tuples in the order of `columns`), and the columns' DuckDB `types`.
    `unchecked`: the asked-about days the answer could not look at, as (first, last) ranges;
    `note`: what a reader of the rows should know (printed under the table)."""

    __slots__ = ()

    def dicts(self) -> list[dict]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def pl(self) -> pl.DataFrame:
        """The rows as a Polars frame with the columns' own types, whatever the rows hold (a
        column of unchecked days is all nulls, and still a column of booleans)."""
        import polars as pl  # imported here: `bfa query` never needs it

        schema = {
            c: getattr(pl, POLARS_TYPES[t]) for c, t in zip(self.columns, self.types, strict=True)
        }
        return pl.DataFrame(self.rows, schema=schema, orient="row")


class Delistings(namedtuple("Delistings", ["day", "delisted", "not_known_yet", "days_needed"])):
    """Symbols whose last file is of `day`: `delisted` (a Table) when the `days_needed` days
    after it were checked without a file, `not_known_yet` when some of them were not."""

    __slots__ = ()
