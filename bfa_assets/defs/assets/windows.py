"""What a partitioned run works on: its dates, and optionally a subset of symbols."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import dagster as dg


class SymbolFilter(dg.Config):
    """Restrict a run to these symbols (e.g. a back-fill of newly discovered ones); empty = all."""

    symbols: list[str] = []  # noqa: RUF012 - pydantic copies defaults


@dataclass(frozen=True)
class Window:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __str__(self) -> str:
        return f"{self.start}..{self.end}"


def window_of(context: dg.AssetExecutionContext) -> Window:
    """The run's partition range as inclusive dates (a ranged back-fill is one window)."""
    span = context.partition_time_window
    return Window(span.start.date(), (span.end - timedelta(days=1)).date())


def check_symbols(requested: list[str], known: set[str]) -> list[str] | None:
    """The filter as a list, None when empty; unknown names are an error, not a silent no-op."""
    if not requested:
        return None
    unknown = sorted(set(requested) - known)
    if unknown:
        raise dg.Failure(
            f"unknown symbols in the run config: {', '.join(unknown)} "
            "(materialize futures_symbols first, or fix the names)"
        )
    return sorted(set(requested))
