"""Building a release folder from the working database, and swapping it in atomically.

A release is written into a fresh folder beside the previous ones; only when every file is
complete does the release path (a symlink) switch to it with one atomic rename, so a reader
always sees a whole release, never half of one. The previous release is kept for readers that
still have its files open; older ones are removed.

The database is brought up to date from the previous release when that is safe, and built
whole otherwise (release/incremental.py); the other files are written from it, the gzip
copying the previous release's members where the database did not change (release/packing.py).
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TypeVar

import duckdb

from bfa_assets.common.days import newest_day
from bfa_assets.common.markdown import table
from bfa_assets.common.markets import MARKETS, name
from bfa_assets.quality.availability import CONTINUITY
from bfa_assets.quality.findings import ERROR, Finding
from bfa_assets.release.coverage_picture import write_coverage_pictures
from bfa_assets.release.database import open_read_only, table_counts
from bfa_assets.release.files import (
    COIN_M_PARQUET,
    DATABASE,
    DATABASE_GZ,
    DATASETS_PARQUET,
    DATASETS_PNG,
    DATASETS_SVG,
    FILES,
    NOTES,
    PARQUET,
    PICTURE_PNG,
    PICTURE_SVG,
    SNAPSHOT,
    STATS,
    SUMS,
)
from bfa_assets.release.folders import (
    PARTIAL,
    listed_digest,
    prune,
    sha256_file,
    swap,
    versions_of,
)
from bfa_assets.release.incremental import INCREMENTAL, Build, write_database
from bfa_assets.release.layout import About
from bfa_assets.release.packing import Packed, Previous, gzip_file
from bfa_assets.release.picture import write_pictures
from bfa_assets.store.coverage import Coverage, refill_hint, span
from bfa_assets.store.queries import summary

T = TypeVar("T")

# The original tool's 13 Parquet columns, in its order, USD-M's rows only; read from the
# release database, whose rankings are stored sorted by date, market, rank and symbol (a scan
# keeps that order).
RANKING_COLUMNS = """rank_change_1d, rank_change_7d, rank_change_14d, rank_change_30d, percentile,
       market_share_pct, days_available"""
PARQUET_QUERY = f"""
SELECT date, symbol, rank, quote_volume_usdt, trade_count, {RANKING_COLUMNS},
       generation_timestamp
FROM volume_rankings WHERE market = 'um'
"""  # noqa: S608
# COIN-M's rankings, in the same columns where they mean the same: its measure is the stored
# `notional_usd` (computed once, with the rankings), and each contract's size in USD (the
# symbols table's) and whether it comes from Binance's rule rather than from exchangeInfo.
COIN_M_PARQUET_QUERY = f"""
SELECT r.date, r.symbol, r.rank, r.notional_usd, r.trade_count, {RANKING_COLUMNS},
       s.contract_size_usd, r.contract_size_inferred, r.generation_timestamp
FROM volume_rankings r JOIN symbols s USING (market, symbol)
WHERE r.market = 'cm' ORDER BY r.date, r.rank, r.symbol
"""  # noqa: S608
# Dataset coverage for Parquet users: the runs of days with a file (`kind` = 'files') and the
# runs of checked days (`kind` = 'checked', no symbol), so that "not checked" stays apart
# from "no file" in one file.
DATASETS_PARQUET_QUERY = """
SELECT 'files' AS kind, market, dataset, symbol, first_date, last_date, files, bytes
FROM dataset_runs
UNION ALL
SELECT 'checked', market, dataset, NULL, first_date, last_date, NULL, NULL FROM dataset_checks
ORDER BY kind DESC, market, dataset, symbol NULLS FIRST, first_date
"""
PARQUET_FILES = {
    PARQUET: PARQUET_QUERY,
    COIN_M_PARQUET: COIN_M_PARQUET_QUERY,
    DATASETS_PARQUET: DATASETS_PARQUET_QUERY,
}


@dataclass(frozen=True)
class Release:
    path: Path  # the folder the release path now points to
    stats: dict
    files: dict[str, tuple[int, str]]  # name -> (bytes, sha256)
    timings: dict[str, float] = field(default_factory=dict)  # step -> seconds


@dataclass
class _Clock:
    """Seconds per step of a build, for the asset's metadata and the benchmark."""

    timings: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = round(time.perf_counter() - started, 3)

    def timed(self, name: str, work: Callable[[], T]) -> Callable[[], T]:
        def run() -> T:
            with self.step(name):
                return work()

        return run


class ReleaseRefused(Exception):
    """The working database must not be published as it is; the message says why and what to do."""


def refusal(
    covered: dict[str, Coverage], checks: Sequence[Finding], allow_partial: bool
) -> str | None:
    """Why the release must not be published, or None.

    A failed ERROR check is a broken invariant of our own tables: never published. Days never
    checked for a market between its first and its newest checked day make every answer about
    them unknown: published only when the operator allows a partial release, which then says so.
    """
    broken = [c for c in checks if not c.passed and c.severity == ERROR and c.name != CONTINUITY]
    if broken:
        return "ERROR checks failed: " + "; ".join(f"{c.name}: {c.summary}" for c in broken)
    holed = {m: c.holes for m, c in covered.items() if c.holes}
    if holed and not allow_partial:
        return (
            "days between the first and the newest checked day were never checked: "
            + "; ".join(_holes_text(m, holes, len(covered) > 1) for m, holes in holed.items())
            + ". Or launch release_artifact with the config "
            "`allow_partial: true` to publish a release that says it is partial."
        )
    return None


