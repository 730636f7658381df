"""Cutting days into listing ranges: chunks that fill a page, runs that skip long gaps."""

from __future__ import annotations

from datetime import date, timedelta

from bfa_assets.common.days import runs
from bfa_assets.vision.daily_files import chunks


def days(first: str, last: str) -> list[date]:
    a, b = date.fromisoformat(first), date.fromisoformat(last)
    return [a + timedelta(days=i) for i in range((b - a).days + 1)]


def test_chunks_cover_a_window_in_500_day_pieces_without_overlap():
    parts = chunks(date(2019, 9, 25), date(2026, 11, 20))
    assert parts[0] == (date(2019, 9, 25), date(2021, 2, 5)) and parts[-1][1] == date(2026, 11, 20)
    covered = [d for a, b in parts for d in days(a.isoformat(), b.isoformat())]
    assert covered == days("2019-09-25", "2026-11-20") and len(parts) == 6


def test_runs_split_scattered_days_at_long_gaps_only():
    scattered = days("2020-08-01", "2020-08-31") + days("2026-10-01", "2026-11-20")
    assert runs(scattered, 31) == [
        (date(2020, 8, 1), date(2020, 8, 31)),
        (date(2026, 10, 1), date(2026, 11, 20)),
    ]
    with_hole = [date(2024, 1, 1), date(2024, 1, 20), date(2024, 3, 1)]
    assert runs(with_hole, 31) == [(date(2024, 1, 1), date(2024, 1, 20)), (date(2024, 3, 1),) * 2]
    assert runs([date(2024, 5, 5)], 31) == [(date(2024, 5, 5), date(2024, 5, 5))]
