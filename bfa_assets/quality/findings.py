"""A check's verdict on the tables (a Finding), and what every check's logic shares.

Each check (quality/availability.py, volume.py, rankings.py) reads whole tables (fast on
DuckDB) and returns a Finding that says whether the invariant holds, and if not, which dates or
symbols break it, so an operator can act without opening a terminal. WARN findings are about
the data (Vision is late or incomplete); ERROR findings are broken invariants of our own tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from bfa_assets.common.markdown import bullets

WARN, ERROR = "WARN", "ERROR"


@dataclass(frozen=True)
class Finding:
    """A check's verdict on the tables, with what an operator needs to act on it."""

    name: str
    passed: bool
    severity: str
    summary: str
    counts: dict[str, int | float | str] = field(default_factory=dict)
    details: list[str] = field(default_factory=list)  # the offending dates/symbols, as lines
    source: str = ""  # where the verdict was recorded (e.g. a run), when read back
    skipped: bool = False  # the check could not look (`summary` says why): neither verdict

    def details_markdown(self) -> str:
        return bullets(self.details)

    @property
    def outcome(self) -> str:
        if self.skipped:
            return "skipped"
        return "passed" if self.passed else f"FAILED ({self.severity})"


def all_rows(conn: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> list[tuple]:
    return conn.execute(sql, params or {}).fetchall()