def _holes_text(market: str, holes: list[tuple[date, date]], named: bool) -> str:
    """A market's holes and how to fill them (`named`: saying which market they are of)."""
    days = ", ".join(span(*hole) for hole in holes)
    return f"{name(market) + ': ' if named else ''}{days}; {refill_hint(holes, market)}"


def build_release(
    conn: duckdb.DuckDBPyConnection,
    release_dir: Path,
    generated_at: datetime,
    checks: Sequence[Finding] = (),
    allow_partial: bool = False,
    full: bool = False,
) -> Release:
    """Write every release file from the working database `conn`, then swap the release in.

    `checks` are the latest results of the data checks (for the notes and the guard); raises
    ReleaseRefused, writing nothing, when `refusal` says so. The database is built from the
    previous release when that is safe, unless `full` asks for a whole build.
    """
    covered = {m: Coverage.of(conn, m) for m in MARKETS}
    if (reason := refusal(covered, checks, allow_partial)) is not None:
        raise ReleaseRefused(reason)
    about = About(generated_at, newest_day(generated_at))
    versions = versions_of(release_dir)
    name = f"{generated_at:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    stage = versions / f"{name}{PARTIAL}"  # renamed once complete; a crash leaves only this
    stage.mkdir(parents=True)
    clock = _Clock()
    try:
        previous = release_dir.resolve() if release_dir.exists() else None
        with clock.step("database"):
            built = write_database(conn, stage / DATABASE, about, previous, full)
        if built.kind == INCREMENTAL:
            reuse, snapshots = _previous_gzip(previous), _previous_snapshot_file(previous)
        else:
            reuse = snapshots = None
        with open_read_only(stage / DATABASE) as copy:
            packed = _write_derived_files(copy, stage, about, reuse, snapshots, built.since, clock)
            with clock.step("stats, notes and sums"):
                stats = release_stats(copy, built, packed, checks)
        (stage / STATS).write_text(json.dumps(stats, indent=2, default=str) + "\n")
        (stage / NOTES).write_text(release_notes(stats, checks))
        digests = _write_sums(stage, {DATABASE: packed.source_sha256, DATABASE_GZ: packed.sha256})
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    complete = stage.rename(versions / name)
    swap(release_dir, complete)
    prune(versions, keep=complete)
    files = {f: ((complete / f).stat().st_size, digests[f]) for f in FILES}
    return Release(complete, stats, files, clock.timings)


def _previous_gzip(previous: Path) -> Previous:
    digest = listed_digest(previous / SUMS, DATABASE_GZ) or "not listed"
    return Previous(previous / DATABASE, previous / DATABASE_GZ, digest)


def _previous_snapshot_file(previous: Path) -> Path | None:
    """The previous release's snapshot file, if it is the one its SHA256SUMS lists."""
    path = previous / SNAPSHOT
    listed = listed_digest(previous / SUMS, SNAPSHOT)
    return path if path.exists() and listed == sha256_file(path) else None


def _write_derived_files(
    copy: duckdb.DuckDBPyConnection,
    stage: Path,
    about: About,
    previous: Previous | None,
    previous_snapshots: Path | None,
    since: date | None,
    clock: _Clock,
) -> Packed:
    """The gzip (reusing the previous release's members of unchanged chunks), the snapshot
    file (the previous one's days before `since` copied), the Parquet files and the pictures,
    from the release database `copy`.

    The gzip (ISA-L) runs in a thread while DuckDB and Arrow write the snapshot and Parquet
    files (all three drop the GIL); the pictures come after, since matplotlib holds the GIL
    and starved the gzip thread, which takes it for every chunk, when drawn beside it. USD-M's
    Parquet file is the release's rankings, stored in its order: written without sorting.
    """
    # pyarrow is imported only when a release is written, not by every process that loads the
    # code location (docs/benchmarks.md, a small run's fixed cost).
    from bfa_assets.store.snapshot_file import write_snapshot_file

    with ThreadPoolExecutor(max_workers=1) as background:
        gzipped = background.submit(
            clock.timed("gzip", lambda: gzip_file(stage / DATABASE, stage / DATABASE_GZ, previous))
        )
        with clock.step("snapshot file"):
            write_snapshot_file(copy, stage / SNAPSHOT, previous_snapshots, since)
        with clock.step("parquet"):
            for file, query in PARQUET_FILES.items():
                copy.execute(
                    f"COPY ({query}) TO $path (FORMAT parquet, COMPRESSION snappy)",
                    {"path": str(stage / file)},
                )
        packed = gzipped.result()
    with clock.step("pictures"):
        write_pictures(copy, about.newest_day, [stage / PICTURE_PNG, stage / PICTURE_SVG])
        write_coverage_pictures(
            copy, about.newest_day, [stage / DATASETS_PNG, stage / DATASETS_SVG]
        )
    return packed


