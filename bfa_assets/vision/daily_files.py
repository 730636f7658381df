"""Which daily files of one interval exist: one listing per window, never a request per day.

A window is cut into chunks of at most CHUNK_DAYS days (a zip and its CHECKSUM per day fill one
1000-key page), each listed from its own marker, all in parallel: the whole history of a symbol
costs one request per 500 days, and a 20-day lookback costs one request. Each request asks for
no more keys than its chunk can hold (`max-keys`), so neither side renders or parses keys past
the chunk's end; pagination still follows if a folder holds unexpected extra keys.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import NamedTuple

from bfa_assets.http.client import HttpClient
from bfa_assets.vision import keys
from bfa_assets.vision.listing import MAX_KEYS, list_objects

CHUNK_DAYS = 500
KEYS_PER_DAY = 2  # the zip and its CHECKSUM


class DayFile(NamedTuple):  # a tuple: a whole history lists ~1.3 M 1m files
    symbol: str
    day: date
    key: str
    size: int
    etag: str
    last_modified: datetime
    has_checksum: bool


def chunks(start: date, end: date, days: int = CHUNK_DAYS) -> list[tuple[date, date]]:
    out = []
    while start <= end:
        stop = min(end, start + timedelta(days=days - 1))
        out.append((start, stop))
        start = stop + timedelta(days=1)
    return out


async def list_daily_files(
    http: HttpClient, market: str, symbol: str, interval: str, start: date, end: date
) -> list[DayFile]:
    """The published daily `interval` zips of `symbol` (of `market`) for days in [start, end]."""
    parts = await asyncio.gather(
        *(_list_chunk(http, market, symbol, interval, a, b) for a, b in chunks(start, end))
    )
    return [f for part in parts for f in part]


async def _list_chunk(
    http: HttpClient, market: str, symbol: str, interval: str, start: date, end: date
) -> list[DayFile]:
    folder = keys.daily_folder(market, symbol, interval)
    days = (end - start).days + 1
    listing = await list_objects(
        http,
        folder,
        marker=keys.daily_key(market, symbol, interval, start).removesuffix(".zip"),
        stop_after=keys.daily_key(market, symbol, interval, end) + ".CHECKSUM",
        max_keys=min(MAX_KEYS, KEYS_PER_DAY * days),
    )
    listed = {obj.key for obj in listing.objects}
    stem = f"{folder}{symbol}-{interval}-"
    files = []
    for obj in listing.objects:
        day = _day_of(obj.key, stem)
        if day is not None and start <= day <= end:
            files.append(
                DayFile(
                    symbol,
                    day,
                    obj.key,
                    obj.size,
                    obj.etag,
                    obj.last_modified,
                    has_checksum=f"{obj.key}.CHECKSUM" in listed,
                )
            )
    return files


def _day_of(key: str, stem: str) -> date | None:
    """The day of `{stem}YYYY-MM-DD.zip` (the canonical daily key); None for any other key,
    such as the CHECKSUMs (half of every page) or an oddly written date."""
    if len(key) != len(stem) + 14 or not key.endswith(".zip") or not key.startswith(stem):
        return None
    written = key[len(stem) : -4]
    try:
        day = date.fromisoformat(written)
    except ValueError:
        return None
    return day if day.isoformat() == written else None
