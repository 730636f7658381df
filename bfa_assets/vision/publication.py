"""Has Vision published a day yet? A cheap look at a few long-lived symbols' 1m files."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date

from bfa_assets.http.client import HttpClient
from bfa_assets.vision import keys
from bfa_assets.vision.listing import list_objects


async def file_exists(http: HttpClient, key: str) -> bool:
    """One tiny listing (prefix = the key, max-keys 1) instead of downloading the file."""
    listing = await list_objects(http, key, max_keys=1, limit=1)
    return any(obj.key == key for obj in listing.objects)


async def day_published(http: HttpClient, symbols: Sequence[str], day: date) -> bool:
    """True once at least half of the probe symbols have their 1m file for `day`.

    Half, not all: a probe symbol may be delisted one day, and Vision publishes symbols within
    minutes of each other.
    """
    found = await asyncio.gather(
        *(file_exists(http, keys.daily_key("um", s, "1m", day)) for s in symbols)
    )
    return sum(found) * 2 >= len(symbols) > 0
