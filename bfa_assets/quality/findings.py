"""A check's verdict on the tables (a Finding), and what every check's logic shares.

Each check (quality/availability.py, volume.py, rankings.py) reads whole tables (fast on
DuckDB; a join, a span of days at a time) and returns a Finding that says whether the invariant
holds, and if not, which dates or symbols break it, so an operator can act without opening a
terminal. WARN findings are about the data (Vision is late or incomplete); ERROR findings are
broken invariants of our own tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import duckdb

from bfa_assets.common.markdown import bullets
from bfa_assets.common.markets import NAMES

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


# Checks that join two dated tables do so a span of days at a time, so that the join's hash
# table holds a span's rows, not the whole history's.
SPAN_DAYS = 366


def rows_by_span(
    conn: duckdb.DuckDBPyConnection, sql: str, table: str, params: dict | None = None
) -> list[tuple]:
    """The rows of `sql` over all the dates of `table`, in date order: `sql` selects the days
    `$span_start`..`$span_end` (of every table it reads, so that each is read a span at a time)
    and is run once per span of SPAN_DAYS."""
    (first, last) = all_rows(conn, f"SELECT min(date), max(date) FROM {table}")[0]  # noqa: S608
    rows: list[tuple] = []
    while first is not None and first <= last:
        end = min(first + timedelta(days=SPAN_DAYS - 1), last)
        rows += all_rows(conn, sql, {**(params or {}), "span_start": first, "span_end": end})
        first = end + timedelta(days=1)
    return rows


def of_market(market: str) -> str:
    """Nothing for USD-M (its findings read as they always did), ` COIN-M` for COIN-M: the
    suffix of a finding's date (`2022-09-02 COIN-M: …`)."""
    return "" if market == "um" else f" {NAMES[market]}"


# The assets whose run config restricts a run to some markets or symbols (defs SymbolFilter);
# volume_rankings and the release take the whole window.
SCOPED_ASSETS = ("daily_availability", "dataset_coverage", "daily_volume")


def scoped_run_config(
    markets: list[str] | None = None,
    symbols: list[str] | None = None,
    assets: tuple[str, ...] = SCOPED_ASSETS,
) -> dict[str, dict]:
    """The run config of a run restricted to `markets` and/or `symbols`, as Dagster takes it,
    for `assets` (those of SCOPED_ASSETS the run selects: Dagster refuses config of an asset
    the run does not materialize)."""
    config = {"markets": markets or [], "symbols": symbols or []}
    config = {key: value for key, value in config.items() if value}
    return {"ops": {asset: {"config": config} for asset in assets}}


def as_yaml(config: dict) -> str:
    """A run config on one line (YAML's flow style), to paste into the UI's Launchpad."""
    if isinstance(config, dict):
        return "{" + ", ".join(f"{key}: {as_yaml(value)}" for key, value in config.items()) + "}"
    if isinstance(config, list):
        return "[" + ", ".join(as_yaml(item) for item in config) + "]"
    return str(config)
