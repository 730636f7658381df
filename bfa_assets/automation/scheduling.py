"""When to run what: the daily lookback and the back-fill of new symbols, as plain decisions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta


@dataclass(frozen=True)
class Decision:
    day: date | None  # the yesterday to request a lookback run for, or None
    reason: str


def daily_decision(
    now: datetime,
    last_requested: date | None,
    unpublished: Callable[[date], list[str]],
    fallback_hour: int,
) -> Decision:
    """Request yesterday once: when every market has its files on Vision (`unpublished` names
    the markets that do not yet), or at the fallback hour anyway."""
    yesterday = now.date() - timedelta(days=1)
    if last_requested is not None and last_requested >= yesterday:
        return Decision(None, f"{yesterday} already requested")
    if now.hour >= fallback_hour:
        return Decision(yesterday, f"fallback hour {fallback_hour:02d}:00 UTC reached")
    waiting = unpublished(yesterday)
    if not waiting:
        return Decision(yesterday, f"{yesterday} is on Vision")
    return Decision(
        None,
        f"{yesterday} not on Vision yet ({' and '.join(waiting)}); "
        f"fallback at {fallback_hour:02d}:00 UTC",
    )


def lookback_window(yesterday: date, days: int) -> tuple[date, date]:
    return yesterday - timedelta(days=days - 1), yesterday


@dataclass(frozen=True)
class Backfill:
    symbols: list[str]
    start: date
    end: date


def plan_new_symbol_backfill(
    first_days: dict[str, date | None], known: int, yesterday: date, lookback_days: int
) -> Backfill | str:
    """A back-fill of new symbols whose history starts before the lookback window, or why not.

    The very first discovery (every known symbol is new) is not back-filled here: a new
    installation has no history at all, and its first back-fill is the operator's choice.
    """
    if not first_days:
        return "no new symbols"
    if len(first_days) >= known:
        return f"initial discovery of {known} symbols: back-fill the history from the UI"
    window_start, _ = lookback_window(yesterday, lookback_days)
    older = {s: d for s, d in first_days.items() if d is not None and d < window_start}
    if not older:
        return "new symbols are covered by the daily lookback"
    return Backfill(sorted(older), min(older.values()), yesterday)
