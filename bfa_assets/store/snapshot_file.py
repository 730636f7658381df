"""The release's snapshot file: each calendar day's available symbols as one Arrow record batch.

A snapshot is the question scripts ask most, and ask in loops. DuckDB answers it from the
release's `daily_rows`, but most of that time is its fixed cost per query and a scan of a table
stored by symbol; this file answers it by index arithmetic — record batch `day - first_date` of
a memory-mapped Arrow IPC file — without reading the rest of the file, and `bfa query snapshot`
needs only pyarrow to read it. It holds the available rows (`answers.AVAILABLE_ROWS`) in date
and symbol order, uncompressed (compression made a read several times slower), so any Arrow
reader (Polars, pandas, DuckDB) can also read it whole.

Its schema metadata also carries the release's checked days (see store.coverage), so that an
unchecked day is refused (`NotChecked`) rather than answered with an empty batch, which would
look like a day on which nothing traded. Reading imports pyarrow and nothing the interpreter
has not loaded anyway (no pathlib, typing or Polars): see bfa_assets.cli.
"""

from __future__ import annotations

import os
from datetime import date, timedelta

import pyarrow as pa
import pyarrow.ipc as ipc

from bfa_assets.store.answers import AVAILABLE_ROWS, SNAPSHOT_COLUMNS, Table
from bfa_assets.store.coverage import Coverage, NotChecked

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (the idiom of PEP 781)
if TYPE_CHECKING:
    import duckdb
    import polars as pl

# The DuckDB type each column's Arrow type was written from (answers.Table's `types`).
SQL_TYPES = {"string": "VARCHAR", "int64": "BIGINT", "int32": "INTEGER", "double": "DOUBLE"}
FIRST_DATE = b"first_date"  # schema metadata: the day of record batch 0
CHECKED = b"checked_days"  # schema metadata: the checked days (Coverage.to_text)


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
    import pyarrow.compute as pc  # imported here: a release-time cost `bfa query` never pays

    first, kept = _kept_days(previous, since)
    query, params = f"{AVAILABLE_ROWS} ORDER BY date, symbol", {}
    if kept:
        params = {"after": first + timedelta(days=len(kept))}
        query = f"{AVAILABLE_ROWS} AND date >= $after ORDER BY date, symbol"
    table = conn.sql(query, params=params).arrow().read_all().combine_chunks()  # a day: one slice
    counts = pc.value_counts(table["date"])  # in order of first appearance: date order
    days = counts.field("values").to_pylist()
    rows_of = dict(zip(days, counts.field("counts").to_pylist(), strict=True))
    if not kept:
        first = days[0] if days else date.min
    span = max(len(kept), (days[-1] - first).days + 1 if days else 0)
    checked = Coverage.from_days(
        d for (d,) in conn.execute("SELECT date FROM probe_log WHERE market = 'um'").fetchall()
    )
    metadata = {FIRST_DATE: str(first), CHECKED: checked.to_text()}
    empty = pa.RecordBatch.from_pylist([], schema=table.schema)
    with ipc.new_file(str(path), table.schema.with_metadata(metadata)) as writer:
        for batch in kept:
            writer.write_batch(batch)
        offset = 0
        for n in range(len(kept), span):
            rows = rows_of.get(first + timedelta(days=n), 0)
            writer.write_batch(table.slice(offset, rows).to_batches()[0] if rows else empty)
            offset += rows
    return sum(batch.num_rows for batch in kept) + table.num_rows


def _kept_days(
    previous: str | os.PathLike[str] | None, since: date | None
) -> tuple[date, list[pa.RecordBatch]]:
    """The previous file's first day and its batches of the days before `since` (empty: write
    the file whole). Days after its last and before `since` had no available symbol then, and
    nothing before `since` changed: they get empty batches."""
    if previous is None:
        return date.min, []
    old = SnapshotFile(previous)
    count = old.days_stored() if since is None else (since - old.first_day).days
    stored = [old.stored_batch(i) for i in range(min(max(count, 0), old.days_stored()))]
    return old.first_day, stored + [old.empty] * (count - len(stored)) if stored else []


class SnapshotFile:
    """A snapshot file opened for reading; cheap to open, memory-mapped, safe to share."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._path = path
        try:
            self._file = ipc.open_file(pa.memory_map(str(path)))
            metadata = self._file.schema.metadata or {}
            missing = [key.decode() for key in (FIRST_DATE, CHECKED) if key not in metadata]
            if missing:
                raise ValueError(
                    f"no {' and no '.join(missing)} in its metadata (not a snapshot file, or "
                    "one from before checked days were recorded: materialize release_artifact)"
                )
            self.first_day = date.fromisoformat(metadata[FIRST_DATE].decode())
            self.coverage = Coverage.from_text(metadata[CHECKED].decode())
        except (OSError, pa.ArrowInvalid, TypeError, ValueError) as error:
            raise SnapshotFileError(f"cannot read the snapshot file {path}: {error}") from None
        self.empty = pa.RecordBatch.from_pylist([], schema=self._file.schema)

    def batch(self, day: date) -> pa.RecordBatch:
        """The rows of a checked `day` (symbol order), the columns of `queries.snapshot`.

        Raises NotChecked for a day the release did not check.
        """
        if not self.coverage.checked(day):
            raise NotChecked(self.coverage, day)
        index = (day - self.first_day).days
        inside = 0 <= index < self._file.num_record_batches
        return (self.stored_batch(index) if inside else self.empty).select(SNAPSHOT_COLUMNS)

    def rows(self, day: date) -> Table:
        """`batch(day)` as rows of Python values, as the SQL snapshot gives them."""
        batch = self.batch(day)
        columns = [column.to_pylist() for column in batch.columns]
        types = tuple(SQL_TYPES[str(field.type)] for field in batch.schema)
        return Table(tuple(batch.schema.names), list(zip(*columns, strict=True)), types)

    def snapshot(self, day: date) -> pl.DataFrame:
        """`batch(day)` as a Polars frame (Polars is imported on first use)."""
        import polars as pl  # imported here: `bfa query` prints Arrow without it

        return pl.from_arrow(self.batch(day))

    def row_count(self) -> int:
        return sum(self.stored_batch(i).num_rows for i in range(self.days_stored()))

    def days_stored(self) -> int:
        """Days from `first_day` with a batch (days after the last one have no symbol)."""
        return self._file.num_record_batches

    def stored_batch(self, index: int) -> pa.RecordBatch:
        """Batch `index` as stored (the date column included), for a day checked or not."""
        try:
            return self._file.get_batch(index)
        except (OSError, pa.ArrowInvalid) as error:  # a damaged table of batches in the footer
            raise SnapshotFileError(
                f"cannot read batch {index} of the snapshot file {self._path}: {error}"
            ) from None
