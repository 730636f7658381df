"""Which days were checked: the `probe_log`, folded into ranges.

A day is *checked* when one run listed every known symbol's files for it (`probe_log` has a
row); only then does "no row" mean "no file". Days never checked are unknown, and every answer
that depends on them must say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb

from bfa_assets.days import HISTORY_START, describe

Range = tuple[date, date]

# Gaps and islands: consecutive dates share `date - row_number()`.
CHECKED_RANGES = """
SELECT min(date), max(date) FROM (
    SELECT date, date - (row_number() OVER (ORDER BY date))::INTEGER AS island FROM probe_log)
GROUP BY island ORDER BY 1
"""


def checked_ranges(conn: duckdb.DuckDBPyConnection) -> list[Range]:
    """The checked days as (first, last) ranges, oldest first."""
    return [(a, b) for a, b in conn.execute(CHECKED_RANGES).fetchall()]


@dataclass(frozen=True)
class Coverage:
    """The checked ranges of a database, and what lies unchecked around and between them."""

    checked: list[Range]

    @property
    def days_checked(self) -> int:
        return sum((b - a).days + 1 for a, b in self.checked)

    @property
    def holes(self) -> list[Range]:
        """Unchecked ranges between the first and the last checked day."""
        return [
            (end + timedelta(days=1), start - timedelta(days=1))
            for (_, end), (start, _) in zip(self.checked, self.checked[1:], strict=False)
        ]

    @property
    def unchecked(self) -> list[Range]:
        """Every unchecked range from the first day of the history to the last checked day."""
        if not self.checked:
            return []
        first = self.checked[0][0]
        before = [(HISTORY_START, first - timedelta(days=1))] if first > HISTORY_START else []
        return before + self.holes

    @property
    def complete(self) -> bool:
        """Every day from the first day of the history to the last checked day was checked."""
        return bool(self.checked) and not self.unchecked

    def as_dict(self) -> dict:
        """For stats.json."""
        return {
            "first_checked": self.checked[0][0] if self.checked else None,
            "last_checked": self.checked[-1][1] if self.checked else None,
            "days_checked": self.days_checked,
            "checked_ranges": [list(r) for r in self.checked],
            "unchecked_ranges": [list(r) for r in self.unchecked],
            "complete": self.complete,
        }


def coverage(conn: duckdb.DuckDBPyConnection) -> Coverage:
    return Coverage(checked_ranges(conn))


def describe_ranges(ranges: list[Range]) -> list[str]:
    return [describe(a, b) for a, b in ranges]
