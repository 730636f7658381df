"""The rows a run works on, as SQL: a window of dates and, optionally, some symbols only.

Constants only; every value is a bound parameter (`$start`, `$end`, `$symbols`), which is why
the statements built from them carry S608 exemptions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

SYMBOLS = "($symbols IS NULL OR list_contains($symbols, symbol))"
WINDOW = f"date BETWEEN $start AND $end AND {SYMBOLS}"


def symbol_params(symbols: Sequence[str] | None) -> dict:
    return {"symbols": list(symbols) if symbols else None}


def window_params(start: date, end: date, symbols: Sequence[str] | None) -> dict:
    return {"start": start, "end": end, **symbol_params(symbols)}
