"""`Release`: a release folder opened for questions (see the package's docstring)."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from bfa_assets.common.settings import RELEASE_DIR
from bfa_assets.release.files import DATABASE, SNAPSHOT
from bfa_assets.store import dataset_queries, queries
from bfa_assets.store.answers import Table
from bfa_assets.store.coverage import PartlyChecked
from bfa_assets.store.engine import duckdb
from bfa_assets.store.snapshot_file import SnapshotFile

if TYPE_CHECKING:
    import polars as pl

Day = date | str


class Release:
    """A release folder (`BFA_RELEASE_DIR` by default), opened read-only; close it, or use it
    as a context manager. Cheap to open; many questions in a row share its connection."""

    def __init__(self, folder: str | os.PathLike[str] | None = None) -> None:
        self.folder = Path(folder or os.environ.get("BFA_RELEASE_DIR", RELEASE_DIR))
        database = self.folder / DATABASE
        if not database.is_file():
            raise FileNotFoundError(
                f"no release at {self.folder}: `bfa fetch` one, or materialize release_artifact"
            )
        self._conn = duckdb.connect(str(database), read_only=True)
        queries.check_release(self._conn)
        snapshots = self.folder / SNAPSHOT
        self._snapshots = SnapshotFile(snapshots) if snapshots.is_file() else None

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Release:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def snapshot(self, day: Day, market: str = "um") -> pl.DataFrame:
        """Symbols with a 1m file on `day`, their file size, volume and rank."""
        return queries.snapshot(self._conn, _day(day), self._snapshots, market).pl()

    def timeline(self, symbol: str, market: str = "um") -> pl.DataFrame:
        """Every day of one symbol; a day that was not checked has `checked` false."""
        return queries.timeline(self._conn, symbol, market).pl()

    def range(
        self, start: Day, end: Day, market: str = "um", partial: bool = False
    ) -> pl.DataFrame:
        """Symbols with a file in [start, end], with their first and last day there."""
        answer = queries.date_range(self._conn, _day(start), _day(end), market)
        return _whole(answer, partial, market)

    def new_listings(self, day: Day, market: str = "um") -> pl.DataFrame:
        """Symbols whose first 1m file on Vision is of `day`."""
        return queries.new_listings(self._conn, _day(day), market).pl()

    def delistings(self, day: Day, market: str = "um") -> dict:
        """Symbols whose last file is of `day`: `delisted` (a frame) when the days after it
        were checked without a file, `not_known_yet` (a frame) when some were not checked;
        `days_needed`: how many checked days without a file make a delisting."""
        found = queries.delistings(self._conn, _day(day), market)
        return {
            "delisted": found.delisted.pl(),
            "not_known_yet": found.not_known_yet.pl(),
            "days_needed": found.days_needed,
        }

    def top(self, day: Day, n: int = 10, market: str = "um") -> pl.DataFrame:
        """The `n` highest-volume perpetuals of `day` (ties share a rank)."""
        return queries.top(self._conn, _day(day), n, market).pl()

    def summary(self, market: str = "um") -> dict:
        """What the release knows: its history, checked and unchecked days, symbols, rows."""
        return queries.summary(self._conn, market)

    def datasets(self, symbol: str, market: str = "um") -> pl.DataFrame:
        """Every dataset of one symbol: first and last day with a file, days missing and not
        checked."""
        return dataset_queries.datasets(self._conn, symbol, market).pl()

    def coverage(self, day: Day, dataset: str | None = None, market: str = "um") -> pl.DataFrame:
        """Which symbols have each dataset's file (or `dataset`'s) on `day`."""
        return dataset_queries.coverage(self._conn, _day(day), dataset, market).pl()

    def gaps(self, dataset: str, symbol: str | None = None, market: str = "um") -> pl.DataFrame:
        """Days missing inside each symbol's life in `dataset`, and whole-dataset incidents."""
        return dataset_queries.gaps(self._conn, dataset, symbol, market).pl()


def _day(day: Day) -> date:
    return day if isinstance(day, date) else date.fromisoformat(day)


def _whole(answer: Table, partial: bool, market: str) -> pl.DataFrame:
    """The answer's rows, unless they cover only some of the days asked about and `partial`
    was not asked for."""
    if answer.unchecked and not partial:
        raise PartlyChecked(list(answer.unchecked), market)
    return answer.pl()
