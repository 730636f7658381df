"""The probe symbols of the daily sensor, per market, from BFA_PROBE_SYMBOLS.

One comma-separated list for both markets, so the variable set before COIN-M existed keeps its
meaning: a bare name is a USD-M symbol (`BTCUSDT`), a `market:` prefix names the market
(`cm:BTCUSD_PERP`, `um:BTCUSDT`). A market the list leaves out keeps its default probes
(settings.PROBE_SYMBOLS), so every market is always probed: a market without probes would count
as published at once, and the sensor would fire before Vision has the day.

A wrong entry is an error when the code location loads, never dropped: an unknown prefix, an
empty entry (`BTCUSDT,,ETHUSDT`) or an empty list.
"""

from __future__ import annotations

from collections.abc import Sequence

from bfa_assets.common import settings
from bfa_assets.common.markets import MARKETS, NAMES

DEFAULT_MARKET = "um"  # bare names: what BFA_PROBE_SYMBOLS meant before COIN-M


class BadProbeSymbols(ValueError):
    """BFA_PROBE_SYMBOLS cannot be read; the message says which entry and why."""


def probe_symbols(entries: Sequence[str]) -> dict[str, list[str]]:
    """Each market's probe symbols (in MARKETS order, every market present), from `entries`
    such as `["BTCUSDT", "cm:BTCUSD_PERP"]`; missing markets get their defaults."""
    given = _by_market(entries)
    defaults = _by_market(settings.PROBE_SYMBOLS.split(","))
    return {market: given.get(market) or defaults[market] for market in MARKETS}


def _by_market(entries: Sequence[str]) -> dict[str, list[str]]:
    if not any(entry.strip() for entry in entries):
        raise BadProbeSymbols("BFA_PROBE_SYMBOLS is empty: name at least one symbol")
    probes: dict[str, list[str]] = {}
    for entry in entries:
        market, symbol = _entry(entry)
        probes.setdefault(market, []).append(symbol)
    return probes


def _entry(entry: str) -> tuple[str, str]:
    market, _, symbol = entry.strip().rpartition(":")
    market = market or DEFAULT_MARKET
    if market not in MARKETS:
        prefixes = ", ".join(f"`{m}:` ({NAMES[m]})" for m in MARKETS)
        raise BadProbeSymbols(
            f"BFA_PROBE_SYMBOLS entry {entry!r}: unknown market prefix {market!r} "
            f"(prefixes are {prefixes}; a bare name is {NAMES[DEFAULT_MARKET]})"
        )
    if not symbol:
        raise BadProbeSymbols(
            f"BFA_PROBE_SYMBOLS has an empty entry ({entry!r}): remove the extra comma or prefix"
        )
    return market, symbol
