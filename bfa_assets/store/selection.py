"""The rows a run works on, as SQL: a window of dates, its markets, and optionally some symbols.

Constants and parameters only; every value is a bound parameter (`$start`, `$end`, `$markets`,
`$symbols`), which is why the statements built from them carry S608 exemptions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bfa_assets.common.markets import MARKETS

SYMBOLS = "($symbols IS NULL OR list_contains($symbols, symbol))"
SCOPE = f"list_contains($markets, market) AND {SYMBOLS}"
WINDOW = f"date BETWEEN $start AND $end AND {SCOPE}"


@dataclass(frozen=True)
class Scope:
    """What a run covers: its markets (both unless its config says otherwise) and, optionally,
    some symbols only (symbol names are unique across markets, so names alone select them).

    Only a run over every symbol of a market checks that market's days (`probe_log`)."""

    markets: tuple[str, ...] = MARKETS
    symbols: tuple[str, ...] | None = None

    @classmethod
    def of(cls, markets: Sequence[str] = MARKETS, symbols: Sequence[str] | None = None) -> Scope:
        ordered = tuple(m for m in MARKETS if m in markets)
        return cls(ordered, tuple(sorted(set(symbols))) if symbols else None)

    @property
    def whole(self) -> bool:
        """Every symbol of its markets: the run checks their days."""
        return self.symbols is None

    def params(self) -> dict:
        return {
            "markets": list(self.markets),
            "symbols": list(self.symbols) if self.symbols else None,
        }

    def __str__(self) -> str:
        markets = "+".join(self.markets)
        return markets if self.whole else f"{markets}, {len(self.symbols or ())} symbols"


EVERYTHING = Scope()


def window_params(start: date, end: date, scope: Scope = EVERYTHING) -> dict:
    return {"start": start, "end": end, **scope.params()}
