"""The symbols table: discovery upserts, never deletes, and keeps every first day it learns."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bfa_assets.store import symbols as symbol_store

SEEN = datetime(2024, 3, 1, tzinfo=UTC)


def first_days(conn) -> dict:
    return dict(conn.execute("SELECT symbol, first_1m_date FROM symbols ORDER BY 1").fetchall())


def test_a_first_day_found_for_a_symbol_no_longer_listed_is_recorded(conn):
    symbol_store.record_discovery(
        conn, "um", ["AUSDT", "BUSDT"], {"AUSDT": date(2024, 1, 5)}, SEEN, None
    )
    assert symbol_store.missing_first_day(conn, "um") == ["BUSDT"]
    # BUSDT's folder is gone from the listing, but its first file was found at last
    symbol_store.record_discovery(conn, "um", ["AUSDT"], {"BUSDT": date(2023, 6, 1)}, SEEN, None)
    assert first_days(conn) == {"AUSDT": date(2024, 1, 5), "BUSDT": date(2023, 6, 1)}


def test_a_known_first_day_is_never_overwritten(conn):
    symbol_store.record_discovery(conn, "um", ["AUSDT"], {"AUSDT": date(2024, 1, 5)}, SEEN, None)
    symbol_store.record_discovery(conn, "um", ["AUSDT"], {"AUSDT": date(2024, 2, 9)}, SEEN, None)
    assert first_days(conn) == {"AUSDT": date(2024, 1, 5)}
