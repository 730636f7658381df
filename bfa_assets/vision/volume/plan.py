"""Which 1d file to read for each needed (symbol, day), and which need no download.

For each symbol, a complete month whose monthly 1d file exists (with its CHECKSUM) is read from
that one object; other days come from daily 1d files, listed only around the days needed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from bfa_assets.common.days import month_end, runs
from bfa_assets.http.client import HttpClient
from bfa_assets.vision import keys
from bfa_assets.vision.daily_files import list_daily_files
from bfa_assets.vision.listing import S3Object, list_objects

MAX_GAP_DAYS = 31  # days without a needed daily file that one listing may span


@dataclass(frozen=True, slots=True)
class Source:
    """One 1d zip and the available days it is read for."""

    market: str
    symbol: str
    key: str
    etag: str
    days: tuple[date, ...]
    has_checksum: bool
    monthly: bool


@dataclass
class Plan:
    sources: list[Source] = field(default_factory=list)
    # (market, symbol) -> needed days that no 1d file covers
    days_without_file: dict[tuple[str, str], list[date]] = field(default_factory=dict)

    @classmethod
    def merge(cls, plans: Sequence[Plan]) -> Plan:
        """One plan of several (one per market)."""
        merged = cls()
        for plan in plans:
            merged.sources += plan.sources
            merged.days_without_file |= plan.days_without_file
        return merged


async def plan_sources(
    http: HttpClient, market: str, needs: dict[str, list[date]], today: date
) -> Plan:
    """Choose a source for every needed (symbol, day) of `market`: the month's file, else the
    day's file."""
    plan = Plan()
    per_symbol = await asyncio.gather(
        *(_plan_symbol(http, market, symbol, days, today) for symbol, days in needs.items())
    )
    for symbol, (sources, missing) in zip(needs, per_symbol, strict=True):
        plan.sources.extend(sources)
        if missing:
            plan.days_without_file[(market, symbol)] = missing
    return plan


async def _plan_symbol(
    http: HttpClient, market: str, symbol: str, days: list[date], today: date
) -> tuple[list[Source], list[date]]:
    by_month: dict[tuple[int, int], list[date]] = {}
    for day in sorted(days):
        by_month.setdefault((day.year, day.month), []).append(day)
    complete = [m for m in by_month if month_end(date(*m, 1)) < today]
    monthly = await _monthly_files(http, market, symbol) if complete else {}
    sources = [
        Source(market, symbol, obj.key, obj.etag, tuple(by_month[m]), True, monthly=True)
        for m, obj in sorted(monthly.items())
        if m in by_month
    ]
    rest = [d for m, month_days in by_month.items() if m not in monthly for d in month_days]
    if not rest:
        return sources, []
    listed = await asyncio.gather(
        *(list_daily_files(http, market, symbol, "1d", a, b) for a, b in runs(rest, MAX_GAP_DAYS))
    )
    files = {f.day: f for part in listed for f in part}
    for day in rest:
        if (f := files.get(day)) is not None:
            sources.append(
                Source(market, symbol, f.key, f.etag, (day,), f.has_checksum, monthly=False)
            )
    return sources, [d for d in rest if d not in files]


async def _monthly_files(
    http: HttpClient, market: str, symbol: str
) -> dict[tuple[int, int], S3Object]:
    """Monthly 1d zips under their canonical key that come with a CHECKSUM."""
    folder = keys.monthly_folder(market, symbol, "1d")
    listing = await list_objects(http, folder)
    listed = {obj.key for obj in listing.objects}
    found = {}
    for obj in listing.objects:
        name = obj.key[len(folder) :]
        if not name.endswith(".zip") or f"{obj.key}.CHECKSUM" not in listed:
            continue
        try:
            year, month = int(name[-11:-7]), int(name[-6:-4])
        except ValueError:
            continue
        if obj.key == keys.monthly_key(market, symbol, "1d", year, month):
            found[(year, month)] = obj
    return found


def unchanged(
    source: Source,
    known: dict[str, tuple[str, set[date]]],
    stored: dict[tuple[str, date], tuple[str, str]],
) -> bool:
    """Whether a fetch would add nothing: the same file version was read before, and every
    needed day it holds a bar for already has the row from it."""
    etag, bar_days = known.get(source.key, ("", set()))
    if etag != source.etag:
        return False
    return all(
        stored.get((source.symbol, d)) == (source.key, etag) for d in source.days if d in bar_days
    )


def unchanged_without_bar(
    sources: Sequence[Source], known: dict[str, tuple[str, set[date]]]
) -> dict[str, set[date]]:
    """source_key -> the needed days that a file read before (and not fetched again) holds no
    bar for; files without such days are left out."""
    out = {}
    for source in sources:
        _, bar_days = known.get(source.key, ("", set()))
        if missing := {d for d in source.days if d not in bar_days}:
            out[source.key] = missing
    return out
