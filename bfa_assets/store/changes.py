"""The change log: every committed write of a released table, recorded in its transaction.

The release is rebuilt from the previous one by replacing only what was written since (see
release/incremental.py). Row timestamps cannot tell what was written: a deleted row leaves
nothing behind. So each window writer records, in the transaction of its write, the table, the
dates and the symbols it replaced (`record`). A release remembers the newest change it includes
as a `Mark`; `since` answers with the changes after it. Each change carries a random token, so a
mark made from another database, or from a copy that has since diverged, is not found here and
the release is built whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb

from bfa_assets.common.markets import MARKETS
from bfa_assets.store.selection import EVERYTHING, Scope


@dataclass(frozen=True)
class Mark:
    """The newest change a release includes."""

    seq: int
    token: str

    def as_dict(self) -> dict:
        return {"seq": self.seq, "token": self.token}


@dataclass(frozen=True)
class Change:
    seq: int
    table: str
    first_date: date | None  # None: every date (the log's first row: anything before it)
    last_date: date | None
    symbols: tuple[str, ...] | None  # None: every symbol (of `markets`)
    markets: tuple[str, ...] | None = None  # None: every market


def record(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    start: date,
    end: date,
    scope: Scope = EVERYTHING,
) -> None:
    """Log a write of `table` over [start, end] (of the scope's markets and symbols); call it
    inside the write's transaction, so the log holds exactly the writes that were committed."""
    markets = None if set(scope.markets) == set(MARKETS) else list(scope.markets)
    conn.execute(
        "INSERT INTO change_log BY NAME SELECT coalesce(max(seq), 0) + 1 AS seq, uuid() AS token, "
        "$table AS table_name, $start AS first_date, $end AS last_date, $symbols AS symbols, "
        "now() AS written_at, $markets AS markets FROM change_log",
        {"table": table, "start": start, "end": end, **scope.params(), "markets": markets},
    )


def newest(conn: duckdb.DuckDBPyConnection) -> Mark:
    seq, token = conn.execute(
        "SELECT seq, token::VARCHAR FROM change_log ORDER BY seq DESC LIMIT 1"
    ).fetchall()[0]
    return Mark(seq, token)


def since(conn: duckdb.DuckDBPyConnection, mark: Mark) -> list[Change] | None:
    """The changes after `mark`, oldest first; None if `mark` is not a change of this database."""
    found = conn.execute(
        "SELECT count(*) FROM change_log WHERE seq = $seq AND token::VARCHAR = $token",
        mark.as_dict(),
    ).fetchall()[0][0]
    if not found:
        return None
    rows = conn.execute(
        "SELECT seq, table_name, first_date, last_date, symbols, markets FROM change_log "
        "WHERE seq > $seq ORDER BY seq",
        {"seq": mark.seq},
    ).fetchall()
    return [
        Change(s, t, a, b, tuple(names) if names else None, tuple(ms) if ms else None)
        for s, t, a, b, names, ms in rows
    ]
