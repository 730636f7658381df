"""Building a release folder from the working database, and swapping it in atomically.

A release is written into a fresh folder beside the previous ones; only when every file is
complete does the release path (a symlink) switch to it with one atomic rename, so a reader
always sees a whole release, never half of one. The previous release is kept for readers that
still have its files open; older ones are removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
from isal import isal_zlib

from bfa_assets.days import HISTORY_START
from bfa_assets.markdown import table
from bfa_assets.quality import ERROR, Finding
from bfa_assets.release.files import (
    DATABASE,
    DATABASE_GZ,
    FILES,
    NOTES,
    PARQUET,
    SNAPSHOT,
    STATS,
    SUMS,
)
from bfa_assets.store.coverage import Coverage, refill_hint, span
from bfa_assets.store.snapshot_file import write_snapshot_file

KEEP_VERSIONS = 2
PARTIAL = ".partial"

# Copied tables and their sort order: by date, so date filters skip most blocks. The two big
# tables are not also sorted by symbol within a day: that costs ~1 s of every daily release.
TABLES = {
    "symbols": "symbol",
    "daily_availability": "date",
    "probe_log": "date",
    "daily_volume": "date",
    "volume_rankings": "date, rank, symbol",
    "volume_files": "source_key",
}
# What `bfa query` shows per (date, symbol), stored sorted for point reads: DuckDB skips row
# groups by their min/max, so a day's snapshot or a symbol's timeline reads one or two row groups
# instead of joining three tables.
DAILY = """
SELECT a.date, a.symbol, a.available, a.file_size_bytes, v.quote_volume, r.rank
FROM daily_availability a
LEFT JOIN daily_volume v USING (date, symbol)
LEFT JOIN volume_rankings r USING (date, symbol)
"""
READ_TABLES = {  # table -> query, from constants only, made in this order (the second reads
    # the first: a third less time than joining again)
    "daily_by_symbol": f"{DAILY} ORDER BY symbol, date",
    "available_by_date": "SELECT * EXCLUDE (available) FROM daily_by_symbol WHERE available "
    "ORDER BY date, symbol",
}
# The original tool's 17 columns, for users of its file.
VIEW = """
CREATE VIEW availability_with_volume AS
SELECT a.date, a.symbol, a.available, a.file_size_bytes, a.last_modified, a.url,
       CASE WHEN a.available THEN 200 ELSE 404 END AS status_code,
       a.checked_at AS probe_timestamp,
       v.quote_volume AS quote_volume_usdt, v.trade_count, v.volume_base,
       v.taker_buy_volume_base, v.taker_buy_quote_volume AS taker_buy_quote_volume_usdt,
       v.open_price, v.high_price, v.low_price, v.close_price
FROM daily_availability a
LEFT JOIN daily_volume v USING (date, symbol)
"""
# The original tool's 13 Parquet columns, in its order.
PARQUET_QUERY = """
SELECT date, symbol, rank, quote_volume_usdt, trade_count, rank_change_1d, rank_change_7d,
       rank_change_14d, rank_change_30d, percentile, market_share_pct, days_available,
       generation_timestamp
