"""The release's picture: symbols with data per day by kind, the unchecked days left blank."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from xml.etree import ElementTree

import duckdb

from bfa_assets.common.days import HISTORY_START
from bfa_assets.release.picture import draw, per_day
from bfa_assets.store.coverage import Coverage
from bfa_assets_tests.vision_sim.scenarios import TINY_END, TINY_START
from bfa_assets_tests.vision_sim.universe import Universe

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def kind_of(universe: Universe, symbol: str) -> str:
    life = universe.life(symbol)
    if life.delivery:
        return "delivery"
    return "usdt_perpetual" if life.quote == "USDT" else "other_perpetual"


def test_the_counts_per_day_are_the_simulators_and_unchecked_days_are_unknown(released):
    truth = Counter(
        (row["date"], kind_of(released.universe, row["symbol"]))
        for row in released.universe.availability_truth(TINY_START, TINY_END)
        if row["available"]
    )
    newest = released.newest
    with duckdb.connect(str(released.release_dir / "availability.duckdb"), read_only=True) as c:
        days = per_day(c, Coverage.of(c).history_gaps(newest), newest)
    assert days["date"].to_list() == [
        HISTORY_START + timedelta(days=n) for n in range((newest - HISTORY_START).days + 1)
    ]
    for row in days.iter_rows(named=True):
        kinds = ("usdt_perpetual", "other_perpetual", "delivery")
        if not TINY_START <= row["date"] <= TINY_END:  # never checked: unknown, not zero
            assert [row[k] for k in kinds] == [None, None, None]
        else:
            assert [row[k] for k in kinds] == [truth[(row["date"], k)] for k in kinds]
    assert sum(truth.values()) > 1000 and truth[(date(2022, 9, 1), "delivery")] == 1


def test_the_release_holds_the_picture_as_png_and_svg_linked_from_the_notes(released):
    folder = released.release_dir
    assert (folder / "symbols-per-day.png").read_bytes().startswith(PNG_SIGNATURE)
    svg = ElementTree.parse(folder / "symbols-per-day.svg").getroot()
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    notes = (folder / "RELEASE_NOTES.md").read_text()
    assert (
        "![Symbols with data per day; unchecked days shaded](symbols-per-day.png) "
        "([SVG](symbols-per-day.svg))" in notes
    )


def test_the_picture_is_reproducible_and_shades_each_unchecked_range(released, tmp_path):
    covered = Coverage([(date(2022, 7, 1), date(2022, 7, 31)), (date(2022, 9, 1), TINY_END)])
    unchecked = covered.history_gaps(TINY_END)
    with duckdb.connect(str(released.release_dir / "availability.duckdb"), read_only=True) as c:
        days = per_day(c, unchecked, TINY_END)
    targets = [tmp_path / "a.png", tmp_path / "a.svg"]
    draw([("um", days, unchecked)], targets)
    first = [t.read_bytes() for t in targets]
    draw([("um", days, unchecked)], targets)
    assert [t.read_bytes() for t in targets] == first
    svg = first[1].decode()
    assert svg.count("<!-- not checked (unknown) -->") == 1  # one legend entry for both ranges
    august = days.filter(days["date"].is_between(date(2022, 8, 1), date(2022, 8, 31)))
    assert august["delivery"].null_count() == 31 and days["delivery"].null_count() == 1041
    assert svg.count("url(#h") == 3  # the two ranges, hatched, and their legend entry
