"""Checked days as ranges, and the message for a day that was not checked."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bfa_assets.store.coverage import Coverage, NotChecked

D = date(2024, 1, 1)


def days(*spans: tuple[int, int]) -> list[date]:
    return [D + timedelta(n) for first, last in spans for n in range(first, last + 1)]


CHECKED = Coverage.from_days(days((0, 30), (32, 32), (1040, 1069)))  # Jan, Feb 2, Nov 2026


def test_days_become_ranges_of_consecutive_days_whatever_their_order_and_repeats():
    shuffled = [*reversed(days((0, 30), (32, 32), (1040, 1069))), D]
    assert Coverage.from_days(shuffled) == CHECKED
    assert CHECKED.ranges == (
        (date(2024, 1, 1), date(2024, 1, 31)),
        (date(2024, 2, 2), date(2024, 2, 2)),
        (date(2026, 11, 6), date(2026, 12, 5)),
    )
    assert (CHECKED.days, CHECKED.latest) == (62, date(2026, 12, 5))
    assert Coverage.from_days([]).ranges == () and Coverage.from_days([]).latest is None


def test_the_text_form_is_iso_intervals_and_reads_back():
    text = CHECKED.to_text()
    assert text == "2024-01-01/2024-01-31,2024-02-02/2024-02-02,2026-11-06/2026-12-05"
    assert Coverage.from_text(text) == CHECKED
    assert Coverage.from_text("") == Coverage(())


@pytest.mark.parametrize(
    ("day", "checked"),
    [(date(2023, 12, 31), False), (D, True), (date(2024, 1, 31), True), (date(2024, 2, 1), False),
     (date(2024, 2, 2), True), (date(2025, 6, 1), False), (date(2026, 12, 5), True),
     (date(2026, 12, 6), False)],
)  # fmt: skip
def test_a_day_is_checked_only_inside_a_range(day, checked):
    assert CHECKED.checked(day) is checked


def test_unchecked_gives_the_holes_of_any_span():
    assert CHECKED.unchecked(date(2024, 1, 10), date(2024, 1, 20)) == []
    assert CHECKED.unchecked(date(2023, 12, 30), date(2024, 2, 5)) == [
        (date(2023, 12, 30), date(2023, 12, 31)),
        (date(2024, 2, 1), date(2024, 2, 1)),
        (date(2024, 2, 3), date(2024, 2, 5)),
    ]
    assert CHECKED.unchecked(date(2026, 12, 1), date(2026, 12, 9)) == [
        (date(2026, 12, 6), date(2026, 12, 9))
    ]
    assert Coverage(()).unchecked(D, D) == [(D, D)]


def test_an_unchecked_day_names_the_checked_ranges_around_it_and_the_gap_to_back_fill():
    message = str(NotChecked(CHECKED, date(2025, 6, 1)))
    assert message.startswith("2025-06-01 was not checked for USD-M (the release checked "
                              "2024-02-02, then 2026-11-06 … 2026-12-05 (30 days), nothing "
                              "between)")  # fmt: skip
    assert "back-fill 2024-02-03 … 2026-11-05 (1,007 days) of daily_availability" in message
    before = str(NotChecked(CHECKED, date(2020, 1, 1)))
    assert "first checked days are 2024-01-01 … 2024-01-31 (31 days)" in before
    assert "back-fill 2019-09-25 … 2023-12-31 (1,559 days)" in before
    after = str(NotChecked(CHECKED, date(2026, 12, 20)))
    assert (
        "latest checked days are 2026-11-06" in after
        and "back-fill 2026-12-06 … 2026-12-20" in after
    )
    assert "checked no day at all" in str(NotChecked(Coverage(()), D))


def test_a_coin_m_day_is_back_filled_from_its_own_first_day_with_its_own_run_config():
    first = date(2020, 8, 11)
    message = str(NotChecked(CHECKED, date(2020, 9, 1), "cm", first))
    assert message.startswith("2020-09-01 was not checked for COIN-M (the release's first")
    assert (
        "back-fill 2020-08-11 … 2023-12-31 (1,238 days) of daily_availability, daily_volume and "
        "volume_rankings with the run config `markets: [cm]` (Dagster UI" in message
    )
    before_it = str(NotChecked(Coverage(()), date(2020, 1, 1), "cm", first))
    assert "back-fill 2020-01-01 of daily_availability" in before_it  # never before the day
