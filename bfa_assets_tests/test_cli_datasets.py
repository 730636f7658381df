"""`bfa query datasets`, `coverage` and `gaps`: every dataset of both markets, answered from a
release of `tiny` with holes (HOLED_WINDOWS), against the simulator's ground truth; unchecked
days are refused, never read as absent."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import duckdb
import pytest

from bfa_assets_tests.cli_run import as_json, bfa
from bfa_assets_tests.conftest import HOLED_WINDOWS
from bfa_assets_tests.vision_sim.datasets import days_between
from bfa_assets_tests.vision_sim.scenarios import TINY_DATASET_QUIRKS

MARKETS = ("um", "cm")


@pytest.fixture(scope="module")
def truth(released_with_holes):
    """(runs, checks) the release must hold, from the simulator."""
    return released_with_holes.universe.coverage_truth(list(HOLED_WINDOWS))


def _days(runs: list[dict], market: str, dataset: str) -> dict[str, set[date]]:
    """folder -> its days with a file, from runs."""
    out: dict[str, set[date]] = defaultdict(set)
    for r in runs:
        if (r["market"], r["dataset"]) == (market, dataset):
            out[r["symbol"]].update(days_between(r["first_date"], r["last_date"]))
    return out


def _checked(checks: list[dict], market: str, dataset: str) -> set[date]:
    return {
        d
        for c in checks
        if (c["market"], c["dataset"]) == (market, dataset)
        for d in days_between(c["first_date"], c["last_date"])
    }


def test_the_release_holds_the_ground_truth_and_a_view_of_its_days(released_with_holes, truth):
    runs, checks = truth
    path = released_with_holes.release_dir / "availability.duckdb"
    with duckdb.connect(str(path), read_only=True) as conn:
        ours = conn.sql("SELECT * FROM dataset_runs ORDER BY ALL").fetchall()
        assert ours == sorted(tuple(r.values()) for r in runs)
        ours = conn.sql("SELECT * FROM dataset_checks ORDER BY ALL").fetchall()
        assert ours == sorted(tuple(c.values()) for c in checks)
        days = conn.sql(
            "SELECT symbol, date FROM dataset_days WHERE market = 'um' AND dataset = 'metrics'"
        ).fetchall()
    expected = _days(runs, "um", "metrics")
    assert sorted(days) == sorted((s, d) for s, ds in expected.items() for d in ds)


@pytest.mark.parametrize("market", MARKETS)
def test_coverage_of_a_checked_day_lists_exactly_the_folders_with_a_file(
    capsys, released_with_holes, truth, market
):
    runs, checks = truth
    day = date(2022, 9, 20)  # COIN-M's partial aggTrades outage: some folders only
    rows = as_json(
        capsys, released_with_holes.release_dir, "coverage", str(day), "--market", market
    )
    datasets = {c["dataset"] for c in checks if c["market"] == market}
    expected = sorted(
        (d, s)
        for d in datasets
        if day in _checked(checks, market, d)
        for s, days in _days(runs, market, d).items()
        if day in days
    )
    assert [(r["dataset"], r["symbol"]) for r in rows] == expected
    if market == "cm":
        agg = [r["symbol"] for r in rows if r["dataset"] == "aggTrades"]
        klines = [r["symbol"] for r in rows if r["dataset"] == "klines"]
        assert 0 < len(agg) < len(klines)


def test_coverage_refuses_an_unchecked_day_and_names_datasets_not_checked(
    capsys, released_with_holes
):
    folder = released_with_holes.release_dir
    reply = bfa(capsys, folder, "coverage", "2022-08-15", "--dataset", "metrics")
    assert reply.code == 3 and reply.out == ""
    assert "2022-08-15 was not checked for dataset metrics of USD-M" in reply.err
    assert "back-fill 2022-08-15 of dataset_coverage" in reply.err
    reply = bfa(capsys, folder, "coverage", "2022-08-15")
    assert reply.code == 3 and "not checked for any dataset of USD-M" in reply.err
    # 2022-10-05: fundingRate's October has not ended, so only the daily datasets answer
    reply = bfa(capsys, folder, "coverage", "2022-10-05")
    assert reply.code == 0 and reply.out.endswith("(not checked on 2022-10-05: fundingRate)\n")
    reply = bfa(capsys, folder, "coverage", "2022-10-05", "--dataset", "bookDepth")
    assert reply.code == 1 and "no checked day of dataset 'bookDepth' in USD-M" in reply.err


@pytest.mark.parametrize(("symbol", "market"), [("ETHUSDT", "um"), ("BTCUSD_PERP", "cm")])
def test_datasets_of_a_symbol_count_days_missing_and_not_checked(
    capsys, released_with_holes, truth, symbol, market
):
    runs, checks = truth
    rows = as_json(capsys, released_with_holes.release_dir, "datasets", symbol, "--market", market)
    for row in rows:
        folder, dataset = row["folder"], row["dataset"]
        days = _days(runs, market, dataset)[folder]
        checked = _checked(checks, market, dataset)
        first, last = min(days), max(days)
        life = set(days_between(first, last))
        assert (row["first_day"], row["last_day"]) == (str(first), str(last))
        assert row["days_with_file"] == len(days)
        assert row["days_missing"] == len((life & checked) - days)
        assert row["days_not_checked"] == len(life - checked)
        assert (row["checked_from"], row["checked_to"]) == (str(min(checked)), str(max(checked)))
    assert {r["dataset"] for r in rows} == {c["dataset"] for c in checks if c["market"] == market}
    if market == "cm":  # index klines are per pair
        assert {r["folder"] for r in rows if r["dataset"] == "indexPriceKlines"} == {"BTCUSD"}
    else:  # the documented hole: 8 checked days without metrics
        (metrics,) = [r for r in rows if r["dataset"] == "metrics"]
        assert metrics["days_missing"] == 8


def test_gaps_tell_missing_from_not_checked_and_find_the_incident(
    capsys, released_with_holes, truth
):
    runs, checks = truth
    market, dataset, incident = TINY_DATASET_QUIRKS["incident"]
    rows = as_json(capsys, released_with_holes.release_dir, "gaps", "--dataset", dataset)
    days, checked = _days(runs, market, dataset), _checked(checks, market, dataset)
    missed = {
        (r["symbol"], d)
        for r in rows
        if r["kind"] != "not checked" and r["symbol"]
        for d in days_between(
            date.fromisoformat(r["first_date"]), date.fromisoformat(r["last_date"])
        )
    }
    expected = {
        (s, d)
        for s, have in days.items()
        for d in days_between(min(have), max(have))
        if d in checked and d not in have
    }
    assert missed == expected
    before, after = min(incident) - timedelta(days=1), max(incident) + timedelta(days=1)
    hit = [s for s, have in days.items() if before in have and after in have]
    (summary,) = [r for r in rows if r["symbol"] is None]
    assert (summary["kind"], summary["first_date"], summary["last_date"]) == (
        "incident",
        str(min(incident)),
        str(max(incident)),
    )
    assert summary["contracts"] == len(hit) > 1
    assert {r["symbol"] for r in rows if r["kind"] == "incident" and r["symbol"]} == set(hit)


def test_gaps_of_one_symbol_and_the_errors(capsys, released_with_holes):
    folder = released_with_holes.release_dir
    _, dataset, symbol, (first, last) = TINY_DATASET_QUIRKS["hole"]
    rows = as_json(capsys, folder, "gaps", "--dataset", dataset, "--symbol", symbol)
    assert [(r["kind"], r["first_date"], r["last_date"]) for r in rows] == [
        ("not checked", "2022-08-01", "2022-08-31"),  # HOLED_WINDOWS leave August out
        ("missing", str(first), str(last)),
        ("not checked", "2022-10-03", "2022-10-03"),
    ]
    reply = bfa(capsys, folder, "gaps", "--dataset", "metrics", "--symbol", "BTCUSD")
    assert reply.code == 1 and "'BTCUSD' has no metrics file on a checked day" in reply.err
    with pytest.raises(SystemExit) as usage:
        bfa(capsys, folder, "gaps", "--symbol", "BTCUSDT")
    assert usage.value.code == 2 and "--dataset" in capsys.readouterr().err
    reply = bfa(capsys, folder, "datasets", "BTCUSD_PERP")
    assert reply.code == 1 and "add --market cm" in reply.err
