"""`bfa query` on a release with holes gives only true answers, against the simulator's truth.

The release (conftest: `released_with_holes`) checked 2022-07-10..07-31, 09-01..10-02 and
10-04..10-08 of `tiny`: it starts after most symbols' first file (07-01), misses August (SRMUSDT
is delisted on 08-20, 龙虾USDT and AERGOUSDTSETTLED are listed in it, ETHUSDT's missing day
08-02 is in it) and misses 10-03 (one day inside every life, and inside the week after
BTCUSDT_220930's last file); 10-04..10-08 has availability but no volume or rankings. Every
answer is compared with what the universe holds, day by day: an answer about a day nobody
checked must say so (exit status 3), never look like a day without files.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta

import pytest

from bfa_assets.store.answers import DELISTING_DAYS
from bfa_assets_tests.cli_run import as_json, bfa
from bfa_assets_tests.conftest import HOLED_UNRANKED, HOLED_WINDOWS
from bfa_assets_tests.vision_sim.scenarios import TINY_END, TINY_START

DAYS = [TINY_START + timedelta(n) for n in range((TINY_END - TINY_START).days + 1)]
CHECKED = {day for first, last in HOLED_WINDOWS for day in DAYS if first <= day <= last}
UNRANKED = {day for first, last in HOLED_UNRANKED for day in DAYS if first <= day <= last}


@pytest.fixture(scope="module")
def truth(released_with_holes) -> dict[str, dict[date, bool]]:
    """symbol -> day -> whether its 1m file exists, from its first file to TINY_END."""
    files: dict[str, dict[date, bool]] = defaultdict(dict)
    for row in released_with_holes.universe.availability_truth(TINY_START, TINY_END):
        files[row["symbol"]][row["date"]] = row["available"]
    return files


def test_a_checked_day_lists_exactly_its_files_and_an_unchecked_day_says_it_was_not_checked(
    capsys, released_with_holes, truth
):
    folder = released_with_holes.release_dir
    for day in DAYS:
        for command in ("snapshot", "top"):
            reply = bfa(capsys, folder, command, day.isoformat(), "--json")
            if day in CHECKED and (command == "snapshot" or day not in UNRANKED):
                assert reply.code == 0, reply.err
            elif day in CHECKED:  # checked, but its volume and rankings were not materialized
                assert (reply.code, reply.out) == (3, ""), (command, day)
                assert reply.err.startswith(f"bfa: {day} was checked and ")
                assert (
                    "but the release has no ranking for it: materialize daily_volume" in reply.err
                )
            else:
                assert (reply.code, reply.out) == (3, ""), (command, day)
                assert reply.err.startswith(f"bfa: {day} was not checked for USD-M (the release")
        if day in CHECKED:
            symbols = [r["symbol"] for r in as_json(capsys, folder, "snapshot", day.isoformat())]
            assert symbols == sorted(s for s, files in truth.items() if files.get(day)), day


def test_the_message_names_the_checked_ranges_around_the_day_and_the_gap_to_back_fill(
    capsys, released_with_holes
):
    reply = bfa(capsys, released_with_holes.release_dir, "snapshot", "2022-08-05")
    assert reply.err == (
        "bfa: 2022-08-05 was not checked for USD-M (the release checked 2022-07-10 … 2022-07-31 "
        "(22 days), then 2022-09-01 … 2022-10-02 (32 days), nothing between), so which files it "
        "has is not known; to fill the gap, back-fill 2022-08-01 … 2022-08-31 (31 days) of "
        "daily_availability, daily_volume and volume_rankings (Dagster UI: Assets, select them, "
        "Materialize that date range), then materialize release_artifact\n"
    )
    first = bfa(capsys, released_with_holes.release_dir, "top", "2022-07-01").err
    assert "first checked days are 2022-07-10 … 2022-07-31" in first
    assert "back-fill 2019-09-25 … 2022-07-09 (1,019 days)" in first
    one_day = bfa(capsys, released_with_holes.release_dir, "snapshot", "2022-10-03").err
    assert "to fill the gap, back-fill 2022-10-03 of daily_availability" in one_day


def test_a_symbol_is_delisted_only_when_the_week_after_its_last_file_was_checked(
    capsys, released_with_holes, truth
):
    for day in DAYS:
        reply = bfa(
            capsys, released_with_holes.release_dir, "delistings", day.isoformat(), "--json"
        )
        if day not in CHECKED:
            assert reply.code == 3 and f"{day} was not checked" in reply.err
            continue
        answer = as_json(capsys, released_with_holes.release_dir, "delistings", day.isoformat())
        last_seen = {  # the last checked day with a file, for the symbols it is `day` for
            s: day for s, files in truth.items()
            if files.get(day) and not any(files.get(d) for d in CHECKED if d > day)
        }  # fmt: skip
        after = {s: sum(day < d <= day + timedelta(DELISTING_DAYS) for d in CHECKED
                        if d in truth[s]) for s in last_seen}  # fmt: skip
        delisted = {r["symbol"]: r["days_checked_after"] for r in answer["delisted"]}
        unsure = {r["symbol"]: r["days_checked_after"] for r in answer["not_known_yet"]}
        assert delisted | unsure == after, day
        assert set(delisted) == {s for s, n in after.items() if n == DELISTING_DAYS}, day
        for symbol in delisted:  # true: no file on any later day, checked or not
            assert not any(f for d, f in truth[symbol].items() if d > day), (symbol, day)


def test_the_delistings_the_holes_hide_are_not_known_yet(capsys, released_with_holes):
    folder = released_with_holes.release_dir
    july = as_json(capsys, folder, "delistings", "2022-07-31")
    assert july["delisted"] == []  # ICPUSDT_SETTLED ends that day, SRMUSDT lives on to 08-20
    assert [(r["symbol"], r["days_checked_after"]) for r in july["not_known_yet"]] == [
        ("ICPUSDT_SETTLED", 0),
        ("SRMUSDT", 0),
    ]
    delivery = as_json(capsys, folder, "delistings", "2022-09-30")
    assert delivery["not_known_yet"] == [
        {"symbol": "BTCUSDT_220930", "kind": "delivery", "days_checked_after": 6}  # not 10-03
    ]
    aergo = as_json(capsys, folder, "delistings", "2022-09-15")
    assert [r["symbol"] for r in aergo["delisted"]] == ["AERGOUSDTSETTLED"]
    text = bfa(capsys, folder, "delistings", "2022-07-31").out
    assert text.startswith("delisted on 2022-07-31 (last file that day; the 7 days after it")
    assert "not known yet (last file so far on 2022-07-31, but fewer than 7" in text


def test_new_listings_come_from_the_first_file_on_vision_checked_or_not(
    capsys, released_with_holes
):
    universe = released_with_holes.universe
    for day in DAYS:
        rows = as_json(capsys, released_with_holes.release_dir, "new-listings", day.isoformat())
        expected = sorted(s for s in universe.symbols if universe.first_1m_day(s) == day)
        assert [r["symbol"] for r in rows] == expected, day
    july = as_json(capsys, released_with_holes.release_dir, "new-listings", "2022-07-01")
    assert len(july) == 10 and "2022-07-01" not in {d.isoformat() for d in CHECKED}
    said = bfa(capsys, released_with_holes.release_dir, "new-listings", "2022-07-01")
    assert said.code == 0 and said.out.endswith(  # an unchecked day: the answer says it holds
        "(10 rows)\n(2022-07-01 was not checked for USD-M, and this answer holds all the same: a "
        "symbol's "
        "first file comes from listing its folder from the start, not from the checked days)\n"
    )
    checked = bfa(capsys, released_with_holes.release_dir, "new-listings", "2022-09-20").out
    assert checked.endswith(" rows)\n") or checked.endswith(" row)\n")


def test_a_timeline_marks_the_days_not_checked_apart_from_the_days_without_a_file(
    capsys, released_with_holes, truth
):
    for symbol, files in truth.items():
        rows = as_json(capsys, released_with_holes.release_dir, "timeline", symbol)
        after = rows[len(files) :]  # from the day after tiny's last to the release's newest day
        assert [date.fromisoformat(r["date"]) for r in rows[: len(files)]] == list(files), symbol
        assert len(after) == (released_with_holes.newest - TINY_END).days
        assert {(r["checked"], r["available"]) for r in after} == {(False, None)}
        for row in rows[: len(files)]:
            day = date.fromisoformat(row["date"])
            assert row["checked"] is (day in CHECKED), (symbol, day)
            assert row["available"] is (files[day] if day in CHECKED else None), (symbol, day)
    text = bfa(capsys, released_with_holes.release_dir, "timeline", "ETHUSDT").out.splitlines()
    assert text[1] == "2022-07-01 … 2022-07-09 (9 days): not checked"
    assert "2022-08-01 … 2022-08-31 (31 days): not checked" in text
    assert "2022-10-03: not checked" in text
    assert not any(line.startswith("2022-08-02") for line in text)  # its missing day, unseen
    later = (released_with_holes.newest - TINY_END).days
    assert text[-2] == f"2022-10-09 … {released_with_holes.newest} ({later:,} days): not checked"
    assert (
        text[-1] == f"({100 + later:,} days: 59 with a file, 0 without, {41 + later:,} not checked)"
    )
    lobster = bfa(capsys, released_with_holes.release_dir, "timeline", "龙虾USDT").out
    assert "\n2022-10-08  no\n" in lobster  # checked, and its late file was not there yet


def test_summary_states_the_checked_days_and_the_unchecked_ranges(capsys, released_with_holes):
    facts = as_json(capsys, released_with_holes.release_dir, "summary")
    assert facts["checked_days"] == len(CHECKED) == 59
    assert facts["checked_ranges"] == [[a.isoformat(), b.isoformat()] for a, b in HOLED_WINDOWS]
    newest = released_with_holes.newest
    assert facts["unchecked_ranges"] == [
        ["2019-09-25", "2022-07-09"],
        ["2022-08-01", "2022-08-31"],
        ["2022-10-03", "2022-10-03"],
        ["2022-10-09", str(newest)],  # after the latest checked day, to the release's newest
    ]
    assert facts["unchecked_days"] == 1019 + 31 + 1 + (newest - TINY_END).days
    text = bfa(capsys, released_with_holes.release_dir, "summary").out
    assert "unchecked_ranges: 2019-09-25 … 2022-07-09 (1,019 days), 2022-08-01 … 2022-08-31 " \
           f"(31 days), 2022-10-03, 2022-10-09 … {newest} (" in text  # fmt: skip


def test_a_range_over_a_hole_answers_for_its_checked_days_and_says_which_were_not(
    capsys, released_with_holes, truth
):
    start, end = date(2022, 7, 25), date(2022, 9, 5)
    reply = bfa(capsys, released_with_holes.release_dir, "range", str(start), str(end), "--json")
    assert reply.code == 3
    assert reply.err.startswith(
        "bfa: not checked for USD-M: 2022-08-01 … 2022-08-31 (31 days); the rows"
    )
    seen = {d for d in CHECKED if start <= d <= end}
    expected = {
        s: (min(days), max(days), len(days))
        for s, files in truth.items()
        if (days := sorted(d for d in seen if files.get(d)))
    }
    rows = json.loads(reply.out)
    assert {r["symbol"]: (date.fromisoformat(r["first_available"]),
                          date.fromisoformat(r["last_available"]), r["days_available"])
            for r in rows} == expected  # fmt: skip
    inside = bfa(capsys, released_with_holes.release_dir, "range", "2022-09-01", "2022-09-30")
    assert inside.code == 0 and inside.err == ""
    nothing = bfa(capsys, released_with_holes.release_dir, "range", "2022-08-01", "2022-08-31")
    assert nothing.code == 3 and nothing.out == "(no rows)\n"
