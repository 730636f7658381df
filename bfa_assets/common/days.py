"""Calendar days: where the history starts, a window of days, and days folded into ranges.

Imports nothing beyond what the interpreter has loaded anyway: `bfa query` reads it.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable
from datetime import date, datetime, timedelta

HISTORY_START = date(2019, 9, 25)  # the day of Vision's first USD-M futures file


def newest_day(now: datetime) -> date:
    """The newest day there can be data for at `now`: yesterday in UTC (Vision publishes a day's
    files after it ends), the newest daily partition."""
    return now.date() - timedelta(days=1)


def month_end(day: date) -> date:
    """The last day of `day`'s month."""
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


class Window(namedtuple("Window", ["start", "end"])):
    """The inclusive days a run works on (a ranged back-fill is one window)."""

    __slots__ = ()

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __str__(self) -> str:
        return f"{self.start}..{self.end}"


def runs(days: Iterable[date], max_gap: int = 1) -> list[tuple[date, date]]:
    """Sorted days as (first, last) ranges, split where more than `max_gap` days lie between
    one day and the next (1: consecutive days only)."""
    out: list[list[date]] = []
    for day in days:
        if out and (day - out[-1][1]).days <= max_gap:
            out[-1][1] = day
        else:
            out.append([day, day])
    return [(a, b) for a, b in out]
