"""Verifying a written release against the working database it was built from."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
from isal import igzip, isal_zlib

from bfa_assets.quality.findings import ERROR, Finding
from bfa_assets.release.database import expected_counts, open_read_only, released_counts
from bfa_assets.release.files import DATABASE, DATABASE_GZ, SNAPSHOT, SUMS
from bfa_assets.release.folders import sha256_file


def release_integrity(conn: duckdb.DuckDBPyConnection, release_dir: Path) -> Finding:
    """The release verifies: SHA256SUMS, the gz round-trip, row counts equal to the working db
    (the read tables' and the snapshot file's: its rows and its available rows)."""
    name = "release_integrity"
    if not (release_dir / SUMS).is_file():
        return Finding(name, False, ERROR, f"no release at {release_dir}", {}, [])
    lines, digests = [], {}
    with ThreadPoolExecutor(max_workers=1) as background:  # ISA-L and hashlib drop the GIL
        gunzipped = background.submit(gunzip_digest, release_dir / DATABASE_GZ)
        for line in (release_dir / SUMS).read_text().splitlines():
            digest, _, file = line.partition("  ")
            if not (release_dir / file).is_file():
                lines.append(f"{file}: listed in SHA256SUMS but missing")
                continue
            digests[file] = sha256_file(release_dir / file)
            if digests[file] != digest:
                lines.append(f"{file}: SHA-256 does not match SHA256SUMS")
        database = release_dir / DATABASE
        if gunzipped.result() != (digests.get(DATABASE) or sha256_file(database)):
            lines.append(f"{DATABASE_GZ}: does not decompress to {DATABASE}")
    released = _table_counts(database)
    for table, count in expected_counts(conn).items():
        if released.get(table) != count:
            lines.append(f"{table}: {released.get(table)} rows released, {count} in the working db")
    lines += _snapshot_problems(conn, release_dir / SNAPSHOT)
    summary = f"{len(lines)} problems in the release" if lines else "the release verifies"
    return Finding(name, not lines, ERROR, summary, {"problems": len(lines)}, lines)


def gunzip_digest(path: Path) -> str:
    """The SHA-256 of what the gzip file decompresses to, or "unreadable"."""
    digest = hashlib.sha256()
    try:
        with igzip.open(path, "rb") as handle:  # ISA-L: reads standard gzip faster than zlib
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except (OSError, EOFError, isal_zlib.error):
        return "unreadable"
    return digest.hexdigest()


def _snapshot_problems(conn: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    """The snapshot file reads, and holds as many rows as the working db has available."""
    from bfa_assets.store.snapshot_file import SnapshotFile, SnapshotFileError  # pyarrow: see build

    try:
        rows = SnapshotFile(path).row_count()
    except SnapshotFileError as error:
        return [str(error)]
    sql = "SELECT count(*) FROM daily_availability WHERE available"
    (available,) = conn.execute(sql).fetchall()[0]
    if rows == available:
        return []
    return [f"{path.name}: {rows} rows, {available} available rows in the working db"]


def _table_counts(path: Path) -> dict[str, int]:
    try:
        with open_read_only(path) as released:
            return released_counts(released)
    except duckdb.Error:
        return {}