def _write_sums(folder: Path, known: dict[str, str]) -> dict[str, str]:
    """Write SHA256SUMS (hashing the files whose digest is not `known`); returns every file's
    digest (SHA256SUMS's own included)."""
    digests = {
        name: known.get(name) or sha256_file(folder / name) for name in FILES if name != SUMS
    }
    (folder / SUMS).write_text("".join(f"{d}  {name}\n" for name, d in digests.items()))
    return digests | {SUMS: sha256_file(folder / SUMS)}


def release_stats(
    copy: duckdb.DuckDBPyConnection, built: Build, packed: Packed, checks: Sequence[Finding]
) -> dict:
    """stats.json: the release's figures as `bfa query summary` gives them (read from the
    release database `copy`: one home, so the two never disagree): USD-M's at the top level, as
    before COIN-M, and every market's under `markets`; the rows of every table (both markets),
    how the database was built, and the latest result of every data check."""
    markets = {m: _without_time(summary(copy, m)) for m in MARKETS}
    return summary(copy) | {
        "markets": markets,
        "table_rows": table_counts(copy),
        "build": built.as_dict()
        | {
            "gzip_members": packed.members,
            "gzip_members_reused": packed.reused,
        },
        "checks": {c.name: c.outcome for c in checks},
    }


def _without_time(figures: dict) -> dict:
    """A market's summary without when the release was made (stats.json says it once)."""
    return {key: value for key, value in figures.items() if key != "generated_at"}


def _figure_value(value: object) -> object:
    return span(*value) if isinstance(value, tuple) else value


def release_notes(stats: dict, checks: Sequence[Finding]) -> str:
    markets = stats["markets"]
    names = [name(m) for m in markets]
    figures = [  # the summary's figures (its ranges of days are in the Coverage section)
        (figure, *(_figure_value(markets[m][figure]) for m in markets))
        for figure, value in markets["um"].items()
        if not isinstance(value, dict | list)
    ]
    rows = [(f"rows in {table}", n) for table, n in stats["table_rows"].items()]
    lines = [
        f"# bfa release {stats['latest_checked_date']}",
        "",
        f"Generated {stats['generated_at']}. Binance futures availability on Binance Vision: "
        f"{' and '.join(names)}.",
        *_build_lines(stats["build"]),
        "",
        "## Coverage",
        "",
        *(line for m in markets for line in _coverage_lines(name(m), markets[m])),
        f"![Symbols with data per day; unchecked days shaded]({PICTURE_PNG}) "
        f"([SVG]({PICTURE_SVG}))",
        "",
        "Every dataset of both markets (`dataset_runs`, `dataset_checks`, `dataset_days`; "
        f"`{DATASETS_PARQUET}`): the share of live contracts with each dataset's file, per day.",
        "",
        f"![Dataset coverage; unchecked days grey]({DATASETS_PNG}) ([SVG]({DATASETS_SVG}))",
        "",
        "## Figures",
        "",
        "Per market, named as `bfa query summary --market um|cm` and stats.json's `markets` "
        "name them (stats.json's top-level figures are USD-M's).",
        "",
        table(["figure", *names], figures, max_rows=len(figures)),
        "",
        table(["table (both markets)", "rows"], rows, max_rows=len(rows)),
        "",
        "## Checks",
        "",
    ]
    if checks:
        rows = [(c.name, c.outcome, c.summary, c.source) for c in checks]
        lines.append(table(["check", "result", "summary", "run"], rows, len(rows)))
    else:
        lines.append("No check results were recorded for this release.")
    lines += [
        "",
        "## Files",
        "",
        *(f"- `{name}`" for name in FILES),
        "",
        "Verify with `sha256sum -c SHA256SUMS`.",
    ]
    return "\n".join(lines) + "\n"


def _build_lines(build: dict) -> list[str]:
    """How the database was made: from the previous release, or whole and why."""
    how = "Built from the previous release" if build["kind"] == INCREMENTAL else "Built whole"
    return ["", f"{how}: {build['reason']}."]


def _coverage_lines(market: str, stats: dict) -> list[str]:
    """What the release knows of a market: the checked days, and the days nobody checked."""
    checked = [span(a, b) for a, b in stats["checked_ranges"]]
    unchecked = [span(a, b) for a, b in stats["unchecked_ranges"]]
    history = span(*stats["history"])
    lines = [f"### {market}", ""]
    if not checked:
        return [*lines, f"No day of the history ({history}) has been checked yet.", ""]
    lines += [
        f"The history is {history}. Availability was checked on "
        f"{stats['checked_days']:,} days: {', '.join(checked)}.",
        "",
    ]
    if stats["complete"]:
        lines.append("Every day of it was checked.")
    else:
        lines.append(
            f"**Partial history.** Not checked: {', '.join(unchecked)}. Nothing is known about "
            "those days: a symbol without a row there may or may not have had a file."
        )
    return [*lines, ""]
