"""What a partitioned run works on (its dates, its markets, optionally some symbols), and what it
reports per partition."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import TypeVar

import dagster as dg
import duckdb
import polars as pl

from bfa_assets.common.days import Window
from bfa_assets.common.markdown import frame_table
from bfa_assets.common.markets import MARKETS
from bfa_assets.defs.resources import VisionResource, Warehouse
from bfa_assets.http.client import HttpClient
from bfa_assets.store import symbols as symbol_store
from bfa_assets.store.selection import Scope

T = TypeVar("T")
PER_DAY_ROWS = 366  # a year of days in the run's table; every day's figures are on its partition


class SymbolFilter(dg.Config):
    """Restrict a run to some markets (`um`, `cm`) and/or to some symbols (e.g. a back-fill of
    newly discovered ones); empty = all. Only a run over every symbol of a market checks that
    market's days."""

    markets: list[str] = []  # noqa: RUF012 - pydantic copies defaults
    symbols: list[str] = []  # noqa: RUF012


def scope_of(config: SymbolFilter, conn: duckdb.DuckDBPyConnection) -> Scope:
    """The run's scope; an unknown market or symbol is an error, not a silent no-op."""
    unknown_markets = sorted(set(config.markets) - set(MARKETS))
    if unknown_markets:
        raise dg.Failure(
            f"unknown markets in the run config: {', '.join(unknown_markets)} "
            f"(markets are {' and '.join(MARKETS)})"
        )
    markets = config.markets or MARKETS
    unknown = sorted(set(config.symbols) - symbol_store.known(conn, markets))
    if unknown:
        raise dg.Failure(
            f"unknown symbols in the run config: {', '.join(unknown)} "
            f"(of {'+'.join(m for m in MARKETS if m in markets)}; "
            "materialize futures_symbols first, or fix the names)"
        )
    return Scope.of(markets, config.symbols)


Step = Callable[
    [duckdb.DuckDBPyConnection, HttpClient, Window, Scope, Callable[[str], None]], Awaitable[T]
]


def listed_over_window(
    context: dg.AssetExecutionContext,
    config: SymbolFilter,
    vision: VisionResource,
    warehouse: Warehouse,
    step: Step[T],
) -> tuple[T, Scope]:
    """Run a listing step (`step(conn, vision, window, scope, log)`) over the run's window and
    scope, on the working database; its result and the scope."""
    window = window_of(context)
    with warehouse.get_connection() as conn:
        scope = scope_of(config, conn)
        return asyncio.run(step(conn, vision.client(), window, scope, context.log.info)), scope


def window_of(context: dg.AssetExecutionContext) -> Window:
    """The run's partition range as inclusive dates (a ranged back-fill is one window)."""
    span = context.partition_time_window
    return Window(span.start.date(), (span.end - timedelta(days=1)).date())


def report_per_day(
    context: dg.AssetExecutionContext, per_day: pl.DataFrame, row_count: str
) -> None:
    """Each day's own figures on that day's partition (the Plots tab draws them per day);
    `row_count` names the column that is the day's rows (`dagster/row_count`). A day of the
    window without a row in `per_day` had nothing to count: its counts are 0, its other figures
    (a leader, a share) None, as on a day with rows but no such figure, never a made-up 0."""
    figures = {row.pop("date"): row for row in per_day.to_dicts()}
    nothing = {
        name: 0 if dtype.is_integer() else None
        for name, dtype in per_day.schema.items()
        if name != "date"
    }
    for key in context.partition_keys:
        values = figures.get(date.fromisoformat(key), nothing)
        context.add_asset_metadata(
            {"dagster/row_count": int(values[row_count] or 0), **values}, partition_key=key
        )
    # The Plots tab draws the 120 newest partitions only: a back-filled month of long ago is
    # read here, in one table, on the window's newest partition (docs/operations.md).
    table = frame_table(per_day, max_rows=PER_DAY_ROWS)
    context.add_asset_metadata(
        {"per_day": dg.MetadataValue.md(table)}, partition_key=context.partition_keys[-1]
    )


def report_run(context: dg.AssetExecutionContext, figures: dict) -> None:
    """Figures of the whole run (requests, retries, durations) on the window's newest partition
    only: one point per run in the Plots tab, not the same total on every day."""
    context.add_asset_metadata(figures, partition_key=context.partition_keys[-1])
