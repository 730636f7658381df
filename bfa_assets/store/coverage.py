"""Which days a release checked: what lets an answer say "not checked" instead of "no file".

A day is checked when the pipeline listed every known symbol's 1m files for it (a row in
`probe_log`). A release may hold any set of days (a back-fill of January 2024 and a daily run
in November 2026, nothing between), so every answer about a day must tell a day that was
checked and had no file apart from a day nobody looked at. Ranges keep this small: the full
history, checked without a hole, is one range.

The pipeline reads it too: the `continuity` check reports the holes, and the release refuses a
history with holes unless told otherwise, and states its coverage in its notes and stats.

`bfa query snapshot` reads this from the snapshot file's metadata without DuckDB, so this
module imports only what the interpreter has loaded anyway (see bfa_assets.cli).
"""

from __future__ import annotations

import bisect
from collections import namedtuple
from collections.abc import Iterable
from datetime import date, timedelta
from typing import TYPE_CHECKING

from bfa_assets.common.days import HISTORY_START, runs
from bfa_assets.common.markets import name

if TYPE_CHECKING:
    import duckdb

ONE_DAY = timedelta(days=1)
# Gaps and islands: consecutive dates share `date - row_number()`.
CHECKED_RANGES = """
SELECT min(date), max(date) FROM (
    SELECT date, date - (row_number() OVER (ORDER BY date))::INTEGER AS island FROM probe_log
    WHERE market = $market)
GROUP BY island ORDER BY 1
"""
REFILL = (
    "back-fill {days} of daily_availability, daily_volume and volume_rankings{only} (Dagster UI: "
    "Assets, select them, Materialize that date range), then materialize release_artifact"
)
# A market's first day: its oldest contract's first 1m file (USD-M's history starts on the day
# of Vision's first futures file, whatever the release holds; COIN-M's some months later).
FIRST_DAY = "SELECT min(first_1m_date) FROM symbols WHERE market = $market"


def span(first: date, last: date) -> str:
    """A range as people read it: one day alone, or `first … last (N days)`."""
    if first == last:
        return first.isoformat()
    return f"{first} … {last} ({(last - first).days + 1:,} days)"


def refill_hint(holes: Iterable[tuple[date, date]], market: str = "um") -> str:
    """How to fill unchecked ranges of `market`: back-fill their partitions, then release again.

    A run checks both markets unless its config says otherwise; COIN-M's hint names the config
    that checks COIN-M alone (a back-fill of its own first months has no USD-M days to add)."""
    days = [span(*hole) for hole in holes]
    only = "" if market == "um" else f" with the run config `markets: [{market}]`"
    return f"to fill {'the gap' if len(days) == 1 else 'the gaps'}, " + REFILL.format(
        days=", ".join(days), only=only
    )


def history_start(conn: duckdb.DuckDBPyConnection, market: str = "um") -> date:
    """The first day of `market`'s history: HISTORY_START for USD-M (Vision's first futures
    file), else its oldest contract's first 1m file, from the data (HISTORY_START when none is
    known yet), so that COIN-M's answers never ask to back-fill days before it existed."""
    if market == "um":
        return HISTORY_START
    (first,) = conn.execute(FIRST_DAY, {"market": market}).fetchall()[0]
    return max(first or HISTORY_START, HISTORY_START)


