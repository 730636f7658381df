"""Symbol discovery: the folders under `…/daily/klines/` are the universe, delisted included."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date

from bfa_assets.http.client import HttpClient
from bfa_assets.vision import keys
from bfa_assets.vision.listing import list_objects


@dataclass
class Discovery:
    symbols: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)  # folder name -> why it is not a symbol
    pages: int = 0


async def discover_symbols(http: HttpClient, market: str) -> Discovery:
    """All symbol folders of `market` (every page), with names that cannot be symbols set
    aside."""
    return await folder_names(http, keys.klines_root(market))


async def folder_names(http: HttpClient, root: str) -> Discovery:
    """The folders under `root` (a `delimiter=/` listing, every page) whose names can be
    symbols (a dataset's name is held to the same rule), the others set aside with why."""
    listing = await list_objects(http, root, delimiter="/")
    found = Discovery(pages=listing.pages)
    for prefix in listing.prefixes:
        name = prefix[len(root) :].removesuffix("/")
        try:
            found.symbols.append(keys.validate_symbol(name))
        except keys.InvalidSymbol as error:
            found.rejected[name] = str(error)
    return found


async def first_1m_day(http: HttpClient, market: str, symbol: str) -> date | None:
    """The day of a symbol's first 1m file: the first key of its `1m/` folder (one request)."""
    folder = keys.daily_folder(market, symbol, "1m")
    listing = await list_objects(http, folder, max_keys=4, limit=4)
    for obj in listing.objects:
        parsed = keys.parse_daily_name(obj.key[len(folder) :])
        if (
            parsed
            and parsed.interval == "1m"
            and obj.key == keys.daily_key(market, symbol, "1m", parsed.day)
        ):
            return parsed.day
    return None


async def first_1m_days(
    http: HttpClient, market: str, symbols: list[str]
) -> dict[str, date | None]:
    days = await asyncio.gather(*(first_1m_day(http, market, s) for s in symbols))
    return dict(zip(symbols, days, strict=True))
