"""Building the release database from the previous release when that is safe, else whole.

An incremental build is only as good as its starting point. It is used when all of these hold,
and the database is built whole otherwise (the reason goes into stats.json):

- the previous release's stats.json names the newest change of the working database it
  includes (`changes_through`, see store/changes.py), and has this layout and schema version;
- that change is in this working database's change log (same number and token: not a release
  made from another database, or from a copy that has since diverged), and no change after it
  stands for "anything may have changed" (the log's first row);
- the previous database matches its SHA256SUMS as it is copied;
- after the update, the copy holds as many rows as the working database in every table.

Then every dated table is rebuilt from the first day written since (see database.py).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from bfa_assets.release import database
from bfa_assets.release.files import DATABASE, STATS, SUMS
from bfa_assets.release.folders import listed_digest
from bfa_assets.release.layout import LAYOUT, About
from bfa_assets.store import changes
from bfa_assets.store.changes import Mark

FULL, INCREMENTAL = "full", "incremental"


@dataclass(frozen=True)
class Build:
    """How the release database was made: for stats.json, and for the next build to start from."""

    kind: str  # FULL | INCREMENTAL
    reason: str  # why it was built whole, or what was rebuilt
    since: date | None  # incremental: the first day rebuilt (None: no dated change)
    through: Mark  # the newest change of the working database it includes
    schema_version: int

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "reason": self.reason,
            "rebuilt_from": self.since,
            "layout": LAYOUT,
            "schema_version": self.schema_version,
            "changes_through": self.through.as_dict(),
        }


@dataclass(frozen=True)
class _Start:
    """A previous release to start from."""

    database: Path
    digest: str  # its SHA-256 as SHA256SUMS lists it
    since: date | None
    changes: int

    def describe(self) -> str:
        days = f"the rows from {self.since} on rebuilt" if self.since else "no dated row changed"
        return f"{days} ({self.changes} writes since it)"


def write_database(
    conn: duckdb.DuckDBPyConnection,
    target: Path,
    about: About,
    previous: Path | None,
    full: bool = False,
) -> Build:
    """Write the release database `target` from the working database `conn`, starting from the
    release folder `previous` when that is safe (and `full` is not asked for)."""
    through, version = changes.newest(conn), _schema_version(conn)
    start = "a full build was asked for" if full else _start(conn, previous, version)
    if isinstance(start, _Start):
        problem = _update(conn, target, start, about)
        if problem is None:
            return Build(INCREMENTAL, start.describe(), start.since, through, version)
        start = problem
    for leftover in (target, target.with_name(f"{target.name}.wal")):
        leftover.unlink(missing_ok=True)
    database.create(conn, target, about)
    return Build(FULL, start, None, through, version)


def _start(conn: duckdb.DuckDBPyConnection, folder: Path | None, version: int) -> _Start | str:
    """The previous release to start from, or why there is none."""
    if folder is None or not (folder / STATS).is_file():
        return "there is no previous release"
    try:
        build = json.loads((folder / STATS).read_text())["build"]
        layout, schema, mark = (
            build["layout"],
            build["schema_version"],
            Mark(**build["changes_through"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return "the previous release does not say which changes it includes"
    if (layout, schema) != (LAYOUT, version):
        return (
            f"the previous release has layout {layout} and schema version {schema}, "
            f"this one {LAYOUT} and {version}"
        )
    logged = changes.since(conn, mark)
    if logged is None:
        return "the previous release was made from another working database"
    if any(change.first_date is None for change in logged):
        return "the working database does not know everything written since the previous release"
    digest = listed_digest(folder / SUMS, DATABASE)
    if digest is None:
        return "the previous release's SHA256SUMS does not list its database"
    since = min((change.first_date for change in logged), default=None)
    return _Start(folder / DATABASE, digest, since, len(logged))


def _update(
    conn: duckdb.DuckDBPyConnection, target: Path, start: _Start, about: About
) -> str | None:
    """Copy the previous database to `target` and bring it up to date; None if that worked,
    else why not."""
    try:
        copied = copy_verified(start.database, target)
    except OSError as error:
        return f"the previous release's database could not be read ({error})"
    if copied != start.digest:
        return "the previous release's database does not match its SHA256SUMS"
    try:
        database.refresh(conn, target, start.since, about)
        with database.open_read_only(target) as copy:
            released = database.released_counts(copy)
    except duckdb.Error as error:
        return f"the previous release's database could not be updated ({error})"
    expected = database.expected_counts(conn)
    if released != expected:
        wrong = ", ".join(
            f"{t}: {released[t]} not {n}" for t, n in expected.items() if released[t] != n
        )
        return f"the updated copy's row counts differed from the working database's ({wrong})"
    return None


def copy_verified(source: Path, target: Path) -> str:
    """Copy `source` to `target`; returns the SHA-256 of what was copied (read once)."""
    digest = hashlib.sha256()
    with source.open("rb") as raw, target.open("wb") as out:
        for block in iter(lambda: raw.read(1 << 20), b""):
            digest.update(block)
            out.write(block)
    return digest.hexdigest()


def _schema_version(conn: duckdb.DuckDBPyConnection) -> int:
    return conn.execute("SELECT max(version) FROM schema_version").fetchall()[0][0]