class Coverage(namedtuple("Coverage", ["ranges"])):
    """The checked days: `ranges` of (first, last) days, both included, sorted, disjoint and
    not adjacent."""

    __slots__ = ()

    @classmethod
    def from_days(cls, days: Iterable[date]) -> Coverage:
        return cls(tuple(runs(sorted(set(days)))))

    @classmethod
    def of(cls, conn: duckdb.DuckDBPyConnection, market: str = "um") -> Coverage:
        """The checked days of a market in a database (`probe_log`; the working one or a
        release): a day checked for one market is not thereby checked for the other."""
        return cls(tuple(conn.execute(CHECKED_RANGES, {"market": market}).fetchall()))

    @classmethod
    def from_text(cls, text: str) -> Coverage:
        """Read `to_text`: ISO 8601 intervals (`2019-09-25/2026-11-30`), comma-separated."""
        pairs = (interval.split("/") for interval in text.split(",") if interval)
        return cls(tuple((date.fromisoformat(a), date.fromisoformat(b)) for a, b in pairs))

    def to_text(self) -> str:
        return ",".join(f"{first}/{last}" for first, last in self.ranges)

    @property
    def days(self) -> int:
        return sum((last - first).days + 1 for first, last in self.ranges)

    @property
    def latest(self) -> date | None:
        return self.ranges[-1][1] if self.ranges else None

    def checked(self, day: date) -> bool:
        index = bisect.bisect_right(self.ranges, (day, date.max)) - 1
        return index >= 0 and self.ranges[index][1] >= day

    def unchecked(self, start: date, end: date) -> list[tuple[date, date]]:
        """The ranges of [start, end] that were not checked."""
        holes, cursor = [], start
        for first, last in self.ranges:
            if last < cursor:
                continue
            if first > end:
                break
            if first > cursor:
                holes.append((cursor, first - ONE_DAY))
            cursor = last + ONE_DAY
        if cursor <= end:
            holes.append((cursor, end))
        return holes

    @property
    def holes(self) -> list[tuple[date, date]]:
        """Unchecked ranges between the first and the latest checked day."""
        return self.unchecked(self.ranges[0][0], self.latest) if self.ranges else []

    def history_gaps(self, newest: date, first: date = HISTORY_START) -> list[tuple[date, date]]:
        """Every unchecked range of the history: from its `first` day (the market's, see
        `history_start`) to `newest` (the newest day the release is about), so the days after
        the latest checked one are among them."""
        return self.unchecked(first, newest)

    def around(self, day: date) -> tuple[tuple[date, date] | None, tuple[date, date] | None]:
        """The checked ranges just before and just after an unchecked `day`."""
        index = bisect.bisect_right(self.ranges, (day, date.max))
        before = self.ranges[index - 1] if index > 0 else None
        after = self.ranges[index] if index < len(self.ranges) else None
        return before, after


class NotKnown(LookupError):
    """The release does not know the answer (yet); the message says what would tell it."""


class PartlyChecked(NotKnown):
    """Rows about a span of days that cover only its checked days: `unchecked` are the others,
    as (first, last) ranges, in `market`."""

    def __init__(self, unchecked: list[tuple[date, date]], market: str = "um") -> None:
        self.unchecked, self.market = unchecked, market
        holes = ", ".join(span(*hole) for hole in unchecked)
        super().__init__(
            f"not checked for {name(market)}: {holes}; the rows cover only the checked days; "
            + refill_hint(unchecked, market)
        )


class NotChecked(NotKnown):
    """The release cannot answer about `day`: it was not checked for `market` (whose history
    starts on `first`), whatever was checked for the other market."""

    def __init__(
        self, coverage: Coverage, day: date, market: str = "um", first: date = HISTORY_START
    ) -> None:
        self.coverage, self.day, self.market, self.first = coverage, day, market, first
        super().__init__(self._message())

    def _message(self) -> str:
        before, after = self.coverage.around(self.day)
        if before and after:
            where = f"the release checked {span(*before)}, then {span(*after)}, nothing between"
        elif after:
            where = f"the release's first checked days are {span(*after)}"
        elif before:
            where = f"the release's latest checked days are {span(*before)}"
        else:
            where = "the release checked no day at all"
        gap = (
            before[1] + ONE_DAY if before else min(self.first, self.day),
            after[0] - ONE_DAY if after else self.day,
        )
        return (
            f"{self.day} was not checked for {name(self.market)} ({where}), so which files it "
            f"has is not known; " + refill_hint([gap], self.market)
        )
