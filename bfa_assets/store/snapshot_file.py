"""The release's snapshot file: each calendar day's available symbols as one Arrow record batch.

A snapshot is the question scripts ask most, and ask in loops. DuckDB answers it from the
release's `daily_rows`, but most of that time is its fixed cost per query and a scan of a table
stored by symbol; this file answers it by index arithmetic — record batch `day - first_date` of
a memory-mapped Arrow IPC file — without reading the rest of the file, and `bfa query snapshot`
needs only pyarrow to read it. It holds the available rows (`answers.AVAILABLE_ROWS`) in date
and symbol order, uncompressed (compression made a read several times slower), so any Arrow
reader (Polars, pandas, DuckDB) can also read it whole.

Both markets are in it, one block of days after the other (USD-M's, then COIN-M's; every block
spans the same days), so market `m`'s day is batch `m × days + (day - first_date)`; its rows
carry every market's columns (`answers.STORED_COLUMNS`; a snapshot selects its market's).

Its schema metadata also carries each market's checked days and first day (see store.coverage),
so that an unchecked day is refused (`NotChecked`) rather than answered with an empty batch,
which would look like a day on which nothing traded. Reading imports pyarrow and nothing the
interpreter has not loaded anyway (no pathlib, typing or Polars): see bfa_assets.cli.
"""

from __future__ import annotations

import os
from datetime import date, timedelta

import pyarrow as pa
import pyarrow.ipc as ipc

from bfa_assets.common.markets import MARKETS
from bfa_assets.store.answers import AVAILABLE_ROWS, Table, snapshot_columns
from bfa_assets.store.coverage import Coverage, NotChecked, history_start

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (the idiom of PEP 781)
if TYPE_CHECKING:
    from collections.abc import Iterator

    import duckdb
    import polars as pl

# The DuckDB type each column's Arrow type was written from (answers.Table's `types`).
SQL_TYPES = {"string": "VARCHAR", "int64": "BIGINT", "int32": "INTEGER", "double": "DOUBLE"}
FIRST_DATE = b"first_date"  # schema metadata: the day of each market's first batch
DAYS = b"days"  # schema metadata: the days (batches) of each market's block
BLOCKS = b"markets"  # schema metadata: the markets, in the order of their blocks
CHECKED = "checked_days:"  # + market, schema metadata: its checked days (Coverage.to_text)
STARTS = "history_start:"  # + market, schema metadata: its first day (coverage.history_start)


class SnapshotFileError(ValueError):
    """The file is not a snapshot file (damaged, or something else under its name)."""


def write_snapshot_file(
    conn: duckdb.DuckDBPyConnection,
    path: str | os.PathLike[str],
    previous: str | os.PathLike[str] | None = None,
    since: date | None = None,
) -> int:
    """Write the available rows of the released database `conn` to `path`; returns their count.

    Days without an available symbol get an empty batch, so a day's batch is found by
    subtraction. Given the previous release's file (verified by the caller) and the first day
    whose rows changed since it (`since`; None: no day changed), the batches of the days before
    `since` are copied from it and only the later days are read and sorted, so that the cost
    of an update does not grow with the history.
    """
    old = SnapshotFile(previous, mapped=False) if previous is not None else None
    first, kept = _kept_days(old, since)
    after = first + timedelta(days=kept) if kept else None
    fresh = {m: _new_days(conn, m, after) for m in MARKETS}
    if after is None:
        first = min((min(days) for _, days in fresh.values() if days), default=date.min)
    lasts = [max(days) for _, days in fresh.values() if days]
    span = max([kept] + [(last - first).days + 1 for last in lasts])
    schema = fresh[MARKETS[0]][0].schema
    metadata = {FIRST_DATE: str(first), DAYS: str(span), BLOCKS: ",".join(MARKETS)}
    for m in MARKETS:
        metadata[f"{CHECKED}{m}".encode()] = _checked_days(conn, m).to_text()
        metadata[f"{STARTS}{m}".encode()] = str(history_start(conn, m))
    empty = pa.RecordBatch.from_pylist([], schema=schema)
    written = 0
    with ipc.new_file(str(path), schema.with_metadata(metadata)) as writer:
        for m in MARKETS:
            for batch in _kept_batches(old, m, kept):
                writer.write_batch(batch)
                written += batch.num_rows
            table, rows_of = fresh[m]
            offset = 0
            for n in range(kept, span):
                rows = rows_of.get(first + timedelta(days=n), 0)
                writer.write_batch(table.slice(offset, rows).to_batches()[0] if rows else empty)
                offset += rows
            written += offset
    return written


def _new_days(
    conn: duckdb.DuckDBPyConnection, market: str, after: date | None
) -> tuple[pa.Table, dict[date, int]]:
    """The available rows of `market` (from `after` on, if given) in date and symbol order,
    as one chunk (a day: one slice), and the rows of each day."""
    import pyarrow.compute as pc  # imported here: a release-time cost `bfa query` never pays

    query = f"{AVAILABLE_ROWS} AND market = $market"
    params: dict = {"market": market}
    if after is not None:
        query, params["after"] = f"{query} AND date >= $after", after
    table = conn.sql(f"{query} ORDER BY date, symbol", params=params).arrow().read_all()
    table = table.combine_chunks()
    counts = pc.value_counts(table["date"])  # in order of first appearance: date order
    days = counts.field("values").to_pylist()
    return table, dict(zip(days, counts.field("counts").to_pylist(), strict=True))


