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
from bfa_assets.vision.listing import MAX_KEYS, S3Object, list_objects

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
    folder = keys.daily_folder(market, symbol, interval)
    return await list_days(http, folder, f"{symbol}-{interval}-", symbol, start, end)


async def list_days(
    http: HttpClient, folder: str, stem: str, name: str, start: date, end: date
) -> list[DayFile]:
    """The daily zips `{folder}{stem}YYYY-MM-DD.zip` for days in [start, end], as files of
    `name` (a symbol, or another dataset's folder name)."""
    parts = await asyncio.gather(
        *(_list_chunk(http, folder, stem, name, a, b) for a, b in chunks(start, end))
    )
    return [f for part in parts for f in part]


async def list_stamped(
    http: HttpClient, folder: str, stem: str, first: str, last: str, files: int
) -> list[S3Object]:
    """The keys `{folder}{stem}{STAMP}.zip` (and their CHECKSUMs) from stamp `first` to `last`
    (`YYYY-MM-DD`, or `YYYY-MM` for monthly files), at most `files` of them: one request
    asking for no more keys than they make."""
    stem = folder + stem
    listing = await list_objects(
        http,
        folder,
        marker=f"{stem}{first}",
        stop_after=f"{stem}{last}.zip.CHECKSUM",
        max_keys=min(MAX_KEYS, KEYS_PER_DAY * files),
    )
    return listing.objects


async def _list_chunk(
    http: HttpClient, folder: str, stem: str, name: str, start: date, end: date
) -> list[DayFile]:
    days = (end - start).days + 1
    objects = await list_stamped(http, folder, stem, start.isoformat(), end.isoformat(), days)
    stem = folder + stem
    listed = {obj.key for obj in objects}
    files = []
    for obj in objects:
        day = _day_of(obj.key, stem)
        if day is not None and start <= day <= end:
            files.append(
                DayFile(
                    name,
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
