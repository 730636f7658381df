"""The release step at several lengths of history: whole and incremental, and bytes per row.

    python -m bfa_assets_tests.bench.release WORKING_DB [--years 1,3,6] [--out DIR]

In-process, on a prebuilt working database (the one `make bench` fills, or a copy of one), so
that the figures do not depend on the simulator or on other work on the machine's two cores
more than they must. For each length of history (a copy cut to its newest N years, and the
whole database): a release built whole (the first release), a daily lookback's writes (the
last 20 days rewritten through the store's window writers, exactly as the assets write them,
so the change log records them), a release built from the previous one, and, on the same
state, a release built whole again. Wall and CPU seconds (all threads) of `build_release`,
its steps, and the sizes of the database and its gzip per (date, symbol) row.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

import duckdb

from bfa_assets.release.build import Release, build_release
from bfa_assets.release.files import DATABASE, DATABASE_GZ
from bfa_assets.store import availability, memory, rankings
from bfa_assets.store import volume as volume_store
from bfa_assets.store.transactions import stage
from bfa_assets.vision.volume.bars import parse_bars

LOOKBACK_DAYS = 20
DATED_TABLES = ["daily_availability", "daily_volume", "volume_rankings", "probe_log",
                "volume_issues"]  # fmt: skip


@dataclass
class Timed:
    wall_s: float
    cpu_s: float
    steps: dict[str, float]
    build: str  # full | incremental


@dataclass
class HistoryResult:
    label: str
    days: int
    rows: int  # (date, symbol) rows of daily_availability
    database_bytes: int
    gz_bytes: int
    first: Timed  # the first release, whole
    incremental: Timed
    full: Timed  # whole again, on the state the incremental release saw
    incremental_gz_bytes: int = 0


def timed_release(conn: duckdb.DuckDBPyConnection, release_dir: Path, full: bool) -> Timed:
    started, cpu = time.perf_counter(), time.process_time()
    built: Release = build_release(conn, release_dir, datetime.now(UTC), full=full)
    return Timed(
        time.perf_counter() - started,
        time.process_time() - cpu,
        built.timings,
        built.stats["build"]["kind"],
    )


def rewrite_lookback(conn: duckdb.DuckDBPyConnection, end: date) -> None:
    """What a daily lookback writes: the window's availability, volume and rankings, replaced
    through the store's writers (here with the rows they held, so every run measures the same)."""
    start, now = end - timedelta(days=LOOKBACK_DAYS - 1), datetime.now(UTC)
    window = {"start": start, "end": end}
    rows = conn.sql(
        "SELECT * FROM daily_availability WHERE date BETWEEN $start AND $end", params=window
    ).pl()
    availability.replace_window(conn, [rows], start, end, now)
    with volume_store.window_writer(conn, start, end) as writer:
        bars = conn.sql(
            "SELECT * FROM daily_volume WHERE date BETWEEN $start AND $end", params=window
        ).pl()
        stage(conn, writer.staged, bars)
        writer.finish(parse_bars([]).files, [])
    rankings.replace_window(conn, start, end, now)


def cut_history(source: Path, target: Path, days: int | None) -> date:
    """Copy the working database, keeping the newest `days` days (all if None); returns the
    newest day."""
    shutil.copyfile(source, target)
    with duckdb.connect(str(target)) as conn:
        (newest,) = conn.execute("SELECT max(date) FROM daily_availability").fetchall()[0]
        if days is not None:
            cutoff = {"cutoff": newest - timedelta(days=days - 1)}
            for table in DATED_TABLES:
                conn.execute(f"DELETE FROM {table} WHERE date < $cutoff", cutoff)
            conn.execute("DELETE FROM volume_files WHERE list_max(bar_days) < $cutoff", cutoff)
    return newest


def bench_history(source: Path, years: int | None, folder: Path) -> HistoryResult:
    working = folder / "working.duckdb"
    newest = cut_history(source, working, 365 * years if years else None)
    release = folder / "release"
    with duckdb.connect(str(working)) as conn:
        conn.execute(f"SET memory_limit = '{memory.WRITE_LIMIT}'")  # as the Warehouse sets it
        (rows, first_day) = conn.execute(
            "SELECT count(*), min(date) FROM daily_availability"
        ).fetchall()[0]
        first = timed_release(conn, release, full=False)  # no previous release: whole
        sizes = (release / DATABASE).stat().st_size, (release / DATABASE_GZ).stat().st_size
        rewrite_lookback(conn, newest)
        incremental = timed_release(conn, release, full=False)
        incremental_gz = (release / DATABASE_GZ).stat().st_size
        full = timed_release(conn, release, full=True)
    label = f"{years} year{'s' * (years > 1)}" if years else "whole history"
    days = (newest - first_day).days + 1
    return HistoryResult(label, days, rows, *sizes, first, incremental, full, incremental_gz)


def report(results: list[HistoryResult]) -> str:
    def cell(t: Timed) -> str:
        return f"{t.wall_s:.1f} s ({t.cpu_s:.1f} s CPU)"

    lines = [
        "| history | days | rows | release, first (whole) | after a lookback: incremental | "
        "the same, whole | database | gz | gz bytes per row |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.label} | {r.days} | {r.rows:,} | {cell(r.first)} | {cell(r.incremental)} | "
            f"{cell(r.full)} | {r.database_bytes / 2**20:.1f} MiB | {r.gz_bytes / 2**20:.1f} MiB"
            f" | {r.gz_bytes / r.rows:.1f} |"
        )
    steps = list(results[-1].incremental.steps)
    lines += [
        "",
        "| step (incremental · whole) | " + " | ".join(r.label for r in results) + " |",
        "|---|" + "---|" * len(results),
    ]
    for step in steps:
        cells = [
            f"{r.incremental.steps.get(step, 0):.2f} · {r.full.steps.get(step, 0):.2f} s"
            for r in results
        ]
        lines.append(f"| {step} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run(
    source: Path, years: list[int], out: Path | None = None, log: Callable[[str], None] = print
) -> str:
    """Every length of history, then the whole database; returns the Markdown tables."""
    results = []
    with TemporaryDirectory(prefix="bfa-bench-release-", dir=out) as tmp:
        for n in [*years, None]:
            log(f"… release step, {n or 'all'} years of history")
            folder = Path(tmp) / (f"{n}y" if n else "all")
            folder.mkdir()
            results.append(bench_history(source, n, folder))
            shutil.rmtree(folder)
    return report(results)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bfa_assets_tests.bench.release",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("working_db", type=Path)
    parser.add_argument("--years", default="1,3,6", help="lengths of history besides the whole")
    parser.add_argument("--out", type=Path, help="where to put the copies (default: $TMPDIR)")
    args = parser.parse_args(argv)
    years = [int(y) for y in args.years.split(",") if y]
    print(run(args.working_db, years, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