FROM volume_rankings ORDER BY date, rank, symbol
"""


@dataclass(frozen=True)
class Release:
    path: Path  # the folder the release path now points to
    stats: dict
    files: dict[str, tuple[int, str]]  # name -> (bytes, sha256)


class ReleaseRefused(Exception):
    """The working database must not be published as it is; the message says why and what to do."""


def refusal(covered: Coverage, checks: Sequence[Finding], allow_partial: bool) -> str | None:
    """Why the release must not be published, or None.

    A failed ERROR check is a broken invariant of our own tables: never published. Days never
    checked between the first and the newest checked day make every answer about them unknown:
    published only when the operator allows a partial release, which then says so.
    """
    broken = [c for c in checks if not c.passed and c.severity == ERROR and c.name != "continuity"]
    if broken:
        return "ERROR checks failed: " + "; ".join(f"{c.name}: {c.summary}" for c in broken)
    if covered.holes and not allow_partial:
        return (
            "days between the first and the newest checked day were never checked: "
            + ", ".join(span(*hole) for hole in covered.holes)
            + f"; {refill_hint(covered.holes)}. Or launch release_artifact with the config "
            "`allow_partial: true` to publish a release that says it is partial."
        )
    return None


def build_release(
    conn: duckdb.DuckDBPyConnection,
    release_dir: Path,
    generated_at: datetime,
    checks: Sequence[Finding] = (),
    allow_partial: bool = False,
) -> Release:
    """Write every release file from the working database `conn`, then swap the release in.

    `checks` are the latest results of the data checks (for the notes and the guard); raises
    ReleaseRefused, writing nothing, when `refusal` says so.
    """
    covered = Coverage.of(conn)
    if (reason := refusal(covered, checks, allow_partial)) is not None:
        raise ReleaseRefused(reason)
    versions = release_dir.parent / f".{release_dir.name}.versions"
    name = f"{generated_at:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    stage = versions / f"{name}{PARTIAL}"  # renamed once complete; a crash leaves only this
    stage.mkdir(parents=True)
    try:
        _copy_database(conn, stage / DATABASE)
        with ThreadPoolExecutor(max_workers=1) as background:  # ISA-L and DuckDB drop the GIL
            gzipped = background.submit(gzip_file, stage / DATABASE, stage / DATABASE_GZ)
            with duckdb.connect(str(stage / DATABASE), read_only=True) as copy:
                write_snapshot_file(copy, stage / SNAPSHOT)
            conn.execute(
                f"COPY ({PARQUET_QUERY}) TO $path (FORMAT parquet, COMPRESSION snappy)",
                {"path": str(stage / PARQUET)},
            )
            gzipped.result()
        stats = release_stats(conn, generated_at, covered)
        stats["checks"] = {
            c.name: "passed" if c.passed else f"FAILED ({c.severity})" for c in checks
        }
        (stage / STATS).write_text(json.dumps(stats, indent=2, default=str) + "\n")
        (stage / NOTES).write_text(release_notes(stats, checks))
        digests = _write_sums(stage)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    complete = stage.rename(versions / name)
    _swap(release_dir, complete)
    _prune(versions, keep=complete)
    files = {f: ((complete / f).stat().st_size, digests[f]) for f in FILES}
    return Release(complete, stats, files)


def _copy_database(conn: duckdb.DuckDBPyConnection, target: Path) -> None:
    """A compact copy: every table with its columns and types, rows sorted for fast date and
    symbol lookups, the read tables and the view.

    The primary keys are enforced where rows are written, in the working database; a read-only
    copy without their indexes is half the size (~250 instead of ~480 MB for the full history),
    so it is copied, compressed, hashed and downloaded in half the time.
    """
    (name,) = conn.execute("SELECT current_database()").fetchall()[0]
    source = '"' + name.replace('"', '""') + '"'  # a quoted identifier
    conn.execute("ATTACH $path AS release_copy", {"path": str(target)})
    try:
        for table, order in {"schema_version": "version", **TABLES}.items():
            conn.execute(
                f"CREATE TABLE release_copy.{table} AS "  # noqa: S608
                f"SELECT * FROM {source}.main.{table} ORDER BY {order}"
            )
        conn.execute("USE release_copy")
        for table, query in READ_TABLES.items():
            conn.execute(f"CREATE TABLE {table} AS {query}")
        conn.execute(VIEW)
    finally:
        conn.execute(f"USE {source}")
        conn.execute("DETACH release_copy")


def table_counts(conn: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in TABLES}  # noqa: S608


def gzip_file(source: Path, target: Path) -> None:
    """Standard gzip from ISA-L's deflate at its default level 2: the full ~250 MB database in
    about a second on one core, where zlib's fastest level took ~6 s for 3 % fewer bytes."""
    packer = isal_zlib.compressobj(2, isal_zlib.DEFLATED, 31)  # wbits 31: gzip header, mtime 0
    with source.open("rb") as raw, target.open("wb") as out:
        for block in iter(lambda: raw.read(1 << 20), b""):
            out.write(packer.compress(block))
        out.write(packer.flush())


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_sums(folder: Path) -> dict[str, str]:
    """Write SHA256SUMS; returns every file's digest (SHA256SUMS's own included)."""
    digests = {name: sha256_file(folder / name) for name in FILES if name != SUMS}
    (folder / SUMS).write_text("".join(f"{d}  {name}\n" for name, d in digests.items()))
    return digests | {SUMS: sha256_file(folder / SUMS)}


