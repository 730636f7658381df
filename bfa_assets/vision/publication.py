"""Has Vision published a day yet? A cheap look at a few long-lived contracts' 1m files, per
market."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import date

from bfa_assets.http.client import HttpClient
from bfa_assets.vision import keys
from bfa_assets.vision.listing import list_objects


async def file_exists(http: HttpClient, key: str) -> bool:
    """One tiny listing (prefix = the key, max-keys 1) instead of downloading the file."""
    listing = await list_objects(http, key, max_keys=1, limit=1)
    return any(obj.key == key for obj in listing.objects)


async def day_published(http: HttpClient, market: str, symbols: Sequence[str], day: date) -> bool:
    """True once at least half of `market`'s probe symbols have their 1m file for `day`; never
    for no symbols (nothing seen is not "published").

    Half, not all: a probe symbol may be delisted one day, and Vision publishes symbols within
    minutes of each other.
    """
    found = await asyncio.gather(
        *(file_exists(http, keys.daily_key(market, s, "1m", day)) for s in symbols)
    )
    return sum(found) * 2 >= len(symbols) > 0


async def markets_published(
    http: HttpClient, probes: Mapping[str, Sequence[str]], day: date
) -> dict[str, bool]:
    """Whether each market of `probes` (market -> its probe symbols) has published `day`,
    all looked at concurrently (a sensor tick has a minute in all)."""
    found = await asyncio.gather(
        *(day_published(http, market, symbols, day) for market, symbols in probes.items())
    )
    return dict(zip(probes, found, strict=True))
