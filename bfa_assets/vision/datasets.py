"""Vision's futures datasets: which a market has (found by listing, never hard-coded), the folders
of each, and the files a folder holds over a window.

A market's datasets are the folders of `data/futures/{market}/daily/` and `monthly/`: one
`delimiter=/` listing each, so a dataset Binance adds is covered from the next run on. A dataset
in the daily tree is covered per day; one only in the monthly tree (`fundingRate`) per month.
The 1m klines are `daily_availability`'s: they are never listed here a second time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from bfa_assets.common.days import Window, month_end
from bfa_assets.http.client import HttpClient
from bfa_assets.vision import keys
from bfa_assets.vision.daily_files import list_days, list_stamped
from bfa_assets.vision.discovery import Discovery, folder_names
from bfa_assets.vision.windows import list_each

PERIODS = ("daily", "monthly")
# Dataset folders that are not covered here, and why. The allow-list is "everything else", so a
# new dataset appears by itself; a folder that is not per contract would be excluded here.
NOT_COVERED = {keys.KLINES: "the 1m klines are daily_availability (listed once, reused)"}


@dataclass(frozen=True, order=True)
class Dataset:
    market: str
    name: str
    period: str  # daily, or monthly for a dataset only the monthly tree holds

    @property
    def monthly(self) -> bool:
        return self.period == "monthly"

    def __str__(self) -> str:
        return f"{self.market}/{self.name}"


class FileSpan(NamedTuple):
    """One listed file: the days it covers (one day, or a whole month) and its size."""

    first: date
    last: date
    size: int


async def discover_datasets(http: HttpClient, market: str) -> tuple[list[Dataset], Discovery]:
    """The datasets of `market` to cover (sorted), and every folder name found (`symbols`:
    the names), rejected ones with why."""
    daily, monthly = await asyncio.gather(
        *(folder_names(http, keys.period_root(market, p)) for p in PERIODS)
    )
    found = Discovery(
        sorted(set(daily.symbols) | set(monthly.symbols)),
        {**daily.rejected, **monthly.rejected},
        daily.pages + monthly.pages,
    )
    datasets = [
        Dataset(market, name, "daily" if name in daily.symbols else "monthly")
        for name in found.symbols
        if name not in NOT_COVERED
    ]
    return datasets, found


async def discover_folders(http: HttpClient, dataset: Dataset) -> Discovery:
    """The folders of a dataset (contracts, or pairs for COIN-M index klines)."""
    root = keys.dataset_root(dataset.market, dataset.name, dataset.period)
    return await folder_names(http, root)


def checked_span(dataset: Dataset, window: Window) -> Window | None:
    """The days a run over `window` checks: the window itself, or for a monthly dataset every
    month that overlaps the window and has ended by its last day (a month still running cannot
    have its file yet); None when there is no such month."""
    if not dataset.monthly:
        return window
    first = window.start.replace(day=1)
    last = month_end(window.end)
    if last > window.end:
        last = window.end.replace(day=1) - timedelta(days=1)
    return Window(first, last) if first <= last else None


async def list_dataset(
    http: HttpClient,
    dataset: Dataset,
    span: Window,
    folders: list[str],
    on_listed: Callable[[str, list[FileSpan]], None],
) -> None:
    """List every folder of `dataset` over `span`, handing each folder's files to `on_listed`
    as its listing completes; raise WindowFailed naming the failures once all have ended."""

    async def one(folder: str) -> None:
        on_listed(folder, await list_folder(http, dataset, folder, span))

    await list_each(folders, one, f"{dataset} files for {span}", "folder")


async def list_folder(
    http: HttpClient, dataset: Dataset, folder: str, span: Window
) -> list[FileSpan]:
    """The files of one folder of `dataset` in `span` (from `checked_span`)."""
    path = keys.dataset_folder(dataset.market, dataset.name, dataset.period, folder)
    stem = keys.file_stem(dataset.name, folder)
    if not dataset.monthly:
        files = await list_days(http, path, stem, folder, span.start, span.end)
        return [FileSpan(f.day, f.day, f.size) for f in files]
    return await _list_months(http, path, stem, span)


async def _list_months(http: HttpClient, path: str, stem: str, span: Window) -> list[FileSpan]:
    months = (span.end.year - span.start.year) * 12 + span.end.month - span.start.month + 1
    first, last = f"{span.start:%Y-%m}", f"{span.end:%Y-%m}"
    files = []
    for obj in await list_stamped(http, path, stem, first, last, months):
        first = _month_of(obj.key, path + stem)
        if first is not None and span.start <= first <= span.end:
            files.append(FileSpan(first, month_end(first), obj.size))
    return files


def _month_of(key: str, stem: str) -> date | None:
    """The first day of `{stem}YYYY-MM.zip`; None for any other key (CHECKSUMs, odd dates)."""
    written = key[len(stem) : -4]
    if len(key) != len(stem) + 11 or not key.endswith(".zip") or not key.startswith(stem):
        return None
    try:
        first = date.fromisoformat(f"{written}-01")
    except ValueError:
        return None
    return first if f"{first:%Y-%m}" == written else None
