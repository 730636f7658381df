"""`bfa_assets.api.Release`: every `bfa query` answer from Python, tested as the command line is:
the same rows as `bfa query … --json` on a release with holes (HOLED_WINDOWS), in both markets,
and the same refusals with the same messages."""

from __future__ import annotations

import json
from datetime import date

import pytest

from bfa_assets.api import NotChecked, NotKnown, PartlyChecked, Release
from bfa_assets_tests.cli_run import as_json, bfa

# (method, its arguments, the command line's): days inside the checked windows
ANSWERS = [
    ("snapshot", ("2022-09-14",), ("snapshot", "2022-09-14")),
    ("timeline", ("ETHUSDT",), ("timeline", "ETHUSDT")),
    ("range", ("2022-09-01", "2022-09-30"), ("range", "2022-09-01", "2022-09-30")),
    ("new_listings", ("2022-09-01",), ("new-listings", "2022-09-01")),
    ("top", ("2022-09-14",), ("top", "2022-09-14")),
    ("top", ("2022-09-14", 3), ("top", "2022-09-14", "-n", "3")),
    ("datasets", ("BTCUSDT",), ("datasets", "BTCUSDT")),
    ("coverage", ("2022-09-14",), ("coverage", "2022-09-14")),
    ("coverage", ("2022-09-14", "metrics"), ("coverage", "2022-09-14", "--dataset", "metrics")),
    ("gaps", ("metrics",), ("gaps", "--dataset", "metrics")),
    ("gaps", ("metrics", "ETHUSDT"), ("gaps", "--dataset", "metrics", "--symbol", "ETHUSDT")),
]


@pytest.fixture(scope="module")
def release(released_with_holes):
    with Release(released_with_holes.release_dir) as opened:
        yield opened


def as_rows(frame) -> list[dict]:
    """A frame's rows as the command line's JSON has them."""
    return json.loads(json.dumps(frame.to_dicts(), default=str))


@pytest.mark.parametrize("market", ["um", "cm"])
@pytest.mark.parametrize(("method", "args", "command"), ANSWERS)
def test_every_answer_is_the_command_lines(
    release, released_with_holes, capsys, method, args, command, market
):
    symbol_less = market == "cm" and method in ("timeline", "datasets", "gaps")
    if symbol_less:  # a COIN-M contract instead of the USD-M symbol
        args = tuple("BTCUSD_PERP" if a in ("ETHUSDT", "BTCUSDT") else a for a in args)
        command = tuple("BTCUSD_PERP" if a in ("ETHUSDT", "BTCUSDT") else a for a in command)
    cli = as_json(capsys, released_with_holes.release_dir, *command, "--market", market)
    answer = as_rows(getattr(release, method)(*args, market=market))
    assert answer == cli
    assert answer or (method, market) == ("new_listings", "cm")  # no COIN-M listing that day


@pytest.mark.parametrize("market", ["um", "cm"])
def test_summary_and_delistings_are_the_command_lines(release, released_with_holes, capsys, market):
    folder = released_with_holes.release_dir
    summary = as_json(capsys, folder, "summary", "--market", market)
    assert json.loads(json.dumps(release.summary(market), default=str)) == summary
    cli = as_json(capsys, folder, "delistings", "2022-07-20", "--market", market)
    answer = release.delistings("2022-07-20", market)
    assert as_rows(answer["delisted"]) == cli["delisted"]
    assert as_rows(answer["not_known_yet"]) == cli["not_known_yet"]
    assert answer["days_needed"] == cli["days_needed_after"]


@pytest.mark.parametrize(
    ("method", "args", "command"),
    [
        ("snapshot", ("2022-08-15",), ("snapshot", "2022-08-15")),
        ("top", ("2022-10-03",), ("top", "2022-10-03")),
        ("coverage", ("2022-08-15",), ("coverage", "2022-08-15")),
    ],
)
def test_an_unchecked_day_is_refused_with_the_command_lines_message(
    release, released_with_holes, capsys, method, args, command
):
    with pytest.raises(NotKnown) as refused:  # NotChecked, DatasetNotChecked for coverage
        getattr(release, method)(*args)
    reply = bfa(capsys, released_with_holes.release_dir, *command)
    assert reply.code == 3 and reply.err == f"bfa: {refused.value}\n"
    assert isinstance(refused.value, NotChecked) or method == "coverage"


def test_a_range_over_unchecked_days_is_refused_unless_its_checked_rows_are_asked_for(
    release, released_with_holes, capsys
):
    with pytest.raises(PartlyChecked) as refused:
        release.range("2022-07-25", "2022-09-05")
    assert isinstance(refused.value, NotKnown)
    assert refused.value.unchecked == [(date(2022, 8, 1), date(2022, 8, 31))]
    reply = bfa(capsys, released_with_holes.release_dir, "range", "2022-07-25", "2022-09-05",
                "--json")  # fmt: skip
    assert reply.code == 3 and reply.err == f"bfa: {refused.value}\n"
    rows = release.range("2022-07-25", "2022-09-05", partial=True)
    assert as_rows(rows) == json.loads(reply.out) and rows.height > 0


def test_a_folder_without_a_release_says_how_to_get_one(tmp_path):
    with pytest.raises(FileNotFoundError, match="`bfa fetch` one, or materialize"):
        Release(tmp_path)
