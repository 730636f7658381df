"""daily_volume: the daily bar of every available (symbol, day) of a window, from 1d files."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import duckdb

from bfa_assets.common.days import Window
from bfa_assets.http.client import HttpClient
from bfa_assets.steps.heap import fewer_collections
from bfa_assets.store import volume as volume_store
from bfa_assets.store.selection import Scope
from bfa_assets.vision.volume.bars import Failed
from bfa_assets.vision.volume.fetch import Downloaded, fetch_and_parse
from bfa_assets.vision.volume.plan import Plan, plan_sources, unchanged, unchanged_without_bar


@dataclass
class VolumeRun:
    plan: Plan  # every needed (symbol, day) and the file it is read from
    to_fetch: int  # files new or changed since they were read (the others are skipped)
    downloaded: Downloaded  # what the fetched files held
    rows_dropped: int  # rows of days that are no longer available
    stats: dict[str, float] = field(default_factory=dict)

    @property
    def failures(self) -> list[Failed]:
        return self.downloaded.failures

    @property
    def days_without_file(self) -> int:
        return sum(len(days) for days in self.plan.days_without_file.values())


async def refresh_volume(
    conn: duckdb.DuckDBPyConnection,
    vision: HttpClient,
    window: Window,
    scope: Scope,
    log: Callable[[str], None],
) -> VolumeRun:
    """Plan a source for every available day of the window, fetch the files that are new or
    changed (verified, parsed in batches and staged as they come), then write the window in
    one transaction. Availability is never touched.
    """
    with fewer_collections():
        needs = volume_store.available_days(conn, window.start, window.end, scope)
        today = datetime.now(UTC).date()
        async with vision as http:
            plans = await asyncio.gather(
                *(plan_sources(http, m, days, today) for m, days in needs.items())
            )
            plan = Plan.merge(plans)
            stored = volume_store.stored_sources(conn, window.start, window.end, scope)
            known = volume_store.known_files(conn, [s.key for s in plan.sources])
            todo = [s for s in plan.sources if not unchanged(s, known, stored)]
            log(f"{len(plan.sources)} 1d files cover {window}; {len(todo)} are new or changed")
            with volume_store.window_writer(conn, window.start, window.end, scope) as writer:
                downloaded = await fetch_and_parse(http, todo, log, writer.add_bars)
                fetched = {source.key for source in todo}
                skipped = [source for source in plan.sources if source.key not in fetched]
                without_bar = unchanged_without_bar(skipped, known) | downloaded.without_bar()
                issues = day_issues(plan, downloaded.failures, without_bar)
                dropped = writer.finish(downloaded.files, issues)
    return VolumeRun(plan, len(todo), downloaded, dropped, vision.stats.as_metadata())


def day_issues(
    plan: Plan, failures: Sequence[Failed], without_bar: dict[str, set[date]]
) -> list[tuple]:
    """Why each needed day without a fresh row has none: no file, no bar in it, or a bad file
    (rows of `volume_issues`: date, market, symbol, issue, source_key, detail).

    `without_bar` gives the needed days without a bar of every good file, fetched now or
    before; a file it does not name has a bar for every needed day.
    """
    rows = [
        (day, market, symbol, "no_1d_file", None, None)
        for (market, symbol), days in plan.days_without_file.items()
        for day in days
    ]
    failed = {f.source.key: f.reason for f in failures}
    for source in plan.sources:
        if source.key in failed:
            rows += [
                (day, source.market, source.symbol, "file_failed", source.key, failed[source.key])
                for day in source.days
            ]
        elif (missing := without_bar.get(source.key)) is not None:
            rows += [
                (day, source.market, source.symbol, "no_bar_in_file", source.key, None)
                for day in source.days
                if day in missing
            ]
    return rows