def release_stats(
    conn: duckdb.DuckDBPyConnection, generated_at: datetime, covered: Coverage
) -> dict:
    """The figures users ask about first, from the working database, and which days it knows."""
    (first, latest, rows, available, symbols, on_latest) = conn.execute("""
        SELECT min(date), max(date), count(*), count(*) FILTER (available),
               count(DISTINCT symbol),
               count(*) FILTER (available AND date = (SELECT max(date) FROM daily_availability))
        FROM daily_availability
    """).fetchall()[0]
    kinds = dict(conn.execute("SELECT kind, count(*) FROM symbols GROUP BY kind").fetchall())
    counts = table_counts(conn)
    (ranked_latest,) = conn.execute("SELECT max(date) FROM volume_rankings").fetchall()[0]
    return {
        "generated_at": generated_at.isoformat(),
        "first_date": first,
        "latest_date": latest,
        "latest_ranked_date": ranked_latest,
        "symbols": symbols,
        "symbols_by_kind": kinds,
        "availability_rows": rows,
        "available_rows": available,
        "unavailable_rows": rows - available,
        "available_on_latest_date": on_latest,
        "table_rows": counts,
        "complete": covered.complete,
        "coverage": covered.as_dict(),
    }


def release_notes(stats: dict, checks: Sequence[Finding]) -> str:
    figures = [
        (key.replace("_", " "), value)
        for key, value in stats.items()
        if not isinstance(value, dict | bool) and key != "generated_at"
    ]
    figures += [(f"rows in {table}", n) for table, n in stats["table_rows"].items()]
    figures += [(f"{kind} symbols", n) for kind, n in sorted(stats["symbols_by_kind"].items())]
    lines = [
        f"# bfa release {stats['latest_date']}",
        "",
        f"Generated {stats['generated_at']}. Binance USD-M futures availability on Binance Vision.",
        "",
        "## Coverage",
        "",
        *_coverage_lines(stats["coverage"]),
        "",
        "## Statistics",
        "",
        table(["figure", "value"], figures, max_rows=len(figures)),
        "",
        "## Checks",
        "",
    ]
    if checks:
        rows = [
            (c.name, "passed" if c.passed else "FAILED", c.severity, c.summary, c.source)
            for c in checks
        ]
        lines.append(table(["check", "result", "severity", "summary", "run"], rows, len(rows)))
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


def _coverage_lines(covered: dict) -> list[str]:
    """What the release knows: the checked days, and the days nobody checked."""
    checked = [span(a, b) for a, b in covered["checked_ranges"]]
    unchecked = [span(a, b) for a, b in covered["unchecked_ranges"]]
    if not checked:
        return ["No day has been checked yet."]
    lines = [f"Availability was checked on {covered['days_checked']:,} days: {', '.join(checked)}."]
    if covered["complete"]:
        lines.append(f"This is the complete history from {HISTORY_START} on.")
    else:
        lines.append(
            f"**Partial history.** Not checked: {', '.join(unchecked)}. Nothing is known about "
            "those days: a symbol without a row there may or may not have had a file."
        )
    return lines


def _swap(release_dir: Path, stage: Path) -> None:
    """Point `release_dir` (a symlink) at `stage` in one atomic rename."""
    if release_dir.exists() and not release_dir.is_symlink():  # an older, plain folder
        release_dir.rename(stage.parent / f"legacy-{uuid.uuid4().hex[:8]}")
    link = release_dir.parent / f".{release_dir.name}.{uuid.uuid4().hex[:8]}.link"
    link.symlink_to(os.path.relpath(stage, release_dir.parent))
    link.replace(release_dir)


def _prune(versions: Path, keep: Path) -> None:
    """Keep the new release and the one before it (a reader may still hold its files); remove
    older ones and whatever an interrupted build left half-written."""
    for partial in versions.glob(f"*{PARTIAL}"):
        shutil.rmtree(partial, ignore_errors=True)
    older = sorted((p for p in versions.iterdir() if p != keep), key=lambda p: p.stat().st_mtime)
    for stale in older[: max(0, len(older) - (KEEP_VERSIONS - 1))]:
        shutil.rmtree(stale, ignore_errors=True)
