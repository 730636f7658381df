"""dataset_coverage: list every dataset folder of the scope's markets for a window and replace
the window's files."""

from __future__ import annotations

import asyncio
from array import array
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import NamedTuple

import duckdb
import polars as pl

from bfa_assets.common.days import Window
from bfa_assets.http.client import HttpClient
from bfa_assets.steps.heap import fewer_collections
from bfa_assets.steps.staging import Stager
from bfa_assets.store import datasets as dataset_store
from bfa_assets.store.datasets import FILES_SCHEMA, Checked
from bfa_assets.store.selection import Scope
from bfa_assets.vision import keys
from bfa_assets.vision.datasets import (
    FileSpan,
    checked_span,
    discover_datasets,
    discover_folders,
    list_dataset,
)

FOLDERS_PER_PART = 200


@dataclass
class CoverageRun:
    datasets: dict[str, list[str]]  # market -> the datasets listed
    folders: int  # folders listed
    files: int  # files found
    per_day: pl.DataFrame  # date, files, datasets_with_files, datasets_checked
    rejected: dict[str, str] = field(default_factory=dict)  # odd folder names, and why
    stats: dict[str, float] = field(default_factory=dict)


async def refresh_coverage(
    conn: duckdb.DuckDBPyConnection,
    vision: HttpClient,
    window: Window,
    scope: Scope,
    log: Callable[[str], None],
) -> CoverageRun:
    """Find each market's datasets and their folders, list every folder once for the window
    (from a marker, in chunks of 500 days; a monthly dataset over the months the window
    checks), staging files as listings complete, then write the window in one transaction;
    nothing is written unless every listing succeeded."""
    with fewer_collections():
        checked_at = datetime.now(UTC)
        async with vision as http:
            plan, rejected = await _plan(http, window, scope)
            total = sum(len(item.names) for item in plan)
            log(f"listing {total} folders of {len(plan)} datasets for {window}")
            files = 0
            with dataset_store.window_writer(conn, scope) as writer:

                def stage(group: tuple[str, str], found: dict[str, Listed]) -> None:
                    nonlocal files
                    part = _frame(group, found)
                    files += part.height
                    writer.add(part)

                stager = Stager(stage, FOLDERS_PER_PART)
                await stager.run(_listings(http, plan, stager, log))
                writer.finish(plan, checked_at)
        per_day = dataset_store.per_day(conn, window, scope.markets)
    listed: dict[str, list[str]] = {}
    for item in plan:
        listed.setdefault(item.dataset.market, []).append(item.dataset.name)
    stats = vision.stats.as_metadata()
    return CoverageRun(listed, total, files, per_day, rejected, stats)


async def _plan(
    http: HttpClient, window: Window, scope: Scope
) -> tuple[list[Checked], dict[str, str]]:
    """What to list: each dataset of the scope's markets with its span and folders."""
    found = await asyncio.gather(*(discover_datasets(http, m) for m in scope.markets))
    rejected = {
        f"{m}/{name}": why
        for m, (_, names) in zip(scope.markets, found, strict=True)
        for name, why in names.rejected.items()
    }
    spans = [
        (dataset, span)
        for datasets, _ in found
        for dataset in datasets
        if (span := checked_span(dataset, window)) is not None
    ]
    folders = await asyncio.gather(*(discover_folders(http, d) for d, _ in spans))
    wanted = _wanted(scope)
    plan = []
    for (dataset, span), names in zip(spans, folders, strict=True):
        rejected.update({f"{dataset}/{n}": why for n, why in names.rejected.items()})
        chosen = [n for n in names.symbols if wanted is None or n in wanted]
        plan.append(Checked(dataset, span, chosen))
    return plan, rejected


def _wanted(scope: Scope) -> set[str] | None:
    """The folder names a restricted run lists: its symbols and their pairs (COIN-M's index
    klines are per pair); None for every folder."""
    if scope.whole:
        return None
    return {*(scope.symbols or ()), *(keys.pair(s) for s in scope.symbols or ())}


def _listings(
    http: HttpClient,
    plan: list[Checked],
    stager: Stager[tuple[str, str], Listed],
    log: Callable[[str], None],
) -> Iterator[Coroutine[None, None, None]]:
    """One listing per dataset (each listing its folders at once), logging as each ends."""
    done = 0

    async def one(item: Checked) -> None:
        nonlocal done
        dataset = item.dataset
        group = (dataset.market, dataset.name)

        def listed(folder: str, files: list[FileSpan]) -> None:
            stager.listed(group, folder, Listed.of(files))

        await list_dataset(http, dataset, item.span, item.names, listed)
        done += 1
        log(
            f"listed {dataset}: {len(item.names)} folders "
            f"({done}/{len(plan)} datasets, {http.stats.requests} requests)"
        )

    return (one(item) for item in plan)


class Listed(NamedTuple):
    """One folder's listed files as columns: a history lists several files per contract and
    day, and the folders waiting to be staged would otherwise hold a tuple per file."""

    first: array  # ordinals of the first day each file covers
    last: array
    size: array

    @classmethod
    def of(cls, files: list[FileSpan]) -> Listed:
        return cls(
            array("i", [f.first.toordinal() for f in files]),
            array("i", [f.last.toordinal() for f in files]),
            array("q", [f.size for f in files]),
        )


_EPOCH = date(1970, 1, 1).toordinal()


def _frame(group: tuple[str, str], found: dict[str, Listed]) -> pl.DataFrame:
    """The listed files of some folders of one (market, dataset) as rows (FILES_SCHEMA)."""
    market, dataset = group

    def days(column: str) -> pl.Series:
        ordinals = [o for listed in found.values() for o in getattr(listed, column)]
        return (pl.Series(ordinals, dtype=pl.Int32) - _EPOCH).cast(pl.Date)

    names = [name for name, listed in found.items() for _ in listed.size]
    return pl.DataFrame(
        {
            "market": [market] * len(names),
            "dataset": [dataset] * len(names),
            "symbol": names,
            "first_date": days("first"),
            "last_date": days("last"),
            "bytes": pl.Series(
                [s for listed in found.values() for s in listed.size], dtype=pl.Int64
            ),
        },
        schema=FILES_SCHEMA,
    )