def _checked_days(conn: duckdb.DuckDBPyConnection, market: str) -> Coverage:
    sql = "SELECT date FROM probe_log WHERE market = $market"
    return Coverage.from_days(d for (d,) in conn.execute(sql, {"market": market}).fetchall())


def _kept_days(old: SnapshotFile | None, since: date | None) -> tuple[date, int]:
    """The previous file's first day and how many days from it are kept: those before `since`
    (0: write the file whole). Days after its last and before `since` had no available symbol
    then, and nothing before `since` changed: they are kept as empty batches."""
    if old is None:
        return date.min, 0
    count = old.days_stored() if since is None else (since - old.first_day).days
    return old.first_day, count if min(count, old.days_stored()) > 0 else 0


def _kept_batches(old: SnapshotFile | None, market: str, days: int) -> Iterator[pa.RecordBatch]:
    """`market`'s first `days` batches of the previous file, read one at a time."""
    for index in range(days):
        yield old.stored_batch(index, market) if index < old.days_stored() else old.empty


class SnapshotFile:
    """A snapshot file opened for reading; cheap to open, memory-mapped, safe to share.

    `mapped=False` reads each batch into memory instead, for copying the file: a mapped file
    copied whole stays resident (in the process's memory) until it is closed, a read batch only
    until it is written.
    """

    def __init__(self, path: str | os.PathLike[str], mapped: bool = True) -> None:
        self._path = path
        try:
            source = pa.memory_map(str(path)) if mapped else pa.OSFile(str(path))
            self._file = ipc.open_file(source)
            metadata = self._file.schema.metadata or {}
            missing = [key.decode() for key in (FIRST_DATE, DAYS, BLOCKS) if key not in metadata]
            if missing:
                raise ValueError(
                    f"no {' and no '.join(missing)} in its metadata (not a snapshot file, or "
                    "one from before both markets were released: materialize release_artifact)"
                )
            self.first_day = date.fromisoformat(metadata[FIRST_DATE].decode())
            self._days = int(metadata[DAYS])
            self.markets = metadata[BLOCKS].decode().split(",")
            self.coverages = {
                m: Coverage.from_text(metadata[f"{CHECKED}{m}".encode()].decode())
                for m in self.markets
            }
            self._starts = {
                m: date.fromisoformat(metadata[f"{STARTS}{m}".encode()].decode())
                for m in self.markets
            }
        except (OSError, pa.ArrowInvalid, TypeError, ValueError, KeyError) as error:
            raise SnapshotFileError(f"cannot read the snapshot file {path}: {error}") from None
        self.empty = pa.RecordBatch.from_pylist([], schema=self._file.schema)

    @property
    def coverage(self) -> Coverage:
        """USD-M's checked days (`coverages` holds every market's)."""
        return self.coverages["um"]

    def batch(self, day: date, market: str = "um") -> pa.RecordBatch:
        """The rows of `market` on a checked `day` (symbol order), the columns of
        `queries.snapshot`.

        Raises NotChecked for a day the release did not check for `market`.
        """
        coverage = self.coverages.get(market, Coverage(()))
        if not coverage.checked(day):
            start = self._starts.get(market, self.first_day)
            raise NotChecked(coverage, day, market, start)
        index = (day - self.first_day).days
        inside = 0 <= index < self._days
        batch = self.stored_batch(index, market) if inside else self.empty
        return batch.select(snapshot_columns(market))

    def rows(self, day: date, market: str = "um") -> Table:
        """`batch(day, market)` as rows of Python values, as the SQL snapshot gives them."""
        batch = self.batch(day, market)
        columns = [column.to_pylist() for column in batch.columns]
        types = tuple(SQL_TYPES[str(field.type)] for field in batch.schema)
        return Table(tuple(batch.schema.names), list(zip(*columns, strict=True)), types)

    def snapshot(self, day: date, market: str = "um") -> pl.DataFrame:
        """`batch(day, market)` as a Polars frame (Polars is imported on first use)."""
        import polars as pl  # imported here: `bfa query` prints Arrow without it

        return pl.from_arrow(self.batch(day, market))

    def row_count(self) -> int:
        """The rows of every market."""
        return sum(self._file.get_batch(i).num_rows for i in range(self._file.num_record_batches))

    def days_stored(self) -> int:
        """Days from `first_day` with a batch in each market's block."""
        return self._days

    def stored_batch(self, index: int, market: str = "um") -> pa.RecordBatch:
        """Batch `index` of `market`'s block as stored (every column), for a day checked or not."""
        try:
            return self._file.get_batch(self.markets.index(market) * self._days + index)
        except (OSError, pa.ArrowInvalid) as error:  # a damaged table of batches in the footer
            raise SnapshotFileError(
                f"cannot read batch {index} of the snapshot file {self._path}: {error}"
            ) from None
